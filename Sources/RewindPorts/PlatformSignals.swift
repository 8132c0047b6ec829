import RewindCore

// MARK: - The platform's own word

/// A platform that says from its own API what is wrong with a service's workload (Kubernetes: pods of the live
/// revision in `CrashLoopBackOff`, a rollout past `ProgressDeadlineExceeded`). The engine asks only while the
/// service's live deployment is suspect, at most every ``workloadHealthInterval``; a platform that does not adopt
/// this protocol is never asked.
///
/// Contract: `workloadProblems` reads only; an empty answer means healthy; errors are ``ProviderError``s and never
/// count as a problem.
public protocol WorkloadHealthReporting: Sendable {
    /// False when the configuration turned the watch off: the engine then runs no watcher for it.
    var reportsWorkloadHealth: Bool { get }
    /// The least time between two asks.
    var workloadHealthInterval: Duration { get }
    func workloadProblems(service: ServiceName) async throws -> [WorkloadProblem]
}

/// A platform that shows Rewind's incident steps where its own users look (Kubernetes: an Event on the workload, so
/// that `kubectl describe` says why it rolled back).
///
/// Contract: best effort. The engine calls it after a step's outcome is journaled, with a short deadline, once; a
/// failure is logged and changes nothing. The message carries no secret (the engine redacts it) and is bounded.
public protocol IncidentStepAnnouncing: Sendable {
    /// False when the configuration turned announcements off.
    var announcesSteps: Bool { get }
    func announce(_ announcement: StepAnnouncement, service: ServiceName) async throws
}

/// One incident step as the platform shows it.
public struct StepAnnouncement: Sendable, Equatable {
    /// The most a message carries.
    public static let maxMessageLength = 1000

    public var incidentID: Int64
    /// A CamelCase word (`RewindRollback`, `RewindVerified`).
    public var reason: String
    /// True when it reports something that went wrong (an Event of type `Warning`).
    public var warning: Bool
    /// What happened, in one bounded sentence.
    public var message: String

    public init(incidentID: Int64, reason: String, warning: Bool, message: String) {
        self.incidentID = incidentID
        self.reason = reason
        self.warning = warning
        self.message =
            message.count > Self.maxMessageLength ? String(message.prefix(Self.maxMessageLength - 1)) + "…" : message
    }
}
