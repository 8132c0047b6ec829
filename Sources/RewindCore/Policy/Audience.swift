/// Who an escalation reaches. Each audience maps to channels in the policy.
public enum Audience: String, Sendable, Codable, Hashable, CaseIterable, Comparable {
    case oncall, management, devops, product, security

    public static func < (lhs: Audience, rhs: Audience) -> Bool { lhs.rawValue < rhs.rawValue }
}
