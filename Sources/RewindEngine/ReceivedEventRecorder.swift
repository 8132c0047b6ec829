import Logging
import RewindCore
import RewindPorts
import Synchronization

/// Keeps what the daemon receives — the alerts it accepted, the pushed values it kept in a signal's window — in
/// the state's ``ReceivedEventLog``, for `rewind replay`, without ever standing in the decision's way.
///
/// - **Off the hot path.** ``note(_:)`` only appends to a buffer and rings a doorbell; it is called after the
///   alert went to the supervisor and the value to its window. One task (``run(into:)``) writes what the buffer
///   holds as one batch, one transaction; values that arrive while a write is in flight wait for the next one,
///   so a burst of pushes is a few writes, never one per value.
/// - **Bounded.** The buffer holds at most ``capacity`` alerts and values together: what arrives while it is
///   full is not recorded (decided on all the same), logged and counted in
///   `rewind_received_unrecorded_total{reason="overflow"}`. In the state, the pruning pass keeps them no longer
///   than `retention.closed_incidents` and at most the newest `RetentionPolicy.receivedEventsKept` of each.
/// - **Never blocking.** A failed write is logged and counted (`reason="store_failed"`), and its batch dropped:
///   the alerts were decided on already, and the values are in their windows.
final class ReceivedEventRecorder: Sendable {
    /// The most alerts and values waiting to be written.
    static let capacity = 10_000

    private let pending = Mutex(ReceivedEvents())
    private let doorbell = Doorbell()
    private let metrics: RewindMetrics
    private let logger: Logger

    init(metrics: RewindMetrics, logger: Logger) {
        self.metrics = metrics
        self.logger = logger
    }

    /// Buffers `events` for the next write; never waits.
    func note(_ events: ReceivedEvents) {
        guard !events.isEmpty else { return }
        let overflow = pending.withLock { pending -> ReceivedEvents in
            let alerts = events.alerts.prefix(max(Self.capacity - pending.count, 0))
            pending.alerts += alerts
            let values = events.values.prefix(max(Self.capacity - pending.count, 0))
            pending.values += values
            return ReceivedEvents(
                alerts: Array(events.alerts.dropFirst(alerts.count)),
                values: Array(events.values.dropFirst(values.count)))
        }
        doorbell.ring()
        guard !overflow.isEmpty else { return }
        unrecorded(overflow, reason: "overflow")
        logger.warning(
            "too many received alerts and pushed values wait to be written; these are not kept for rewind replay",
            metadata: ["rewind.alerts": "\(overflow.alerts.count)", "rewind.values": "\(overflow.values.count)"])
    }

    /// Writes each batch as it comes, until ``finish()``; then writes what is left, once. Without a log (a state
    /// that does not keep them) the batches are let go. `redactor`: the one in force, for the errors it logs.
    func run(into log: (any ReceivedEventLog)?, redactor: @escaping @Sendable () -> Redactor) async {
        for await _ in doorbell.rings {
            await write(into: log, redactor: redactor)
        }
        await write(into: log, redactor: redactor)
    }

    /// Ends ``run(into:)`` after one last write.
    func finish() {
        doorbell.finish()
    }

    private func write(into log: (any ReceivedEventLog)?, redactor: () -> Redactor) async {
        let batch = pending.withLock { pending in
            defer { pending = ReceivedEvents() }
            return pending
        }
        guard !batch.isEmpty, let log else { return }
        do {
            try await log.recordReceived(batch)
        } catch {
            unrecorded(batch, reason: "store_failed")
            logger.error(
                "could not keep the received alerts and pushed values for rewind replay; they were decided on all the same",
                metadata: [
                    "rewind.alerts": "\(batch.alerts.count)", "rewind.values": "\(batch.values.count)",
                    "rewind.error": "\(redactor().redact(String(describing: error)))",
                ])
        }
    }

    private func unrecorded(_ events: ReceivedEvents, reason: String) {
        metrics.receivedUnrecorded(kind: "alert", reason: reason, count: events.alerts.count)
        metrics.receivedUnrecorded(kind: "value", reason: reason, count: events.values.count)
    }

    /// The alert as it is kept: its texts (name, fingerprint, summary) redacted, as everything Rewind stores.
    static func redacted(_ alert: ExternalAlert, by redactor: Redactor) -> ExternalAlert {
        var kept = alert
        kept.name = redactor.redact(alert.name)
        kept.fingerprint = redactor.redact(alert.fingerprint)
        kept.summary = alert.summary.map(redactor.redact)
        return kept
    }

    /// The values of `pushed:` signals the policy watches: those the metric source keeps in a window.
    static func watched(_ values: [PushedValue], by policy: Policy) -> [PushedValue] {
        guard !values.isEmpty else { return [] }
        var signals: Set<String> = []
        for service in policy.services {
            for signal in service.signals {
                if case .pushed(let name) = signal.source { signals.insert("\(service.name)/\(name)") }
            }
        }
        return values.filter { signals.contains("\($0.service)/\($0.signal)") }
    }
}
