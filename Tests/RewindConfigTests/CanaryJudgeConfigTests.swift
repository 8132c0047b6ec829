import Foundation
import RewindConfig
import RewindCore
import Testing

@Suite("Config: signals with judge: compare the canary with stable")
struct CanaryJudgeConfigTests {
    @Test("a {{track}} template with the shipped judge settings, and two explicit queries with every setting")
    func readsBothForms() throws {
        let yaml = SignalConfigTests.service(
            """
                  - measure: latency_p95
                    prometheus: 'histogram_quantile(0.95, sum by (le) (rate(http_seconds_bucket{service="{{service}}", track="{{track}}"}[1m])))'
                    judge: {}
                  - name: conversions
                    measure: conversion_rate
                    canary_query: 'sum(rate(orders_total{service="{{service}}-canary"}[1m]))'
                    stable_query: 'sum(rate(orders_total{service="{{service}}"}[1m]))'
                    window: 2m
                    interval: 30s
                    step: 15s
                    judge:
                      direction: decrease
                      min_effect: 10%
                      weight: 2.5
                      alpha: 0.01
                      max_looks: 60
                      min_samples: 20
                  - measure: error_rate
                    prometheus: 'x{service="{{service}}"}'
            """)
        let service = try #require(parse(yaml).configuration?.policy.service("frontend"))
        #expect(service.signals.map(\.name) == ["error_rate"])
        #expect(service.canarySignals.map(\.name) == ["latency_p95", "conversions"])
        let latency = service.canarySignals[0]
        #expect(latency.cohorts.canary == latency.cohorts.stable)
        #expect(latency.judge == CanaryJudgePolicy(direction: .increase))
        #expect(latency.judge.alpha == 0.05 && latency.judge.maxLooks == 30 && latency.judge.minSamples == 10)
        #expect(latency.judge.minEffect == 0.05 && latency.judge.weight == 1)
        #expect(latency.window == .seconds(60) && latency.interval == .seconds(60) && latency.step == .seconds(10))
        #expect(latency.category == .performance)
        let conversions = service.canarySignals[1]
        #expect(conversions.cohorts.canary.contains("-canary"))
        #expect(
            conversions.judge
                == CanaryJudgePolicy(
                    direction: .decrease, minEffect: 0.10, weight: 2.5, alpha: 0.01, maxLooks: 60, minSamples: 20))
        #expect(conversions.window == .seconds(120) && conversions.interval == .seconds(30))
        #expect(conversions.step == .seconds(15))
        #expect(conversions.requestedStrategy == .gradual)
        #expect(service.canaryScore == CanaryScoreThresholds(pass: 95, marginal: 75))
    }

    @Test("canary_score sets the score's pass and marginal thresholds; out of range or crossed is a problem")
    func scoreThresholds() throws {
        let yaml = SignalConfigTests.service("      []", extra: "").replacingOccurrences(
            of: "    class: frontend", with: "    class: frontend\n    canary_score: { pass: 90, marginal: 60 }")
        let service = try #require(parse(yaml).configuration?.policy.service("frontend"))
        #expect(service.canaryScore == CanaryScoreThresholds(pass: 90, marginal: 60))
        let crossed = problems(
            yaml.replacingOccurrences(of: "{ pass: 90, marginal: 60 }", with: "{ pass: 50, marginal: 80 }"))
        #expect(crossed.map(\.message).contains { $0.contains("marginal (80.0) is above pass (50.0)") })
        let outOfRange = problems(yaml.replacingOccurrences(of: "pass: 90", with: "pass: 101"))
        #expect(outOfRange.map(\.message).contains { $0.contains("expected a score from 0.0 to 100.0, got '101'") })
    }

    @Test("out-of-range numbers, missing cohorts and threshold-only keys are located problems that say what to write")
    func problemsAreClear() {
        let found = problems(
            SignalConfigTests.service(
                """
                      - measure: latency_p95
                        prometheus: 'x{service="{{service}}"}'
                        judge: {}
                      - name: a
                        measure: latency_p95
                        canary_query: 'x{track="canary"}'
                        judge: {}
                      - name: b
                        measure: latency_p95
                        prometheus: 'x{track="{{track}}"}'
                        threshold: "> 2s"
                        min_samples: 5
                        judge: { alpha: 0.9, max_looks: 0, min_samples: 2, weight: -1, min_effect: "fast" }
                      - name: c
                        measure: custom
                        category: performance
                        prometheus: 'x{track="{{track}}"}'
                        judge: {}
                      - name: d
                        measure: request_rate
                        prometheus: 'x{track="{{tracks}}"}'
                        judge: { direction: sideways, min_effect: 150% }
                      - name: e
                        measure: latency_p95
                        prometheus: 'x{track="{{track}}"}'
                        step: 5m
                        judge: {}
                      - name: f
                        measure: latency_p95
                        prometheus: 'x{service="{{service}}"}'
                        stable_query: 'y'
                """))
        let messages = found.map(\.message)
        func has(_ text: String) -> Bool { messages.contains { $0.contains(text) } }
        #expect(has("a judged query must tell the cohorts apart: add {{track}}"), "\(messages)")
        #expect(has("canary_query: and stable_query: go together"))
        #expect(has("threshold is not used by a signal with judge:"))
        #expect(has("min_samples is not used by a signal with judge: — put it under judge:"))
        #expect(has("expected a significance level from 0.01 % to 50 %, got '0.9'"))
        #expect(has("expected a whole number from 1 to 10000"))
        #expect(has("expected a whole number from 5 to 1000000"))
        #expect(has("expected a weight from 0.001 to 1000.0, got '-1'"))
        #expect(has("expected a minimum effect from 0 % to 1000 %, got 'fast'"))
        #expect(has("a custom measure needs judge.direction"))
        #expect(has("unknown placeholder {{tracks}}"))
        #expect(has("'sideways' is not one of"))
        #expect(has("a decrease cannot be 100 % or more"))
        #expect(has("step (5m) is longer than window (1m)"))
        #expect(has("stable_query belongs to a canary comparison: add judge:"))
        #expect(found.allSatisfy { $0.line > 0 })
        #expect(found.contains { $0.path.hasSuffix("judge.alpha") })
    }
}
