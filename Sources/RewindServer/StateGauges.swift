import RewindCore
import RewindEngine
import RewindPorts
import Synchronization

/// The state gauges of `/metrics`, sampled from the store when Prometheus scrapes (no task of the
/// engine keeps them): open incidents, the freeze, automation pauses, the outbox's depth and the age
/// of its oldest pending notice, and `rewind_build_info`. A failed read leaves the last values.
final class StateGauges: Sendable {
    /// Pause scopes set to 1 at the last scrape: one resumed since is set back to 0.
    private let pausedBefore = Mutex<[String]>([])

    /// Counting pending notices stops here: a depth beyond it is an alert either way.
    static let outboxCountLimit = 10_000

    func sample(store: any RewindStore, metrics: RewindMetrics, now: Timestamp) async {
        metrics.buildInfo(version: RewindVersion.current)
        let open: [Incident]
        let freeze: Freeze?
        let pauses: [AutomationPause]
        let pending: [OutboxEntry]
        do {
            open = try await store.openIncidents()
            freeze = try await store.currentFreeze()
            pauses = try await store.automationPauses()
            pending = try await store.dueOutbox(
                now: Timestamp(millisecondsSinceEpoch: .max), limit: Self.outboxCountLimit)
        } catch {
            return
        }
        let paused = pauses.map(\.scope)
        let before = pausedBefore.withLock { previous in
            defer { previous = paused }
            return previous
        }
        metrics.state(
            openIncidents: open.count, frozen: freeze?.isActive(at: now) ?? false, paused: paused,
            pausedBefore: before, outboxPending: pending.count,
            oldestPending: pending.map(\.createdAt).min().map { now - $0 })
    }
}
