/// Which way a canary metric is bad.
public enum CanaryDirection: String, Sendable, Codable, Hashable, CaseIterable {
    /// Higher is worse (latency, errors, CPU).
    case increase
    /// Lower is worse (throughput, conversions, satisfaction).
    case decrease

    /// The Mann–Whitney alternative of "the canary is worse than stable" (canary first).
    public var alternative: MannWhitneyU.Alternative {
        switch self {
        case .increase: .greater
        case .decrease: .less
        }
    }
}

/// How the canary judge compares one metric's canary and stable samples (`judge:` of a signal).
public struct CanaryJudgePolicy: Sendable, Equatable, Hashable {
    /// Which way is bad.
    public var direction: CanaryDirection
    /// The smallest change of the canary's median relative to stable's that matters, as a fraction
    /// (0.05: 5 % higher for `increase`, 5 % lower for `decrease`). A significant difference smaller
    /// than this passes.
    public var minEffect: Double
    /// The metric's weight in the canary score (> 0).
    public var weight: Double
    /// The false-failure budget of this metric over all its looks (one-sided).
    public var alpha: Double
    /// The planned number of looks α is spent over; after them the metric can no longer fail.
    public var maxLooks: Int
    /// Fewer values than this in either cohort: the look is inconclusive (and spends nothing).
    public var minSamples: Int

    public init(
        direction: CanaryDirection, minEffect: Double = Defaults.canaryMinEffect, weight: Double = 1,
        alpha: Double = Defaults.canaryAlpha, maxLooks: Int = Defaults.canaryMaxLooks,
        minSamples: Int = Defaults.canaryMinSamples
    ) {
        self.direction = direction
        self.minEffect = minEffect
        self.weight = weight
        self.alpha = alpha
        self.maxLooks = maxLooks
        self.minSamples = minSamples
    }

    public var spending: AlphaSpending { AlphaSpending(alpha: alpha, maxLooks: maxLooks) }
}

/// The canary score's thresholds (Kayenta's: a score below `marginal` fails the canary, one at or
/// above `pass` passes it, in between is marginal — reported, never a rollback).
public struct CanaryScoreThresholds: Sendable, Equatable, Hashable {
    /// 0…100.
    public var pass: Double
    /// 0…`pass`.
    public var marginal: Double

    public init(pass: Double = Defaults.canaryPassScore, marginal: Double = Defaults.canaryMarginalScore) {
        self.pass = pass
        self.marginal = marginal
    }
}

extension Defaults {
    /// The canary judge's false-failure budget over all looks of one metric: 5 %.
    public static let canaryAlpha = 0.05
    /// Looks α is spent over: 30 (a look a minute, half an hour of canary).
    public static let canaryMaxLooks = 30
    /// A cohort needs 10 values before a look is judged.
    public static let canaryMinSamples = 10
    /// A 5 % change of the median is the smallest that matters.
    public static let canaryMinEffect = 0.05
    /// Kayenta's defaults: pass at 95, marginal from 75.
    public static let canaryPassScore = 95.0
    public static let canaryMarginalScore = 75.0
    /// Each cohort's query is read at this step over the window (`judge.step`).
    public static let canaryStep = Duration.seconds(10)
    /// Each canary look reads the cohorts over this window.
    public static let canaryWindow = Duration.seconds(60)
    /// A look a minute.
    public static let canaryInterval = Duration.seconds(60)
    /// A cohort keeps at most this many values (the newest); the test's cost grows with them.
    public static let canaryMaxSamples = 2000
}

extension Measure {
    /// Which way a canary is worse for this measure, when the policy does not say: higher latency,
    /// errors, backlog, resource use and auth failures; lower traffic, satisfaction, conversions and
    /// sessions. Nil for a custom measure (`judge.direction` must be written out).
    public var canaryDirection: CanaryDirection? {
        switch self {
        case .latencyP95, .latencyP99, .errorRate, .queueBacklog, .businessErrorRate, .cpuUsage, .memoryUsage,
            .diskUsage, .databaseConnections, .authFailureRate:
            .increase
        case .requestRate, .userSatisfaction, .conversionRate, .sessionDuration: .decrease
        case .custom: nil
        }
    }
}
