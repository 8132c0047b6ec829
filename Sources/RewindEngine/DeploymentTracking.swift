import Logging
import RewindCore
import RewindPorts
import Synchronization

// Deployment tracking: Rewind learns deployments from the platforms' own listings, off the supervisor.
//
// One tracker task per service with a provider polls it every `trackingInterval` (60 s by default), each
// poll under ``DeploymentTracker/deadline``. A provider that offers ``IncrementalListing`` is asked only
// for what is new since its last cursor (Vercel `since=`, Railway `before:`, an unchanged Kubernetes
// `resourceVersion`); others are listed in full. What a poll learnt goes to the supervisor as a command:
// the supervisor stays the only writer of deployments, so a slow or hanging platform never blocks a
// decision.
//
// The supervisor (``Supervisor``, for a `.tracked` event):
// - records deployments it did not know (suspect, not live). Re-recording never lowers trust: known-good
//   marks live in the store and survive restarts and re-listings (`DeploymentRecordMerge`);
// - maps a live deployment that *restores* an older one (Railway rolls back by creating a new deployment)
//   to the deployment it restores: Rewind's live record becomes the restored deployment, and the restoring
//   one is **not recorded at all** — so a rollback never looks like a new suspect deployment that would
//   start its own bake or another rollback. (When the restored deployment is unknown to Rewind and not in
//   the listing, the live deployment is taken as itself.)
// - switches the live deployment when the platform's differs — not for a service in an incident (Rewind is
//   changing it), and not from a reading that is stale: one taken before a live change went through the
//   supervisor, or before an incident of the service ended.
//
// A listed deployment whose id breaks `DeploymentIdentifier`'s rule is not recorded (a warning says which).
//
// Failures are logged with the provider's message (redacted), counted in `rewind_tracking_errors_total
// {service}`, and after ``DeploymentTracker/failuresBeforeWarning`` consecutive ones reported once as a
// monitoring warning (log and `rewind status`). Never a rollback, never an incident.

/// Consecutive failures of one service's tracking: a warning once after `threshold` of them, a notice when
/// it answers again. A value owned by its tracker task.
struct TrackingHealth: Sendable, Equatable {
    enum Event: Sendable, Equatable {
        case none
        /// The `threshold`-th consecutive failure: report it (once).
        case failing(since: Timestamp, count: Int)
        /// Answers again after a reported failure.
        case recovered(failures: Int)
    }

    let threshold: Int
    private(set) var consecutiveFailures = 0
    private(set) var failingSince: Timestamp?
    private(set) var reported = false

    init(threshold: Int) {
        self.threshold = threshold
    }

    mutating func failed(at now: Timestamp) -> Event {
        consecutiveFailures += 1
        let since = failingSince ?? now
        failingSince = since
        guard !reported, consecutiveFailures >= threshold else { return .none }
        reported = true
        return .failing(since: since, count: consecutiveFailures)
    }

    mutating func succeeded() -> Event {
        defer {
            consecutiveFailures = 0
            failingSince = nil
            reported = false
        }
        return reported ? .recovered(failures: consecutiveFailures) : .none
    }
}

/// Where one service's tracking left off between polls.
struct DeploymentTracker: Sendable {
    /// A poll (all its requests, every page) that takes longer is abandoned and counted as a failure.
    static let deadline = Duration.seconds(30)
    /// Consecutive failures before a monitoring warning.
    static let failuresBeforeWarning = 5
    /// Every this many polls the listing starts over without a cursor, to pick up anything a cursor may
    /// have skipped (a deployment that became listable after a newer one was seen).
    static let fullListingEvery = 60

    let service: ServiceName
    let provider: any PlatformProvider
    private(set) var cursor: ListingCursor?
    /// The live deployment read last, for a listing that says nothing changed.
    private(set) var lastLive: PlatformDeployment??
    private(set) var polls = 0

    init(service: ServiceName, provider: any PlatformProvider) {
        self.service = service
        self.provider = provider
    }

    /// Lists the platform (incrementally when it can) and reads its live deployment.
    mutating func poll() async throws -> (listed: [PlatformDeployment], live: PlatformDeployment?) {
        if polls % Self.fullListingEvery == 0 { cursor = nil }
        polls += 1
        guard let incremental = provider as? any IncrementalListing else {
            let listed = try await provider.listDeployments(service: service)
            return (listed, try await provider.currentDeployment(service: service))
        }
        let page = try await incremental.listDeployments(service: service, since: cursor)
        let live: PlatformDeployment?
        switch page.live {
        case .current(let current): live = current
        case .unchanged where lastLive != nil: live = lastLive ?? nil
        case .unchanged, .unknown: live = try await provider.currentDeployment(service: service)
        }
        cursor = page.cursor
        lastLive = .some(live)
        return (page.deployments, live)
    }
}

/// Polls one service's platform every `interval`, forever (the first poll at once), and sends what
/// each poll learnt to the supervisor.
struct TrackingService: Sendable {
    let service: ServiceName
    let provider: any PlatformProvider
    let interval: Duration
    let clock: any RewindClock
    let board: StatusBoard
    let inbox: Mailbox<SupervisorCommand>
    let redactor: Redactor
    let metrics: RewindMetrics
    let logger: Logger

    func run() async throws {
        let box = TrackerBox(DeploymentTracker(service: service, provider: provider))
        var health = TrackingHealth(threshold: DeploymentTracker.failuresBeforeWarning)
        let source = "\(provider.kind) deployments of \(service)"
        let deadline = min(DeploymentTracker.deadline, interval)
        while true {
            let readAt = clock.now
            let generation = board.generation(of: service)
            do {
                let (polled, polledLive) = try await withDeadline(deadline, clock: clock) { try await box.poll() }
                let (listed, live) = usable(polled, live: polledLive)
                inbox.send(
                    .event(
                        .tracked(
                            TrackingReport(
                                service: service, platform: provider.kind, listed: listed, live: live, readAt: readAt,
                                generation: generation))))
                if case .recovered(let failures) = health.succeeded() {
                    logger.notice(
                        "deployment tracking answers again",
                        metadata: ["rewind.service": "\(service)", "rewind.failures": "\(failures)"])
                    board.trackingHealth(source, ok: true, at: clock.now, detail: "")
                }
            } catch  where Task.isCancelled {
                throw CancellationError()
            } catch {
                let detail = redactor.redact((error as? any RewindError)?.message ?? String(describing: error))
                metrics.trackingFailed(service)
                let event = health.failed(at: readAt)
                logger.warning(
                    "could not read deployments from the platform",
                    metadata: [
                        "rewind.service": "\(service)", "rewind.platform": "\(provider.kind)",
                        "rewind.error": "\(detail)",
                        "rewind.failures": "\(health.consecutiveFailures)",
                    ])
                if case .failing(let since, let count) = event {
                    logger.warning(
                        "deployment tracking is failing: Rewind may not know what is deployed (never a rollback)",
                        metadata: [
                            "rewind.service": "\(service)", "rewind.platform": "\(provider.kind)",
                            "rewind.since": "\(since)", "rewind.failures": "\(count)", "rewind.error": "\(detail)",
                        ])
                    board.trackingHealth(
                        source, ok: false, at: since, detail: "\(count) polls failed in a row: \(detail)")
                } else if health.reported {
                    board.trackingHealth(source, ok: false, at: readAt, detail: detail)
                }
            }
            try await clock.sleep(for: interval)
        }
    }
}

extension TrackingService {
    /// What a poll learnt minus the deployments whose id breaks ``DeploymentIdentifier``'s rule (a
    /// provider would later put that id into a command line or a URL): each is skipped with a warning.
    func usable(
        _ listed: [PlatformDeployment], live: PlatformDeployment?
    ) -> ([PlatformDeployment], PlatformDeployment?) {
        var refused: [(id: String, problem: String)] = []
        let kept = listed.filter { deployment in
            guard let problem = DeploymentIdentifier.problem(deployment.id) else { return true }
            refused.append((deployment.id, problem))
            return false
        }
        var usableLive = live
        if let id = live?.id, let problem = DeploymentIdentifier.problem(id) {
            if !refused.contains(where: { $0.id == id }) { refused.append((id, problem)) }
            usableLive = nil
        }
        for (id, problem) in refused {
            logger.warning(
                "a deployment listed by the platform is not recorded: its id breaks the deployment id rule",
                metadata: [
                    "rewind.service": "\(service)", "rewind.platform": "\(provider.kind)",
                    "rewind.deployment": "\(redactor.redact(String(id.prefix(80))).debugDescription)",
                    "rewind.error": "the id \(problem): \(DeploymentIdentifier.rule)",
                ])
        }
        return (kept, usableLive)
    }
}

/// The tracker's state, mutated only by its own task; a box because `withDeadline` runs the poll in a child task.
private final class TrackerBox: Sendable {
    private let state: Mutex<DeploymentTracker>

    init(_ tracker: DeploymentTracker) {
        state = Mutex(tracker)
    }

    /// One poll at a time (its task awaits it): the tracker is taken out, polled, and put back.
    func poll() async throws -> (listed: [PlatformDeployment], live: PlatformDeployment?) {
        var tracker = state.withLock { $0 }
        defer { state.withLock { $0 = tracker } }
        return try await tracker.poll()
    }
}
