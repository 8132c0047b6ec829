import Foundation
import RewindCore
import RewindSpecs
import Testing
import Yams

@testable import RewindConfig

@Suite("Config: migration")
struct MigrationConfigTests {
    /// Reads `yaml` (the body of a service's `migration:`) with the reader the services section uses.
    static func read(
        _ yaml: String,
        environment: [String: String] = [:]
    ) throws -> (
        spec: MigrationSpec?, problems: [String], secrets: [String]
    ) {
        let root = try #require(try Yams.compose(yaml: yaml))
        var reader = ConfigReader(file: "/etc/rewind/rewind.yaml", folder: "/etc/rewind", environment: environment)
        let spec = reader.migration(Located(node: root, path: "services.backend.migration", line: 1))
        return (spec, reader.problems.map { "\($0.line) \($0.path): \($0.message)" }, reader.secrets)
    }

    @Test("a down-migration with defaults: after the app, reversible, no timeout of its own")
    func defaults() throws {
        let read = try Self.read("rollback: [./bin/migrate, down, --to, \"{{target.version}}\"]")
        #expect(read.problems == [])
        #expect(read.spec == MigrationSpec(rollback: ["./bin/migrate", "down", "--to", "{{target.version}}"]))
        #expect(read.spec?.beforeApp == false)
        #expect(read.spec?.irreversible == false)
    }

    @Test("every key maps to the spec; env from ${…} is secret")
    func everyKey() throws {
        let read = try Self.read(
            """
            rollback: [migrate, down, "{{current.id}}"]
            before_app: true
            timeout: 10m
            env: { DATABASE_URL: "${DATABASE_URL}", MIGRATIONS_TABLE: schema_migrations }
            working_directory: backend
            """,
            environment: ["DATABASE_URL": "postgres://app:pw@db/app"]
        )
        #expect(read.problems == [])
        #expect(
            read.spec
                == MigrationSpec(
                    rollback: ["migrate", "down", "{{current.id}}"],
                    beforeApp: true,
                    irreversible: false,
                    timeout: .seconds(600),
                    environment: [
                        "DATABASE_URL": ConfigText("postgres://app:pw@db/app", isSecret: true),
                        "MIGRATIONS_TABLE": ConfigText("schema_migrations"),
                    ],
                    workingDirectory: "/etc/rewind/backend"
                )
        )
        #expect(read.secrets == ["postgres://app:pw@db/app"])
    }

    @Test("irreversible needs no command, and refuses one")
    func irreversible() throws {
        let read = try Self.read("irreversible: true")
        #expect(read.problems == [])
        #expect(read.spec == MigrationSpec(rollback: [], irreversible: true))

        let both = try Self.read("irreversible: true\nrollback: [migrate, down]")
        #expect(both.spec == nil)
        #expect(
            both.problems == [
                "2 services.backend.migration.rollback: a migration marked irreversible has no down step: "
                    + "remove rollback, or set irreversible: false"
            ]
        )
    }

    @Test("each mistake is reported at its line and path")
    func mistakes() throws {
        let read = try Self.read(
            """
            rollback: migrate down
            before_app: maybe
            irreversable: false
            timeout: 0s
            env: { DB_PASSWORD: hunter22, "bad name": x }
            working_directory: ""
            """
        )
        #expect(read.spec == nil)
        #expect(
            read.problems == [
                "3 services.backend.migration.irreversable: unknown key 'irreversable'; did you mean 'irreversible'?",
                "1 services.backend.migration.rollback: write the command as a list of arguments, "
                    + "e.g. [vercel, rollback, \"{{target.id}}\", --yes]",
                "2 services.backend.migration.before_app: expected true or false, got 'maybe'",
                "4 services.backend.migration.timeout: must be between 100ms and 1h, got 0s",
                "5 services.backend.migration.env.DB_PASSWORD: DB_PASSWORD holds a credential: put it in an "
                    + "environment variable or a file, e.g. DB_PASSWORD: ${DB_PASSWORD}",
                "5 services.backend.migration.env.bad name: 'bad name' is not a valid environment variable name: "
                    + "use letters, digits and _",
                "6 services.backend.migration.working_directory: expected a file path, got an empty text",
            ]
        )
        #expect(!read.problems.joined().contains("hunter22"))
    }

    @Test("a missing rollback says what to write, and unknown placeholders are caught")
    func missingRollback() throws {
        let missing = try Self.read("before_app: true")
        #expect(
            missing.problems == [
                "1 services.backend.migration: missing required key 'rollback'; the down-migration command, "
                    + "e.g. rollback: [./bin/migrate, down, --to, \"{{target.version}}\"], "
                    + "or irreversible: true when there is none"
            ]
        )
        let placeholder = try Self.read("rollback: [migrate, \"{{target.versoin}}\"]")
        #expect(placeholder.problems.count == 1)
        #expect(placeholder.problems.first?.contains("did you mean {{target.version}}?") == true)
    }
}
