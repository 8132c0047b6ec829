import Foundation
import Logging
import RewindCore
import RewindEngine
import RewindPorts
import RewindStoreSQLite
import Synchronization
import Testing

/// Deployment tracking: Rewind learns deployments from the platforms' listings on a poller of its own, off the
/// supervisor; incrementally where the platform can; maps a deployment that restores an older one to that one;
/// and never lets a re-listing (after a restart) touch the known-good marks.
@Suite("Engine: deployment tracking", .timeLimit(.minutes(3)))
struct DeploymentTrackingTests {
    static let backend = Fixture.backend

    @Test("a deploy Rewind was not told about is learnt from the listing: recorded, made live, suspect")
    func learnsAnUntoldDeploy() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            try await h.run { run in
                let v2 = Deployment(
                    service: Self.backend, id: Fixture.id(Self.backend, "v2"), version: "v2",
                    deployedAt: h.clock.now - .seconds(5))
                h.world.deploy(v2)
                try await run.advance(until: "v2 is live in the store") { try await h.liveID(Self.backend) == v2.id }
                let recorded = try #require(try await h.deployment(Self.backend, "v2"))
                #expect(recorded.trust == .suspect)
                #expect(recorded.deployedAt == v2.deployedAt)
                #expect(try await h.deployment(Self.backend, "v1")?.trust == .knownGood)
                #expect(try await h.incidents().isEmpty)
            }
        }
    }

    @Test("a listed deployment whose id breaks the deployment id rule is not recorded; the others are")
    func unsafeListedIdsAreSkipped() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            try await h.run { run in
                let unsafe = Deployment(
                    service: Self.backend, id: "--upload-pack=evil", version: "v9",
                    deployedAt: h.clock.now - .seconds(9))
                h.world.deploy(unsafe, live: false)
                let v2 = Deployment(
                    service: Self.backend, id: Fixture.id(Self.backend, "v2"), version: "v2",
                    deployedAt: h.clock.now - .seconds(5))
                h.world.deploy(v2)
                try await run.advance(until: "v2 is live in the store") { try await h.liveID(Self.backend) == v2.id }
                let ids = try await h.sqlite.deployments(of: Self.backend).map(\.id)
                #expect(!ids.contains(unsafe.id), "\(ids)")
                #expect(try await h.deployment(Self.backend, "v2")?.listed == true)
            }
        }
    }

    @Test("a platform whose listing hangs never blocks the supervisor, and each poll ends at its deadline")
    func hangingPlatformDoesNotBlock() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            let platform = TrackedPlatform(h.world, clock: h.clock)
            platform.hang(true)
            try await runTracking(h, platform: platform) { run in
                try await run.advance(by: .seconds(5))
                #expect(platform.hungCalls >= 1)
                // The supervisor answers while the platform hangs.
                let v2 = try await run.deploy(Self.backend, "v2", health: .healthy)
                #expect(try await h.liveID(Self.backend) == v2.id)
                // Deadline (30 s), then the next poll a minute later: a second listing call.
                try await run.advance(until: "a second poll after the deadline") { platform.hungCalls >= 4 }
                #expect(h.world.rollbackCalls.isEmpty)
                #expect(try await h.incidents().isEmpty)
            }
        }
    }

    @Test("five failed polls in a row: one monitoring warning in status, never an incident; cleared when it answers")
    func repeatedFailuresWarnOnce() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            let platform = TrackedPlatform(h.world, clock: h.clock)
            let secret = "vercel-token-9c1e77"
            platform.fail(
                with: ProviderError(.auth, "Vercel answered 403 forbidden: check that VERCEL_TOKEN can access team t_1")
            )
            try await runTracking(h, platform: platform, redactor: Redactor(secrets: [secret])) { run in
                let source = "\(TrackedPlatform.kind) deployments of \(Self.backend)"
                func status() -> MonitoringStatus? { run.engine.monitoringStatuses.first { $0.source == source } }
                try await run.advance(until: "four failed polls") { platform.failedCalls(Self.backend) >= 4 }
                #expect(status() == nil)
                try await run.advance(until: "the warning") { status()?.reported == true }
                #expect(platform.failedCalls(Self.backend) == 5)
                #expect(status()?.lastError?.contains("VERCEL_TOKEN") == true)
                #expect(status()?.lastError?.contains(secret) == false)
                try await run.advance(by: .seconds(180))
                #expect(try await h.incidents().isEmpty)
                #expect(h.world.rollbackCalls.isEmpty)
                #expect(h.notifier.notices.isEmpty)

                platform.fail(with: nil)
                try await run.advance(until: "the platform answers again") { status()?.reported == false }
                #expect(status()?.failingSince == nil)
            }
        }
    }

    @Test("incremental: each poll hands back the previous cursor, and learns only what is new")
    func incrementalPolls() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            let platform = TrackedPlatform(h.world, clock: h.clock)
            try await runTracking(h, platform: platform) { run in
                try await run.advance(until: "two polls") { platform.cursors(Self.backend).count >= 2 }
                let cursors = platform.cursors(Self.backend)
                let v1 = try #require(try await h.deployment(Self.backend, "v1"))
                #expect(cursors[0] == nil)
                #expect(cursors[1] == ListingCursor(String(v1.deployedAt.millisecondsSinceEpoch)))
                #expect(platform.listed(Self.backend).dropFirst().allSatisfy { $0.isEmpty })

                let v2 = Deployment(
                    service: Self.backend, id: Fixture.id(Self.backend, "v2"), version: "v2", deployedAt: h.clock.now)
                h.world.deploy(v2)
                try await run.advance(until: "v2 is live") { try await h.liveID(Self.backend) == v2.id }
                #expect(platform.listed(Self.backend).last == [v2.id])
                try await run.advance(until: "one more poll") { platform.cursors(Self.backend).count >= 5 }
                #expect(
                    platform.cursors(Self.backend).last == ListingCursor(String(v2.deployedAt.millisecondsSinceEpoch)))
                #expect(platform.listed(Self.backend).last == [])
            }
        }
    }

    @Test(
        "a rollback creating a new deployment (Railway) leaves v1 live in the record: no new suspect, no 2nd rollback"
    )
    func restoringDeploymentIsTheTarget() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            let platform = TrackedPlatform(h.world, clock: h.clock)
            platform.restoreOnRollback(true)
            let policy = Fixture.policy(bake: .seconds(120))
            try await runTracking(h, platform: platform, policy: policy) { run in
                let v1 = Fixture.id(Self.backend, "v1")
                try await run.deploy(Self.backend, "v2", health: .failing(status: 503))
                let incident = try await run.untilClosed()
                #expect(incident.status == .completed)
                let restoring = try #require(platform.current(Self.backend))
                #expect(restoring.id != v1)
                #expect(restoring.restores == v1)

                // Polls and bake periods go by.
                try await run.advance(by: .seconds(600))
                #expect(try await h.liveID(Self.backend) == v1)
                #expect(try await h.sqlite.deployments(of: Self.backend).allSatisfy { $0.id != restoring.id })
                #expect(try await h.deployment(Self.backend, "v1")?.trust == .knownGood)
                #expect(try await h.deployment(Self.backend, "v2")?.trust == .bad)
                #expect(!run.events.knownGood.contains { $0.id == restoring.id })
                #expect(try await h.incidents().count == 1)
                #expect(h.world.rollbackCount(service: Self.backend) == 1)
                #expect(platform.cursors(Self.backend).count >= 10)
            }
        }
    }

    @Test(
        "a rollback made on the platform by a person (a restoring deployment) switches the record to what it restores")
    func platformRollbackByAPerson() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            let platform = TrackedPlatform(h.world, clock: h.clock)
            try await runTracking(h, platform: platform) { run in
                let v1 = Fixture.id(Self.backend, "v1")
                try await run.deploy(Self.backend, "v2", health: .healthy)
                try await run.advance(by: .seconds(61))
                platform.restore(Self.backend, v1, as: "backend-restore-9")
                try await run.advance(until: "v1 is live again") { try await h.liveID(Self.backend) == v1 }
                #expect(try await h.sqlite.deployments(of: Self.backend).allSatisfy { $0.id != "backend-restore-9" })
                #expect(try await h.deployment(Self.backend, "v1")?.trust == .knownGood)
                #expect(try await h.incidents().isEmpty)
            }
        }
    }

    @Test("known-good marks survive a restart: the re-listing keeps them, and the next rollback goes to the newest one")
    func knownGoodSurvivesRestart() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            let policy = Fixture.policy(bake: .seconds(120))
            let first = TrackedPlatform(h.world, clock: h.clock)
            try await runTracking(h, platform: first, policy: policy) { run in
                try await run.deploy(Self.backend, "v2", health: .healthy)
                try await run.advance(until: "v2 is known good") {
                    try await h.deployment(Self.backend, "v2")?.trust == .knownGood
                }
            }
            let before = try await h.sqlite.deployments(of: Self.backend)

            let second = TrackedPlatform(h.world, clock: h.clock)
            try await runTracking(h, platform: second, policy: policy) { run in
                try await run.advance(until: "the restarted engine listed the platform") {
                    second.cursors(Self.backend).count >= 2
                }
                #expect(second.cursors(Self.backend).first == .some(nil))
                #expect(second.listed(Self.backend).first?.count == 2)
                let after = try await h.sqlite.deployments(of: Self.backend)
                #expect(after.map(\.trust) == before.map(\.trust))
                #expect(after.map(\.knownGoodAt) == before.map(\.knownGoodAt))
                #expect(after.map(\.trust) == [.knownGood, .knownGood])

                try await run.deploy(Self.backend, "v3", health: .failing(status: 500))
                let incident = try await run.untilClosed()
                #expect(incident.status == .completed)
                #expect(try await h.liveID(Self.backend) == Fixture.id(Self.backend, "v2"))
                let decision = try #require(
                    try await h.sqlite.timeline(incidentID: incident.id).first { $0.kind == .decision })
                let why = "→ v2 (backend-v2): v2 (backend-v2) is the newest known-good deployment"
                #expect(decision.message.contains(why))
            }
        }
    }

    // MARK: - Running

    /// Like ``Harness/run``, with `platform` for every service and the tracker polling every `interval`.
    private func runTracking(
        _ h: Harness, platform: TrackedPlatform, policy: Policy = Fixture.policy(), interval: Duration = .seconds(60),
        redactor: Redactor = Redactor(), _ body: (EngineRun) async throws -> Void
    ) async throws {
        var providers: [ServiceName: any PlatformProvider] = [:]
        for service in policy.services { providers[service.name] = platform }
        let events = h.events
        var deps = EngineDependencies(
            policy: policy, store: ObservedStore(base: h.sqlite, activity: h.activity), clock: h.clock,
            prober: FakeProber(world: h.world), providers: providers, notifiers: [h.notifier], redactor: redactor,
            logger: Logger(label: "rewind.engine", factory: { _ in SwiftLogNoOpLogHandler() }),
            random: { 0.5 }, observer: { events.record($0) })
        deps.trackingInterval = interval
        try await h.run(RewindEngine(deps), policy: policy, body)
    }
}

/// A platform over ``FakeWorld`` that lists incrementally (the cursor is the newest `createdAt` seen, as
/// Vercel's `since=`), can hang or fail its listing, and can roll back the way Railway does: by creating a new
/// deployment that restores the target.
final class TrackedPlatform: IncrementalListing {
    static let kind = "tracked"

    private struct State {
        var cursors: [ServiceName: [ListingCursor?]] = [:]
        var listed: [ServiceName: [[String]]] = [:]
        var hangs = false
        var hungCalls = 0
        var failure: ProviderError?
        var failedCalls: [ServiceName: Int] = [:]
        var restoreOnRollback = false
        /// Per service: the live deployment id on the platform → the restoring deployment that serves it.
        var restorations: [ServiceName: [String: PlatformDeployment]] = [:]
    }

    private let state = Mutex(State())
    private let base: FakePlatform
    private let world: FakeWorld
    private let clock: ManualClock

    init(_ world: FakeWorld, clock: ManualClock) {
        self.world = world
        self.clock = clock
        base = FakePlatform(world)
    }

    var kind: String { Self.kind }

    // MARK: Scripting

    func hang(_ hangs: Bool) { state.withLock { $0.hangs = hangs } }
    func fail(with error: ProviderError?) { state.withLock { $0.failure = error } }
    func restoreOnRollback(_ enabled: Bool) { state.withLock { $0.restoreOnRollback = enabled } }

    /// Makes `target` live through a new deployment `id` that restores it (a rollback in the platform's UI).
    func restore(_ service: ServiceName, _ target: String, as id: String) {
        world.setLive(service, target)
        let restoring = PlatformDeployment(id: id, version: "restored", createdAt: clock.now, restores: target)
        state.withLock { $0.restorations[service, default: [:]][target] = restoring }
    }

    // MARK: Inspection

    var hungCalls: Int { state.withLock { $0.hungCalls } }
    func failedCalls(_ service: ServiceName) -> Int { state.withLock { $0.failedCalls[service, default: 0] } }
    /// The cursor each listing call received, oldest first.
    func cursors(_ service: ServiceName) -> [ListingCursor?] { state.withLock { $0.cursors[service] ?? [] } }
    /// The ids each listing call returned, oldest first.
    func listed(_ service: ServiceName) -> [[String]] { state.withLock { $0.listed[service] ?? [] } }
    func current(_ service: ServiceName) -> PlatformDeployment? {
        world.current(service).map { restoring(service, $0) }
    }

    // MARK: PlatformProvider

    func listDeployments(service: ServiceName) async throws -> [PlatformDeployment] {
        try await listDeployments(service: service, since: nil).deployments
    }

    func listDeployments(service: ServiceName, since cursor: ListingCursor?) async throws -> ListingPage {
        let (hangs, failure) = state.withLock { state -> (Bool, ProviderError?) in
            if state.hangs { state.hungCalls += 1 }
            if state.failure != nil { state.failedCalls[service, default: 0] += 1 }
            return (state.hangs, state.failure)
        }
        if hangs { try await clock.sleep(for: .seconds(3600)) }
        if let failure { throw failure }
        let since = cursor.flatMap { Int64($0.value) }
        let restorations = state.withLock { Array(($0.restorations[service] ?? [:]).values) }
        let all = (world.listings(of: service) + restorations).sorted {
            ($0.createdAt?.millisecondsSinceEpoch ?? 0) > ($1.createdAt?.millisecondsSinceEpoch ?? 0)
        }
        let new = all.filter { listed in since.map { (listed.createdAt?.millisecondsSinceEpoch ?? 0) > $0 } ?? true }
        let newest = ([since] + new.map { $0.createdAt?.millisecondsSinceEpoch }).compactMap { $0 }.max()
        state.withLock { state in
            state.cursors[service, default: []].append(cursor)
            state.listed[service, default: []].append(new.map(\.id))
        }
        return ListingPage(
            deployments: new, cursor: newest.map { ListingCursor(String($0)) }, incremental: since != nil)
    }

    func currentDeployment(service: ServiceName) async throws -> PlatformDeployment? {
        try await base.currentDeployment(service: service).map { restoring(service, $0) }
    }

    func rollback(service: ServiceName, to target: Deployment, context: ActionContext) async throws -> RollbackOperation
    {
        let operation = try await base.rollback(service: service, to: target, context: context)
        let now = clock.now
        state.withLock { state in
            guard state.restoreOnRollback else { return }
            let id = "\(target.id)-restore-\(context.incidentID)"
            state.restorations[service, default: [:]][target.id] = PlatformDeployment(
                id: id, version: target.version, createdAt: now, restores: target.id)
        }
        return operation
    }

    func status(
        of operation: RollbackOperation, service: ServiceName, target: Deployment
    ) async throws
        -> OperationStatus
    {
        try await base.status(of: operation, service: service, target: target)
    }

    /// What the platform shows as live: the restoring deployment when the live one was restored.
    private func restoring(_ service: ServiceName, _ live: PlatformDeployment) -> PlatformDeployment {
        state.withLock { $0.restorations[service]?[live.id] } ?? live
    }
}
