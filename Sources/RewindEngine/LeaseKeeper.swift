import Logging
import RewindCore
import RewindPorts
import Synchronization

/// Holds the writer lease for one engine: one instance acts on a state at a time, and an instance
/// that lost the lease can never write over its successor (every write of the engine goes through
/// a store fenced by its grant). How long and how often: ``LeaseTiming``.
///
/// - **Waiting.** An instance that finds the lease held either waits one lifetime for a holder that died
///   and then refuses (one writer: SQLite), or waits as a standby for as long as it runs (replicas:
///   PostgreSQL), telling ``HealthState`` who leads at every look.
/// - **Stopping.** When renewals keep failing, the engine stops acting ``LeaseTiming/margin`` before its
///   grant would run out — before anyone else can take the lease over. A renewal that hangs (a database
///   that stopped answering) is abandoned at that same deadline. When a renewal says the lease was taken
///   over (``StoreFenced``), it stops at once. Either way ``hold(_:)`` throws ``LeaseLost`` and the engine's
///   tasks are cancelled; a runner cancelled mid-step records nothing, so the next holder resumes it from
///   the journal.
/// - **Succession.** A daemon that was killed holds the lease for at most ``LeaseTiming/ttl``; its successor
///   takes over within that and one ``LeaseTiming/retryEvery``, with a higher epoch.
struct LeaseKeeper: Sendable {
    let store: any RewindStore
    /// This instance's id: random per process, so two containers that are both PID 1 differ.
    let instance: String
    /// Published with the lease this instance takes (``LeaseGrant/advertiseURL``).
    let advertiseURL: String?
    let clock: any RewindClock
    let timing: LeaseTiming
    let health: HealthState
    let metrics: RewindMetrics
    let logger: Logger

    /// Takes the lease: at once when free, otherwise after waiting as ``LeaseTiming`` says.
    func acquire() async throws -> LeaseGrant {
        let deadline = clock.now + timing.ttl + .seconds(2)
        var told = false
        metrics.leader(false)
        while true {
            let now = clock.now
            do {
                if let grant = try await store.acquireLease(
                    instance: instance, advertising: advertiseURL, now: now, until: now + timing.ttl)
                {
                    logger.info(
                        "took the writer lease",
                        metadata: ["rewind.instance": "\(instance)", "rewind.epoch": "\(grant.epoch)"])
                    metrics.leader(true)
                    return grant
                }
                if timing.waitsAsStandby {
                    let lease = try await store.currentLease()
                    health.standingBy(holder: lease?.holder ?? "another instance", url: lease?.advertiseURL)
                }
            } catch  where timing.waitsAsStandby && !(error is CancellationError) {
                // A standby outlives a database that is away for a while; it says so and keeps trying.
                health.standingBy(holder: nil, error: "\(error)")
            }
            guard timing.waitsAsStandby || now < deadline else {
                let holder = (try? await store.currentLease())?.map { " (\($0.holder))" } ?? ""
                throw EngineRefusal(
                    code: "lease_held",
                    message: "another Rewind daemon\(holder) is writing to this state; stop it first (one writer only)")
            }
            if !told {
                logger.notice(
                    timing.waitsAsStandby
                        ? "another replica holds the writer lease; standing by to take over"
                        : "another daemon holds the writer lease; waiting for it to expire")
                told = true
            }
            try await clock.sleep(for: timing.retryEvery)
        }
    }

    /// Renews the lease until cancelled; throws ``LeaseLost`` when the engine must stop acting.
    func hold(_ first: LeaseGrant) async throws {
        var grant = first
        while true {
            try await clock.sleep(for: timing.renewEvery)
            let stopAt = grant.until - timing.margin
            do {
                guard let renewed = try await renew(grant, stopAt: stopAt) else {
                    metrics.leaseRenewFailed()
                    logger.critical("the writer lease could not be renewed in time: stopping before it runs out")
                    throw LeaseLost(reason: "renewing the writer lease took too long; stopped before it ran out")
                }
                grant = renewed
            } catch let lost as LeaseLost {
                metrics.leader(false)
                throw lost
            } catch let fenced as StoreFenced {
                metrics.leader(false)
                logger.critical("lost the writer lease: stopping", metadata: ["rewind.error": "\(fenced.message)"])
                throw LeaseLost(reason: fenced.message)
            } catch  where Task.isCancelled {
                throw CancellationError()
            } catch {
                metrics.leaseRenewFailed()
                let left = grant.until - clock.now
                logger.error(
                    "could not renew the writer lease",
                    metadata: ["rewind.error": "\(error)", "rewind.lease_left": "\(left.rewindDescription)"])
                if left <= timing.margin {
                    metrics.leader(false)
                    logger.critical("the writer lease could not be renewed in time: stopping before it runs out")
                    throw LeaseLost(
                        reason: "the writer lease could not be renewed (\(error)); stopped before it ran out")
                }
            }
        }
    }

    /// One renewal; nil when it did not answer by `stopAt`. A SQLite renewal is bounded by the busy timeout
    /// (5 s), well inside the single writer's margin, so it is awaited as it is; replicas race theirs against
    /// the deadline, since a database across the network can stop answering altogether.
    private func renew(_ grant: LeaseGrant, stopAt: Timestamp) async throws -> LeaseGrant? {
        let (store, clock, ttl) = (store, clock, timing.ttl)
        guard timing.waitsAsStandby else { return try await store.renewLease(grant, until: clock.now + ttl) }
        return try await Deadline.first(clock: clock, at: stopAt) {
            try await store.renewLease(grant, until: clock.now + ttl)
        }
    }

    func release(_ grant: LeaseGrant) async {
        metrics.leader(false)
        do {
            try await store.releaseLease(grant)
        } catch {
            logger.warning(
                "could not release the writer lease; it expires by itself", metadata: ["rewind.error": "\(error)"])
        }
    }
}

/// Runs an operation against a deadline on the injected clock, without waiting for an operation that ignores
/// cancellation once the deadline passed (a database call that hangs).
///
/// The operation runs in a task of its own, which is left to end on its own when the deadline comes first; the
/// wait for it and the deadline are child tasks, so that they run where the caller runs (an engine test's
/// executor sees them).
enum Deadline {
    /// The operation's result, or nil when `deadline` came first.
    static func first<T: Sendable>(
        clock: any RewindClock, at deadline: Timestamp, _ operation: @escaping @Sendable () async throws -> T
    ) async throws -> T? {
        let outcome = Outcome<T>()
        let work = Task { outcome.settle(with: await Result(catching: { try await operation() })) }
        defer { work.cancel() }
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await outcome.value() }
            group.addTask {
                try await clock.sleep(for: deadline - clock.now)
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next() ?? nil
        }
    }

    /// The first result handed to it; later ones are dropped. A waiter that is cancelled stops waiting.
    private final class Outcome<Value: Sendable>: Sendable {
        private let state = Mutex<
            (result: Result<Value, any Error>?, waiters: [CheckedContinuation<Value, any Error>])
        >(
            (nil, []))

        func settle(with result: Result<Value, any Error>) {
            let waiters: [CheckedContinuation<Value, any Error>] = state.withLock { state in
                guard state.result == nil else { return [] }
                state.result = result
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.resume(with: result) }
        }

        func value() async throws -> Value {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    let ready: Result<Value, any Error>? = state.withLock { state in
                        if let result = state.result { return result }
                        state.waiters.append(continuation)
                        return nil
                    }
                    if let ready { continuation.resume(with: ready) }
                }
            } onCancel: {
                settle(with: .failure(CancellationError()))
            }
        }
    }
}

extension Result where Failure == any Error {
    /// The outcome of an async throwing operation.
    init(catching body: () async throws -> Success) async {
        do {
            self = .success(try await body())
        } catch {
            self = .failure(error)
        }
    }
}

/// The engine stopped acting because it no longer holds (or can no longer renew) the writer lease.
public struct LeaseLost: RewindError, Equatable {
    public var reason: String
    public var code: String { "lease_lost" }
    public var message: String { "Rewind stopped acting on this state: \(reason)" }
}
