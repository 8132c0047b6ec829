import RewindConfig
import RewindCore
import Testing

@Suite("Config: early warning")
struct EarlyWarningConfigTests {
    @Test("on by default; policy-wide under monitoring:, per signal key by key, or false")
    func settings() throws {
        let yaml = SignalConfigTests.service(
            """
                  - measure: latency_p95
                    prometheus: 'p95{service="{{service}}"}'
                  - measure: latency_p99
                    prometheus: 'p99{service="{{service}}"}'
                    early_warning: { persistence: 2, min_samples: 50 }
                  - measure: error_rate
                    prometheus: 'errors{service="{{service}}"}'
                    early_warning: false
            """,
            extra: """
                monitoring:
                  early_warning: { threshold: 4.5, weeks: 2, hours: 12 }
                """)
        let configuration = try #require(parse(yaml).configuration)
        let signals = try #require(configuration.policy.service("frontend")).signals
        #expect(
            signals[0].earlyWarning
                == EarlyWarningPolicy(
                    enabled: true, threshold: 4.5, persistence: 3, weeks: 2, hours: 12, minSamples: 20))
        #expect(
            signals[1].earlyWarning
                == EarlyWarningPolicy(
                    enabled: true, threshold: 4.5, persistence: 2, weeks: 2, hours: 12, minSamples: 50))
        #expect(signals[2].earlyWarning.enabled == false)
        #expect(signals[2].earlyWarning.threshold == 4.5)

        let shipped = try #require(
            parse(SignalConfigTests.service("      - measure: latency_p95\n        prometheus: 'p95'")).configuration)
        #expect(try #require(shipped.policy.service("frontend")).signals[0].earlyWarning == EarlyWarningPolicy())
    }

    @Test("every number is range-checked, at its line")
    func ranges() {
        let found = problems(
            SignalConfigTests.service(
                """
                      - measure: latency_p95
                        prometheus: 'p95'
                        early_warning: { threshold: 0.5, persistence: 0, weeks: 13, hours: 0, min_samples: 2, extra: 1 }
                      - measure: latency_p99
                        prometheus: 'p99'
                        early_warning: maybe
                """,
                extra: """
                    monitoring:
                      early_warning: { threshold: nan }
                    """))
        let messages = found.map(\.message)
        #expect(messages.contains { $0.contains("a robust z from 1.0 to 100.0") && $0.contains("'0.5'") })
        #expect(messages.contains { $0.contains("a robust z from 1.0 to 100.0") && $0.contains("'nan'") })
        #expect(messages.contains { $0.contains("a whole number from 1 to 100") })
        #expect(messages.contains { $0.contains("a whole number from 0 to 12") })
        #expect(messages.contains { $0.contains("a whole number from 1 to 168") })
        #expect(messages.contains { $0.contains("a whole number from 3 to 100000") })
        #expect(messages.contains { $0.contains("extra") })
        #expect(messages.contains { $0.contains("expected true or false") })
        #expect(found.allSatisfy { $0.line > 0 })
    }
}
