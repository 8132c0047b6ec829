import Logging
import Metrics
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
// The supervisor (``RewindEngine/applyTracking(_:active:)``):
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
// Failures are logged with the provider's message (redacted), counted in `rewind_tracking_errors_total
// {service}`, and after ``DeploymentTracker/failuresBeforeWarning`` consecutive ones reported once as a
// monitoring warning (log and `rewind status`). Never a rollback, never an incident.

/// What one poll of a platform learnt, for the supervisor.
struct TrackingReport: Sendable {
    var service: ServiceName
    /// The platform's kind (`vercel`, `railway`, …), for logs.
    var platform: String
    /// Deployments listed by this poll: new ones since the cursor, or all of them.
    var listed: [PlatformDeployment]
    /// The live deployment; nil when the platform cannot tell.
    var live: PlatformDeployment?
    /// When the poll started, and the service's live generation then: a reading older than a live
    /// change made through the supervisor is not applied.
    var readAt: Timestamp
    var generation: Int
}

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

extension RewindEngine {
    /// Polls `service`'s platform every `trackingInterval`, forever; the first poll at once.
    func trackDeployments(_ service: ServiceName, provider: any PlatformProvider) async throws {
        let box = TrackerBox(DeploymentTracker(service: service, provider: provider))
        var health = TrackingHealth(threshold: DeploymentTracker.failuresBeforeWarning)
        let source = "\(provider.kind) deployments of \(service)"
        let deadline = min(DeploymentTracker.deadline, deps.trackingInterval)
        while true {
            let readAt = deps.clock.now
            let generation = generations.withLock { $0[service, default: 0] }
            do {
                let (listed, live) = try await withDeadline(deadline, clock: deps.clock) { try await box.poll() }
                continuationYield(
                    .tracked(
                        TrackingReport(
                            service: service, platform: provider.kind, listed: listed, live: live, readAt: readAt,
                            generation: generation)))
                if case .recovered(let failures) = health.succeeded() {
                    logger.notice(
                        "deployment tracking answers again",
                        metadata: ["rewind.service": "\(service)", "rewind.failures": "\(failures)"])
                    updateTrackingStatus(source, ok: true, at: deps.clock.now, detail: "")
                }
            } catch  where Task.isCancelled {
                throw CancellationError()
            } catch {
                let detail = deps.redactor.redact((error as? any RewindError)?.message ?? String(describing: error))
                Counter(label: "rewind_tracking_errors_total", dimensions: [("service", service.rawValue)]).increment()
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
                    updateTrackingStatus(
                        source, ok: false, at: since, detail: "\(count) polls failed in a row: \(detail)")
                } else if health.reported {
                    updateTrackingStatus(source, ok: false, at: readAt, detail: detail)
                }
            }
            try await deps.clock.sleep(for: deps.trackingInterval)
        }
    }

    /// Shows a failing (or recovered) platform listing among the monitoring sources of `rewind status`.
    private func updateTrackingStatus(_ source: String, ok: Bool, at: Timestamp, detail: String) {
        monitoring.withLock { sources in
            var health = sources[source] ?? MonitoringHealth(source: source, after: .zero)
            _ = health.observe(ok: ok, at: at, detail: detail)
            sources[source] = health
        }
    }

    /// Applies what a poll learnt (supervisor only): records unknown deployments, and switches the live one
    /// when the platform's differs — not for a service in an incident, nor from a stale reading.
    func applyTracking(_ report: TrackingReport, active: Set<ServiceName>) async {
        let service = report.service
        let now = deps.clock.now
        do {
            var known = try await deps.store.deployments(of: service)
            var learnt: [String] = []
            for listed in report.listed where listed.restores == nil && !known.contains(where: { $0.id == listed.id }) {
                let deployment = Self.deployment(service, listed, deployedAt: listed.createdAt ?? now)
                try await deps.store.recordDeployment(deployment, makeLive: false)
                known.append(deployment)
                learnt.append(listed.id)
            }
            if !learnt.isEmpty {
                logger.info(
                    "learnt deployments from the platform",
                    metadata: [
                        "rewind.service": "\(service)", "rewind.platform": "\(report.platform)",
                        "rewind.count": "\(learnt.count)",
                        "rewind.deployments": "\(learnt.prefix(5).joined(separator: ", "))",
                    ])
            }
            guard let platformLive = report.live else { return }
            // A deployment that restores an older one serves that one (Railway's rollbacks).
            let servedID =
                platformLive.restores.flatMap { id in known.contains { $0.id == id } ? id : nil } ?? platformLive.id
            let live = try await deps.store.liveDeployment(of: service)
            guard live?.id != servedID else { return }
            guard try await readingIsCurrent(report, active: active) else {
                logger.debug(
                    "not switching the live deployment from a platform reading taken before Rewind changed it",
                    metadata: ["rewind.service": "\(service)", "rewind.deployment": "\(servedID)"])
                return
            }
            let existing = known.first { $0.id == servedID }
            try await deps.store.recordDeployment(
                existing ?? Self.deployment(service, platformLive, deployedAt: now), makeLive: true)
            liveDeploymentChanged(service)
            var metadata: Logger.Metadata = [
                "rewind.service": "\(service)", "rewind.deployment": "\(servedID)",
                "rewind.previous": "\(live?.id ?? "-")",
            ]
            if servedID != platformLive.id { metadata["rewind.restored_by"] = "\(platformLive.id)" }
            logger.info("learnt the live deployment from the platform", metadata: metadata)
        } catch {
            logger.warning(
                "could not record deployments learnt from the platform",
                metadata: [
                    "rewind.service": "\(service)",
                    "rewind.error": "\(deps.redactor.redact(String(describing: error)))",
                ])
        }
    }

    /// False when the service is in an incident, or the reading predates a live change made through the
    /// supervisor (a recorded deploy, an earlier switch) or the end of one of the service's incidents.
    private func readingIsCurrent(_ report: TrackingReport, active: Set<ServiceName>) async throws -> Bool {
        guard !active.contains(report.service) else { return false }
        guard generations.withLock({ $0[report.service, default: 0] }) == report.generation else { return false }
        let recent = try await deps.store.incidents(limit: 20)
        return !recent.contains { incident in
            incident.services.contains(report.service) && (incident.closedAt.map { $0 >= report.readAt } ?? true)
        }
    }

    private static func deployment(_ service: ServiceName, _ listed: PlatformDeployment, deployedAt: Timestamp)
        -> Deployment
    {
        Deployment(service: service, id: listed.id, version: listed.version ?? listed.id, deployedAt: deployedAt)
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
