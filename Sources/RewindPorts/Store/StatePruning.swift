import RewindCore

/// Forgetting what ``RetentionPolicy`` no longer keeps: the daemon's pruning pass.
public protocol StatePruning: Sendable {
    /// Removes, in one transaction:
    /// - every incident closed before `now - retention.closedIncidents` (status not `open`,
    ///   `closedAt` set) that has no pending notice and no pending escalation timer, with its
    ///   timeline, step journal, tasks, samples, notices and escalation timers;
    /// - automatic rollbacks recorded before that same time;
    /// - notices about no incident (``Notice/noIncidentID``: early warnings) that are settled (sent or
    ///   failed) and were last due before that same time;
    /// - of every service no open incident names, the deployments ``DeploymentRetention`` drops
    ///   (`newest: retention.deploymentsPerService`, the live one kept).
    ///
    /// Incident ids are never reused after pruning. Pruning twice is the same as pruning once.
    /// Fenced like every write (``RewindStore``).
    func prune(_ retention: RetentionPolicy, now: Timestamp) async throws -> PruneReport
}

/// What one pruning pass removed.
public struct PruneReport: Sendable, Equatable {
    public var incidents: Int
    public var deployments: Int
    public var automaticRollbacks: Int
    /// Settled notices about no incident (early warnings).
    public var notices: Int

    public init(incidents: Int = 0, deployments: Int = 0, automaticRollbacks: Int = 0, notices: Int = 0) {
        self.incidents = incidents
        self.deployments = deployments
        self.automaticRollbacks = automaticRollbacks
        self.notices = notices
    }

    public var isEmpty: Bool { incidents == 0 && deployments == 0 && automaticRollbacks == 0 && notices == 0 }
}
