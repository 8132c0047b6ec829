import RewindConfig
import RewindCore
import Testing

@Suite("Config: metric signals and monitoring")
struct SignalConfigTests {
    static func service(_ signals: String, extra: String = "") -> String {
        """
        \(extra)
        services:
          frontend:
            class: frontend
            checks:
              - name: health
                url: https://app.example.com/health
            provider:
              type: command
              rollback: [vercel, rollback]
            signals:
        \(signals)
        """
    }

    @Test("measures take the guide's numbers for the service's class")
    func guideDefaults() throws {
        let yaml = Self.service(
            """
                  - measure: latency_p95
                    prometheus: 'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{service="{{service}}"}[5m])))'
                  - measure: latency_p99
                    probe: health
                  - measure: conversion_rate
                    pushed: conversion_rate
                  - measure: queue_backlog
                    command: [redis-cli, llen, task_queue]
            """)
        let configuration = try #require(parse(yaml).configuration)
        let signals = try #require(configuration.policy.service("frontend")).signals
        #expect(signals.map(\.name) == ["latency_p95", "latency_p99_probe", "conversion_rate", "queue_backlog"])
        #expect(signals[0].threshold == .above(2))
        #expect(signals[0].category == .performance)
        #expect(signals[0].window == .seconds(300))
        #expect(signals[0].consecutive == 2)
        #expect(signals[1].threshold == .above(5))
        #expect(signals[1].source == .probeLatency(check: "health", quantile: 0.99))
        #expect(signals[2].requestedStrategy == .gradual)
        #expect(signals[2].interval == .seconds(900))
        #expect(signals[2].consecutive == 3)
        #expect(signals[2].baseline == .rolling(.seconds(3600)))
        #expect(signals[3].source == .command(["redis-cli", "llen", "task_queue"]))
        #expect(signals[3].threshold == .above(1000))
    }

    @Test("every setting can be overridden; thresholds read as written")
    func overrides() throws {
        let yaml = Self.service(
            """
                  - name: checkout_latency
                    measure: custom
                    category: performance
                    prometheus: 'checkout_seconds{service="{{service}}"}'
                    threshold: "> 250ms"
                    unit: seconds
                    window: 2m
                    interval: 15s
                    consecutive: 4
                    recovery: 30s
                    no_data: violate
                    min_samples: 20
                    severity: critical
                  - measure: request_rate
                    prometheus: 'sum(rate(http_requests_total{service="{{service}}"}[5m]))'
                    threshold: "drop 40%"
                    baseline: last_week
                  - measure: error_rate
                    pushed: errors
                    threshold: "rise 2 points"
            """)
        let signals = try #require(parse(yaml).configuration?.policy.service("frontend")).signals
        #expect(signals[0].threshold == .above(0.25))
        #expect(
            (signals[0].window, signals[0].interval, signals[0].consecutive, signals[0].recovery) == (
                .seconds(120), .seconds(15), 4, .seconds(30)
            ))
        #expect(signals[0].noData == .violate)
        #expect(signals[0].minSamples == 20)
        #expect(signals[0].severity == .critical)
        #expect(signals[1].threshold == .dropFromBaseline(fraction: 0.4))
        #expect(signals[1].baseline == .sameHourLastWeek)
        #expect(signals[2].threshold == .riseByPoints(0.02))
    }

    @Test("mistakes are reported where they are, with the fix")
    func problemsAreLocated() {
        let found = problems(
            Self.service(
                """
                      - measure: latency_p95
                      - measure: latency_p95
                        prometheus: 'x > {{service}}'
                      - measure: latency_p95
                        probe: helth
                      - measure: custom
                        pushed: x
                      - measure: conversion_rate
                        pushed: conversion
                        baseline: last_week
                      - measure: error_rate
                        pushed: e
                        threshold: "more than 5"
                      - measure: latensy_p95
                        pushed: l
                """))
        let messages = found.map(\.message)
        #expect(messages.contains { $0.contains("say where the values come from") })
        #expect(messages.contains { $0.contains("must be inside a quoted label value") })
        #expect(
            messages.contains { $0.contains("no health check named 'helth'") && $0.contains("did you mean 'health'") })
        #expect(messages.contains { $0.contains("a custom measure needs category") })
        #expect(messages.contains { $0.contains("last_week needs a prometheus: source") })
        #expect(messages.contains { $0.contains("'more than 5' is not a threshold") })
        #expect(messages.contains { $0.contains("did you mean 'latency_p95'") })
        #expect(found.allSatisfy { $0.line > 0 })
    }

    @Test("monitoring: Prometheus, Alertmanager mapping and credentials from the environment")
    func monitoring() throws {
        let yaml = Self.service(
            """
                  - measure: latency_p95
                    probe: health
            """,
            extra: """
                monitoring:
                  failure_after: 3m
                  prometheus:
                    url: http://127.0.0.1:9090
                    timeout: 5s
                  alertmanager:
                    service_label: app
                    minimum_severity: critical
                    token: ${ALERT_TOKEN}
                  push:
                    max_events: 100
                verification:
                  performance:
                    duration: 2m
                  business:
                    enabled: false
                """)
        let configuration = try #require(parse(yaml, environment: ["ALERT_TOKEN": "secret-alert-token"]).configuration)
        let monitoring = configuration.policy.monitoring
        #expect(monitoring.failureAfter == .seconds(180))
        #expect(monitoring.prometheus?.url.value == "http://127.0.0.1:9090")
        #expect(monitoring.prometheus?.timeout == .seconds(5))
        #expect(monitoring.alerts.serviceLabel == "app")
        #expect(monitoring.alerts.minimumSeverity == .critical)
        #expect(monitoring.alerts.token?.value == "secret-alert-token")
        #expect(monitoring.push.maxEvents == 100)
        #expect(configuration.policy.verification.performance.duration == .seconds(120))
        #expect(configuration.policy.verification.business.enabled == false)
        #expect(configuration.redactor.redact("token secret-alert-token") == "token <redacted>")
    }

    @Test("an inline Alertmanager token is refused without being shown")
    func inlineToken() {
        let found = problems(
            Self.service(
                """
                      - measure: latency_p95
                        probe: health
                """,
                extra: """
                    monitoring:
                      alertmanager:
                        token: hunter2-inline
                    """))
        #expect(found.contains { $0.message.contains("REWIND_ALERT_TOKEN") })
        #expect(!found.contains { $0.message.contains("hunter2") })
    }
}

@Suite("rewind init: metric signals")
struct StarterSignalTests {
    @Test(
        "the starter policy watches P95 from probe latencies with each class's limit, and writes the validation phases out"
    )
    func starterSignals() throws {
        let policy = try #require(parse(StarterConfig.yaml, environment: starterEnvironment).configuration).policy
        #expect(policy.service("frontend")?.signals.first?.threshold == .above(2))
        #expect(policy.service("backend")?.signals.first?.threshold == .above(1))
        #expect(policy.service("frontend")?.signals.first?.source == .probeLatency(check: "health", quantile: 0.95))
        #expect(policy.service("worker")?.serviceClass == .worker)
        #expect(policy.verification.performance.duration == Defaults.performanceValidation)
        #expect(policy.verification.business.duration == Defaults.businessValidation)
        #expect(policy.monitoring == MonitoringPolicy())
    }
}
