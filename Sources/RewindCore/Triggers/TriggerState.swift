/// What one reading did to a trigger, whatever the trigger watches.
public enum TriggerEvent: Sendable, Equatable {
    /// Nothing to report.
    case none
    /// A run of bad readings began or grew, and has not reached the rule's count.
    case building(count: Int, of: Int)
    /// The reading could not be judged (no data, no baseline, a source error); any run was broken.
    case inconclusive(String)
    /// The rule was met now: a violation, with its evidence.
    case fired(Violation)
    /// The recovery rule was met after the trigger had fired.
    case recovered
}

/// A trigger fed one reading at a time, in time order: a health check's consecutive-failure rule
/// (``HealthCheckState``) or a metric signal's rule (``MetricTriggerState``). The engine runs one
/// generic watcher over this protocol; replay feeds the same states from recorded history.
public protocol TriggerState: Sendable {
    /// What one observation brings: a probe's result, a signal's evaluation.
    associatedtype Reading: Sendable

    /// True after the rule fired and until its recovery rule is met.
    var isFiring: Bool { get }
    /// How many bad readings the current run holds.
    var runLength: Int { get }

    /// Feeds one reading.
    mutating func feed(_ reading: Reading) -> TriggerEvent
    /// Forgets the current runs (a new deployment went live: the old one's readings do not count).
    mutating func reset()
}

extension HealthCheckState: TriggerState {
    public var runLength: Int { failures.count }

    public mutating func feed(_ reading: Observation) -> TriggerEvent {
        switch observe(reading) {
        case .none: .none
        case .failing(let count, let of): .building(count: count, of: of)
        case .fired(let violation): .fired(violation)
        case .recovered: .recovered
        }
    }
}

/// One evaluation of a metric signal, with what the trigger needs to judge it.
public struct SignalReading: Sendable, Equatable {
    public var evaluation: MetricEvaluation
    /// When the live deployment went live, while it is suspect (nil when it is known good): the
    /// rolling baseline ends there.
    public var suspectSince: Timestamp?

    public init(evaluation: MetricEvaluation, suspectSince: Timestamp?) {
        self.evaluation = evaluation
        self.suspectSince = suspectSince
    }
}

extension MetricTriggerState: TriggerState {
    public var runLength: Int { runCount }

    public mutating func feed(_ reading: SignalReading) -> TriggerEvent {
        switch observe(reading.evaluation, suspectSince: reading.suspectSince) {
        case .none: .none
        case .violating(let count, let of): .building(count: count, of: of)
        case .inconclusive(let why): .inconclusive(why)
        case .fired(let violation): .fired(violation)
        case .recovered: .recovered
        }
    }
}
