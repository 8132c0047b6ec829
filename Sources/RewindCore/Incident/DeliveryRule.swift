/// The delivery rule for one failed attempt: retry transient failures with backoff (at least the
/// channel's Retry-After), give up on permanent ones, when the attempts run out, or when the channel
/// asks to wait longer than the whole retry budget (``RetryPolicy/budget``): a channel that says
/// "come back in an hour" is failing now, and is reported as such instead of holding its notices.
public enum DeliveryRule {
    public enum Next: Sendable, Equatable {
        case retry(at: Timestamp)
        case giveUp
    }

    public static func afterFailure(
        attempts: Int, transient: Bool, retryAfter: Duration?, policy: RetryPolicy, now: Timestamp, unitRandom: Double
    ) -> Next {
        guard transient, attempts <= policy.attempts else { return .giveUp }
        if let retryAfter, policy.exceedsBudget(retryAfter) { return .giveUp }
        var delay = policy.delay(beforeRetry: attempts, unitRandom: unitRandom)
        delay = max(delay, .milliseconds(min(policy.baseDelay.milliseconds, 250)))
        if let retryAfter { delay = max(delay, retryAfter) }
        return .retry(at: now + delay)
    }
}
