import Foundation
import RewindCore
import RewindPorts
import Synchronization

// Fakes that behave: a tiny platform (FakeWorld) that the engine rolls back for real, a prober that
// answers from whatever the platform serves, and a notification channel that delivers.

/// How a deployment answers its health check.
enum HealthBehaviour: Sendable, Equatable {
    case healthy
    case failing(status: Int)
    case timeout
    /// Answers in turn from `pattern` (true = healthy), starting over at its end.
    case cycle([Bool])
}

/// What a provider's rollback call does on the platform.
enum RollbackBehaviour: Sendable, Equatable {
    /// The call switches the live deployment and returns a finished operation.
    case synchronous
    /// The call starts an operation that switches the live deployment on its `polls`-th status poll.
    case operation(polls: Int)
    /// The call starts an operation that stays in progress forever.
    case neverFinishes
    /// A rollback job toward the target is already running on the platform: the call sends nothing
    /// and follows it (`followedRunningJob`); it switches the live deployment on its `polls`-th poll.
    case followsRunningJob(polls: Int)
}

/// One rollback call a provider made on the platform, whether it succeeded or threw.
struct RollbackCall: Sendable, Equatable {
    var provider: String
    var service: ServiceName
    var target: String
    var incidentID: Int64
    var at: Timestamp
    /// What the provider was told: a person asked for this rollback.
    var manual = false
}

/// A little platform: which deployment each service serves, how each deployment answers its health
/// check, and what a rollback does. Every provider and prober of a test reads and changes this one world.
final class FakeWorld: Sendable {
    private struct Operation {
        var service: ServiceName
        var target: String
        /// Status polls left before it finishes; nil when it never does.
        var pollsLeft: Int?
    }

    private struct ScriptedErrors {
        var error: ProviderError
        var remaining: Int
    }

    private struct State {
        var listings: [ServiceName: [PlatformDeployment]] = [:]
        var live: [ServiceName: String] = [:]
        var health: [String: HealthBehaviour] = [:]
        var probes: [String: Int] = [:]
        var rollbackCalls: [RollbackCall] = []
        var statusPolls = 0
        var statusPollTimes: [Timestamp] = []
        var behaviours: [String: RollbackBehaviour] = [:]
        var scriptedErrors: [String: ScriptedErrors] = [:]
        var operations: [String: Operation] = [:]
        var operationCount = 0
        var activity = 0
    }

    private let state = Mutex(State())
    private let clock: any RewindClock

    init(clock: any RewindClock) {
        self.clock = clock
    }

    // MARK: Arranging the world

    /// Lists `deployment` on the platform, with its health behaviour, and makes it live when `live`.
    func deploy(_ deployment: Deployment, health: HealthBehaviour = .healthy, live: Bool = true) {
        state.withLock { state in
            let listing = PlatformDeployment(
                id: deployment.id, version: deployment.version, createdAt: deployment.deployedAt)
            state.listings[deployment.service, default: []].removeAll { $0.id == deployment.id }
            state.listings[deployment.service, default: []].append(listing)
            state.health[deployment.id] = health
            if live { state.live[deployment.service] = deployment.id }
        }
    }

    func setHealth(_ deploymentID: String, _ behaviour: HealthBehaviour) {
        state.withLock { $0.health[deploymentID] = behaviour }
    }

    func setLive(_ service: ServiceName, _ deploymentID: String) {
        state.withLock { $0.live[service] = deploymentID }
    }

    func setRollbackBehaviour(_ behaviour: RollbackBehaviour, provider: String = FakePlatform.primary) {
        state.withLock { $0.behaviours[provider] = behaviour }
    }

    /// The next `count` rollback calls through `provider` throw `error` (and still count as calls).
    /// `Int.max` means every call.
    func failNextRollbacks(_ count: Int, with error: ProviderError, provider: String = FakePlatform.primary) {
        state.withLock { $0.scriptedErrors[provider] = ScriptedErrors(error: error, remaining: count) }
    }

    /// An operation the platform already runs (as if accepted before a restart): it switches `service`
    /// to `target` on its `polls`-th status poll.
    func stageOperation(id: String, service: ServiceName, target: String, polls: Int) {
        state.withLock { $0.operations[id] = Operation(service: service, target: target, pollsLeft: polls) }
    }

    // MARK: Reading the world

    func live(_ service: ServiceName) -> String? {
        state.withLock { $0.live[service] }
    }

    var rollbackCalls: [RollbackCall] {
        state.withLock { $0.rollbackCalls }
    }

    func rollbackCount(provider: String? = nil, service: ServiceName? = nil) -> Int {
        rollbackCalls.filter { call in
            (provider == nil || call.provider == provider) && (service == nil || call.service == service)
        }.count
    }

    /// When each status poll came, on the world's clock.
    var statusPollTimes: [Timestamp] {
        state.withLock { $0.statusPollTimes }
    }

    var statusPolls: Int {
        state.withLock { $0.statusPolls }
    }

    func probeCount(_ deploymentID: String) -> Int {
        state.withLock { $0.probes[deploymentID, default: 0] }
    }

    // MARK: The platform's behaviour

    /// How many calls providers and probers made: a test's sign that the engine is still busy.
    var activity: Int {
        state.withLock { $0.activity }
    }

    func listings(of service: ServiceName) -> [PlatformDeployment] {
        state.withLock { state in
            state.activity += 1
            return state.listings[service] ?? []
        }
    }

    func current(_ service: ServiceName) -> PlatformDeployment? {
        state.withLock { state in
            state.activity += 1
            return state.live[service].flatMap { id in state.listings[service]?.first { $0.id == id } }
        }
    }

    func rollback(
        provider: String, service: ServiceName, to target: Deployment, incidentID: Int64, manual: Bool = false
    )
        throws -> RollbackOperation
    {
        let now = clock.now
        let result = state.withLock { state -> Result<RollbackOperation, ProviderError> in
            state.activity += 1
            state.rollbackCalls.append(
                RollbackCall(
                    provider: provider, service: service, target: target.id, incidentID: incidentID, at: now,
                    manual: manual))
            if var scripted = state.scriptedErrors[provider], scripted.remaining > 0 {
                if scripted.remaining != Int.max { scripted.remaining -= 1 }
                state.scriptedErrors[provider] = scripted
                return .failure(scripted.error)
            }
            guard state.listings[service]?.contains(where: { $0.id == target.id }) == true else {
                return .failure(ProviderError(.notFound, "\(service) has no deployment \(target.id)"))
            }
            switch state.behaviours[provider] ?? .synchronous {
            case .synchronous:
                state.live[service] = target.id
                return .success(RollbackOperation(finished: true))
            case .operation(let polls):
                return .success(Self.startOperation(&state, service: service, target: target.id, pollsLeft: polls))
            case .neverFinishes:
                return .success(Self.startOperation(&state, service: service, target: target.id, pollsLeft: nil))
            case .followsRunningJob(let polls):
                var operation = Self.startOperation(&state, service: service, target: target.id, pollsLeft: polls)
                operation.followedRunningJob = true
                return .success(operation)
            }
        }
        return try result.get()
    }

    func status(of operationID: String?) throws -> OperationStatus {
        let now = clock.now
        let result = state.withLock { state -> Result<OperationStatus, ProviderError> in
            state.activity += 1
            state.statusPolls += 1
            state.statusPollTimes.append(now)
            guard let operationID, var operation = state.operations[operationID] else {
                return .failure(ProviderError(.notFound, "no operation \(operationID ?? "(none)")"))
            }
            guard let pollsLeft = operation.pollsLeft else { return .success(.inProgress) }
            operation.pollsLeft = pollsLeft - 1
            state.operations[operationID] = operation
            guard pollsLeft <= 1 else { return .success(.inProgress) }
            state.live[operation.service] = operation.target
            return .success(.succeeded)
        }
        return try result.get()
    }

    /// One health check of whatever `service` serves now.
    func probe(_ service: ServiceName, timeout: Duration) -> ProbeResult {
        state.withLock { state in
            state.activity += 1
            guard let live = state.live[service] else {
                return ProbeResult(result: .failure(.connection("nothing deployed")), latencyMs: 1)
            }
            let count = state.probes[live, default: 0]
            state.probes[live] = count + 1
            switch state.health[live] ?? .healthy {
            case .healthy:
                return ProbeResult(result: .success(status: 200), latencyMs: 1)
            case .failing(let status):
                return ProbeResult(result: .failure(.status(status)), latencyMs: 1)
            case .timeout:
                return ProbeResult(result: .failure(.timeout), latencyMs: timeout.milliseconds)
            case .cycle(let pattern):
                let healthy = pattern.isEmpty || pattern[count % pattern.count]
                return ProbeResult(result: healthy ? .success(status: 200) : .failure(.status(503)), latencyMs: 1)
            }
        }
    }

    private static func startOperation(
        _ state: inout State, service: ServiceName, target: String, pollsLeft: Int?
    )
        -> RollbackOperation
    {
        state.operationCount += 1
        let id = "op-\(state.operationCount)"
        state.operations[id] = Operation(service: service, target: target, pollsLeft: pollsLeft)
        return RollbackOperation(id: id, finished: false)
    }
}

/// A platform provider over ``FakeWorld``: reads and switches its live deployments.
struct FakePlatform: PlatformProvider {
    static let primary = "fake"
    static let fallback = "fake-fallback"

    let world: FakeWorld
    let kind: String
    let credential: CredentialID?
    let pollInterval: Duration?
    /// False for a provider that cannot say what is live, as a command provider without `current:`.
    let tellsLive: Bool
    let isIdempotent: Bool
    /// Added to every rollback operation, as a GitOps provider adds "auto-sync was paused; resume with …".
    let notes: [String]

    init(
        _ world: FakeWorld, kind: String = FakePlatform.primary, credential: CredentialID? = nil,
        pollInterval: Duration? = nil, tellsLive: Bool = true, isIdempotent: Bool = false, notes: [String] = []
    ) {
        self.world = world
        self.kind = kind
        self.credential = credential
        self.pollInterval = pollInterval
        self.tellsLive = tellsLive
        self.isIdempotent = isIdempotent
        self.notes = notes
    }

    func listDeployments(service: ServiceName) async throws -> [PlatformDeployment] {
        world.listings(of: service)
    }

    func currentDeployment(service: ServiceName) async throws -> PlatformDeployment? {
        tellsLive ? world.current(service) : nil
    }

    func rollback(service: ServiceName, to target: Deployment, context: ActionContext) async throws -> RollbackOperation
    {
        var operation = try world.rollback(
            provider: kind, service: service, to: target, incidentID: context.incidentID, manual: context.manual)
        operation.notes = notes
        return operation
    }

    func status(
        of operation: RollbackOperation, service: ServiceName, target: Deployment
    ) async throws
        -> OperationStatus
    {
        try world.status(of: operation.id)
    }
}

/// A health prober that answers from the deployment ``FakeWorld`` serves. A check's URL names its
/// service: `fake://backend/health`.
struct FakeProber: HealthProber {
    let world: FakeWorld

    func check(_ check: HealthCheckPolicy) async -> ProbeResult {
        guard let service = URL(string: check.url)?.host else {
            return ProbeResult(result: .failure(.invalidResponse("no service in \(check.url)")), latencyMs: 0)
        }
        return world.probe(ServiceName(service), timeout: check.timeout)
    }
}

/// A notification channel that delivers: it keeps every notice it received. With `failures`, the first
/// that many sends fail with a transient error (`Int.max`: every send).
final class CollectingNotifier: Notifier {
    let channel: String
    private struct State {
        var notices: [Notice] = []
        var attempts = 0
        var failuresLeft: Int
    }
    private let state: Mutex<State>

    init(channel: String = "collector", failures: Int = 0) {
        self.channel = channel
        state = Mutex(State(failuresLeft: failures))
    }

    func send(_ notice: Notice) async throws {
        let fails = state.withLock { state -> Bool in
            state.attempts += 1
            guard state.failuresLeft > 0 else {
                state.notices.append(notice)
                return false
            }
            if state.failuresLeft != Int.max { state.failuresLeft -= 1 }
            return true
        }
        if fails { throw ProviderError(.server, "\(channel) answered HTTP 503") }
    }

    /// Everything delivered, escalation pages and channel-down reports included.
    var notices: [Notice] { state.withLock { $0.notices } }
    var kinds: [NoticeKind] { notices.map(\.kind) }

    /// The incident's own notices (initiated, completed, failed, would roll back, escalated without a
    /// rollback): not the pages of escalation timers (they name an audience), nor the reports that
    /// another channel is down.
    var incidentNotices: [Notice] {
        notices.filter { $0.audience == nil && $0.status != "notification channel down" && $0.kind != .taskOverdue }
    }
    var incidentKinds: [NoticeKind] { incidentNotices.map(\.kind) }

    /// Pages sent by escalation timers.
    var pages: [Notice] { notices.filter { $0.audience != nil && $0.kind != .taskOverdue } }

    /// Reminders of overdue post-rollback tasks.
    var reminders: [Notice] { notices.filter { $0.kind == .taskOverdue } }
    var attempts: Int { state.withLock { $0.attempts } }
}

/// A channel whose sends wait until ``open()``: a slow provider, with the attempt still in flight.
final class GatedNotifier: Notifier {
    let channel: String
    private struct State {
        var isOpen = false
        var sends = 0
        var initiatedSends = 0
        var waiting: [CheckedContinuation<Void, Never>] = []
        var kinds: [NoticeKind] = []
    }
    private let state = Mutex(State())

    /// Sends of the initiated notice only (escalation pages reach every channel too).
    var initiatedSends: Int { state.withLock { $0.initiatedSends } }

    init(channel: String) {
        self.channel = channel
    }

    func send(_ notice: Notice) async throws {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let proceed = state.withLock { state -> Bool in
                state.sends += 1
                if notice.kind == .initiated { state.initiatedSends += 1 }
                if state.isOpen { return true }
                state.waiting.append(continuation)
                return false
            }
            if proceed { continuation.resume() }
        }
        state.withLock { $0.kinds.append(notice.kind) }
    }

    /// Lets every waiting send, and every later one, through.
    func open() {
        let waiting = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.isOpen = true
            defer { state.waiting = [] }
            return state.waiting
        }
        waiting.forEach { $0.resume() }
    }

    var sends: Int { state.withLock { $0.sends } }
    /// What went through, in the order the sends finished.
    var kinds: [NoticeKind] { state.withLock { $0.kinds } }
}
