/// The timeouts and durations of the guide's four rollback strategies.
public struct StrategyTimings: Sendable, Equatable {
    public var immediateTimeout: Duration
    public var immediateFreeze: Duration
    /// The immediate incident's total deadline over all its steps. Nil: the longest chain of step
    /// timeouts in the plan (frontend → backend → worker at the guide's 30 s each: 90 s).
    public var immediateDeadline: Duration?
    public var fastTimeout: Duration
    /// The fraction of the new version's traffic the gradual strategy takes away (0 < x ≤ 1).
    public var gradualReduction: Double
    /// How long the gradual strategy watches for improvement before rolling back.
    public var gradualWatch: Duration
    /// How often the watch evaluates the trigger's signal (``GradualWatch``).
    public var gradualWatchInterval: Duration
    /// How long one traffic move may take (the canary's "stop", the gradual cut).
    public var trafficTimeout: Duration
    /// The canary's "route traffic to stable": its platform rollback.
    public var canaryRouteTimeout: Duration
    /// When the canary's data must have been analyzed.
    public var canaryAnalysis: Duration

    public init(
        immediateTimeout: Duration = Defaults.immediateTimeout, immediateFreeze: Duration = Defaults.immediateFreeze,
        immediateDeadline: Duration? = nil, fastTimeout: Duration = Defaults.fastTimeout,
        gradualReduction: Double = Defaults.gradualReduction, gradualWatch: Duration = Defaults.gradualWatch,
        gradualWatchInterval: Duration = Defaults.gradualWatchInterval,
        trafficTimeout: Duration = Defaults.trafficTimeout, canaryRouteTimeout: Duration = Defaults.canaryRouteTimeout,
        canaryAnalysis: Duration = Defaults.canaryAnalysis
    ) {
        self.immediateTimeout = immediateTimeout
        self.immediateFreeze = immediateFreeze
        self.immediateDeadline = immediateDeadline
        self.fastTimeout = fastTimeout
        self.gradualReduction = gradualReduction
        self.gradualWatch = gradualWatch
        self.gradualWatchInterval = gradualWatchInterval
        self.trafficTimeout = trafficTimeout
        self.canaryRouteTimeout = canaryRouteTimeout
        self.canaryAnalysis = canaryAnalysis
    }
}
