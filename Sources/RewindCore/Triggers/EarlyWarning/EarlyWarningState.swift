/// The early-warning detector of one signal on one deployment, fed one evaluation at a time.
///
/// Contract:
/// - It judges only while the deployment is suspect and the signal's own trigger has not fired (the
///   caller says so): an early warning is worth something only before the threshold speaks.
/// - "No baseline" (fewer than `minSamples` finite baseline values) never warns.
/// - A value counts when its robust z (``RobustBaseline/z(_:)``) lies beyond `threshold` in the
///   signal's bad direction (``Threshold/badDirection``: up for `above`, `rise…`; down for `below`,
///   `drop…`). Non-finite values, no data and errors are no data: they break the run.
/// - `persistence` counting values in a row warn once; after that the detector is silent for this
///   deployment (at most one early warning per signal per deployment: no storm). ``reset()``, when
///   another deployment goes live, arms it again.
///
/// Pure and deterministic: `rewind serve` and `rewind replay` run this same code.
public struct EarlyWarningState: Sendable, Equatable {
    public let service: ServiceName
    public let signal: String
    public let unit: MetricUnit
    public let trigger: TriggerKind
    public let direction: Threshold.Direction
    public let policy: EarlyWarningPolicy

    /// Counting values in a row.
    public private(set) var run = 0
    /// True once this deployment was warned about.
    public private(set) var warned = false

    public init(service: ServiceName, signal: MetricSignalPolicy) {
        self.service = service
        self.signal = signal.name
        self.unit = signal.unit
        self.trigger = signal.category.trigger
        self.direction = signal.threshold.badDirection
        self.policy = signal.earlyWarning
    }

    /// Feeds one evaluation's value (nil for no data or an error) of deployment `deploymentID`.
    /// Returns the warning when this evaluation completes the persistence run.
    public mutating func observe(
        _ value: Double?, at: Timestamp, deploymentID: String, baseline: RobustBaseline?, triggerFiring: Bool
    ) -> EarlyWarning? {
        guard policy.enabled, !warned, !triggerFiring, let baseline else {
            run = 0
            return nil
        }
        guard let value, value.isFinite else {
            run = 0
            return nil
        }
        let z = baseline.z(value)
        let beyond = direction == .increase ? z > policy.threshold : -z > policy.threshold
        guard beyond else {
            run = 0
            return nil
        }
        run += 1
        guard run >= policy.persistence else { return nil }
        warned = true
        run = 0
        return EarlyWarning(
            service: service, signal: signal, trigger: trigger, deploymentID: deploymentID, at: at, value: value, z: z,
            baseline: baseline, unit: unit)
    }

    /// Another deployment went live: forget the run and arm the detector again.
    public mutating func reset() {
        run = 0
        warned = false
    }
}

extension Threshold {
    /// Which way is bad for a signal.
    public enum Direction: String, Sendable, Equatable, Hashable {
        case increase, decrease
    }

    /// The bad direction of this threshold: up for `above` and the rises, down for `below` and `drop…`.
    public var badDirection: Direction {
        switch self {
        case .above, .riseFromBaseline, .riseByPoints: .increase
        case .below, .dropFromBaseline: .decrease
        }
    }
}
