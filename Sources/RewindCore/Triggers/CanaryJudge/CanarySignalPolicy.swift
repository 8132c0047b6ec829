/// A metric signal that compares a service's canary with its stable cohort instead of judging one
/// service-wide value against a threshold (a signal with `judge:`).
///
/// Each look reads the cohort query once per track over the last ``window`` at ``step``: either one
/// template with a `{{track}}` placeholder (rendered `canary` and `stable`) or two explicit queries.
public struct CanarySignalPolicy: Sendable, Equatable {
    public var name: String
    public var measure: Measure
    public var category: SignalCategory
    public var unit: MetricUnit
    public var cohorts: CohortQueries
    /// The span each look reads (a look merges it with what earlier looks read: the samples grow from
    /// the moment the canary went live).
    public var window: Duration
    /// How often the judge looks.
    public var interval: Duration
    /// The resolution of each cohort's values (Prometheus `query_range` step).
    public var step: Duration
    public var judge: CanaryJudgePolicy
    public var severity: Severity
    public var timeout: Duration

    public init(
        name: String, measure: Measure, category: SignalCategory, unit: MetricUnit, cohorts: CohortQueries,
        judge: CanaryJudgePolicy, window: Duration = Defaults.canaryWindow,
        interval: Duration = Defaults.canaryInterval,
        step: Duration = Defaults.canaryStep, severity: Severity = .high,
        timeout: Duration = Defaults.metricQueryTimeout
    ) {
        self.name = name
        self.measure = measure
        self.category = category
        self.unit = unit
        self.cohorts = cohorts
        self.judge = judge
        self.window = window
        self.interval = interval
        self.step = step
        self.severity = severity
        self.timeout = timeout
    }

    /// The strategy a failed canary asks for: the guide's for the signal's category (the supervisor
    /// turns it into the canary strategy for a service with `rollout: canary`).
    public var requestedStrategy: Strategy { category.requestedStrategy(severity: severity) }
}

/// Which traffic a cohort query reads.
public enum CanaryTrack: String, Sendable, Codable, Hashable, CaseIterable {
    case canary, stable
}

/// The PromQL each cohort runs (templates: `{{service}}` and, with one shared template, `{{track}}`).
public struct CohortQueries: Sendable, Equatable, Hashable {
    public var canary: String
    public var stable: String

    /// One template for both, told apart by its `{{track}}` placeholder.
    public init(template: String) {
        canary = template
        stable = template
    }

    public init(canary: String, stable: String) {
        self.canary = canary
        self.stable = stable
    }

    public func template(for track: CanaryTrack) -> String {
        switch track {
        case .canary: canary
        case .stable: stable
        }
    }
}
