/// One evaluation of one metric signal: a value, "no data", or an error from its source.
public struct MetricEvaluation: Sendable, Equatable, Codable {
    public enum Outcome: Sendable, Equatable, Codable {
        /// A value, and how many samples it summarises (probes in the window, series, pushed events).
        case value(Double, samples: Int)
        /// The source answered, with nothing usable (an empty result, NaN, no events).
        case noData(String)
        /// The source failed (Prometheus down, a bad query, a probe command that crashed). Never a violation.
        case error(String)
    }

    public var service: ServiceName
    public var signal: String
    public var at: Timestamp
    public var outcome: Outcome
    /// The query or source as it ran, for the evidence.
    public var query: String
    /// A baseline the source computed itself (the same hour last week), if any.
    public var externalBaseline: Double?

    public init(
        service: ServiceName, signal: String, at: Timestamp, outcome: Outcome, query: String,
        externalBaseline: Double? = nil
    ) {
        self.service = service
        self.signal = signal
        self.at = at
        self.outcome = outcome
        self.query = query
        self.externalBaseline = externalBaseline
    }
}

/// The state of one metric signal's trigger, fed one evaluation at a time (in time order).
///
/// - A value is judged against the threshold (and the baseline, for relative thresholds). With no
///   baseline yet, a relative threshold cannot judge: the evaluation is inconclusive.
/// - "No data" follows the signal's ``NoDataPolicy``; an error is always inconclusive — a
///   monitoring outage never becomes a rollback by itself.
/// - `consecutive` violating evaluations in a row fire the trigger once; an inconclusive
///   evaluation breaks the run ("consecutive means consecutive").
/// - A fired trigger recovers after the value has stayed healthy for `recovery`.
/// - The rolling baseline is the mean of the signal's own values over the baseline period, ending
///   when the suspect deployment went live, or at the first violation of the current run,
///   whichever is earlier: a regression never becomes its own baseline.
public struct MetricTriggerState: Sendable, Equatable {
    public let service: ServiceName
    public let signal: MetricSignalPolicy
    /// How long values are kept for the baseline beyond its period (the bake period: a
    /// deployment is suspect at most that long).
    public let retention: Duration

    /// Healthy-or-violating values with their times, oldest first, for the baseline.
    public private(set) var history: [TimedValue] = []
    /// The evidence of the current run, oldest first: its newest `consecutive` violating
    /// evaluations, however long the signal stays violating (``droppedEvidence`` counts the rest).
    public private(set) var run: [Evidence] = []
    /// How many violating evaluations the current run counts, those ``run`` dropped included.
    public private(set) var runCount = 0
    /// How many violating evaluations of the current run ``run`` no longer holds.
    public var droppedEvidence: Int { runCount - run.count }
    /// When the value turned healthy after the trigger fired.
    public private(set) var healthySince: Timestamp?
    public private(set) var isFiring = false
    /// The last judgement, for the `hold` no-data policy.
    public private(set) var lastVerdict: Verdict?
    /// When the first violation of the current episode was seen (kept until recovery).
    public private(set) var firstViolationAt: Timestamp?

    public struct TimedValue: Sendable, Equatable {
        public var at: Timestamp
        public var value: Double
    }

    public enum Verdict: Sendable, Equatable {
        case healthy
        case violating
        case inconclusive(String)
    }

    public enum Event: Sendable, Equatable {
        case none
        /// A violation run began or grew but has not reached the threshold.
        case violating(count: Int, of: Int)
        /// This evaluation could not be judged; any run was broken.
        case inconclusive(String)
        case fired(Violation)
        case recovered
    }

    public init(service: ServiceName, signal: MetricSignalPolicy, retention: Duration = Defaults.bake) {
        self.service = service
        self.signal = signal
        self.retention = retention
    }

    /// Feeds one evaluation. `suspectSince` is when the live deployment went live, while it is
    /// suspect (nil when it is known good).
    public mutating func observe(_ evaluation: MetricEvaluation, suspectSince: Timestamp?) -> Event {
        let now = evaluation.at
        let verdictAndValue = judge(evaluation, suspectSince: suspectSince)
        guard let (verdict, value, baseline) = verdictAndValue else { return .none }
        if let value { remember(TimedValue(at: now, value: value)) }
        lastVerdict = verdict
        switch verdict {
        case .violating:
            healthySince = nil
            if firstViolationAt == nil { firstViolationAt = now }
            runCount += 1
            run.append(evidence(evaluation, value: value, baseline: baseline))
            if run.count > max(signal.consecutive, 1) { run.removeFirst(run.count - max(signal.consecutive, 1)) }
            if isFiring { return .none }
            if runCount >= signal.consecutive {
                isFiring = true
                return .fired(violation(at: now, evaluation: evaluation, baseline: baseline))
            }
            return .violating(count: runCount, of: signal.consecutive)
        case .healthy:
            run.removeAll()
            runCount = 0
            guard isFiring else {
                firstViolationAt = nil
                return .none
            }
            let since = healthySince ?? now
            healthySince = since
            if now - since >= signal.recovery {
                isFiring = false
                healthySince = nil
                firstViolationAt = nil
                return .recovered
            }
            return .none
        case .inconclusive(let reason):
            run.removeAll()
            runCount = 0
            healthySince = nil
            return .inconclusive(reason)
        }
    }

    /// Forgets the runs (a new deployment went live, or a rollback finished); keeps the history
    /// that the baseline needs.
    public mutating func reset() {
        run.removeAll()
        runCount = 0
        healthySince = nil
        isFiring = false
        lastVerdict = nil
        firstViolationAt = nil
    }

    /// The rolling baseline at `now`: the mean of the values in the baseline period that ends at
    /// the suspect deployment's start or the first violation, whichever is earlier. Nil with fewer
    /// than ``Defaults/minBaselinePoints`` values.
    public func rollingBaseline(now: Timestamp, suspectSince: Timestamp?) -> Double? {
        guard case .rolling(let period) = signal.baseline else { return nil }
        let end = [now, suspectSince, firstViolationAt].compactMap { $0 }.min() ?? now
        let start = end - period
        let values = history.filter { $0.at >= start && $0.at < end }.map(\.value)
        guard values.count >= Defaults.minBaselinePoints else { return nil }
        return values.reduce(0, +) / Double(values.count)
    }

    // MARK: - Judgement

    /// The verdict, the value (if any) and the baseline used; nil when the evaluation is ignored.
    private func judge(_ evaluation: MetricEvaluation, suspectSince: Timestamp?) -> (Verdict, Double?, Double?)? {
        switch evaluation.outcome {
        case .error(let reason):
            return (.inconclusive("source failed: \(reason)"), nil, nil)
        case .noData(let reason):
            return noData(reason)
        case .value(let value, let samples):
            guard value.isFinite else {
                return noData(value.isNaN ? "the value is NaN" : "the value is \(value > 0 ? "+Inf" : "-Inf")")
            }
            guard samples >= signal.minSamples else {
                return noData("\(samples) sample\(samples == 1 ? "" : "s") in the window; \(signal.minSamples) needed")
            }
            let baseline =
                evaluation.externalBaseline ?? rollingBaseline(now: evaluation.at, suspectSince: suspectSince)
            switch signal.threshold.isViolated(by: value, baseline: baseline) {
            case true?: return (.violating, value, baseline)
            case false?: return (.healthy, value, baseline)
            case nil: return (.inconclusive("no baseline yet for \(signal.name)"), value, nil)
            }
        }
    }

    private func noData(_ reason: String) -> (Verdict, Double?, Double?)? {
        switch signal.noData {
        case .ignore: return nil
        case .violate: return (.violating, nil, nil)
        case .inconclusive: return (.inconclusive("no data: \(reason)"), nil, nil)
        case .hold: return (lastVerdict ?? .inconclusive("no data: \(reason)"), nil, nil)
        }
    }

    private mutating func remember(_ value: TimedValue) {
        history.append(value)
        let horizon = value.at - retention - baselinePeriod
        if let first = history.first, first.at < horizon {
            history.removeAll { $0.at < horizon }
        }
    }

    private var baselinePeriod: Duration {
        if case .rolling(let period) = signal.baseline { return period }
        return .zero
    }

    private func evidence(_ evaluation: MetricEvaluation, value: Double?, baseline: Double?) -> Evidence {
        let shown = value.map { signal.unit.format($0) } ?? "no data"
        var result = "\(signal.name) \(shown) (\(signal.threshold.describe(signal.unit)))"
        if let baseline { result += ", baseline \(signal.unit.format(baseline))" }
        return Evidence(
            at: evaluation.at, check: signal.name, result: result, latencyMs: 0, value: value,
            threshold: signal.threshold.limit(baseline: baseline), baseline: baseline)
    }

    private func violation(at now: Timestamp, evaluation: MetricEvaluation, baseline: Double?) -> Violation {
        Violation(
            service: service,
            trigger: signal.category.trigger,
            severity: signal.severity,
            at: now,
            rule: "\(signal.name) \(signal.threshold.describe(signal.unit)) over \(signal.window.rewindDescription), "
                + "\(signal.consecutive) consecutive",
            evidence: run,
            signal: SignalContext(
                name: signal.name, measure: signal.measure, query: evaluation.query, window: signal.window,
                threshold: signal.threshold.describe(signal.unit), unit: signal.unit, baseline: baseline,
                requestedStrategy: signal.requestedStrategy))
    }
}
