/// One value of a cohort's query.
public struct CohortSample: Sendable, Equatable, Hashable, Codable {
    public var at: Timestamp
    public var value: Double

    public init(at: Timestamp, value: Double) {
        self.at = at
        self.value = value
    }
}

/// What one look read for one canary signal.
public struct CohortReading: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        /// Each cohort's values over the window (non-finite values are left out by the judge).
        case samples(canary: [CohortSample], stable: [CohortSample])
        /// The source failed for a cohort (Prometheus down, a bad query). Never a failure of the canary.
        case error(String)
    }

    public var signal: String
    public var outcome: Outcome
    /// The queries as they ran, for the evidence.
    public var queries: CohortQueries

    public init(signal: String, outcome: Outcome, queries: CohortQueries) {
        self.signal = signal
        self.outcome = outcome
        self.queries = queries
    }
}

/// One look of the canary judge at a service: every canary signal's cohorts read at `at`.
public struct CanaryLook: Sendable, Equatable {
    public var at: Timestamp
    /// When the live deployment went live, while it is suspect; nil when it is known good (no canary
    /// is under judgement then, and the look is ignored).
    public var suspectSince: Timestamp?
    public var readings: [CohortReading]

    public init(at: Timestamp, suspectSince: Timestamp?, readings: [CohortReading]) {
        self.at = at
        self.suspectSince = suspectSince
        self.readings = readings
    }
}

/// The canary judge of one service, fed one look at a time (in time order).
///
/// - Each signal's cohort values are merged by timestamp into samples that start when the suspect
///   deployment went live and grow with every look (the newest ``Defaults/canaryMaxSamples`` kept);
///   a new deployment starts them afresh (``reset()``).
/// - A signal whose cohorts both hold `judge.min_samples` values is judged (``CanaryJudge/judge``):
///   that is its next look, which spends its share of α (``AlphaSpending``). Fewer values, or a source
///   error, make the signal inconclusive for this look, and spend nothing.
/// - The canary score over the judged signals (weights) gives the outcome; `fail` fires the trigger
///   once, with every judged signal's U, p, effect and sample sizes as evidence. `inconclusive` and
///   `marginal` never fire. A fired judge recovers when a later look passes.
public struct CanaryJudgeState: Sendable, Equatable {
    /// The name a canary judge's violation and recovery go by (its ``SignalContext`` and trigger
    /// source): one judge per service, whichever of its signals failed.
    public static let sourceName = "canary_judge"

    public let service: ServiceName
    public let signals: [CanarySignalPolicy]
    public let thresholds: CanaryScoreThresholds

    /// Per signal name: each cohort's values by time, and the looks judged so far.
    public private(set) var canary: [String: [Timestamp: Double]] = [:]
    public private(set) var stable: [String: [Timestamp: Double]] = [:]
    public private(set) var looks: [String: Int] = [:]
    public private(set) var isFiring = false
    /// The verdicts, score and outcome of the last look that was not ignored.
    public private(set) var lastVerdicts: [String: CanaryMetricVerdict] = [:]
    public private(set) var lastScore: Double?
    public private(set) var lastOutcome: CanaryOutcome?

    /// How often a service's judge looks: the shortest `interval` of its canary signals.
    public static func lookInterval(of signals: [CanarySignalPolicy]) -> Duration {
        signals.map(\.interval).min() ?? Defaults.canaryInterval
    }

    public init(service: ServiceName, signals: [CanarySignalPolicy], thresholds: CanaryScoreThresholds = .init()) {
        self.service = service
        self.signals = signals
        self.thresholds = thresholds
    }

    /// Feeds one look.
    public mutating func observe(_ look: CanaryLook) -> TriggerEvent {
        guard let since = look.suspectSince else { return .none }
        var verdicts: [(verdict: CanaryMetricVerdict, weight: Double)] = []
        var queries: [String: CohortQueries] = [:]
        for signal in signals {
            let reading = look.readings.first { $0.signal == signal.name }
            queries[signal.name] = reading?.queries
            let verdict = judge(signal, reading: reading, since: since)
            lastVerdicts[signal.name] = verdict
            verdicts.append((verdict, signal.judge.weight))
        }
        let score = CanaryJudge.score(verdicts)
        let outcome = CanaryJudge.outcome(score: score, thresholds: thresholds)
        lastScore = score
        lastOutcome = outcome
        switch outcome {
        case .fail:
            guard !isFiring else { return .none }
            isFiring = true
            return .fired(violation(at: look.at, score: score ?? 0, queries: queries))
        case .pass:
            guard isFiring else { return .none }
            isFiring = false
            return .recovered
        case .marginal:
            return .none
        case .inconclusive:
            let reasons = signals.compactMap { signal -> String? in
                if case .inconclusive(let why) = lastVerdicts[signal.name] { return "\(signal.name): \(why)" }
                return nil
            }
            return .inconclusive("canary judge: " + reasons.joined(separator: "; "))
        }
    }

    /// Forgets the samples and looks (a new deployment went live: its canary is judged from scratch).
    public mutating func reset() {
        canary.removeAll()
        stable.removeAll()
        looks.removeAll()
        isFiring = false
        lastVerdicts.removeAll()
        lastScore = nil
        lastOutcome = nil
    }

    private mutating func judge(
        _ signal: CanarySignalPolicy, reading: CohortReading?, since: Timestamp
    )
        -> CanaryMetricVerdict
    {
        guard let reading else { return .inconclusive("not read") }
        switch reading.outcome {
        case .error(let reason):
            return .inconclusive("source failed: \(reason)")
        case .samples(let newCanary, let newStable):
            canary[signal.name] = Self.merge(canary[signal.name] ?? [:], newCanary, since: since)
            stable[signal.name] = Self.merge(stable[signal.name] ?? [:], newStable, since: since)
        }
        let canaryValues = Array(canary[signal.name]?.values ?? [:].values)
        let stableValues = Array(stable[signal.name]?.values ?? [:].values)
        let needed = max(signal.judge.minSamples, 1)
        guard canaryValues.count >= needed, stableValues.count >= needed else {
            return CanaryJudge.judge(canary: canaryValues, stable: stableValues, policy: signal.judge, look: 0)
        }
        let look = (looks[signal.name] ?? 0) + 1
        looks[signal.name] = look
        return CanaryJudge.judge(canary: canaryValues, stable: stableValues, policy: signal.judge, look: look)
    }

    /// `values` with `samples` at or after `since` added (a timestamp read twice keeps its newest
    /// value), capped to the newest ``Defaults/canaryMaxSamples``.
    static func merge(
        _ values: [Timestamp: Double], _ samples: [CohortSample], since: Timestamp
    )
        -> [Timestamp: Double]
    {
        var merged = values
        for sample in samples where sample.at >= since && sample.value.isFinite {
            merged[sample.at] = sample.value
        }
        if merged.count > Defaults.canaryMaxSamples {
            let oldestKept = merged.keys.sorted()[merged.count - Defaults.canaryMaxSamples]
            merged = merged.filter { $0.key >= oldestKept }
        }
        return merged
    }

    private func violation(at now: Timestamp, score: Double, queries: [String: CohortQueries]) -> Violation {
        let failing = signals.filter { if case .fail = lastVerdicts[$0.name] { true } else { false } }
        let lead = failing.max { $0.judge.weight < $1.judge.weight } ?? signals[0]
        let evidence = signals.compactMap { signal -> Evidence? in
            guard let comparison = lastVerdicts[signal.name]?.comparison else { return nil }
            let failed = failing.contains { $0.name == signal.name }
            return Evidence(
                at: now, check: signal.name, result: Self.describe(signal, comparison, failed: failed), latencyMs: 0,
                value: comparison.canaryMedian, threshold: nil, baseline: comparison.stableMedian)
        }
        let names = failing.map(\.name).joined(separator: ", ")
        return Violation(
            service: service,
            trigger: lead.category.trigger,
            severity: failing.contains { $0.severity == .critical } ? .critical : lead.severity,
            at: now,
            rule: "canary judge: score \(MetricUnit.rounded(score, 1)) < \(MetricUnit.rounded(thresholds.marginal, 1)) "
                + "(\(names) worse than stable; Mann–Whitney U, α-spending over \(lead.judge.maxLooks) looks)",
            evidence: evidence,
            signal: SignalContext(
                name: Self.sourceName, measure: lead.measure, query: queries[lead.name]?.canary ?? lead.cohorts.canary,
                window: lead.window, threshold: Self.rule(lead), unit: lead.unit,
                baseline: lastVerdicts[lead.name]?.comparison?.stableMedian,
                requestedStrategy: lead.requestedStrategy))
    }

    /// The per-signal rule in words: `canary p ≤ α-spending level and median ≥ ×1.05 stable's`.
    public static func rule(_ signal: CanarySignalPolicy) -> String {
        let bound = signal.judge.direction == .increase ? 1 + signal.judge.minEffect : 1 - signal.judge.minEffect
        let comparison = signal.judge.direction == .increase ? "≥" : "≤"
        return "canary median \(comparison) ×\(MetricUnit.rounded(bound, 3)) stable's, significant at "
            + "α \(MetricUnit.rounded(signal.judge.alpha, 4)) spent over \(signal.judge.maxLooks) looks"
    }

    /// One signal's evidence: `latency_p95 canary 112 ms vs stable 100 ms (×1.12; n 72/72), U 3400, z 3.1,
    /// p 0.0004 ≤ 0.0031 at look 12: fail`.
    public static func describe(_ signal: CanarySignalPolicy, _ comparison: CanaryComparison, failed: Bool) -> String {
        let unit = signal.unit
        return "\(signal.name) canary \(unit.format(comparison.canaryMedian)) vs stable "
            + "\(unit.format(comparison.stableMedian)) (×\(MetricUnit.rounded(comparison.effect, 3)); "
            + "n \(comparison.canaryCount)/\(comparison.stableCount)), U \(MetricUnit.rounded(comparison.u, 1)), "
            + "z \(MetricUnit.rounded(comparison.z, 3)), p \(Self.scientific(comparison.p)) "
            + "\(comparison.p <= comparison.level ? "≤" : ">") \(Self.scientific(comparison.level)) "
            + "at look \(comparison.look): \(failed ? "fail" : "pass")"
    }

    /// A probability with 3 significant digits (`0.00312`, `4.2e-12`).
    static func scientific(_ p: Double) -> String {
        guard p > 0 else { return "0" }
        if p >= 0.001 { return MetricUnit.rounded(p, 5) }
        var exponent = 0
        var mantissa = p
        while mantissa < 1 {
            mantissa *= 10
            exponent -= 1
        }
        return "\(MetricUnit.rounded(mantissa, 2))e\(exponent)"
    }
}

extension CanaryJudgeState: TriggerState {
    /// The signals that failed at the last look.
    public var runLength: Int {
        lastVerdicts.values.filter { if case .fail = $0 { true } else { false } }.count
    }

    public mutating func feed(_ reading: CanaryLook) -> TriggerEvent {
        observe(reading)
    }
}
