/// What a bearer token may do on the daemon's API (`server.tokens[].scopes`).
///
/// `/healthz`, `/readyz` and `/metrics` need no token (probes and scrapers); everything else
/// needs a token with the route's scope as soon as any token is configured. With no token at all
/// the daemon only listens on loopback and every route is open there.
public enum APIScope: String, Sendable, CaseIterable, Codable {
    /// Read state: `GET /api/v1/status`, `history`, `incidents/…`, `freeze`.
    case read
    /// Push events and alerts: `POST /api/v1/events` and `POST /hooks/alertmanager`.
    case events
    /// Change state: rollbacks, freeze and unfreeze, acknowledgements, recorded deployments,
    /// post-rollback tasks, and `POST /hooks/pagerduty`.
    case operate
}

/// One bearer token of the API (`server.tokens[]`, or `server.token` as the token named
/// `default` with every scope). Every change made with it is recorded with its name as the actor.
public struct APIToken: Sendable, Equatable {
    /// Unique among the tokens: letters, digits, `.`, `_`, `-`; at most 64 characters.
    public var name: String
    /// Always a secret (`${…}`); never printed.
    public var token: ConfigText
    public var scopes: Set<APIScope>

    public init(name: String, token: ConfigText, scopes: Set<APIScope>) {
        self.name = name
        self.token = token
        self.scopes = scopes
    }

    /// The name `server.token` is known by.
    public static let defaultName = "default"

    /// Whether `name` is a valid token name (it shows in timelines and logs as the actor).
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 64
            && name.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "."
                    || $0 == "_"
                    || $0 == "-"
            }
    }
}
