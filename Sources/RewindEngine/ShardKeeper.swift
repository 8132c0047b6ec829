import Logging
import RewindCore
import RewindPorts

/// Holds this replica's share of the shard leases (`ha.shards`), for as long as the daemon runs — whether it
/// is the coordinator (the writer lease's holder) or not.
///
/// Every ``LeaseTiming/retryEvery`` it announces itself (``ShardLeases/announceReplica(_:until:)``), renews the
/// shards it holds once a ``LeaseTiming/renewEvery`` has passed, reads every shard's lease and the live replicas,
/// and takes or releases shards as ``ShardShare`` says. The writer lease's rules hold per shard:
/// - a renewal refused with ``StoreFenced`` (another replica took the shard over) drops the shard at once;
/// - a shard whose renewals keep failing, or hang, is dropped ``LeaseTiming/margin`` before its grant runs out,
///   before anyone else can take it over; each renewal is bounded by that deadline;
/// - a replica that was killed holds its shards for at most ``LeaseTiming/ttl``; the others take them within that
///   and one look.
///
/// What it holds is published in ``ShardHoldings`` and in the `rewind_leader{shard}` gauges.
struct ShardKeeper: Sendable {
    let leases: any ShardLeases
    let holdings: ShardHoldings
    let instance: String
    let advertiseURL: String?
    let clock: any RewindClock
    let timing: LeaseTiming
    let metrics: RewindMetrics
    let logger: Logger

    /// Looks after the shard leases until cancelled.
    func run() async throws {
        for shard in 0..<holdings.count { metrics.shardLeader(shard, holds: false) }
        logger.notice(
            "sharing the shard leases; each shard's services are watched by its holder",
            metadata: ["rewind.shards": "\(holdings.count)"])
        while true {
            await look()
            try await clock.sleep(for: timing.retryEvery)
        }
    }

    /// One look: announce, renew what is due, then take or release as ``ShardShare`` says.
    func look() async {
        let now = clock.now
        do {
            try await leases.announceReplica(instance, until: now + timing.ttl)
        } catch {
            logger.warning("could not announce this replica for the shards", metadata: ["rewind.error": "\(error)"])
        }
        for (shard, grant) in holdings.held.sorted(by: { $0.key < $1.key })
        where grant.until - now <= timing.ttl - timing.renewEvery {
            await renew(shard, grant)
        }
        guard !Task.isCancelled else { return }
        let share: ShardShare
        do {
            let current = try await leases.shardLeases()
            let replicas = try await leases.liveReplicas(now: now)
            holdings.saw(current)
            share = ShardShare.decide(
                shards: holdings.count, me: instance, held: Set(holdings.held.keys), replicas: replicas,
                leases: current, now: now)
        } catch {
            logger.warning("could not read the shard leases", metadata: ["rewind.error": "\(error)"])
            return
        }
        for shard in share.release {
            guard let grant = holdings.held[shard] else { continue }
            stopHolding(shard, why: "sharing with more replicas")
            try? await leases.releaseShardLease(shard, grant)
        }
        for shard in share.take {
            do {
                let now = clock.now
                guard
                    let grant = try await leases.acquireShardLease(
                        shard, instance: instance, advertising: advertiseURL, now: now, until: now + timing.ttl)
                else { continue }
                holdings.hold(shard, grant)
                metrics.shardLeader(shard, holds: true)
                logger.notice(
                    "took a shard", metadata: ["rewind.shard": "\(shard)", "rewind.epoch": "\(grant.epoch)"])
            } catch {
                logger.warning(
                    "could not take a shard", metadata: ["rewind.shard": "\(shard)", "rewind.error": "\(error)"])
            }
        }
    }

    /// Renews one shard, dropping it when it was taken over or can no longer be renewed in time.
    private func renew(_ shard: Int, _ grant: LeaseGrant) async {
        let (leases, clock, ttl) = (leases, clock, timing.ttl)
        let stopAt = grant.until - timing.margin
        do {
            guard
                let renewed = try await Deadline.first(
                    clock: clock, at: stopAt, { try await leases.renewShardLease(shard, grant, until: clock.now + ttl) }
                )
            else {
                metrics.leaseRenewFailed()
                stopHolding(shard, why: "renewing its lease took too long; stopped before it ran out")
                return
            }
            holdings.hold(shard, renewed)
        } catch let fenced as StoreFenced {
            stopHolding(shard, why: "another replica took it over (\(fenced.current?.holder ?? "released"))")
        } catch {
            guard !Task.isCancelled else { return }
            metrics.leaseRenewFailed()
            logger.error(
                "could not renew a shard's lease", metadata: ["rewind.shard": "\(shard)", "rewind.error": "\(error)"])
            if grant.until - clock.now <= timing.margin {
                stopHolding(shard, why: "its lease could not be renewed (\(error)); stopped before it ran out")
            }
        }
    }

    private func stopHolding(_ shard: Int, why: String) {
        holdings.drop(shard)
        metrics.shardLeader(shard, holds: false)
        logger.notice("stopped holding a shard", metadata: ["rewind.shard": "\(shard)", "rewind.reason": "\(why)"])
    }

    /// Releases every shard held and withdraws this replica's announcement, so that the other replicas count it
    /// out and take its shards at their next look (a graceful stop).
    func releaseAll() async {
        try? await leases.announceReplica(instance, until: clock.now)
        for (shard, grant) in holdings.held {
            stopHolding(shard, why: "this replica stops")
            do {
                try await leases.releaseShardLease(shard, grant)
            } catch {
                logger.warning(
                    "could not release a shard; it expires by itself",
                    metadata: ["rewind.shard": "\(shard)", "rewind.error": "\(error)"])
            }
        }
    }
}
