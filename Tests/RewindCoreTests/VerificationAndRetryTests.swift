import RewindCore
import Testing

@Suite("VerificationRound: the guide's health verification")
struct VerificationRoundTests {
    /// `S`/`F` per attempt → `a` (again), `p` (passed), `f` (failed) per attempt.
    static func run(
        _ attempts: String, policy: VerificationPolicy = .init(), recovery: ConsecutiveRule = Defaults.recovery
    ) -> String {
        var round = VerificationRound(policy: policy, recovery: recovery)
        return String(
            attempts.map { attempt -> Character in
                switch round.record(passed: attempt == "S") {
                case .again: "a"
                case .passed: "p"
                case .failed: "f"
                }
            })
    }

    @Test(
        "defaults: 3 attempts, 2 consecutive failures fail, 2 consecutive successes pass",
        arguments: [
            ("SS", "ap"),
            ("FF", "af"),
            ("SFF", "aaf"),
            ("FSS", "aap"),
            ("FSF", "aaf"),  // attempts run out
            ("S", "a"),
            ("F", "a"),
        ])
    func defaults(attempts: String, verdicts: String) {
        #expect(Self.run(attempts) == verdicts)
    }

    @Test(
        "custom policy values",
        arguments: [
            // (attempts, maxAttempts, failureThreshold, recovery count, verdicts)
            ("FFSSS", 5, 3, 3, "aaaap"),
            ("FFF", 5, 3, 3, "aaf"),
            ("SSFFS", 5, 3, 3, "aaaaf"),  // attempts run out before 3 in a row
            ("SSS", 3, 2, 5, "aap"),  // recovery larger than the attempts: all attempts healthy is enough
            ("F", 3, 1, 2, "f"),
            ("S", 1, 2, 2, "p"),
            ("F", 3, 0, 2, "f"),  // a threshold of 0 behaves as 1
        ])
    func custom(attempts: String, maxAttempts: Int, failureThreshold: Int, recovery: Int, verdicts: String) {
        let policy = VerificationPolicy(maxAttempts: maxAttempts, failureThreshold: failureThreshold)
        #expect(
            Self.run(attempts, policy: policy, recovery: ConsecutiveRule(count: recovery, within: .seconds(300)))
                == verdicts)
    }

    @Test("a failed verdict says why")
    func failureReasons() {
        var consecutive = VerificationRound(policy: .init(), recovery: Defaults.recovery)
        _ = consecutive.record(passed: false)
        #expect(consecutive.record(passed: false) == .failed("2 consecutive failed verification attempts"))
        var exhausted = VerificationRound(policy: .init(), recovery: Defaults.recovery)
        _ = exhausted.record(passed: false)
        _ = exhausted.record(passed: true)
        #expect(exhausted.record(passed: false) == .failed("no 2 consecutive healthy attempts in 3"))
        #expect(exhausted.attempts == 3)
    }
}

@Suite("RetryPolicy: full-jitter exponential backoff")
struct RetryPolicyTests {
    static let policy = RetryPolicy()  // base 500 ms, max 5 s

    @Test("no delay when the random draw is 0", arguments: [0, 1, 2, 5, 30])
    func zeroDraw(retry: Int) {
        #expect(Self.policy.delay(beforeRetry: retry, unitRandom: 0) == .zero)
    }

    @Test(
        "the ceiling doubles per retry and is capped at maxDelay",
        arguments: [
            (1, Int64(250)), (2, 500), (3, 1_000), (4, 2_000), (5, 2_500), (6, 2_500), (30, 2_500), (1_000, 2_500),
            (0, 250), (-3, 250),
        ])
    func halfDraw(retry: Int, expectedMs: Int64) {
        #expect(Self.policy.delay(beforeRetry: retry, unitRandom: 0.5) == .milliseconds(expectedMs))
    }

    @Test("draws outside [0, 1] are clamped")
    func clamped() {
        #expect(Self.policy.delay(beforeRetry: 10, unitRandom: 7) == .seconds(5))
        #expect(Self.policy.delay(beforeRetry: 2, unitRandom: -1) == .zero)
        #expect(Self.policy.delay(beforeRetry: 2, unitRandom: 0.75) == .milliseconds(750))
    }

    @Test("custom base and cap")
    func custom() {
        let policy = RetryPolicy(attempts: 5, baseDelay: .milliseconds(100), maxDelay: .milliseconds(300))
        let ceilings = (1...4).map { policy.delay(beforeRetry: $0, unitRandom: 1).milliseconds }
        #expect(ceilings == [100, 200, 300, 300])
    }
}
