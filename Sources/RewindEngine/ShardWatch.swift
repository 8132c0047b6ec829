import Logging
import RewindCore
import RewindPorts

/// Watches the services of the shards this replica holds (`ha.shards`), on every replica — the coordinator
/// included — and forwards what fires or recovers to the coordinator through the state (``ShardTriggerRelay``).
///
/// - For each shard held (``ShardHoldings``), the shard's health checks, signals and canary judges run here,
///   watching the live deployments read from the state (``LiveDeploymentFeed``). Taking a shard first forwards
///   ``ForwardedTrigger/watchRestarted(_:)``: the coordinator forgets what the previous holder's watchers had
///   firing, as after a reload.
/// - What they see is forwarded as soon as it is queued, fenced by the shard's lease: a refusal
///   (``StoreFenced``, another replica took the shard over) stops the shard's watchers at once. A store that
///   fails is tried again every ``LeaseTiming/retryEvery`` while the lease lasts (the keeper drops the shard
///   before it runs out).
/// - What they show (checks and signals) is published for the other replicas' status every
///   ``ShardStatusPublisher/interval``, under the same fence.
/// - A shard the replica stops holding, or a policy reload, stops its watchers; the next look starts them again
///   under the grant and policy in force.
struct ShardWatch: Sendable {
    let holdings: ShardHoldings
    let relay: any ShardTriggerRelay
    /// Where the shards' statuses are published, for the other replicas' status.
    let statuses: ShardStatusPublisher
    let feed: LiveDeploymentFeed
    /// The engine's dependencies in force, and how many reloads they have seen.
    let configuration: @Sendable () -> (deps: EngineDependencies, version: Int)
    let board: StatusBoard
    let timing: LeaseTiming
    let metrics: RewindMetrics
    let logger: Logger

    func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await feed.run() }
            for shard in 0..<holdings.count {
                group.addTask { try await watch(shard) }
            }
        }
    }

    /// Watches `shard` whenever this replica holds it, until cancelled.
    private func watch(_ shard: Int) async throws {
        let clock = configuration().deps.clock
        while true {
            if let grant = holdings.held[shard] {
                try await watching(shard, under: grant)
            }
            try await clock.sleep(for: timing.retryEvery)
        }
    }

    /// Runs the shard's watchers and its relay while `grant` and the policy in force stay the same.
    private func watching(_ shard: Int, under grant: LeaseGrant) async throws {
        let (deps, version) = configuration()
        let services = deps.policy.services.map(\.name).filter { deps.shards.shard(of: $0) == shard }
        let buffer = ShardTriggerBuffer()
        if !services.isEmpty { buffer.enqueue(.watchRestarted(services)) }
        let loops = WatcherSet(deps: deps, board: board, sink: buffer, metrics: metrics, logger: logger)
            .loops(for: Set(services))
        logger.notice(
            "watching a shard",
            metadata: [
                "rewind.shard": "\(shard)", "rewind.epoch": "\(grant.epoch)", "rewind.services": "\(services.count)",
            ])
        defer { buffer.finish() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await forward(buffer, shard: shard, under: grant, clock: deps.clock) }
            group.addTask {
                do {
                    try await statuses.run(shard: shard, services: Set(services), under: grant)
                } catch let fenced as StoreFenced {
                    stopHolding(shard, fenced)
                }
            }
            group.addTask {
                while holdings.held[shard]?.epoch == grant.epoch && configuration().version == version {
                    try await deps.clock.sleep(for: timing.retryEvery)
                }
            }
            for loop in loops { group.addTask { try await loop() } }
            // The first to end: the shard or the policy changed, or the relay was fenced.
            try await group.next()
            group.cancelAll()
        }
        // A reload while the shard is still held: what the old watchers saw last still goes (the relay was
        // cancelled mid-wait). A shard dropped or taken over has nothing more to say.
        let (waiting, _) = buffer.waiting
        if !waiting.isEmpty, holdings.held[shard]?.epoch == grant.epoch {
            try? await relay.forward(waiting, shard: shard, grant: grant, at: deps.clock.now)
        }
        board.forget(services)
        logger.notice("stopped watching a shard", metadata: ["rewind.shard": "\(shard)"])
    }

    /// Forwards what the shard's watchers queue, in order, until fenced or cancelled.
    private func forward(
        _ buffer: ShardTriggerBuffer, shard: Int, under grant: LeaseGrant, clock: any RewindClock
    ) async throws {
        var rings = buffer.rings.makeAsyncIterator()
        var failure = RepeatedFailure()
        var dropped = 0
        while true {
            let (waiting, through) = buffer.waiting
            if waiting.isEmpty {
                guard await rings.next() != nil else { return }
                continue
            }
            do {
                try await relay.forward(waiting, shard: shard, grant: grant, at: clock.now)
                buffer.remove(through: through)
                let droppedNow = buffer.dropped
                metrics.shardTriggers(shard, forwarded: waiting.count, dropped: droppedNow - dropped)
                dropped = droppedNow
                failure.succeeded()
            } catch let fenced as StoreFenced {
                stopHolding(shard, fenced)
                return
            } catch {
                guard !Task.isCancelled else { return }
                failure.failed(
                    "could not forward a shard's triggers to the coordinator; trying again", error, level: .error,
                    logger: logger, metadata: ["rewind.shard": "\(shard)"])
                try await clock.sleep(for: timing.retryEvery)
            }
        }
    }

    /// The state refused a write under the shard's grant: another replica took it over.
    private func stopHolding(_ shard: Int, _ fenced: StoreFenced) {
        holdings.drop(shard)
        metrics.shardLeader(shard, holds: false)
        logger.notice(
            "stopped holding a shard",
            metadata: [
                "rewind.shard": "\(shard)",
                "rewind.reason": "another replica took it over (\(fenced.current?.holder ?? "released"))",
            ])
    }
}
