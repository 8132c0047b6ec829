import RewindCore
import RewindSpecs

/// A service's `migration:`: the down-migration run with its rollback.
///
/// ```yaml
/// migration:
///   rollback: [./bin/migrate, down, --to, "{{target.version}}"]
///   before_app: false          # default: after the application's rollback
///   irreversible: false        # true: no down step; the rollback stops and says to restore from backup
///   timeout: 5m
///   env: { DATABASE_URL: "${DATABASE_URL}" }
///   working_directory: /srv/backend
/// ```
extension ConfigReader {
    static let migrationKeys = ["rollback", "before_app", "irreversible", "timeout", "env", "working_directory"]

    /// Every problem of the migration is reported; the spec comes back only when there was none.
    mutating func migration(_ at: Located) -> MigrationSpec? {
        guard let fields = mapping(at, allowed: Self.migrationKeys) else { return nil }
        let problemsBefore = problems.count
        var spec = MigrationSpec(rollback: [])
        if let at = fields["irreversible"], let irreversible = bool(at) { spec.irreversible = irreversible }
        if spec.irreversible {
            if let at = fields["rollback"] {
                report(
                    at,
                    "a migration marked irreversible has no down step: remove rollback, or set irreversible: false"
                )
            }
        } else if let at = require(
            fields,
            "rollback",
            hint: "the down-migration command, e.g. rollback: [./bin/migrate, down, --to, \"{{target.version}}\"], "
                + "or irreversible: true when there is none"
        ), let rollback = argumentVector(at) {
            spec.rollback = rollback
        }
        if let at = fields["before_app"], let beforeApp = bool(at) { spec.beforeApp = beforeApp }
        if let at = fields["timeout"] { spec.timeout = duration(at, .timeout) }
        if let at = fields["env"] { spec.environment = commandEnvironment(at) }
        if let at = fields["working_directory"] { spec.workingDirectory = filePath(at) }
        return problems.count == problemsBefore ? spec : nil
    }
}
