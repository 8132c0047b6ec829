/// What the guide calls severity. `critical` maps to PagerDuty P1 in later channels.
public enum Severity: String, Sendable, Codable, Hashable, CaseIterable, Comparable {
    case low, high, critical

    private var rank: Int {
        switch self {
        case .low: 0
        case .high: 1
        case .critical: 2
        }
    }
    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}
