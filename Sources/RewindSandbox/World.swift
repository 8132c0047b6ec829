import Foundation
import Synchronization

/// How a simulated deployment answers `GET /health`.
public enum SandboxBehavior: Sendable, Equatable {
    /// 200.
    case healthy
    /// That status (e.g. 500, 503).
    case failing(status: Int)
    /// A repeating pattern per request: `failures` answers of 500, then `successes` answers of 200.
    case flapping(failures: Int, successes: Int)
    /// Never answers, until the client gives up or the sandbox stops.
    case hanging
    /// Closes the connection without answering.
    case droppingConnection
    /// Answers 200, but only after this many milliseconds: a latency regression.
    case slow(milliseconds: Int)
}

/// One version of a simulated service.
public struct SandboxDeployment: Sendable, Equatable {
    public var id: String
    public var version: String
    public var behavior: SandboxBehavior
    public var createdAt: Date

    public init(id: String, version: String, behavior: SandboxBehavior = .healthy, createdAt: Date = Date()) {
        self.id = id
        self.version = version
        self.behavior = behavior
        self.createdAt = createdAt
    }
}

/// The state of the sandbox: services, their deployments, which one is live, rollback operations
/// and injected faults. Shared by the HTTP servers and by the test or demo that drives it.
///
/// Rollback operations finish on the real clock: each records a deadline when it is accepted, and
/// every read (a status request, a service request, ``live(service:)``) first settles the
/// operations whose deadline has passed. No background timer runs.
///
/// A service linked to a vendor emulator (``link(service:to:)``) is live on whatever that emulator says,
/// and one behind a load balancer (``route(service:through:)``) splits its requests as the balancer says.
public final class SandboxWorld: Sendable {
    private let state: Mutex<WorldState>
    /// When set, every platform API call needs `Authorization: Bearer <token>`.
    public let platformToken: String?

    /// - Parameters:
    ///   - services: every service and its deployments (any order).
    ///   - live: the live deployment id per service; a service missing here starts on its newest deployment.
    ///   - platformToken: the bearer token the platform API requires, if any.
    public init(services: [String: [SandboxDeployment]], live: [String: String], platformToken: String? = nil) {
        var initial = WorldState()
        for (service, deployments) in services {
            initial.deployments[service] = deployments
            let newest = deployments.max { $0.createdAt < $1.createdAt }
            initial.live[service] = live[service] ?? newest?.id
        }
        state = Mutex(initial)
        self.platformToken = platformToken
    }

    /// The service names, sorted.
    public var serviceNames: [String] { state.withLock { $0.deployments.keys.sorted() } }

    /// Adds the deployment (or replaces one with the same id) and makes it live.
    public func deploy(service: String, _ deployment: SandboxDeployment) {
        state.withLock { state in
            state.settle(now: .now)
            var deployments = state.deployments[service, default: []]
            deployments.removeAll { $0.id == deployment.id }
            deployments.append(deployment)
            state.deployments[service] = deployments
            state.live[service] = deployment.id
            state.healthRequests[HealthKey(service: service, deploymentID: deployment.id)] = 0
        }
    }

    /// Changes how a deployment answers health checks (live or not). Unknown ids are ignored.
    public func setBehavior(service: String, deploymentID: String, _ behavior: SandboxBehavior) {
        state.withLock { state in
            guard let index = state.deployments[service]?.firstIndex(where: { $0.id == deploymentID }) else { return }
            state.deployments[service]?[index].behavior = behavior
            state.healthRequests[HealthKey(service: service, deploymentID: deploymentID)] = 0
        }
    }

    /// The deployment serving traffic now: the platform's live one (a linked service's emulator says which).
    public func live(service: String) -> SandboxDeployment? {
        let reading = reading(service: service)
        return state.withLock { state in
            state.settle(now: .now)
            return state.liveDeployment(of: service, reading)
        }
    }

    // MARK: Vendor emulators

    /// From now on the service's live deployment is the one `link` names (a Vercel project's production,
    /// a Railway service's live deployment), instead of the world's own record. Deploy on the emulator
    /// too: ``deploy(service:_:)`` still says how a deployment behaves.
    public func link(service: String, to link: SandboxPlatformLink) {
        state.withLock { $0.links[service] = link }
    }

    /// Puts a load balancer in front of the service: requests (health checks included) go to the split's
    /// stable deployment or to the live one, in the split's current shares, spread evenly (a share of 0.2
    /// sends every fifth request to the live deployment).
    public func route(service: String, through split: SandboxTrafficSplit) {
        state.withLock { $0.splits[service] = split }
    }

    /// The deployments serving the service's requests now, with their shares (one at 1 without a split).
    public func serving(service: String) -> [SandboxShare] {
        let reading = reading(service: service)
        return state.withLock { state in
            state.settle(now: .now)
            return state.shares(of: service, reading)
        }
    }

    /// Asks the service's link and split, outside the world's lock (they take the emulators' locks).
    private func reading(service: String) -> LinkReading {
        let (link, split) = state.withLock { ($0.links[service], $0.splits[service]) }
        var reading = LinkReading()
        if let link {
            reading.linked = true
            reading.liveID = link.liveDeploymentID()
        }
        if let split, let share = split.newShare() {
            reading.split = (split.stableDeploymentID, min(1, max(0, share)))
        }
        return reading
    }

    /// How many rollback requests the platform API accepted for the service.
    public func rollbackCalls(service: String) -> Int {
        state.withLock { $0.rollbackCalls[service, default: 0] }
    }

    /// How long an accepted rollback stays `in_progress` before it finishes (default 200 ms).
    /// Zero makes the target live as the rollback is accepted.
    public var rollbackDuration: Duration {
        get { state.withLock { $0.rollbackDuration } }
        set { state.withLock { $0.rollbackDuration = newValue } }
    }

    /// The next `count` platform API calls answer `status` (429 answers carry `Retry-After: 1`).
    public func failNextPlatformCalls(_ count: Int, status: Int) {
        state.withLock { $0.injectedPlatformFailures = InjectedFailures(remaining: count, status: status) }
    }

    /// The next `count` accepted rollback operations end in `failed` and leave the live deployment alone.
    public func failNextRollbacks(_ count: Int) {
        state.withLock { $0.rollbacksToFail = count }
    }
}

// MARK: - What the servers ask

/// How a service answers one health request.
enum HealthAnswer: Equatable {
    case respond(status: Int, healthy: Bool)
    case respondAfter(milliseconds: Int, status: Int)
    case hang
    case dropConnection
}

/// A rollback operation as the platform API reports it.
struct OperationSnapshot: Sendable, Equatable {
    enum Status: String, Sendable {
        case inProgress = "in_progress"
        case succeeded, failed
    }
    var id: String
    var service: String
    var deploymentID: String
    var status: Status
}

enum RollbackRefusal: Error, Equatable {
    case unknownService
    case unknownDeployment
}

extension SandboxWorld {
    /// The deployment this health request reaches (the live one, or per the split) and how it answers
    /// (advances a flapping pattern).
    func answerHealthCheck(service: String) -> (SandboxDeployment, HealthAnswer)? {
        let reading = reading(service: service)
        return state.withLock { state in
            state.settle(now: .now)
            guard let deployment = state.routeRequest(of: service, reading) else { return nil }
            return (deployment, state.nextHealthAnswer(service: service, deployment: deployment))
        }
    }

    /// The service's deployments, newest first; nil for an unknown service.
    func deployments(service: String) -> [SandboxDeployment]? {
        state.withLock { state in
            state.deployments[service]?.sorted { $0.createdAt > $1.createdAt }
        }
    }

    func isKnown(service: String) -> Bool { state.withLock { $0.deployments[service] != nil } }

    /// The status the next platform call must answer instead of doing its work, if a failure is armed.
    func takeInjectedPlatformFailure() -> Int? {
        state.withLock { state in
            guard var failures = state.injectedPlatformFailures, failures.remaining > 0 else { return nil }
            failures.remaining -= 1
            state.injectedPlatformFailures = failures.remaining > 0 ? failures : nil
            return failures.status
        }
    }

    func startRollback(service: String, deploymentID: String) -> Result<OperationSnapshot, RollbackRefusal> {
        state.withLock { state in
            state.settle(now: .now)
            guard let deployments = state.deployments[service] else { return .failure(.unknownService) }
            guard deployments.contains(where: { $0.id == deploymentID }) else { return .failure(.unknownDeployment) }
            return .success(state.acceptRollback(service: service, deploymentID: deploymentID, now: .now))
        }
    }

    func operation(id: String) -> OperationSnapshot? {
        state.withLock { state in
            state.settle(now: .now)
            return state.operations[id]?.snapshot
        }
    }
}

// MARK: - State

struct HealthKey: Hashable {
    var service: String
    var deploymentID: String
}

struct InjectedFailures {
    var remaining: Int
    var status: Int
}

struct RollbackOperationRecord {
    var snapshot: OperationSnapshot
    var deadline: ContinuousClock.Instant
    /// Decided when the rollback is accepted, from ``SandboxWorld/failNextRollbacks(_:)``.
    var willFail: Bool
}

struct WorldState {
    var deployments: [String: [SandboxDeployment]] = [:]
    var live: [String: String] = [:]
    var rollbackCalls: [String: Int] = [:]
    var operations: [String: RollbackOperationRecord] = [:]
    var nextOperationNumber = 1
    var rollbackDuration: Duration = .milliseconds(200)
    var injectedPlatformFailures: InjectedFailures?
    var rollbacksToFail = 0
    var healthRequests: [HealthKey: Int] = [:]
    var links: [String: SandboxPlatformLink] = [:]
    var splits: [String: SandboxTrafficSplit] = [:]
    /// Per split service: the fraction of a request owed to the live deployment (even spreading).
    var owedToLive: [String: Double] = [:]

    func liveDeployment(of service: String, _ reading: LinkReading = LinkReading()) -> SandboxDeployment? {
        guard let id = reading.linked ? reading.liveID : live[service] else { return nil }
        return deployments[service]?.first { $0.id == id }
    }

    /// The stable deployment and the live one in the split's shares; the live one alone without a split.
    func shares(of service: String, _ reading: LinkReading) -> [SandboxShare] {
        let live = liveDeployment(of: service, reading)
        guard let split = reading.split, split.stableID != live?.id,
            let stable = deployments[service]?.first(where: { $0.id == split.stableID })
        else { return live.map { [SandboxShare(deployment: $0, share: 1)] } ?? [] }
        guard let live else { return [SandboxShare(deployment: stable, share: 1)] }
        return [
            SandboxShare(deployment: stable, share: 1 - split.newShare),
            SandboxShare(deployment: live, share: split.newShare),
        ]
    }

    /// The deployment one request reaches: the live one's share of requests, spread evenly.
    mutating func routeRequest(of service: String, _ reading: LinkReading) -> SandboxDeployment? {
        let shares = shares(of: service, reading)
        guard shares.count == 2 else { return shares.first?.deployment }
        let owed = owedToLive[service, default: 0] + shares[1].share
        guard owed >= 1 - 1e-9 else {
            owedToLive[service] = owed
            return shares[0].deployment
        }
        owedToLive[service] = owed - 1
        return shares[1].deployment
    }

    mutating func nextHealthAnswer(service: String, deployment: SandboxDeployment) -> HealthAnswer {
        switch deployment.behavior {
        case .healthy:
            return .respond(status: 200, healthy: true)
        case .failing(let status):
            return .respond(status: status, healthy: false)
        case .slow(let milliseconds):
            return .respondAfter(milliseconds: milliseconds, status: 200)
        case .flapping(let failures, let successes):
            let key = HealthKey(service: service, deploymentID: deployment.id)
            let count = healthRequests[key, default: 0]
            healthRequests[key] = count + 1
            let period = max(1, failures + successes)
            let failing = count % period < failures
            return failing ? .respond(status: 500, healthy: false) : .respond(status: 200, healthy: true)
        case .hanging:
            return .hang
        case .droppingConnection:
            return .dropConnection
        }
    }

    mutating func acceptRollback(
        service: String, deploymentID: String, now: ContinuousClock.Instant
    )
        -> OperationSnapshot
    {
        let id = "op-\(nextOperationNumber)"
        nextOperationNumber += 1
        rollbackCalls[service, default: 0] += 1
        let willFail = rollbacksToFail > 0
        if willFail { rollbacksToFail -= 1 }
        let snapshot = OperationSnapshot(id: id, service: service, deploymentID: deploymentID, status: .inProgress)
        let deadline = now + rollbackDuration
        operations[id] = RollbackOperationRecord(snapshot: snapshot, deadline: deadline, willFail: willFail)
        settle(now: now)
        return operations[id]?.snapshot ?? snapshot
    }

    /// Finishes, in deadline order, every operation whose deadline has passed.
    mutating func settle(now: ContinuousClock.Instant) {
        let due = operations.values
            .filter { $0.snapshot.status == .inProgress && $0.deadline <= now }
            .sorted { ($0.deadline, $0.snapshot.id) < ($1.deadline, $1.snapshot.id) }
        for record in due {
            var finished = record
            if record.willFail {
                finished.snapshot.status = .failed
            } else {
                finished.snapshot.status = .succeeded
                live[record.snapshot.service] = record.snapshot.deploymentID
            }
            operations[record.snapshot.id] = finished
        }
    }
}
