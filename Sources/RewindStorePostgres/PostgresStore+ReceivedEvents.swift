import PostgresNIO
import RewindCore
import RewindPorts

/// ``ReceivedEventLog``: `received_alerts` and `received_values`, in `seq` order. A batch of values is one
/// statement (the columns as arrays, `unnest`ed), however many it holds.
extension PostgresStore: ReceivedEventLog {
    public func recordReceived(_ events: ReceivedEvents) async throws {
        guard !events.isEmpty else { return }
        try await write("record the alerts and pushed values received") { session in
            try await session.insertReceived(events)
        }
    }

    public func receivedEvents(from: Timestamp, to: Timestamp) async throws -> ReceivedEvents {
        let (start, end) = (from.millisecondsSinceEpoch, to.millisecondsSinceEpoch)
        return try await read("read the alerts and pushed values received") { session in
            var events = ReceivedEvents()
            for row in try await session.run(
                """
                SELECT received_at, alert FROM received_alerts WHERE received_at >= \(start) AND received_at < \(end)
                ORDER BY received_at, seq
                """)
            {
                let (receivedAt, text) = try row.decode((Int64, String).self)
                events.alerts.append(
                    ReceivedAlert(
                        try JSONText.decode(ExternalAlert.self, from: text, what: "a received alert"),
                        receivedAt: Timestamp(millisecondsSinceEpoch: receivedAt)))
            }
            for row in try await session.run(
                """
                SELECT received_at, service, signal, value, at FROM received_values
                WHERE received_at >= \(start) AND received_at < \(end) ORDER BY received_at, seq
                """)
            {
                let (receivedAt, service, signal, value, at) = try row.decode(
                    (Int64, String, String, Double, Int64).self)
                events.values.append(
                    ReceivedValue(
                        PushedValue(
                            service: ServiceName(service), signal: signal, value: value,
                            at: Timestamp(millisecondsSinceEpoch: at)),
                        receivedAt: Timestamp(millisecondsSinceEpoch: receivedAt)))
            }
            return events
        }
    }

    public func pruneReceived(before: Timestamp, keepingNewest: Int) async throws -> ReceivedEventsPruned {
        let horizon = before.millisecondsSinceEpoch
        let newest = Int64(max(keepingNewest, 0))
        return try await write("prune the alerts and pushed values received") { session in
            let alerts = try await session.integers(
                """
                DELETE FROM received_alerts WHERE received_at < \(horizon)
                OR seq <= COALESCE((SELECT seq FROM received_alerts ORDER BY seq DESC LIMIT 1 OFFSET \(newest)), 0)
                RETURNING seq
                """)
            let values = try await session.integers(
                """
                DELETE FROM received_values WHERE received_at < \(horizon)
                OR seq <= COALESCE((SELECT seq FROM received_values ORDER BY seq DESC LIMIT 1 OFFSET \(newest)), 0)
                RETURNING seq
                """)
            return ReceivedEventsPruned(alerts: alerts.count, values: values.count)
        }
    }
}

extension Session {
    /// Appends `events` in their order: the alerts in one statement, the values in another (the columns as arrays,
    /// `unnest`ed), however many there are.
    func insertReceived(_ events: ReceivedEvents) async throws {
        let alertTimes = events.alerts.map(\.receivedAt.millisecondsSinceEpoch)
        let alerts = try events.alerts.map { try JSONText.encode($0.alert) }
        let times = events.values.map(\.receivedAt.millisecondsSinceEpoch)
        let services = events.values.map(\.value.service.rawValue)
        let signals = events.values.map(\.value.signal)
        let numbers = events.values.map(\.value.value)
        let stamps = events.values.map(\.value.at.millisecondsSinceEpoch)
        if !alerts.isEmpty {
            try await run(
                """
                INSERT INTO received_alerts (received_at, alert)
                SELECT t, a FROM unnest(\(alertTimes)::bigint[], \(alerts)::text[]) WITH ORDINALITY AS r(t, a, n) ORDER BY n
                """)
        }
        if !times.isEmpty {
            try await run(
                """
                INSERT INTO received_values (received_at, service, signal, value, at)
                SELECT t, s, g, v, a FROM unnest(
                    \(times)::bigint[], \(services)::text[], \(signals)::text[], \(numbers)::float8[], \(stamps)::bigint[]
                ) WITH ORDINALITY AS r(t, s, g, v, a, n) ORDER BY n
                """)
        }
    }
}
