import RewindCore

/// Where every health probe's result is written as it happens (`health.record`), so that a team can replay its
/// own probes later. Every probe is recorded — the confirmation re-checks after a failure too — in the order the
/// watchers took them. Recording never fails the probe: an implementation that cannot write says so in its own
/// way (a log line) and drops the record.
public protocol ProbeLog: Sendable {
    func record(_ observation: Observation)
}

/// `health.record` not set: nothing is written.
public struct NoProbeLog: ProbeLog {
    public init() {}
    public func record(_ observation: Observation) {}
}
