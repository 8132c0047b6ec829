/// A signal of a suspect deployment left its own recent range before its threshold fired: the notice
/// `early_warning`. It says what was seen and never asks for anything: no incident, no rollback.
public struct EarlyWarning: Sendable, Equatable, Codable {
    public var service: ServiceName
    public var signal: String
    /// The trigger the signal raises when its threshold fires (its category's).
    public var trigger: TriggerKind
    /// The deployment that was live and suspect.
    public var deploymentID: String
    /// The evaluation that completed the persistence run.
    public var at: Timestamp
    /// That evaluation's value and robust z.
    public var value: Double
    public var z: Double
    /// The baseline it was judged against.
    public var median: Double
    public var mad: Double
    public var baselineSamples: Int
    /// `past_weeks` or `last_hours`.
    public var baselineOrigin: String
    public var unit: MetricUnit

    public init(
        service: ServiceName, signal: String, trigger: TriggerKind, deploymentID: String, at: Timestamp, value: Double,
        z: Double, baseline: RobustBaseline, unit: MetricUnit
    ) {
        self.service = service
        self.signal = signal
        self.trigger = trigger
        self.deploymentID = deploymentID
        self.at = at
        self.value = value
        self.z = z
        self.median = baseline.median
        self.mad = baseline.mad
        self.baselineSamples = baseline.samples
        self.baselineOrigin = baseline.origin.rawValue
        self.unit = unit
    }

    /// One line for people: "backend/latency_p95 420 ms is 5.1 robust z above its usual 200 ms …".
    public var summary: String {
        let side = z >= 0 ? "above" : "below"
        let zShown = MetricUnit.rounded(abs(z), 1)
        let from =
            baselineOrigin == RobustBaseline.Origin.pastWeeks.rawValue
            ? "the same hour of past weeks" : "the hours before it went live"
        return "\(service)/\(signal) \(unit.format(value)) is \(zShown) robust z \(side) its usual "
            + "\(unit.format(median)) (MAD \(unit.format(mad)), \(baselineSamples) values from \(from)) "
            + "on deployment \(deploymentID); no threshold has fired"
    }
}
