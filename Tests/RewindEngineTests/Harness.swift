import Foundation
import Logging
import MetricsTestKit
import RewindCore
import RewindEngine
import RewindPorts
import RewindStoreSQLite
import Synchronization
import Testing

/// The policy, services and deployments every scenario starts from.
enum Fixture {
    static let backend: ServiceName = "backend"
    static let worker: ServiceName = "worker"

    /// backend (critical check) and worker (non-critical check), checked every second and confirmed
    /// after 100 ms; verification every second.
    static func policy(
        mode: Mode = .enforce, bake: Duration = Defaults.bake, backendRollbackTimeout: Duration? = nil,
        safety: SafetyLimits = SafetyLimits(), workerDependsOnBackend: Bool = false
    ) -> Policy {
        Policy(
            mode: mode,
            services: [
                ServicePolicy(
                    name: backend, checks: [check(backend, .critical)], rollbackTimeout: backendRollbackTimeout),
                ServicePolicy(
                    name: worker, dependsOn: workerDependsOnBackend ? [backend] : [],
                    checks: [check(worker, .nonCritical)]),
            ],
            verification: VerificationPolicy(interval: .seconds(1)),
            safety: safety,
            bake: bake)
    }

    static func check(_ service: ServiceName, _ severity: CheckSeverity) -> HealthCheckPolicy {
        HealthCheckPolicy(
            name: "\(service)-health", url: "fake://\(service)/health", severity: severity, interval: .seconds(1),
            confirmInterval: .milliseconds(100))
    }

    static func id(_ service: ServiceName, _ version: String) -> String { "\(service)-\(version)" }
}

/// Every ``EngineEvent`` the engine reported, in order.
final class EventLog: Sendable {
    private let events = Mutex<[EngineEvent]>([])

    func record(_ event: EngineEvent) { events.withLock { $0.append(event) } }

    var all: [EngineEvent] { events.withLock { $0 } }
    var count: Int { events.withLock { $0.count } }

    var closedIncidents: [Incident] {
        all.compactMap { if case .incidentClosed(let incident) = $0 { incident } else { nil } }
    }
    var violations: [Violation] {
        all.compactMap { if case .violation(let violation) = $0 { violation } else { nil } }
    }
    var checkFailures: [(service: ServiceName, count: Int, of: Int)] {
        all.compactMap { if case .checkFailed(let o, let count, let of) = $0 { (o.service, count, of) } else { nil } }
    }
    var recoveries: [ServiceName] {
        all.compactMap { if case .checkRecovered(let service, _) = $0 { service } else { nil } }
    }
    var knownGood: [Deployment] {
        all.compactMap { if case .deploymentKnownGood(let deployment) = $0 { deployment } else { nil } }
    }
    var notified: [(channel: String, kind: NoticeKind, delivered: Bool)] {
        all.compactMap {
            if case .notified(_, let channel, let kind, let delivered) = $0 { (channel, kind, delivered) } else { nil }
        }
    }
}

/// What a rollback moves besides the platform: traffic, kill-switch flags, migrations.
struct Controls: Sendable {
    var traffic: [ServiceName: any TrafficController] = [:]
    var flags: [ServiceName: any FeatureSwitch] = [:]
    var migrations: [ServiceName: any MigrationRollback] = [:]
}

/// One scenario's world: a manual clock, a fake platform, a real SQLite store in a fresh temporary
/// file, a collecting notification channel and the engine's event log.
struct Harness: Sendable {
    let clock: ManualClock
    let world: FakeWorld
    /// The store, for arranging and asserting. The engine gets it through ``ObservedStore``.
    let sqlite: SQLiteStore
    let activity = StoreActivity()
    /// The thread the engine under test runs on (see ``EngineExecutor``).
    let executor = EngineExecutor()
    let notifier = CollectingNotifier()
    let events = EventLog()
    /// What the engine recorded as metrics (`RewindMetrics` over swift-metrics' test factory).
    let metrics = TestMetrics()

    static func with(_ body: (Harness) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("rewind-engine-tests-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let clock = ManualClock()
        let sqlite = try SQLiteStore(path: directory.appendingPathComponent("rewind.db").path)
        let harness = Harness(clock: clock, world: FakeWorld(clock: clock), sqlite: sqlite)
        defer { harness.executor.stop() }
        try await body(harness)
    }

    // MARK: Arranging

    /// v1 of backend and of worker: deployed two hours ago, known good for an hour, live on the
    /// platform and in the store, healthy.
    @discardableResult
    func seedKnownGood(health: HealthBehaviour = .healthy) async throws -> (backend: Deployment, worker: Deployment) {
        let now = clock.now
        var seeded: [Deployment] = []
        for service in [Fixture.backend, Fixture.worker] {
            let v1 = Deployment(
                service: service, id: Fixture.id(service, "v1"), version: "v1", deployedAt: now - .seconds(7200),
                trust: .knownGood, knownGoodAt: now - .seconds(3600))
            try await sqlite.recordDeployment(v1, makeLive: true)
            world.deploy(v1, health: health)
            seeded.append(v1)
        }
        return (seeded[0], seeded[1])
    }

    /// A new suspect deployment deployed now: live on the platform and recorded live in the store,
    /// as a deploy pipeline would have done before the engine started.
    @discardableResult
    func deploySuspect(_ service: ServiceName, _ version: String, health: HealthBehaviour) async throws -> Deployment {
        let deployment = Deployment(
            service: service, id: Fixture.id(service, version), version: version, deployedAt: clock.now)
        world.deploy(deployment, health: health)
        try await sqlite.recordDeployment(deployment, makeLive: true)
        return deployment
    }

    // MARK: Running an engine

    /// An engine over this world: fake platforms for every service (and fallbacks when asked), the fake
    /// prober, the collecting notifier first among the channels, retry jitter fixed at 0.5, logs off.
    ///
    /// `credentials`: what the primary and the fallback say they act with (nil: they do not say);
    /// `providerPollInterval`: the pace the primary asks to be polled at.
    func makeEngine(
        policy: Policy = Fixture.policy(), fallback: Bool = false, notifiers extra: [any Notifier] = [],
        bakeCheckInterval: Duration = .seconds(30), watch: Bool = true, holder: String = "rewind",
        lease: LeaseTiming = .singleWriter, metricSource: (any MetricSource)? = nil, controls: Controls = Controls(),
        platformKinds: [ServiceName: String] = [:],
        credentials: (primary: CredentialID?, fallback: CredentialID?) = (nil, nil),
        providerPollInterval: Duration? = nil, platforms: [ServiceName: FakePlatform] = [:]
    ) -> RewindEngine {
        RewindEngine(
            makeDependencies(
                policy: policy, fallback: fallback, notifiers: extra, bakeCheckInterval: bakeCheckInterval,
                watch: watch,
                holder: holder, lease: lease, metricSource: metricSource, controls: controls,
                platformKinds: platformKinds, credentials: credentials, providerPollInterval: providerPollInterval,
                platforms: platforms))
    }

    /// What ``makeEngine(policy:fallback:notifiers:bakeCheckInterval:watch:holder:lease:metricSource:controls:platformKinds:credentials:providerPollInterval:platforms:)``
    /// builds its engine from; also what a test hands a running engine to reload.
    func makeDependencies(
        policy: Policy = Fixture.policy(), fallback: Bool = false, notifiers extra: [any Notifier] = [],
        bakeCheckInterval: Duration = .seconds(30), watch: Bool = true, holder: String = "rewind",
        lease: LeaseTiming = .singleWriter, metricSource: (any MetricSource)? = nil, controls: Controls = Controls(),
        platformKinds: [ServiceName: String] = [:],
        credentials: (primary: CredentialID?, fallback: CredentialID?) = (nil, nil),
        providerPollInterval: Duration? = nil, platforms: [ServiceName: FakePlatform] = [:]
    ) -> EngineDependencies {
        var providers: [ServiceName: any PlatformProvider] = [:]
        var fallbacks: [ServiceName: any PlatformProvider] = [:]
        var policy = policy
        for index in policy.services.indices {
            let service = policy.services[index]
            providers[service.name] =
                platforms[service.name]
                ?? FakePlatform(
                    world, kind: platformKinds[service.name] ?? FakePlatform.primary, credential: credentials.primary,
                    pollInterval: providerPollInterval)
            if fallback {
                fallbacks[service.name] = FakePlatform(
                    world, kind: FakePlatform.fallback, credential: credentials.fallback)
                // As the composition root does: the policy says there is a fallback the engine gets.
                policy.services[index].hasFallback = true
            }
        }
        let events = events
        var dependencies =
            EngineDependencies(
                policy: policy, store: ObservedStore(base: sqlite, activity: activity), clock: clock,
                prober: FakeProber(world: world), providers: providers, fallbacks: fallbacks,
                notifiers: [notifier] + extra,
                logger: Logger(label: "rewind.engine", factory: { _ in SwiftLogNoOpLogHandler() }),
                random: { 0.5 }, observer: { events.record($0) }, watch: watch,
                bakeCheckInterval: bakeCheckInterval, holder: holder, metricSource: metricSource ?? NoMetricSource(),
                trafficControllers: controls.traffic, featureSwitches: controls.flags, migrations: controls.migrations)
        dependencies.rewindMetrics = RewindMetrics(factory: metrics)
        dependencies.lease = lease
        return dependencies
    }

    /// Starts an engine over this world in a task group, runs `body`, then cancels the engine.
    func run(
        policy: Policy = Fixture.policy(), fallback: Bool = false, notifiers extra: [any Notifier] = [],
        bakeCheckInterval: Duration = .seconds(30), metricSource: (any MetricSource)? = nil,
        controls: Controls = Controls(),
        credentials: (primary: CredentialID?, fallback: CredentialID?) = (nil, nil),
        providerPollInterval: Duration? = nil,
        _ body: (EngineRun) async throws -> Void
    ) async throws {
        let engine = makeEngine(
            policy: policy, fallback: fallback, notifiers: extra, bakeCheckInterval: bakeCheckInterval,
            metricSource: metricSource,
            controls: controls, credentials: credentials, providerPollInterval: providerPollInterval)
        try await run(engine, policy: policy, body)
    }

    /// Runs an engine built elsewhere over this world, as ``run(policy:fallback:notifiers:bakeCheckInterval:metricSource:controls:_:)`` does.
    ///
    /// `baseline`: how many tasks park on the clock when the engine is idle (default: one per check and signal,
    /// and two more); an engine standing by for the lease parks one.
    func run(
        _ engine: RewindEngine, policy: Policy, baseline: Int? = nil, _ body: (EngineRun) async throws -> Void
    ) async throws {
        let checks = policy.services.reduce(0) {
            $0 + $1.checks.count + $1.signals.count + ($1.canarySignals.isEmpty ? 0 : 1)
        }
        let run = EngineRun(engine: engine, harness: self, baseline: baseline ?? checks + 2)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await withTaskExecutorPreference(executor) { try await engine.run() }
                    run.stopped("run() returned")
                } catch {
                    run.stopped("run() threw \(error)")
                }
            }
            do {
                try await body(run)
            } catch {
                group.cancelAll()
                throw error
            }
            group.cancelAll()
        }
    }

    // MARK: Reading the store

    func incidents() async throws -> [Incident] {
        try await sqlite.incidents(limit: 100).reversed()
    }

    func timelineKinds(_ incidentID: Int64) async throws -> [TimelineKind] {
        try await sqlite.timeline(incidentID: incidentID).map(\.kind)
    }

    /// The journal of one step: every state it was recorded in, oldest first.
    func journal(_ incidentID: Int64, step: String) async throws -> [StepRecord.State] {
        try await sqlite.stepHistory(incidentID: incidentID).filter { $0.stepID == step }.map(\.state)
    }

    /// Why the incident was escalated to people for its outcome (`rollback_failed`, `verification_failed`):
    /// the reasons recorded in the details of its escalation entries.
    func escalationReasons(_ incidentID: Int64) async throws -> [String] {
        try await sqlite.timeline(incidentID: incidentID).compactMap { event in
            guard event.kind == .escalation, case .object(let detail)? = event.detail,
                case .string(let reason)? = detail["reason"]
            else { return nil }
            return reason
        }
    }

    func deployment(_ service: ServiceName, _ version: String) async throws -> Deployment? {
        try await sqlite.deployments(of: service).first { $0.id == Fixture.id(service, version) }
    }

    func liveID(_ service: ServiceName) async throws -> String? {
        try await sqlite.liveDeployment(of: service)?.id
    }
}

/// The engine is stuck or gone: a scenario waited longer than it may.
struct ScenarioStalled: Error, CustomStringConvertible {
    var description: String
}

/// A running engine and the means to drive its clock.
///
/// Time moves only in ``advance(until:limit:_:)`` and ``advance(by:)``: each round lets the engine
/// settle (its thread idle, no store call in flight, its periodic tasks parked on the clock), checks
/// the condition, then moves the clock to the next deadline — at most one second.
final class EngineRun: Sendable {
    static let maxStep = Duration.seconds(1)

    let engine: RewindEngine
    let harness: Harness
    /// Tasks parked on the clock whenever the engine is idle: a watcher per check, the bake ticker
    /// and the lease renewer.
    let baseline: Int
    private let stopReason = Mutex<String?>(nil)

    init(engine: RewindEngine, harness: Harness, baseline: Int) {
        self.engine = engine
        self.harness = harness
        self.baseline = baseline
    }

    var events: EventLog { harness.events }
    var clock: ManualClock { harness.clock }

    func stopped(_ how: String) { stopReason.withLock { $0 = how } }

    /// How the engine's `run()` ended, if it did.
    var stopped: String? { stopReason.withLock { $0 } }

    /// Waits until the engine is idle: every task it runs suspended (its thread, ``EngineExecutor``,
    /// has no job queued or running), no store call in flight (it would resume on that thread), and at
    /// least ``baseline`` tasks parked on the clock. Bounded.
    func settle() async {
        for _ in 0..<1_000_000 {
            if harness.executor.isIdle, harness.activity.inFlight == 0, clock.sleepers >= baseline { return }
            if stopReason.withLock({ $0 }) != nil { return }
            await Task.yield()
        }
    }

    /// Advances time until `done` holds; throws ``ScenarioStalled`` after `limit` rounds.
    func advance(until what: String, limit: Int = 1_000, _ done: () async throws -> Bool) async throws {
        for _ in 0..<limit {
            await settle()
            if try await done() { return }
            if let how = stopReason.withLock({ $0 }) {
                throw ScenarioStalled(description: "the engine stopped (\(how)) before \(what)")
            }
            step(notPast: nil)
        }
        throw ScenarioStalled(description: "gave up waiting for \(what) at \(clock.now)")
    }

    /// Lets `duration` of clock time pass, the engine working all along.
    func advance(by duration: Duration) async throws {
        let end = clock.now + duration
        for _ in 0..<(200 + Int(duration.seconds * 40)) {
            await settle()
            if clock.now >= end { return }
            if let how = stopReason.withLock({ $0 }) {
                throw ScenarioStalled(description: "the engine stopped (\(how))")
            }
            step(notPast: end)
        }
        throw ScenarioStalled(description: "could not let \(duration.rewindDescription) pass")
    }

    /// Advances until `count` incidents have closed, and returns the last of them.
    @discardableResult
    func untilClosed(_ count: Int = 1) async throws -> Incident {
        try await advance(until: "\(count) closed incident(s)") { events.closedIncidents.count >= count }
        return events.closedIncidents[count - 1]
    }

    /// Waits for the first delivery of an incident notice of `kind`. A closing notice has its first attempt before
    /// the close is reported, but one that waits behind an earlier notice's retry on its channel comes later.
    func untilNotified(_ kind: NoticeKind) async throws {
        try await advance(until: "a \(kind.rawValue) notice is delivered") {
            harness.notifier.incidentKinds.contains(kind)
        }
    }

    /// A deploy the engine is told about: live on the platform, then recorded through the engine.
    @discardableResult
    func deploy(_ service: ServiceName, _ version: String, health: HealthBehaviour) async throws -> Deployment {
        let deployment = Deployment(
            service: service, id: Fixture.id(service, version), version: version, deployedAt: clock.now)
        harness.world.deploy(deployment, health: health)
        return try await engine.recordDeployment(deployment)
    }

    private func step(notPast end: Timestamp?) {
        var gap = clock.nextDeadline.map { max($0 - clock.now, .zero) } ?? Self.maxStep
        gap = min(gap, Self.maxStep)
        if let end { gap = min(gap, max(end - clock.now, .zero)) }
        clock.advance(by: gap)
    }
}

extension Array where Element: Equatable {
    /// True when `other` appears in this array in order, not necessarily adjacent.
    func containsSubsequence(_ other: [Element]) -> Bool {
        var rest = other[...]
        for element in self where element == rest.first {
            rest = rest.dropFirst()
        }
        return rest.isEmpty
    }
}

/// A value set by one task and read by another.
final class Box<Value: Sendable>: Sendable {
    private let value = Mutex<Value?>(nil)
    func set(_ newValue: Value) { value.withLock { $0 = newValue } }
    var current: Value? { value.withLock { $0 } }
}
