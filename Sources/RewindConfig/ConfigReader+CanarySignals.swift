import Foundation
import RewindCore
import Yams

/// A signal with `judge:`: the canary judge compares the service's canary and stable cohorts.
///
/// ```yaml
/// - measure: latency_p95
///   prometheus: 'histogram_quantile(0.95, sum by (le) (rate(http_seconds_bucket{service="{{service}}", track="{{track}}"}[1m])))'
///   judge: { direction: increase, min_effect: 5%, weight: 2, alpha: 5%, max_looks: 30, min_samples: 10 }
/// ```
extension ConfigReader {
    static let judgeKeys = ["direction", "min_effect", "weight", "alpha", "max_looks", "min_samples"]
    /// What a cohort comparison reads besides the common signal keys.
    static let cohortKeys = ["canary_query", "stable_query", "step", "judge"]
    /// Keys of a threshold signal that mean nothing to the judge.
    static let thresholdOnlyKeys = [
        "probe", "quantile", "pushed", "command", "threshold", "consecutive", "recovery", "no_data", "min_samples",
        "baseline", "early_warning",
    ]

    static let canaryScoreKeys = ["pass", "marginal"]
    static let judgeLooks = 1...10_000
    /// The normal approximation needs a handful of values per cohort.
    static let judgeSamples = 5...1_000_000
    static let judgeAlpha = 0.0001...0.5
    static let judgeMinEffect = 0.0...10.0
    static let judgeWeight = 0.001...1000.0

    /// A signal with `judge:` (the caller has checked the key is there).
    mutating func canarySignal(_ at: Located, fields: Fields, service: ServiceName) -> CanarySignalPolicy? {
        for key in Self.thresholdOnlyKeys {
            guard let keyAt = fields[key] else { continue }
            let hint =
                key == "min_samples"
                ? "put it under judge: (the samples each cohort needs)"
                : "the judge compares canary with stable, it has no \(key)"
            report(keyAt, "\(key) is not used by a signal with judge: — \(hint)")
        }
        guard let measure = measure(fields), let category = category(of: measure, fields, at: at) else { return nil }
        // Both read before giving up, so that every problem of the signal is reported at once.
        let cohorts = cohortQueries(fields, at: at)
        let judge = fields["judge"].flatMap { judgePolicy($0, measure: measure) }
        guard let cohorts, let judge else { return nil }
        let unit = unit(of: measure, fields)
        let name = fields["name"].flatMap { self.name($0) } ?? measure.rawValue
        var signal = CanarySignalPolicy(
            name: name, measure: measure, category: category, unit: unit, cohorts: cohorts, judge: judge,
            severity: category == .security ? .critical : .high)
        if let at = fields["window"], let value = duration(at, .window) { signal.window = value }
        if let at = fields["interval"], let value = duration(at, .interval) { signal.interval = value }
        if let at = fields["step"], let value = duration(at, .window) { signal.step = value }
        if let at = fields["severity"], let value = choice(at, Severity.allCases.map { ($0.rawValue, $0) }) {
            signal.severity = value
        }
        if let at = fields["timeout"], let value = duration(at, .timeout) { signal.timeout = value }
        if signal.step > signal.window, let at = fields["step"] ?? fields["window"] {
            report(
                at,
                "step (\(signal.step.rewindDescription)) is longer than window (\(signal.window.rewindDescription)): "
                    + "each look would read at most one value per cohort")
        }
        if signal.window < signal.interval, let at = fields["window"] ?? fields["interval"] {
            report(
                at,
                "window (\(signal.window.rewindDescription)) is shorter than interval (\(signal.interval.rewindDescription)): "
                    + "the values between looks would never be compared")
        }
        return signal
    }

    /// `prometheus:` with a `{{track}}` placeholder, or both `canary_query:` and `stable_query:`.
    private mutating func cohortQueries(_ fields: Fields, at: Located) -> CohortQueries? {
        let explicit = (fields["canary_query"], fields["stable_query"])
        switch (fields["prometheus"], explicit.0, explicit.1) {
        case (let templateAt?, nil, nil):
            guard let template = name(templateAt) else { return nil }
            guard check(template, at: templateAt) else { return nil }
            guard PromQLPlaceholders.names(in: template).contains("track") else {
                report(
                    templateAt,
                    "a judged query must tell the cohorts apart: add {{track}} as a label value, e.g. "
                        + "{service=\"{{service}}\", track=\"{{track}}\"}, or write canary_query: and stable_query:")
                return nil
            }
            return CohortQueries(template: template)
        case (nil, let canaryAt?, let stableAt?):
            guard let canary = name(canaryAt), let stable = name(stableAt) else { return nil }
            guard check(canary, at: canaryAt), check(stable, at: stableAt) else { return nil }
            return CohortQueries(canary: canary, stable: stable)
        case (nil, nil, nil):
            report(at, "a signal with judge: needs prometheus: with {{track}}, or canary_query: and stable_query:")
        case (_?, _, _):
            report(at, "use prometheus: with {{track}}, or canary_query: and stable_query:, not both")
        case (nil, _, _):
            report(at, "canary_query: and stable_query: go together: add the missing one")
        }
        return nil
    }

    /// Reports placeholder problems of a cohort query; false when there were any.
    private mutating func check(_ query: String, at: Located) -> Bool {
        let problems = PromQLPlaceholders.problems(in: query, known: PromQLPlaceholders.cohortNames)
        for problem in problems { report(at, problem) }
        return problems.isEmpty
    }

    /// `judge: {direction, min_effect, weight, alpha, max_looks, min_samples}`; every key optional but
    /// `direction` for a custom measure.
    private mutating func judgePolicy(_ at: Located, measure: Measure) -> CanaryJudgePolicy? {
        // `judge: {}` (or `judge:` with nothing) takes every default.
        let fields = at.isNull ? Fields(owner: at, entries: []) : mapping(at, allowed: Self.judgeKeys)
        guard let fields else { return nil }
        var direction = measure.canaryDirection
        if let at = fields["direction"] {
            direction = choice(at, CanaryDirection.allCases.map { ($0.rawValue, $0) }) ?? direction
        }
        guard let direction else {
            report(
                at, "a custom measure needs judge.direction: increase (higher is worse) or decrease (lower is worse)")
            return nil
        }
        var policy = CanaryJudgePolicy(direction: direction)
        if let at = fields["min_effect"], let value = number(at, Self.judgeMinEffect, what: "a minimum effect") {
            if direction == .decrease, value >= 1 {
                report(at, "a decrease cannot be 100 % or more: write a minimum effect below 100 %, e.g. 10%")
            } else {
                policy.minEffect = value
            }
        }
        if let at = fields["weight"], let value = number(at, Self.judgeWeight, what: "a weight", percent: false) {
            policy.weight = value
        }
        if let at = fields["alpha"], let value = number(at, Self.judgeAlpha, what: "a significance level") {
            policy.alpha = value
        }
        if let at = fields["max_looks"], let value = count(at, Self.judgeLooks) { policy.maxLooks = value }
        if let at = fields["min_samples"], let value = count(at, Self.judgeSamples) { policy.minSamples = value }
        return policy
    }

    /// `canary_score: {pass, marginal}` of a service: the canary score's thresholds, 0…100, marginal ≤ pass.
    mutating func canaryScore(_ at: Located) -> CanaryScoreThresholds {
        var thresholds = CanaryScoreThresholds()
        guard let fields = mapping(at, allowed: Self.canaryScoreKeys) else { return thresholds }
        if let at = fields["pass"], let value = number(at, 0...100, what: "a score", percent: false) {
            thresholds.pass = value
        }
        if let at = fields["marginal"], let value = number(at, 0...100, what: "a score", percent: false) {
            thresholds.marginal = value
        }
        if thresholds.marginal > thresholds.pass, let at = fields["marginal"] ?? fields["pass"] {
            report(
                at,
                "marginal (\(thresholds.marginal)) is above pass (\(thresholds.pass)): a canary scoring between them "
                    + "would be neither; write marginal at most pass, e.g. pass: 95, marginal: 75")
            return CanaryScoreThresholds()
        }
        return thresholds
    }

    /// A finite number in `range`, written as is or (with `percent`) as a percentage (`5%` is 0.05).
    mutating func number(
        _ at: Located, _ range: ClosedRange<Double>, what: String, percent: Bool = true
    ) -> Double? {
        func shown(_ value: Double) -> String { percent ? MetricUnit.ratio.format(value) : "\(value)" }
        let expected = "\(what) from \(shown(range.lowerBound)) to \(shown(range.upperBound))"
        guard let text = word(at, expected: expected) else { return nil }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let value =
            percent && trimmed.hasSuffix("%")
            ? Double(trimmed.dropLast().trimmingCharacters(in: .whitespaces)).map { $0 / 100 } : Double(trimmed)
        guard let value, value.isFinite, range.contains(value) else {
            report(at, "expected \(expected), got '\(text)'")
            return nil
        }
        return value
    }
}
