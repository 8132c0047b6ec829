/// The one rule for deployment ids and versions that come from outside Rewind (`POST
/// /api/v1/deployments`, `rewind deployments record`, a platform listing, `rewind rollback --to`).
///
/// Providers put ids and versions into command lines (`{{target.id}}`), URL paths and container
/// images. A value starting with `-` would become an option, `..` would climb a path, and a space or
/// a line break would split or forge text. So an id or version is at most 256 characters of
/// `A–Z a–z 0–9 . _ : / @ + -`, does not start with `-`, is not `.`, and holds no `..`.
///
/// Checked where values enter (the API refuses with 400, the CLI with a usage error, tracking skips
/// the deployment) and again by every provider before it uses one, so a value stored by an older
/// Rewind cannot slip through.
public enum DeploymentIdentifier {
    public static let maxLength = 256

    /// The rule in words, for messages.
    public static let rule =
        "use at most \(maxLength) characters of letters, digits and . _ : / @ + -, not starting with '-' "
        + "and without '..'"

    /// What is wrong with `value`, or nil when it passes the rule.
    public static func problem(_ value: String) -> String? {
        if value.isEmpty { return "is empty" }
        if value.utf8.count > maxLength { return "is longer than \(maxLength) characters" }
        if value.hasPrefix("-") { return "starts with '-' (a command would read it as an option)" }
        if value == "." || value.contains("..") { return "contains '..' or is '.' (a path would leave its folder)" }
        if let bad = value.unicodeScalars.first(where: { !isAllowed($0) }) {
            return "contains \(describe(bad)), which is not allowed"
        }
        return nil
    }

    /// The error naming `what` (`id`, `version`) and the rule, or nil when `value` passes.
    public static func check(_ value: String, as what: String) -> InvalidDeploymentIdentifier? {
        problem(value).map { InvalidDeploymentIdentifier(what: what, value: value, problem: $0) }
    }

    /// Throws ``InvalidDeploymentIdentifier`` naming `what` (`id`, `version`) and the rule.
    public static func validate(_ value: String, as what: String) throws {
        if let invalid = check(value, as: what) { throw invalid }
    }

    private static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", ".", "_", ":", "/", "@", "+", "-": true
        default: false
        }
    }

    private static func describe(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case " ": "a space"
        case "\n", "\r": "a line break"
        default:
            scalar.isASCII && scalar.value >= 0x20 && scalar.value < 0x7F
                ? "'\(scalar)'" : "U+\(String(scalar.value, radix: 16, uppercase: true))"
        }
    }
}

/// A deployment id or version that breaks ``DeploymentIdentifier``'s rule.
public struct InvalidDeploymentIdentifier: RewindError, Equatable {
    /// `id` or `version`.
    public var what: String
    public var value: String
    public var problem: String

    public var code: String { "invalid_deployment_\(what)" }

    /// Names the rule; shows the value only when it is short and printable.
    public var message: String {
        let printable = value.unicodeScalars.allSatisfy { $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F }
        let shown = value.count <= 64 && printable ? " '\(value)'" : ""
        return "the deployment \(what)\(shown) \(problem): \(DeploymentIdentifier.rule)"
    }
}
