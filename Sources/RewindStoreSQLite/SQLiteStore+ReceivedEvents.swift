import GRDB
import RewindCore
import RewindPorts

/// ``ReceivedEventLog``: `received_alerts` and `received_values`, in rowid order.
extension SQLiteStore: ReceivedEventLog {
    public func recordReceived(_ events: ReceivedEvents) async throws {
        guard !events.isEmpty else { return }
        let alerts = try events.alerts.map { ($0.receivedAt.millisecondsSinceEpoch, try JSONText.encode($0.alert)) }
        try await write("record the alerts and pushed values received") { db in
            for (receivedAt, alert) in alerts {
                try db.execute(
                    sql: "INSERT INTO received_alerts (received_at, alert) VALUES (?, ?)",
                    arguments: [receivedAt, alert])
            }
            let insert = try db.cachedStatement(
                sql: "INSERT INTO received_values (received_at, service, signal, value, at) VALUES (?, ?, ?, ?, ?)")
            for received in events.values {
                try insert.execute(arguments: [
                    received.receivedAt.millisecondsSinceEpoch, received.value.service.rawValue,
                    received.value.signal, received.value.value, received.value.at.millisecondsSinceEpoch,
                ])
            }
        }
    }

    public func receivedEvents(from: Timestamp, to: Timestamp) async throws -> ReceivedEvents {
        let range: StatementArguments = [from.millisecondsSinceEpoch, to.millisecondsSinceEpoch]
        return try await read("read the alerts and pushed values received") { db in
            let alerts = try Row.fetchAll(
                db,
                sql: "SELECT received_at, alert FROM received_alerts WHERE received_at >= ? AND received_at < ? "
                    + "ORDER BY received_at, id",
                arguments: range
            ).map { row in
                ReceivedAlert(
                    try JSONText.decode(ExternalAlert.self, from: row["alert"] as String, what: "a received alert"),
                    receivedAt: row.timestamp("received_at"))
            }
            let values = try Row.fetchAll(
                db,
                sql: "SELECT received_at, service, signal, value, at FROM received_values "
                    + "WHERE received_at >= ? AND received_at < ? ORDER BY received_at, id",
                arguments: range
            ).map { row in
                ReceivedValue(
                    PushedValue(
                        service: ServiceName(row["service"] as String), signal: row["signal"], value: row["value"],
                        at: row.timestamp("at")),
                    receivedAt: row.timestamp("received_at"))
            }
            return ReceivedEvents(alerts: alerts, values: values)
        }
    }

    public func pruneReceived(before: Timestamp, keepingNewest: Int) async throws -> ReceivedEventsPruned {
        let horizon = before.millisecondsSinceEpoch
        let newest = max(keepingNewest, 0)
        return try await write("prune the alerts and pushed values received") { db in
            var removed: [Int] = []
            for table in ["received_alerts", "received_values"] {
                try db.execute(
                    sql: """
                        DELETE FROM \(table) WHERE received_at < ?
                        OR id <= COALESCE((SELECT id FROM \(table) ORDER BY id DESC LIMIT 1 OFFSET ?), 0)
                        """,
                    arguments: [horizon, newest])
                removed.append(db.changesCount)
            }
            return ReceivedEventsPruned(alerts: removed[0], values: removed[1])
        }
    }
}
