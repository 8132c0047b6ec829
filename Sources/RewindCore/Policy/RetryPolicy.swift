/// Retries for transient failures only, with full-jitter exponential backoff.
public struct RetryPolicy: Sendable, Equatable {
    public var attempts: Int
    public var baseDelay: Duration
    public var maxDelay: Duration

    public init(
        attempts: Int = Defaults.retryAttempts, baseDelay: Duration = Defaults.retryBaseDelay,
        maxDelay: Duration = Defaults.retryMaxDelay
    ) {
        self.attempts = attempts
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// The longest the policy is willing to wait in all: every retry at its longest delay
    /// (`attempts` × `maxDelay`). A platform or channel that asks to wait longer than this before the
    /// next try (Retry-After) is given up on at once instead of being waited for.
    public var budget: Duration {
        .milliseconds(Saturating.multiply(Int64(max(attempts, 0)), maxDelay.milliseconds))
    }

    /// True when a wait of `retryAfter` is longer than ``budget``.
    public func exceedsBudget(_ retryAfter: Duration) -> Bool {
        retryAfter > budget
    }

    /// The delay before retry number `retry` (1-based): a uniform draw in [0, min(max, base·2^(retry-1))].
    /// `unitRandom` is in [0, 1); it is a parameter so that the decision stays pure.
    /// Saturating: a base so long that doubling it would overflow gives `maxDelay`, never a negative wait.
    public func delay(beforeRetry retry: Int, unitRandom: Double) -> Duration {
        let doublings = Int64(min(max(retry - 1, 0), 20))
        let base = max(baseDelay.milliseconds, 0)
        let ceiling = max(
            0, base > Int64.max >> doublings ? maxDelay.milliseconds : min(maxDelay.milliseconds, base << doublings))
        return .milliseconds(Int64((Double(ceiling) * min(max(unitRandom, 0), 1)).rounded(.down)))
    }
}
