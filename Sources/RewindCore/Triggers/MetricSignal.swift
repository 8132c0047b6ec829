/// The guide's trigger families beyond health checks (triggers 2 to 5).
public enum SignalCategory: String, Sendable, Codable, Hashable, CaseIterable {
    case performance, throughput, business, infrastructure, security

    /// The strategy a violation of a signal of this category asks for (the guide's mapping).
    public func requestedStrategy(severity: Severity) -> Strategy {
        switch self {
        case .performance, .throughput: .fast
        case .business: .gradual
        case .infrastructure: severity == .critical ? .immediate : .fast
        case .security: .immediate
        }
    }

    /// The trigger a violation of this category raises.
    public var trigger: TriggerKind {
        switch self {
        case .performance: .performance
        case .throughput: .throughput
        case .business: .business
        case .infrastructure: .infrastructure
        case .security: .security
        }
    }
}

/// The kind of service, which picks the guide's latency thresholds.
public enum ServiceClass: String, Sendable, Codable, Hashable, CaseIterable {
    case frontend, backend, api, worker

    /// P95 and P99 latency limits in seconds (the guide: frontend 2 s / 5 s, backend 1 s / 3 s,
    /// API 1.5 s / 4 s; a worker is held to the backend's numbers).
    public var latencyLimits: (p95: Double, p99: Double) {
        switch self {
        case .frontend: (2, 5)
        case .backend, .worker: (1, 3)
        case .api: (1.5, 4)
        }
    }
}

/// How a value is shown to people. Ratios are stored as 0…1 and shown as percentages.
public enum MetricUnit: String, Sendable, Codable, Hashable, CaseIterable {
    case seconds, ratio, count
    case perSecond = "per_second"
    case number

    public func format(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "+Inf" : "-Inf") }
        switch self {
        case .seconds: return value < 1 ? "\(Self.rounded(value * 1000, 0)) ms" : "\(Self.rounded(value, 2)) s"
        case .ratio: return "\(Self.rounded(value * 100, 2)) %"
        case .count: return Self.rounded(value, 0)
        case .perSecond: return "\(Self.rounded(value, 2))/s"
        case .number: return Self.rounded(value, 3)
        }
    }

    /// A number with at most `places` decimals and no trailing zeros.
    static func rounded(_ value: Double, _ places: Int) -> String {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        if rounded == rounded.rounded(), abs(rounded) < 9e15 { return String(Int64(rounded)) }
        return String(rounded)
    }
}

/// What a signal measures. Each measure carries the guide's default threshold, category, unit and
/// no-data policy, so that a user names the measure and a query and gets the guide's behaviour.
public enum Measure: String, Sendable, Codable, Hashable, CaseIterable {
    case latencyP95 = "latency_p95"
    case latencyP99 = "latency_p99"
    case requestRate = "request_rate"
    case errorRate = "error_rate"
    case queueBacklog = "queue_backlog"
    case userSatisfaction = "user_satisfaction"
    case conversionRate = "conversion_rate"
    case businessErrorRate = "business_error_rate"
    case sessionDuration = "session_duration"
    case cpuUsage = "cpu_usage"
    case memoryUsage = "memory_usage"
    case diskUsage = "disk_usage"
    case databaseConnections = "database_connections"
    case authFailureRate = "auth_failure_rate"
    /// Anything else: category, threshold and unit must be written out.
    case custom

    public var category: SignalCategory? {
        switch self {
        case .latencyP95, .latencyP99: .performance
        case .requestRate, .errorRate, .queueBacklog: .throughput
        case .userSatisfaction, .conversionRate, .businessErrorRate, .sessionDuration: .business
        case .cpuUsage, .memoryUsage, .diskUsage, .databaseConnections: .infrastructure
        case .authFailureRate: .security
        case .custom: nil
        }
    }

    public var unit: MetricUnit {
        switch self {
        case .latencyP95, .latencyP99, .sessionDuration: .seconds
        case .requestRate: .perSecond
        case .queueBacklog: .count
        case .errorRate, .businessErrorRate, .cpuUsage, .memoryUsage, .diskUsage, .databaseConnections,
            .authFailureRate, .userSatisfaction, .conversionRate:
            .ratio
        case .custom: .number
        }
    }

    /// The guide's threshold for this measure (latency depends on the service class).
    public func defaultThreshold(for serviceClass: ServiceClass) -> Threshold? {
        switch self {
        case .latencyP95: .above(serviceClass.latencyLimits.p95)
        case .latencyP99: .above(serviceClass.latencyLimits.p99)
        case .requestRate: .dropFromBaseline(fraction: 0.30)
        case .errorRate: .riseByPoints(0.05)
        case .queueBacklog: .above(1000)
        case .userSatisfaction: .dropFromBaseline(fraction: 0.20)
        case .conversionRate: .dropFromBaseline(fraction: 0.15)
        case .businessErrorRate: .riseByPoints(0.10)
        case .sessionDuration: .dropFromBaseline(fraction: 0.25)
        case .cpuUsage: .above(0.90)
        case .memoryUsage: .above(0.85)
        case .diskUsage: .above(0.80)
        case .databaseConnections: .above(0.80)
        case .authFailureRate: .above(0.10)
        case .custom: nil
        }
    }

    /// What "no data" means for this measure when the policy does not say.
    ///
    /// - A ratio or a percentile with no traffic is not a violation: `inconclusive` (latency) or
    ///   `ignore` (ratios, business numbers, security rates).
    /// - A request counter that disappeared is suspicious (the new version may not serve at all,
    ///   or not export metrics): `violate`.
    /// - A resource gauge that blinks keeps its last verdict: `hold`.
    public var defaultNoData: NoDataPolicy {
        switch self {
        case .latencyP95, .latencyP99: .inconclusive
        case .requestRate: .violate
        case .errorRate, .userSatisfaction, .conversionRate, .businessErrorRate, .sessionDuration, .authFailureRate:
            .ignore
        case .queueBacklog, .cpuUsage, .memoryUsage, .diskUsage, .databaseConnections: .hold
        case .custom: .inconclusive
        }
    }
}

/// What an evaluation with no data (an empty result, NaN, too few samples) counts as. An *error*
/// from the source (Prometheus down, a bad query) is never a violation, whatever this says.
public enum NoDataPolicy: String, Sendable, Codable, Hashable, CaseIterable {
    /// Skip it: the run of violations and the recovery clock are left as they are.
    case ignore
    /// Count it as a violation.
    case violate
    /// Count it as "cannot tell": it breaks a run of violations and a recovery.
    case inconclusive
    /// Repeat the previous verdict.
    case hold
}

/// When a value violates. Relative thresholds compare with the signal's baseline.
public enum Threshold: Sendable, Equatable, Hashable, Codable {
    /// value > limit
    case above(Double)
    /// value < limit
    case below(Double)
    /// value < baseline × (1 − fraction): "request rate drop > 30 %".
    case dropFromBaseline(fraction: Double)
    /// value > baseline × (1 + fraction): "grew by more than 50 %".
    case riseFromBaseline(fraction: Double)
    /// value > baseline + points, for ratios: "error rate up by more than 5 points".
    case riseByPoints(Double)

    public var needsBaseline: Bool {
        switch self {
        case .above, .below: false
        case .dropFromBaseline, .riseFromBaseline, .riseByPoints: true
        }
    }

    /// The limit the value is compared with, given the baseline; nil when a baseline is needed
    /// and there is none.
    public func limit(baseline: Double?) -> Double? {
        switch self {
        case .above(let limit), .below(let limit): return limit
        case .dropFromBaseline(let fraction): return baseline.map { $0 * (1 - fraction) }
        case .riseFromBaseline(let fraction): return baseline.map { $0 * (1 + fraction) }
        case .riseByPoints(let points): return baseline.map { $0 + points }
        }
    }

    /// True when `value` violates, false when it does not, nil when it cannot be judged (no baseline).
    public func isViolated(by value: Double, baseline: Double?) -> Bool? {
        guard let limit = limit(baseline: baseline) else { return nil }
        switch self {
        case .above, .riseFromBaseline, .riseByPoints: return value > limit
        case .below, .dropFromBaseline: return value < limit
        }
    }

    public func describe(_ unit: MetricUnit) -> String {
        switch self {
        case .above(let limit): "> \(unit.format(limit))"
        case .below(let limit): "< \(unit.format(limit))"
        case .dropFromBaseline(let fraction): "drop > \(MetricUnit.ratio.format(fraction)) from baseline"
        case .riseFromBaseline(let fraction): "rise > \(MetricUnit.ratio.format(fraction)) over baseline"
        case .riseByPoints(let points): "rise > \(MetricUnit.rounded(points * 100, 2)) points over baseline"
        }
    }
}

/// Where a signal's values come from.
public enum SignalSource: Sendable, Equatable, Hashable {
    /// A PromQL instant query; `{{service}}` (and other service labels) are filled in by Rewind,
    /// escaped as PromQL string values, so that untrusted text never changes the query.
    case prometheus(query: String)
    /// Rewind's own probe latencies of a health check, held in a sliding HDR-histogram window.
    case probeLatency(check: String?, quantile: Double)
    /// Values applications push to `POST /api/v1/events` under this signal name (mean over the window).
    case pushed(signal: String)
    /// A program whose first line of output is the value (`redis-cli llen task_queue`).
    case command([String])

    public var summary: String {
        switch self {
        case .prometheus(let query): query
        case .probeLatency(let check, let quantile):
            "p\(MetricUnit.rounded(quantile * 100, 1)) of probe latency\(check.map { " (\($0))" } ?? "")"
        case .pushed(let signal): "pushed events '\(signal)'"
        case .command(let arguments): arguments.joined(separator: " ")
        }
    }
}

/// Where a relative threshold's baseline comes from.
public enum BaselinePolicy: Sendable, Equatable, Hashable {
    /// The mean of the signal's own values over this period, ending when the suspect deployment
    /// went live (or when the trigger first saw a violation), so that a regression never becomes
    /// its own baseline.
    case rolling(Duration)
    /// The same query one week earlier, for seasonal metrics (Prometheus signals only).
    case sameHourLastWeek
}

/// One watched metric of one service: where it comes from, when it violates, and how a run of
/// evaluations becomes a trigger.
public struct MetricSignalPolicy: Sendable, Equatable {
    public var name: String
    public var measure: Measure
    public var category: SignalCategory
    public var source: SignalSource
    public var threshold: Threshold
    public var unit: MetricUnit
    /// The span each evaluation looks at (a 5-minute sliding window for performance).
    public var window: Duration
    /// How often it is evaluated.
    public var interval: Duration
    /// Violating evaluations in a row before the trigger fires.
    public var consecutive: Int
    /// How long the value must stay healthy before a fired trigger counts as recovered.
    public var recovery: Duration
    public var noData: NoDataPolicy
    /// Fewer samples than this in the window count as no data.
    public var minSamples: Int
    public var baseline: BaselinePolicy
    /// Critical infrastructure signals take the immediate strategy.
    public var severity: Severity
    public var timeout: Duration
    /// Early warnings while a deployment is suspect (``EarlyWarningState``): on by default.
    public var earlyWarning = EarlyWarningPolicy()

    public init(
        name: String, measure: Measure, category: SignalCategory, source: SignalSource, threshold: Threshold,
        unit: MetricUnit, window: Duration, interval: Duration, consecutive: Int, recovery: Duration,
        noData: NoDataPolicy, minSamples: Int, baseline: BaselinePolicy, severity: Severity,
        timeout: Duration = Defaults.metricQueryTimeout
    ) {
        self.name = name
        self.measure = measure
        self.category = category
        self.source = source
        self.threshold = threshold
        self.unit = unit
        self.window = window
        self.interval = interval
        self.consecutive = consecutive
        self.recovery = recovery
        self.noData = noData
        self.minSamples = minSamples
        self.baseline = baseline
        self.severity = severity
        self.timeout = timeout
    }

    /// A signal with the guide's numbers for its measure and category. Returns nil for a custom
    /// measure (its category and threshold must be given).
    public static func guideDefaults(
        name: String, measure: Measure, source: SignalSource, serviceClass: ServiceClass
    ) -> MetricSignalPolicy? {
        guard let category = measure.category, let threshold = measure.defaultThreshold(for: serviceClass) else {
            return nil
        }
        return guideDefaults(
            name: name, measure: measure, category: category, source: source, threshold: threshold, unit: measure.unit)
    }

    public static func guideDefaults(
        name: String, measure: Measure, category: SignalCategory, source: SignalSource, threshold: Threshold,
        unit: MetricUnit
    ) -> MetricSignalPolicy {
        let timing = Defaults.evaluation(for: category)
        let minSamples: Int
        switch source {
        case .probeLatency: minSamples = Defaults.minProbeSamples
        default: minSamples = 1
        }
        return MetricSignalPolicy(
            name: name, measure: measure, category: category, source: source, threshold: threshold, unit: unit,
            window: timing.window, interval: timing.interval, consecutive: timing.consecutive,
            recovery: timing.recovery,
            noData: measure.defaultNoData, minSamples: minSamples, baseline: .rolling(Defaults.baselinePeriod),
            severity: category == .security ? .critical : .high)
    }

    /// The strategy a violation of this signal asks for (the guide's mapping).
    public var requestedStrategy: Strategy { category.requestedStrategy(severity: severity) }
}

/// The guide's evaluation timing per category.
public struct EvaluationTiming: Sendable, Equatable {
    public var window: Duration
    public var interval: Duration
    public var consecutive: Int
    public var recovery: Duration
}

extension Defaults {
    /// Performance and throughput: a 5-minute sliding window, 2 consecutive violations, recovered
    /// after 1 minute of improvement; evaluated every 30 s.
    public static let performanceTiming = EvaluationTiming(
        window: .seconds(300), interval: .seconds(30), consecutive: 2, recovery: .seconds(60))
    /// Business: 15-minute evaluations against a 1-hour rolling baseline, 3 consecutive violations;
    /// recovered after one whole healthy evaluation.
    public static let businessTiming = EvaluationTiming(
        window: .seconds(900), interval: .seconds(900), consecutive: 3, recovery: .seconds(900))
    /// Infrastructure: a 3-minute evaluation window, 2 consecutive violations.
    public static let infrastructureTiming = EvaluationTiming(
        window: .seconds(180), interval: .seconds(30), consecutive: 2, recovery: .seconds(60))
    /// Security: the guide says immediate, so one violating evaluation fires.
    public static let securityTiming = EvaluationTiming(
        window: .seconds(300), interval: .seconds(30), consecutive: 1, recovery: .seconds(300))
    /// Business baselines: the last hour.
    public static let baselinePeriod = Duration.seconds(3600)
    /// A rolling baseline needs at least this many values.
    public static let minBaselinePoints = 3
    /// A probe-latency window needs at least this many probes before its percentiles count.
    public static let minProbeSamples = 5
    /// One metric query may take this long.
    public static let metricQueryTimeout = Duration.seconds(10)
    /// A monitoring source failing this long raises a "monitoring failure" notice.
    public static let monitoringFailureAfter = Duration.seconds(120)

    public static func evaluation(for category: SignalCategory) -> EvaluationTiming {
        switch category {
        case .performance, .throughput: performanceTiming
        case .business: businessTiming
        case .infrastructure: infrastructureTiming
        case .security: securityTiming
        }
    }
}
