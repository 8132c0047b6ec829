/// What a human needs to see about the signal behind a metric violation.
public struct SignalContext: Sendable, Equatable, Hashable, Codable {
    public var name: String
    public var measure: Measure
    public var query: String
    public var windowMs: Int64
    public var threshold: String
    public var unit: MetricUnit
    public var baseline: Double?
    /// The strategy the guide maps this signal to (before traffic control is considered).
    public var requestedStrategy: Strategy

    public init(
        name: String, measure: Measure, query: String, window: Duration, threshold: String, unit: MetricUnit,
        baseline: Double?, requestedStrategy: Strategy
    ) {
        self.name = name
        self.measure = measure
        self.query = query
        self.windowMs = window.milliseconds
        self.threshold = threshold
        self.unit = unit
        self.baseline = baseline
        self.requestedStrategy = requestedStrategy
    }

    public var window: Duration { .milliseconds(windowMs) }
}
