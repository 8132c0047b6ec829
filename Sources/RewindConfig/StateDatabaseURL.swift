import Foundation

/// `state: postgresql://user@host:5432/database?sslmode=…`: recognizing and checking the URL that
/// puts Rewind's state in PostgreSQL. The store parses it again to connect; here it is checked
/// early, so that `rewind config validate` names what is wrong.
enum StateDatabaseURL {
    static let schemes = ["postgresql://", "postgres://"]
    static let sslModes = ["disable", "prefer", "require", "verify-full"]
    static let parameters = ["sslmode", "search_path"]

    static func isDatabaseURL(_ text: String) -> Bool {
        schemes.contains { text.lowercased().hasPrefix($0) }
    }

    /// What is wrong with a resolved URL, never quoting it (it holds the password); nil when usable.
    static func problem(_ url: String) -> String? {
        let example = "postgresql://user:${REWIND_DB_PASSWORD}@host:5432/rewind?sslmode=require"
        guard let components = URLComponents(string: url) else { return "not a valid URL; write \(example)" }
        guard let host = components.host, !host.isEmpty else {
            return "the database URL names no host; write \(example)"
        }
        guard let user = components.user, !user.isEmpty else {
            return "the database URL names no user; write \(example)"
        }
        let database = components.path.drop { $0 == "/" }
        guard !database.isEmpty, !database.contains("/") else {
            return "the database URL names no database; write \(example)"
        }
        for item in components.queryItems ?? [] {
            guard parameters.contains(item.name) else {
                return "unknown database URL parameter '\(item.name)'; known: \(parameters.joined(separator: ", "))"
            }
            if item.name == "sslmode", !sslModes.contains(item.value ?? "") {
                return "sslmode must be one of \(sslModes.joined(separator: ", "))"
            }
        }
        return nil
    }

    /// The `user[:password]` part of the URL as written (before `@`); empty without one.
    static func userInfo(of url: String) -> Substring {
        guard let scheme = url.range(of: "://") else { return "" }
        let authority = url[scheme.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard let at = authority.lastIndex(of: "@") else { return "" }
        return authority[..<at]
    }

    /// The URL with any password removed, for messages and logs.
    static func withoutPassword(_ url: String) -> String {
        guard var components = URLComponents(string: url) else { return "the configured PostgreSQL database" }
        components.password = nil
        return components.string ?? "the configured PostgreSQL database"
    }
}
