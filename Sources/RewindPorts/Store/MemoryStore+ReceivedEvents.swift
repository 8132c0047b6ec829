import RewindCore
import Synchronization

/// ``ReceivedEventLog`` in memory: two lists in the order recorded.
extension MemoryStore: ReceivedEventLog {
    public func recordReceived(_ events: ReceivedEvents) async throws {
        guard !events.isEmpty else { return }
        try state.tables.withLock { tables in
            if let fence { try LeaseRecord.requireInForce(fence, stored: tables.lease) }
            tables.receivedAlerts += events.alerts
            tables.receivedValues += events.values
        }
    }

    public func receivedEvents(from: Timestamp, to: Timestamp) async throws -> ReceivedEvents {
        read { tables in
            ReceivedEvents(
                alerts: Self.between(tables.receivedAlerts, from, to, at: \.receivedAt),
                values: Self.between(tables.receivedValues, from, to, at: \.receivedAt))
        }
    }

    public func pruneReceived(before: Timestamp, keepingNewest: Int) async throws -> ReceivedEventsPruned {
        try state.tables.withLock { tables in
            if let fence { try LeaseRecord.requireInForce(fence, stored: tables.lease) }
            let alerts = tables.receivedAlerts.count
            let values = tables.receivedValues.count
            tables.receivedAlerts = Self.kept(
                tables.receivedAlerts, before: before, newest: keepingNewest, at: \.receivedAt)
            tables.receivedValues = Self.kept(
                tables.receivedValues, before: before, newest: keepingNewest, at: \.receivedAt)
            return ReceivedEventsPruned(
                alerts: alerts - tables.receivedAlerts.count, values: values - tables.receivedValues.count)
        }
    }

    /// The rows received in `[from, to)`, by receive time, ties in the order recorded.
    private static func between<Row>(
        _ rows: [Row], _ from: Timestamp, _ to: Timestamp, at: KeyPath<Row, Timestamp>
    ) -> [Row] {
        rows.enumerated()
            .filter { $0.element[keyPath: at] >= from && $0.element[keyPath: at] < to }
            .sorted { ($0.element[keyPath: at], $0.offset) < ($1.element[keyPath: at], $1.offset) }
            .map(\.element)
    }

    /// The newest `newest` rows (by the order recorded) of those received at or after `before`.
    private static func kept<Row>(
        _ rows: [Row], before: Timestamp, newest: Int, at: KeyPath<Row, Timestamp>
    ) -> [Row] {
        Array(rows.suffix(max(newest, 0)).filter { $0[keyPath: at] >= before })
    }
}
