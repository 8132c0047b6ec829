/// The guide's rollback strategies. `gradual` and `canary` need traffic control: without it,
/// the assessment falls back to `fast` and says so in the decision.
public enum Strategy: String, Sendable, Codable, Hashable, CaseIterable {
    case immediate, fast, gradual, canary

    /// Whether this strategy moves traffic rather than (or before) rolling back.
    public var needsTrafficControl: Bool { self == .gradual || self == .canary }
}
