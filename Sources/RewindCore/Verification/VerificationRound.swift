/// The guide's health verification after a rollback, as a pure counter.
///
/// Attempts run every `interval` (the first right after the platform reports the rollback done),
/// up to `maxAttempts`. The round passes on `recovery.count` consecutive successful attempts (the
/// guide's recovery rule, 2 with the defaults), fails on `failureThreshold` consecutive failed
/// attempts (2), and fails when the attempts run out first. A failed round escalates; it never
/// starts another rollback.
public struct VerificationRound: Sendable, Equatable {
    public enum Verdict: Sendable, Equatable {
        case again
        case passed
        case failed(String)
    }

    public let maxAttempts: Int
    public let failureThreshold: Int
    public let successesNeeded: Int
    public private(set) var attempts = 0
    public private(set) var consecutiveFailures = 0
    public private(set) var consecutiveSuccesses = 0

    public init(policy: VerificationPolicy, recovery: ConsecutiveRule) {
        maxAttempts = max(1, policy.maxAttempts)
        failureThreshold = max(1, policy.failureThreshold)
        successesNeeded = max(1, min(recovery.count, max(1, policy.maxAttempts)))
    }

    public mutating func record(passed: Bool) -> Verdict {
        attempts += 1
        if passed {
            consecutiveSuccesses += 1
            consecutiveFailures = 0
            if consecutiveSuccesses >= successesNeeded { return .passed }
        } else {
            consecutiveFailures += 1
            consecutiveSuccesses = 0
            if consecutiveFailures >= failureThreshold {
                return .failed("\(consecutiveFailures) consecutive failed verification attempts")
            }
        }
        if attempts >= maxAttempts {
            return .failed("no \(successesNeeded) consecutive healthy attempts in \(maxAttempts)")
        }
        return .again
    }
}
