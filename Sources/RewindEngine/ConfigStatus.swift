import RewindCore

/// The configuration a daemon runs with and how its last reload went, for `GET /api/v1/status`
/// and `rewind status`. Set by the composition root (`rewind serve`), which reads the file.
public struct ConfigStatus: Sendable, Codable, Equatable {
    /// How a reload (SIGHUP) ended.
    public enum Outcome: String, Sendable, Codable {
        /// The file was valid and is in force.
        case applied
        /// The file has problems: the previous configuration stays in force.
        case invalid
        /// The file was valid but the engine could not take it (shutting down, store unreachable).
        case refused
    }

    /// The last reload: when, how it ended, and why when it was not applied.
    public struct Reload: Sendable, Codable, Equatable {
        public var at: Timestamp
        public var outcome: Outcome
        /// The problems (`file:line: path: message`) or the refusal; empty when applied.
        public var problems: [String]

        public init(at: Timestamp, outcome: Outcome, problems: [String] = []) {
            self.at = at
            self.outcome = outcome
            self.problems = problems
        }
    }

    /// Absolute path of the configuration file.
    public var source: String
    /// SHA-256 (hex) of the file's bytes as last applied.
    public var sha256: String
    /// When the configuration in force was read.
    public var loadedAt: Timestamp
    public var lastReload: Reload?
    /// Keys changed in the file that only a restart applies (`state`, `server.listen`, …): the
    /// running values stay until then.
    public var restartRequired: [String]

    enum CodingKeys: String, CodingKey {
        case source, sha256
        case loadedAt = "loaded_at"
        case lastReload = "last_reload"
        case restartRequired = "restart_required"
    }

    public init(
        source: String, sha256: String, loadedAt: Timestamp, lastReload: Reload? = nil, restartRequired: [String] = []
    ) {
        self.source = source
        self.sha256 = sha256
        self.loadedAt = loadedAt
        self.lastReload = lastReload
        self.restartRequired = restartRequired
    }
}
