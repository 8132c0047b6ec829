/// Whether Rewind acts on its decisions.
public enum Mode: String, Sendable, Codable, Hashable, CaseIterable {
    /// Decide, act, verify, notify.
    case enforce
    /// Decide and record everything, act on nothing; notifications say "would roll back".
    case observe
}
