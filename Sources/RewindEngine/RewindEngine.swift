import Logging
import RewindCore
import RewindPorts
import ServiceLifecycle
import Synchronization

/// The runtime around the ``Supervisor`` machine: one task owns it (the single writer of
/// decisions), one watcher per health check and metric signal observes, one tracker per platform
/// learns deployments, one runner per incident acts, a dispatcher delivers the outbox and a ticker
/// fires escalation timers.
///
/// ```
/// watchers ──▶ ┐                                  ┌──▶ incident runners ──▶ platforms
/// trackers ──▶ ├─▶ inbox ─▶ SupervisorLoop(machine)├──▶ the record (Journal) ──▶ outbox ─▶ dispatcher
/// API, CLI ──▶ ┘                                  └──▶ answers to requests
/// ```
///
/// Graceful shutdown (SIGTERM/SIGINT through ServiceLifecycle): watchers stop, no new command is
/// accepted, and every rollback in flight runs to its end or its timeout.
///
/// Reload (``reload(_:)``, `rewind serve` on SIGHUP): the supervisor decides by the new policy from
/// its next command on; the watchers, trackers and periodic loops restart under it; new incidents
/// and notices use its platforms and channels. The writer lease, the store, the open incidents (each
/// finishes under the plan and platforms it started with) and the outbox stay.
public final class RewindEngine: Service, Sendable {
    public typealias ManualRollbackRequest = RewindCore.ManualRollbackRequest

    /// What the engine runs with: its dependencies as built, with the last reload adopted.
    private let configured: Mutex<EngineDependencies>
    var deps: EngineDependencies { configured.withLock { $0 } }
    /// Where the engine and the server record their metrics.
    public let metrics: RewindMetrics
    let logger: Logger
    private let inbox = Mailbox<SupervisorCommand>()
    private let runnerJobs = Mailbox<RunnerJob>()
    private let deliveries = Mailbox<NoticeDispatcher.Delivery>()
    /// One delivery at a time per incident and channel, whatever dispatcher makes it.
    private let outboxLanes = OutboxLanes()
    /// The outbox entries left by the daemon before this one (they may have been delivered already).
    private let inheritedOutbox = InheritedOutbox()
    private let board = StatusBoard()
    /// Where the checks and signals this replica watches show: the board, or with `ha.shards` a board of its own,
    /// fed the live deployments from the state (``LiveDeploymentFeed``) rather than by the supervisor.
    private let watchBoard: StatusBoard
    /// Reloads applied so far: the shards' watchers restart under each.
    private let reloads = Mutex(0)
    /// The engine's events for subscribers (``events(buffer:)``), besides the observer it was built with.
    private let fanOut: EventFanOut
    private let closings = IncidentClosings()
    private let healthState: HealthState
    /// The shard leases this replica holds (`ha.shards` above 1); nil with one shard.
    public let shardHoldings: ShardHoldings?
    /// The parts of the policy in force, while the engine supervises: new incidents and fresh
    /// notices use them.
    private let active = Mutex<Parts?>(nil)
    private let configNote = Mutex<ConfigStatus?>(nil)
    /// What was received, on its way to the state (for `rewind replay`).
    private let received: ReceivedEventRecorder

    /// Work for the runner host: an incident, new (with its started machine) or resumed from its
    /// journal; or a promote, whose caller waits for the answer.
    private enum RunnerJob: Sendable {
        case incident(Incident, start: IncidentStart?)
        case promotion(PendingPromotion, reply: CheckedContinuation<EngineReply, Never>)
    }

    public init(_ deps: EngineDependencies) {
        let fanOut = EventFanOut()
        var deps = deps
        let observer = deps.observer
        deps.observer = { event in
            observer(event)
            fanOut.publish(event)
        }
        self.fanOut = fanOut
        self.configured = Mutex(deps)
        var metrics = deps.rewindMetrics
        metrics.labelsLeaderByShard = deps.shards.count > 1
        self.metrics = metrics
        self.shardHoldings = deps.shards.count > 1 ? ShardHoldings(count: deps.shards.count) : nil
        self.watchBoard = deps.shards.count > 1 ? StatusBoard() : board
        var logger = deps.logger
        logger[metadataKey: "rewind.mode"] = "\(deps.policy.mode.rawValue)"
        self.logger = logger
        self.healthState = HealthState(instance: deps.holder)
        self.received = ReceivedEventRecorder(metrics: metrics, logger: logger)
    }

    /// Which shard watches each service (`ha.shards`; one shard without it).
    public var shardAssignment: ShardAssignment { deps.shards }

    /// The policy in force (the one it was built with, or the last one reloaded).
    public var policy: Policy { deps.policy }

    /// Hides the secrets of the configuration in force.
    public var redactor: Redactor { deps.redactor }

    /// The configuration file in force and its last reload, as the composition root noted them.
    public var configStatus: ConfigStatus? { configNote.withLock { $0 } }

    /// Notes the configuration file in force and how its last reload went (``configStatus``).
    public func note(config: ConfigStatus) {
        configNote.withLock { $0 = config }
    }

    /// Whether the engine can act now (`/healthz`, `/readyz`).
    public var health: EngineHealth {
        var health = healthState.current
        health.shards = shardHoldings?.statuses
        return health
    }

    // MARK: - Requests (from the API, the CLI and the demo)

    private func ask(_ request: EngineRequest) async -> EngineReply {
        await withCheckedContinuation { reply in
            if !inbox.send(.request(request, reply)) {
                reply.resume(
                    returning: .refused(
                        EngineRefusal(
                            code: "shutting_down", message: "Rewind is shutting down; try again once it is back")))
            }
        }
    }

    /// A manual rollback through the same path as an automatic one. Returns the incident id.
    public func requestRollback(_ request: ManualRollbackRequest) async -> Result<Int64, EngineRefusal> {
        switch await ask(.rollback(request)) {
        case .incident(let id): .success(id)
        case .refused(let refusal): .failure(refusal)
        case .deployment, .acknowledged, .task, .promoted, .done:
            .failure(EngineRefusal(code: "refused", message: "nothing to roll back"))
        }
    }

    /// Records a deployment as live (from the API, the CLI or a provider listing).
    public func recordDeployment(_ deployment: Deployment) async throws -> Deployment {
        switch await ask(.record(deployment)) {
        case .deployment(let recorded): return recorded
        case .refused(let refusal): throw refusal
        case .incident, .acknowledged, .task, .promoted, .done: return deployment
        }
    }

    /// Sets (or with nil, lifts) the deployment freeze.
    public func setFreeze(_ freeze: Freeze?) async throws {
        if case .refused(let refusal) = await ask(.freeze(freeze)) { throw refusal }
    }

    /// `rewind deployments mark-good`: a suspect deployment Rewind saw becomes known good (a rollback target).
    public func markGood(service: ServiceName, deploymentID: String) async -> Result<Deployment, EngineRefusal> {
        switch await ask(.markGood(service: service, deploymentID: deploymentID)) {
        case .deployment(let deployment): .success(deployment)
        case .refused(let refusal): .failure(refusal)
        case .incident, .acknowledged, .task, .promoted, .done:
            .failure(EngineRefusal(code: "refused", message: "not marked"))
        }
    }

    /// Pauses automation (every service, or one) or resumes it, stored before it takes effect.
    public func setAutomation(_ change: AutomationChange) async throws {
        if case .refused(let refusal) = await ask(.automation(change)) { throw refusal }
    }

    /// Acknowledges an incident: a person is on it, so its escalation stops.
    public func acknowledge(incidentID: Int64, by: String) async -> Result<Incident, EngineRefusal> {
        switch await ask(.acknowledge(incidentID: incidentID, by: by)) {
        case .acknowledged(let incident): .success(incident)
        case .refused(let refusal): .failure(refusal)
        case .incident, .deployment, .task, .promoted, .done:
            .failure(EngineRefusal(code: "refused", message: "not acknowledged"))
        }
    }

    /// `rewind promote`: the new version a gradual incident left at a reduced share gets all the
    /// traffic, and the incident's promote-or-roll-back task is done (``Promotion``). Refused when
    /// there is nothing to promote, the service has an incident in progress or no traffic control,
    /// or the traffic could not be moved (the task then stays open).
    public func promote(service: ServiceName, by actor: String) async -> Result<PromotionResult, EngineRefusal> {
        switch await ask(.promote(service, by: actor)) {
        case .promoted(let result): .success(result)
        case .refused(let refusal): .failure(refusal)
        case .incident, .deployment, .acknowledged, .task, .done:
            .failure(EngineRefusal(code: "refused", message: "not promoted"))
        }
    }

    /// Applies a reloaded configuration to the running engine, between two commands of the
    /// supervisor: what changes is listed in ``EngineDependencies/adopt(_:)``. Returns once it is in
    /// force; refused when the engine is shutting down or the store cannot give the deployments of
    /// a service the policy adds (the old policy then stays in force).
    public func reload(_ reloaded: EngineDependencies) async -> Result<Void, EngineRefusal> {
        await withCheckedContinuation { reply in
            if !inbox.send(.reload(reloaded, reply)) {
                reply.resume(
                    returning: .failure(
                        EngineRefusal(
                            code: "shutting_down", message: "Rewind is shutting down; the reload was not applied")
                    ))
            }
        }
    }

    /// Waits until the incident is closed, and returns its final record.
    public func waitForIncident(_ id: Int64) async -> Incident {
        await closings.wait(for: id)
    }

    /// Alerts from Alertmanager or security events pushed by applications. They are queued for the
    /// supervisor, which dedupes repeats (``AlertBook``) and decides.
    ///
    /// Then, off the decision's path, each is kept in the state with the time it was received, its text redacted,
    /// for `rewind replay` (``ReceivedEventRecorder``).
    public func receive(alerts: [ExternalAlert]) {
        for alert in alerts { inbox.send(.event(.alert(alert))) }
        let deps = deps
        let now = deps.clock.now
        received.note(
            ReceivedEvents(
                alerts: alerts.map {
                    ReceivedAlert(ReceivedEventRecorder.redacted($0, by: deps.redactor), receivedAt: now)
                }
            ))
    }

    /// Metric values pushed by applications, kept in the metric source's windows. Those of a `pushed:` signal the
    /// policy watches (the others reach no decision) are then kept in the state for `rewind replay`, as alerts are.
    public func receive(pushed metrics: [PushedValue]) {
        let deps = deps
        for metric in metrics { deps.metricSource.recordPushed(metric) }
        let now = deps.clock.now
        received.note(
            ReceivedEvents(
                values: ReceivedEventRecorder.watched(metrics, by: deps.policy).map {
                    ReceivedValue($0, receivedAt: now)
                }
            ))
    }

    /// Updates one of an incident's post-rollback tasks.
    public func updateTask(
        incidentID: Int64, taskID: String, state: IncidentTask.State, note: String?, by actor: String? = nil
    )
        async throws -> IncidentTask
    {
        switch await ask(.updateTask(incidentID: incidentID, taskID: taskID, state: state, note: note, by: actor)) {
        case .task(let task): return task
        case .refused(let refusal): throw refusal
        case .incident, .deployment, .acknowledged, .promoted, .done:
            throw EngineRefusal(code: "refused", message: "the task was not updated")
        }
    }

    // MARK: - What it shows

    /// The latest result of every health check this replica watches (with `ha.shards`, those of its shards).
    public var checkStatuses: [CheckStatus] { watchBoard.checks }

    /// The latest state of every metric signal this replica watches.
    public var signalStatuses: [SignalStatus] { watchBoard.signals }

    /// Every check and signal of the policy as the replicas watching them last showed them: this replica's own,
    /// and with `ha.shards` those its shards' holders published (``ShardStatusPublisher``, at most a few seconds
    /// old). A state that cannot be read gives this replica's own only.
    public func watchStatuses() async -> (checks: [CheckStatus], signals: [SignalStatus]) {
        var (checks, signals) = (watchBoard.checks, watchBoard.signals)
        guard let holdings = shardHoldings, let board = deps.store as? any ShardStatusBoard else {
            return (checks, signals)
        }
        let held = Set(holdings.held.keys)
        do {
            for (shard, row) in try await board.shardStatuses().sorted(by: { $0.key < $1.key })
            where !held.contains(shard) && shard < holdings.count {
                let published = try ShardStatuses.decode(row.statuses)
                checks += published.checks
                signals += published.signals
            }
        } catch {
            logger.warning(
                "could not read the statuses other replicas published; showing this replica's own",
                metadata: ["rewind.error": "\(error)"])
        }
        return (checks, signals)
    }

    /// Monitoring sources (and platform listings) and whether they answer.
    public var monitoringStatuses: [MonitoringStatus] { board.monitoring }

    /// The last hour of every check and signal, one point per 15 s (``RecentValues``). Kept in memory
    /// only: a restart starts it empty.
    public var recentValues: [RecentSeries] { watchBoard.recentValues }

    /// What the engine reports from now on (steps starting and finishing, decisions, closed
    /// incidents…), for a live view. The reader gets the newest `buffer` events when it falls behind;
    /// the stream ends when the reader stops iterating or the engine stops running.
    public func events(buffer: Int = 64) -> AsyncStream<EngineEvent> {
        fanOut.subscribe(buffer: buffer)
    }

    /// How many ``events(buffer:)`` subscriptions are open.
    public var eventSubscribers: Int { fanOut.subscriberCount }

    // MARK: - Run

    public func run() async throws {
        defer { fanOut.finish() }
        CodableWarmUp.runOnce()
        guard let shards = try shardKeeper() else { return try await lead() }
        let watch = try shardWatch()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await shards.run() }
            if let watch { group.addTask { try await watch.run() } }
            do {
                try await lead()
            } catch {
                group.cancelAll()
                _ = try? await group.next()
                await shards.releaseAll()
                throw error
            }
            group.cancelAll()
            _ = try? await group.next()
            await shards.releaseAll()
        }
    }

    /// The keeper of this replica's shard leases, when there is more than one shard (`ha.shards`).
    private func shardKeeper() throws -> ShardKeeper? {
        guard let holdings = shardHoldings else { return nil }
        guard let leases = deps.store as? any ShardLeases else {
            throw EngineRefusal(
                code: "shards_unsupported",
                message: "ha.shards: \(holdings.count) needs a state the replicas share (state: postgresql://…)")
        }
        return ShardKeeper(
            leases: leases, holdings: holdings, instance: deps.holder, advertiseURL: deps.advertiseURL,
            clock: deps.clock, timing: deps.lease, metrics: metrics, logger: logger)
    }

    /// What watches the services of the shards this replica holds, when it watches (``EngineDependencies/watch``).
    private func shardWatch() throws -> ShardWatch? {
        let deps = deps
        guard let holdings = shardHoldings, deps.watch else { return nil }
        guard let relay = deps.store as? any ShardTriggerRelay, let listing = deps.store as? any LiveDeploymentListing,
            let statusBoard = deps.store as? any ShardStatusBoard
        else {
            throw EngineRefusal(
                code: "shards_unsupported",
                message: "ha.shards: \(holdings.count) needs a state the replicas share (state: postgresql://…)")
        }
        return ShardWatch(
            holdings: holdings, relay: relay,
            statuses: ShardStatusPublisher(
                board: statusBoard, watchBoard: watchBoard, clock: deps.clock, logger: logger),
            feed: LiveDeploymentFeed(
                listing: listing, board: watchBoard, clock: deps.clock, interval: LiveDeploymentFeed.interval,
                logger: logger),
            configuration: { [self] in (self.deps, reloads.withLock { $0 }) }, board: watchBoard, timing: deps.lease,
            metrics: metrics, logger: logger)
    }

    /// Takes the writer lease (waiting as a standby when another replica holds it), then supervises under it
    /// until the work is done or the lease is lost.
    private func lead() async throws {
        let keeper = LeaseKeeper(
            store: deps.store, instance: deps.holder, advertiseURL: deps.advertiseURL, clock: deps.clock,
            timing: deps.lease, health: healthState, metrics: metrics, logger: logger)
        healthState.waitingForLease()
        let grant: LeaseGrant
        do {
            grant = try await keeper.acquire()
        } catch {
            healthState.stopped("could not take the writer lease: \(deps.redactor.redact(String(describing: error)))")
            throw error
        }
        healthState.started(epoch: grant.epoch)
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await keeper.hold(grant) }
                group.addTask { try await self.supervise(writingTo: self.deps.store.fenced(by: grant)) }
                // The first to end: the work (done), or the lease (lost: everything stops).
                try await group.next()
                group.cancelAll()
            }
        } catch {
            healthState.stopped(
                "stopped: \(deps.redactor.redact((error as? any RewindError)?.message ?? String(describing: error)))")
            await keeper.release(grant)
            throw error
        }
        healthState.stopped("stopped")
        await keeper.release(grant)
    }

    /// Stops accepting commands; used by a one-shot engine once its work is done.
    public func finish() {
        inbox.finish()
    }

    /// Runs until the inbox is finished (``finish()`` or a graceful shutdown) and every incident in
    /// flight has ended; then fires the escalations that are due and makes the first attempt of
    /// every notice still waiting for it, and returns. So a one-shot engine never exits with a page
    /// only written down.
    private func supervise(writingTo store: any RewindStore) async throws {
        inheritedOutbox.takeOver(newestID: try await store.recentOutbox(limit: 1).first?.id ?? 0)
        var parts = Parts(engine: self, store: store)
        var loop = try await parts.loop()
        let openIncidents = try await store.openIncidents()
        active.withLock { $0 = parts }
        let generations = Mailbox<Parts>()
        generations.send(parts)
        try await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { periodic in
                periodic.addTask { await Self.runPeriodicTasks(of: generations) }
                await withDiscardingTaskGroup { work in
                    let first = parts
                    work.addTask { await first.dispatcher.deliverFresh { self.activeParts(or: first).dispatcher } }
                    work.addTask {
                        await self.received.run(into: store as? any ReceivedEventLog) { self.deps.redactor }
                    }
                    await withDiscardingTaskGroup { incidents in
                        incidents.addTask { await self.hostRunners(first) }
                        await loop.restore(openIncidents)
                        for await command in inbox.messages {
                            guard case .reload(let reloaded, let reply) = command else {
                                await loop.handle(command)
                                continue
                            }
                            do {
                                parts = try await reconfigure(&loop, with: reloaded, store: store)
                                generations.send(parts)
                                reply.resume(returning: .success(()))
                            } catch {
                                reply.resume(
                                    returning: .failure(
                                        EngineRefusal(
                                            code: "store_failed",
                                            message: deps.redactor.redact(
                                                "could not read the deployments of the services the policy adds: \(error)"
                                            ))))
                            }
                        }
                        runnerJobs.finish()
                    }
                    // Every incident in flight has ended: the loops stop, what is due is sent once more.
                    generations.finish()
                    await periodic.waitForAll()
                    await parts.escalations.fireDue()
                    deliveries.finish()
                    received.finish()
                }
            }
        } onGracefulShutdown: {
            self.inbox.finish()
        }
    }

    private func activeParts(or fallback: Parts) -> Parts {
        active.withLock { $0 } ?? fallback
    }

    /// Applies a reload: the book pages of added services are read first (nothing changes when
    /// that fails), then the new dependencies, parts and machine policy take over together.
    private func reconfigure(
        _ loop: inout SupervisorLoop, with reloaded: EngineDependencies, store: any RewindStore
    ) async throws -> Parts {
        var next = deps
        next.adopt(reloaded)
        let known = Set(loop.machine.book.pages.keys)
        let added = next.policy.services.map(\.name).filter { !known.contains($0) }
        let pages = try await Parts.pages(of: added, policy: next.policy, store: store, now: next.clock.now)
        configured.withLock { $0 = next }
        reloads.withLock { $0 += 1 }
        let parts = Parts(engine: self, store: store)
        board.retain(next.policy)
        watchBoard.retain(next.policy)
        loop.reconfigure(
            policy: next.policy, trafficControlled: Set(next.trafficControllers.keys), pages: pages,
            records: parts.records, dispatcher: parts.dispatcher, escalations: parts.doorbell, redactor: next.redactor)
        active.withLock { $0 = parts }
        logger.notice(
            "policy reloaded",
            metadata: [
                "rewind.services": "\(next.policy.services.map(\.name.rawValue).joined(separator: ","))",
                "rewind.mode": "\(next.policy.mode.rawValue)",
            ])
        return parts
    }

    /// How the periodic loops of a generation ended.
    private enum PeriodicEnd: Sendable {
        /// One loop ended (graceful shutdown).
        case loopEnded
        /// A reload: the next generation's loops take over.
        case reloaded(Parts)
        /// The engine stops supervising.
        case finished
    }

    /// Runs the periodic loops of each generation of parts (``Parts/periodicTasks()``): the first,
    /// then those of each reload, the previous generation's cancelled first; until the mailbox is finished.
    private static func runPeriodicTasks(of generations: Mailbox<Parts>) async {
        var messages = generations.messages.makeAsyncIterator()
        var current = await messages.next()
        while let parts = current {
            current = await withTaskGroup(of: PeriodicEnd.self) { group -> Parts? in
                for task in parts.periodicTasks() {
                    group.addTask {
                        await Self.untilShutdown(task)
                        return .loopEnded
                    }
                }
                group.addTask {
                    // One reader of the mailbox at a time: the previous one has returned.
                    var next = generations.messages.makeAsyncIterator()
                    return await next.next().map { .reloaded($0) } ?? .finished
                }
                while let end = await group.next() {
                    switch end {
                    case .loopEnded: continue
                    case .reloaded(let next):
                        group.cancelAll()
                        return next
                    case .finished:
                        group.cancelAll()
                        return nil
                    }
                }
                return nil
            }
            // The previous generation's loops have ended: none can show a check the policy dropped again.
            current?.retainBoard()
        }
    }

    /// Runs every incident's runner as a child task, until no more can come and all have ended.
    /// Each starts with the parts of the policy in force when it arrives.
    private func hostRunners(_ first: Parts) async {
        await withDiscardingTaskGroup { group in
            for await job in runnerJobs.messages {
                let parts = activeParts(or: first)
                switch job {
                case .incident(let incident, let start):
                    group.addTask { await parts.run(incident, start: start) }
                case .promotion(let promotion, let reply):
                    group.addTask {
                        reply.resume(returning: await parts.promote(promotion))
                        self.inbox.send(.promotionEnded(promotion.target.cut.service))
                    }
                }
            }
        }
    }

    /// Runs a loop that only ends by cancellation, and ends it on graceful shutdown too.
    private static func untilShutdown(_ loop: @escaping @Sendable () async throws -> Void) async {
        do {
            try await cancelWhenGracefulShutdown(loop)
        } catch {
            // Cancellation (shutdown) is the only way these loops end.
        }
    }

    /// Ticks the supervisor: deployments bake, and violations that could not be recorded are
    /// tried again (every second while one waits).
    fileprivate func ticker() async throws {
        while true {
            inbox.send(.event(.tick))
            try await deps.clock.sleep(
                for: board.nextRetryAt == nil ? deps.bakeCheckInterval : min(deps.bakeCheckInterval, .seconds(1)))
        }
    }

    // MARK: - Assembly

    /// The engine's parts, built from its dependencies: each gets only what it uses.
    private struct Parts: Sendable {
        let engine: RewindEngine
        let journal: Journal
        let notices: Notices
        let records: IncidentRecords
        let dispatcher: NoticeDispatcher
        let escalations: EscalationTicker
        let platforms: Platforms
        /// Rings the escalation ticker of these parts (a security page is a timer due now).
        let doorbell = Doorbell()
        /// The store, fenced by the engine's writer lease: every write of the engine goes here.
        let store: any RewindStore

        init(engine: RewindEngine, store: any RewindStore) {
            self.engine = engine
            self.store = store
            let deps = engine.deps
            journal = Journal(store: store, health: engine.healthState)
            notices = Notices(policy: deps.policy, channels: deps.notifiers.map(\.channel), redactor: deps.redactor)
            records = IncidentRecords(
                policy: deps.policy, notices: notices, redactor: deps.redactor, board: engine.board,
                platformKinds: deps.providers.mapValues(\.kind))
            dispatcher = NoticeDispatcher(
                store: store, journal: journal, notifiers: deps.notifiers, notices: notices,
                policy: deps.policy.notifications,
                clock: deps.clock, interval: deps.outboxInterval, redactor: deps.redactor, random: deps.random,
                metrics: engine.metrics, observer: deps.observer, logger: engine.logger, fresh: engine.deliveries,
                lanes: engine.outboxLanes, inherited: engine.inheritedOutbox)
            escalations = EscalationTicker(
                store: store, journal: journal, notices: notices, dispatcher: dispatcher, clock: deps.clock,
                interval: deps.outboxInterval, redactor: deps.redactor, metrics: engine.metrics, logger: engine.logger,
                doorbell: doorbell,
                reminders: TaskReminders(
                    store: store, journal: journal, notices: notices, dispatcher: dispatcher, clock: deps.clock,
                    redactor: deps.redactor, logger: engine.logger))
            platforms = Platforms(
                providers: deps.providers, fallbacks: deps.fallbacks, traffic: deps.trafficControllers,
                flags: deps.featureSwitches,
                migrations: deps.migrations)
        }

        /// Forgets, on the status board, the checks and signals the policy in force does not have.
        func retainBoard() {
            engine.board.retain(engine.deps.policy)
        }

        /// The deployment book's pages of `services`, read from the store.
        static func pages(
            of services: [ServiceName], policy: Policy, store: any RewindStore, now: Timestamp
        ) async throws -> [ServiceName: DeploymentBook.Page] {
            let since = now - max(policy.safety.cooldown, .seconds(3600))
            var pages: [ServiceName: DeploymentBook.Page] = [:]
            for service in services {
                pages[service] = DeploymentBook.Page(
                    deployments: try await store.recentDeployments(
                        of: service, limit: policy.retention.deploymentsPerService),
                    liveID: try await store.liveDeployment(of: service)?.id,
                    liveSince: try await store.liveSince(of: service),
                    automaticRollbacks: try await store.automaticRollbacks(service: service, since: since))
            }
            return pages
        }

        /// The supervisor machine loaded from the store, in its loop.
        func loop() async throws -> SupervisorLoop {
            let deps = engine.deps
            let pages = try await Self.pages(
                of: deps.policy.services.map(\.name), policy: deps.policy, store: store, now: deps.clock.now)
            let machine = Supervisor(
                policy: deps.policy, trafficControlled: Set(deps.trafficControllers.keys),
                book: DeploymentBook(pages: pages),
                freeze: try await store.currentFreeze(), pauses: try await store.automationPauses())
            let engine = engine
            return SupervisorLoop(
                machine: machine, store: store, journal: journal, records: records, dispatcher: dispatcher,
                escalations: doorbell, board: engine.board, clock: deps.clock, redactor: deps.redactor,
                metrics: engine.metrics, observer: deps.observer, logger: engine.logger,
                startRunner: { incident, start in engine.runnerJobs.send(.incident(incident, start: start)) },
                closed: { incident in engine.closings.closed(incident) },
                startPromotion: { promotion, reply in
                    if !engine.runnerJobs.send(.promotion(promotion, reply: reply)) {
                        reply.resume(
                            returning: .refused(
                                EngineRefusal(
                                    code: "shutting_down", message: "Rewind is shutting down; try again once it is back"
                                )))
                        engine.inbox.send(.promotionEnded(promotion.target.cut.service))
                    }
                })
        }

        /// The loops that run while the engine does: watchers, trackers and the bake ticker (when it
        /// watches), outbox retries, the escalation ticker and the pruning pass.
        func periodicTasks() -> [@Sendable () async throws -> Void] {
            let deps = engine.deps
            var tasks: [@Sendable () async throws -> Void] = []
            if deps.watch {
                // With `ha.shards` each shard's holder watches (``ShardWatch``) and forwards what fires here.
                if engine.shardHoldings == nil {
                    tasks += watchers()
                } else if let relay = store as? any ShardTriggerRelay {
                    let reader = ForwardedTriggerReader(
                        relay: relay, inbox: engine.inbox, clock: deps.clock, interval: deps.lease.retryEvery,
                        logger: engine.logger)
                    tasks.append { try await reader.run() }
                }
                tasks.append { try await engine.ticker() }
                tasks += trackers().map { tracker in { try await tracker.run() } }
            }
            tasks.append { try await dispatcher.retryDue() }
            tasks.append { try await escalations.run() }
            let pruner = StatePruner(
                store: store, received: store as? any ReceivedEventLog, retention: deps.policy.retention,
                clock: deps.clock, logger: engine.logger)
            tasks.append { try await pruner.run() }
            return tasks
        }

        func watchers() -> [@Sendable () async throws -> Void] {
            WatcherSet(
                deps: engine.deps, board: engine.board, sink: engine.inbox, metrics: engine.metrics,
                logger: engine.logger
            ).loops()
        }

        func trackers() -> [TrackingService] {
            let deps = engine.deps
            return deps.policy.services.compactMap { service in
                deps.providers[service.name].map { provider in
                    TrackingService(
                        service: service.name, provider: provider, interval: deps.trackingInterval, clock: deps.clock,
                        board: engine.board, inbox: engine.inbox, redactor: deps.redactor, metrics: engine.metrics,
                        logger: engine.logger)
                }
            }
        }

        /// What writes an incident's record.
        private func recorder(for incident: Incident) -> IncidentRecorder {
            IncidentRecorder(
                incidentID: incident.id, journal: journal, notices: notices, dispatcher: dispatcher,
                clock: engine.deps.clock,
                redactor: engine.deps.redactor, logger: engine.logger, supervisor: engine.inbox,
                phaseReached: engine.deps.phaseReached)
        }

        /// What runs an incident's steps.
        private func executor(for incident: Incident, recorder: IncidentRecorder) -> StepExecutor {
            let deps = engine.deps
            return StepExecutor(
                incident: incident, recorder: recorder, platforms: platforms, policy: deps.policy, clock: deps.clock,
                pollInterval: deps.pollInterval, random: deps.random, board: engine.board,
                metricSource: deps.metricSource, metrics: engine.metrics,
                observer: deps.observer)
        }

        /// Runs a promote the loop accepted, as a step of the incident that contained the rollout.
        func promote(_ promotion: PendingPromotion) async -> EngineReply {
            let incident = promotion.target.incident
            let recorder = recorder(for: incident)
            return await Promoter(
                recorder: recorder, executor: executor(for: incident, recorder: recorder), clock: engine.deps.clock
            )
            .run(promotion)
        }

        /// Runs one incident to its end: a new one from its started machine, a resumed one from its journal.
        func run(_ incident: Incident, start: IncidentStart?) async {
            let deps = engine.deps
            let engine = engine
            let recorder = recorder(for: incident)
            let runner = IncidentRunner(
                incident: incident, recorder: recorder, records: records,
                executor: executor(for: incident, recorder: recorder),
                verifier: Verifier(
                    incident: incident, recorder: recorder, policy: deps.policy, prober: deps.prober,
                    metricSource: deps.metricSource,
                    board: engine.board, clock: deps.clock, observer: deps.observer),
                policy: deps.policy, clock: deps.clock, metrics: engine.metrics,
                spans: IncidentSpans(tracer: deps.tracer, incident: incident), observer: deps.observer,
                onClose: { closed in
                    engine.inbox.send(.event(.incidentClosed(closed)))
                    deps.observer(.incidentClosed(closed))
                    engine.closings.closed(closed)
                })
            if let start {
                await runner.run(started: start)
                return
            }
            do {
                let records = try await store.steps(incidentID: incident.id)
                try await recorder.note(
                    .resumed, "Rewind restarted; resuming from the journal (\(records.count) step records)")
                await runner.resume(from: records)
            } catch {
                recorder.failed("could not resume the incident from its journal", error)
            }
        }
    }
}

/// Those waiting for an incident to close, and the incidents that closed lately: the last
/// ``kept`` closings, so that a daemon running for months does not hold every incident it ever
/// closed (a wait starts right after the incident opened, long before that many more close).
final class IncidentClosings: Sendable {
    static let kept = 1024

    private struct State {
        var waiters: [Int64: [CheckedContinuation<Incident, Never>]] = [:]
        var closed: [Int64: Incident] = [:]
        /// The ids of `closed`, oldest closing first.
        var order: [Int64] = []
    }

    private let state = Mutex(State())

    func wait(for id: Int64) async -> Incident {
        await withCheckedContinuation { waiter in
            let done = state.withLock { state -> Incident? in
                if let incident = state.closed[id] { return incident }
                state.waiters[id, default: []].append(waiter)
                return nil
            }
            if let done { waiter.resume(returning: done) }
        }
    }

    func closed(_ incident: Incident) {
        let resumed = state.withLock { state -> [CheckedContinuation<Incident, Never>] in
            if state.closed.updateValue(incident, forKey: incident.id) == nil { state.order.append(incident.id) }
            if state.order.count > Self.kept {
                let evicted = state.order.prefix(state.order.count - Self.kept)
                evicted.forEach { state.closed[$0] = nil }
                state.order.removeFirst(evicted.count)
            }
            return state.waiters.removeValue(forKey: incident.id) ?? []
        }
        resumed.forEach { $0.resume(returning: incident) }
    }
}
