import Foundation
import RewindConfig
import RewindCore
import RewindSpecs
import Testing

/// Every number of the configuration is range-checked, so that nothing it accepts can trap later.
@Suite("Numbers and durations in range")
struct BoundsTests {
    /// One `problems` line for the value at `path`.
    private func problem(_ yaml: String, at path: String) -> String? {
        problems(yaml).first { $0.path == path }.map(\.message)
    }

    @Test("a push body limit near Int.max is refused (the intake adds one to it)")
    func bodyLimitNearIntMax() {
        let yaml = "monitoring: { push: { max_body_bytes: 9223372036854775807 } }\n" + minimalServices
        #expect(
            problem(yaml, at: "monitoring.push.max_body_bytes")
                == "expected a whole number from 1024 to 67108864, got the number 9223372036854775807")
        let big = "monitoring: { push: { max_body_bytes: 67108865, max_events: 100001 } }\n" + minimalServices
        #expect(problem(big, at: "monitoring.push.max_body_bytes") != nil)
        #expect(problem(big, at: "monitoring.push.max_events") != nil)
    }

    @Test("a signal window under a second is refused (its slots would be under a millisecond)")
    func tinyWindow() {
        let yaml = """
            services:
              backend:
                checks: [{ name: health, url: "https://api.example.com/health" }]
                signals:
                  - { measure: latency_p95, probe: health, window: 5ms, interval: 5ms }
                provider: { type: command, rollback: [deploy] }
            """
        #expect(
            problem(yaml, at: "services.backend.signals[0].window")
                == "must be between 1s and 24h, got 5ms: a window shorter than 1s holds too few values to judge")
        #expect(
            problem(yaml, at: "services.backend.signals[0].interval")
                == "must be between 100ms and 1h, got 5ms: looking more often than every 100ms floods the service")
    }

    @Test(
        "each duration key names its range when out of it",
        arguments: [
            ("bake: 31d", "bake", nil),
            ("bake: 721h", "bake", "must be between 0s and 720h, got 721h"),
            ("tracking: { interval: 500ms }", "tracking.interval", "must be between 1s and 1h, got 500ms"),
            ("health: { interval: 50ms }", "health.interval", "between 100ms and 1h"),
            ("health: { timeout: 2h }", "health.timeout", "must be between 100ms and 1h, got 2h"),
            ("health: { critical: { within: 500ms } }", "health.critical.within", "between 1s and 24h"),
            ("health: { critical: { min_duration: 2h } }", "health.critical.min_duration", "between 0s and 1h"),
            (
                "health: { non_critical: { within: 10s, min_duration: 30s } }", "health.non_critical.min_duration",
                "longer than the rule's window within (10s)"
            ),
            ("health: { recovery: { min_duration: 2s } }", "health.recovery.min_duration", nil),
            ("health: { suspect_interval: 10ms }", "health.suspect_interval", "between 100ms and 1h"),
            ("health: { suspect_window: 25h }", "health.suspect_window", "must be between 0s and 24h, got 25h"),
            ("strategies: { immediate: { freeze: 999999999h } }", "strategies.immediate.freeze", "between 0s and 720h"),
            ("strategies: { immediate: { deadline: 25h } }", "strategies.immediate.deadline", "between 1s and 24h"),
            ("strategies: { canary: { analysis: 10s } }", "strategies.canary.analysis", "between 1m and 720h"),
            ("verification: { interval: 10ms }", "verification.interval", "between 100ms and 1h"),
            ("safety: { cooldown: 999999h }", "safety.cooldown", "between 0s and 720h"),
            ("retry: { base_delay: 1ms }", "retry.base_delay", "between 10ms and 1h"),
            ("retry: { max_delay: 2h }", "retry.max_delay", "between 10ms and 1h"),
            ("notifications: { timeout: 2h }", "notifications.timeout", "between 100ms and 1h"),
            ("escalation: { immediate: { oncall: 721h } }", "escalation.immediate.oncall", "between 0s and 720h"),
            ("escalation: { post_mortem_within: 999999h }", "escalation.post_mortem_within", "between 1m and 720h"),
            ("monitoring: { failure_after: 100h }", "monitoring.failure_after", "between 1s and 24h"),
            ("retention: { closed_incidents: 30m }", "retention.closed_incidents", "between 1h and 87600h"),
            ("retention: { closed_incidents: 999999999h }", "retention.closed_incidents", "between 1h and 87600h"),
            ("retention: { interval: 1s }", "retention.interval", "between 1m and 24h"),
        ] as [(String, String, String?)]
    )
    func durationRanges(line: String, path: String, message: String?) {
        let found = problem(line + "\n" + minimalServices, at: path)
        #expect(found != nil, "\(line) was accepted")
        if let message { #expect(found?.contains(message) == true, "\(found ?? "")") }
    }

    @Test(
        "each count names its range when out of it",
        arguments: [
            ("health: { critical: { failures: 100000 } }", "health.critical.failures", "from 1 to 1000"),
            ("verification: { max_attempts: 1000 }", "verification.max_attempts", "from 1 to 100"),
            (
                "safety: { max_automatic_rollbacks_per_hour: 99999999999 }", "safety.max_automatic_rollbacks_per_hour",
                "from 1 to 1000"
            ),
            ("retry: { attempts: 1000000 }", "retry.attempts", "from 0 to 100"),
            ("notifications: { retry: { attempts: 0 } }", "notifications.retry.attempts", "from 1 to 100"),
            ("server: { max_connections: 9223372036854775807 }", "server.max_connections", "from 1 to 100000"),
            ("retention: { deployments_per_service: 0 }", "retention.deployments_per_service", "from 1 to 100000"),
        ]
    )
    func countRanges(line: String, path: String, message: String) {
        let found = problem(line + "\n" + minimalServices, at: path)
        #expect(found?.contains("expected a whole number \(message)") == true, "\(found ?? "accepted")")
    }

    @Test("provider, channel and traffic timeouts are at most an hour")
    func providerTimeouts() {
        let yaml = """
            services:
              backend:
                rollback_timeout: 2h
                checks: [{ name: health, url: "https://api.example.com/health", timeout: 10ms }]
                provider: { type: command, rollback: [deploy], timeout: 61m }
            """
        let paths = problems(yaml).map(\.path)
        #expect(
            paths == [
                "services.backend.rollback_timeout", "services.backend.checks[0].timeout",
                "services.backend.provider.timeout",
            ])
    }

    @Test(
        "a threshold must be a finite number",
        arguments: ["> inf", "> nan", "< -inf", "> 1e400", "rise inf%", "rise nan points", "> 1e16"]
    )
    func nonFiniteThreshold(threshold: String) {
        let yaml = """
            services:
              backend:
                checks: [{ name: health, url: "https://api.example.com/health" }]
                signals:
                  - { measure: error_rate, pushed: errors, threshold: "\(threshold)" }
                provider: { type: command, rollback: [deploy] }
            """
        #expect(problem(yaml, at: "services.backend.signals[0].threshold")?.contains("is not a threshold") == true)
    }

    @Test("a request body number must be finite")
    func nonFiniteBodyNumber() {
        let yaml = """
            services:
              backend:
                checks: [{ name: health, url: "https://api.example.com/health" }]
                provider:
                  type: http
                  rollback: { url: "https://platform.example.com/rollback", body: { weight: .inf, n: 99999999999999999999 } }
            """
        let paths = Set(problems(yaml).map(\.path))
        #expect(
            paths == ["services.backend.provider.rollback.body.weight", "services.backend.provider.rollback.body.n"])
    }

    /// The largest values the configuration allows, run through the core's duration arithmetic: nothing
    /// traps, and the results stay ordered.
    @Test("the largest accepted values keep the core's duration arithmetic in range")
    func largestValuesDoNotTrap() throws {
        let yaml = """
            bake: 720h
            strategies: { immediate: { timeout: 1h, freeze: 720h, deadline: 24h }, fast: { timeout: 1h } }
            safety: { cooldown: 720h, max_automatic_rollbacks_per_hour: 1000 }
            retry: { attempts: 100, base_delay: 1h, max_delay: 1h }
            escalation: { immediate: { oncall: 720h }, post_mortem_within: 720h }
            """ + "\n" + minimalServices
        let policy = try #require(parse(yaml).configuration).policy
        let now = Timestamp(millisecondsSinceEpoch: 1_900_000_000_000)
        #expect(now + policy.bake > now)
        #expect(now + policy.safety.cooldown - policy.safety.cooldown == now)
        for retry in [1, 20, 21, 64, 100, Int.max] {
            let delay = policy.retry.delay(beforeRetry: retry, unitRandom: 0.999_999)
            #expect(delay >= .zero && delay <= policy.retry.maxDelay)
        }
        #expect(policy.escalation.postMortemWithin.milliseconds == 720 * 3_600_000)
    }

    @Test("retention reads its three keys; the largest age keeps the pruning horizon in range")
    func retention() throws {
        let yaml =
            "retention: { closed_incidents: 87600h, deployments_per_service: 20, interval: 10m }\n" + minimalServices
        let retention = try #require(parse(yaml).configuration).policy.retention
        #expect(
            retention
                == RetentionPolicy(
                    closedIncidents: .seconds(87_600 * 3600), deploymentsPerService: 20, interval: .seconds(600)))
        let now = Timestamp(millisecondsSinceEpoch: 1_900_000_000_000)
        #expect(now - retention.closedIncidents < now)
        #expect(try #require(parse(minimalServices).configuration).policy.retention == RetentionPolicy())
    }

    @Test("a retry delay never overflows, whatever base it is given")
    func retryDelaySaturates() {
        let policy = RetryPolicy(
            attempts: 3, baseDelay: .seconds(Int64.max / 1000), maxDelay: .seconds(Int64.max / 1000))
        #expect(policy.delay(beforeRetry: 21, unitRandom: 0.5) >= .zero)
    }
}
