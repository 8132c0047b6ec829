import Foundation
import RewindConfig
import RewindCore
import Testing

/// `rewind replay --sweep KEY=V`: a value set over the file and read by the configuration reader as if written there.
@Suite("Config overrides (replay sweeps)")
struct ConfigOverrideTests {
    static let yaml =
        minimalServices.replacingOccurrences(
            of: "    provider:",
            with: "    signals:\n"
                + "      - measure: latency_p95\n"
                + "        prometheus: 'p95{service=\"{{service}}\"}'\n"
                + "      - name: errors\n"
                + "        measure: error_rate\n"
                + "        prometheus: 'errors{service=\"{{service}}\"}'\n"
                + "    provider:")
        + "\nmonitoring:\n  prometheus: { url: http://127.0.0.1:9090 }\n"

    func parse(_ overrides: [ConfigOverride]) -> Result<ConfigValidation, ConfigErrors> {
        ConfigLoader.parse(
            yaml: Self.yaml, path: "/etc/rewind/rewind.yaml", environment: [:], skippingAbsentSecrets: false,
            overrides: overrides)
    }

    @Test("health rules, a signal by its name or measure, and the bake are set as if written in the file")
    func setsValues() throws {
        let policy = try parse([
            ConfigOverride(key: "health.critical.failures", value: "5"),
            ConfigOverride(key: "health.critical.min_duration", value: "3s"),
            ConfigOverride(key: "health.non_critical.within", value: "10m"),
            ConfigOverride(key: "signals.backend.latency_p95.consecutive", value: "4"),
            ConfigOverride(key: "signals.backend.errors.threshold", value: "> 20%"),
            ConfigOverride(key: "bake", value: "30m"),
        ]).get().configuration.policy
        #expect(policy.health.critical.count == 5)
        #expect(policy.health.critical.minDuration == .seconds(3))
        #expect(policy.health.nonCritical.within == .seconds(600))
        #expect(policy.services[0].signals[0].consecutive == 4)
        #expect(policy.services[0].signals[1].threshold == .above(0.2))
        #expect(policy.bake == .seconds(1800))
    }

    @Test("a value out of bounds is the reader's own problem")
    func valuesAreValidated() {
        guard case .failure(let errors) = parse([ConfigOverride(key: "health.critical.failures", value: "0")]) else {
            Issue.record("failures 0 was accepted")
            return
        }
        #expect(errors.problems.first?.path == "health.critical.failures")
    }

    @Test(
        "an unknown key, service or signal is refused naming the key",
        arguments: [
            "health.critical.count", "health.fatal.failures", "signals.backend.latency_p95.query", "safety.cooldown",
            "signals.billing.latency_p95.consecutive", "signals.backend.p99.consecutive",
        ])
    func unknownKeys(key: String) {
        guard case .failure(let errors) = parse([ConfigOverride(key: key, value: "1")]) else {
            Issue.record("\(key) was accepted")
            return
        }
        #expect(errors.problems.map(\.file) == ["--sweep"])
        #expect(errors.problems.map(\.path) == [key])
    }
}
