import RewindCore
import RewindPorts
import Testing

@Suite("Store contract: received alerts and pushed values (for rewind replay)")
struct ReceivedEventLogContractTests {
    private func log(_ store: any RewindStore) throws -> any ReceivedEventLog {
        try #require(store as? any ReceivedEventLog)
    }

    static func alert(_ name: String, at seconds: Int64, firing: Bool = true, summary: String? = nil) -> ExternalAlert {
        ExternalAlert(
            origin: .alertmanager, service: "backend", category: .performance, severity: .high, name: name,
            firing: firing, at: at(seconds), fingerprint: "fp-\(name)", summary: summary)
    }

    static func value(_ number: Double, signal: String = "conversion_rate", at seconds: Int64) -> PushedValue {
        PushedValue(service: "frontend", signal: signal, value: number, at: at(seconds))
    }

    @Test(
        "a batch is kept whole, read back by receive time with ties in the order recorded, from another connection",
        arguments: StoreFactory.all)
    func recordAndRead(_ factory: StoreFactory) async throws {
        try await factory.withState { open in
            let writer = try log(try await open())
            let security = ExternalAlert(
                origin: .pushed, service: "worker", category: .security, severity: .critical, name: "breach",
                firing: true, at: at(9), fingerprint: "pushed/breach", summary: "outbound data to 203.0.113.9")
            try await writer.recordReceived(
                ReceivedEvents(
                    alerts: [
                        ReceivedAlert(Self.alert("HighLatency", at: 5, summary: "p95 above 1s"), receivedAt: at(10)),
                        ReceivedAlert(security, receivedAt: at(10)),
                    ],
                    values: [
                        ReceivedValue(Self.value(0.04, at: 8), receivedAt: at(10)),
                        ReceivedValue(Self.value(-1.5e-3, signal: "queue", at: 9), receivedAt: at(10)),
                    ]))
            // A later batch that arrived with an earlier receive time still reads in time order.
            try await writer.recordReceived(
                ReceivedEvents(
                    alerts: [ReceivedAlert(Self.alert("HighLatency", at: 5, firing: false), receivedAt: at(20))],
                    values: [ReceivedValue(Self.value(0.03, at: 2), receivedAt: at(3))]))
            try await writer.recordReceived(ReceivedEvents())

            let reader = try log(try await open())
            let all = try await reader.receivedEvents(from: at(0), to: at(100))
            #expect(all.alerts.map(\.alert.name) == ["HighLatency", "breach", "HighLatency"])
            #expect(all.alerts[1] == ReceivedAlert(security, receivedAt: at(10)))
            #expect(all.alerts[2].alert.firing == false)
            #expect(all.alerts[0].alert.summary == "p95 above 1s")
            #expect(all.values.map(\.value.value) == [0.03, 0.04, -1.5e-3])
            #expect(all.values[0] == ReceivedValue(Self.value(0.03, at: 2), receivedAt: at(3)))
            #expect(all.values.map(\.value.signal) == ["conversion_rate", "conversion_rate", "queue"])

            // [from, to): the start included, the end not.
            let window = try await reader.receivedEvents(from: at(10), to: at(20))
            #expect(window.alerts.count == 2)
            #expect(window.values.map(\.receivedAt) == [at(10), at(10)])
            #expect(try await reader.receivedEvents(from: at(21), to: at(100)).isEmpty)
        }
    }

    @Test(
        "pruning forgets what was received before the horizon and all but the newest rows, once",
        arguments: StoreFactory.all)
    func pruning(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let log = try log(store)
            for second in Int64(1)...6 {
                try await log.recordReceived(
                    ReceivedEvents(
                        alerts: [ReceivedAlert(Self.alert("a\(second)", at: second), receivedAt: at(second))],
                        values: [ReceivedValue(Self.value(Double(second), at: second), receivedAt: at(second))]))
            }
            // Before 3 s: two of each go.
            #expect(try await log.pruneReceived(before: at(3), keepingNewest: 100) == .init(alerts: 2, values: 2))
            // Of the four left, the newest three stay.
            #expect(try await log.pruneReceived(before: at(3), keepingNewest: 3) == .init(alerts: 1, values: 1))
            #expect(try await log.pruneReceived(before: at(3), keepingNewest: 3) == .init())
            let left = try await log.receivedEvents(from: at(0), to: at(100))
            #expect(left.alerts.map(\.alert.name) == ["a4", "a5", "a6"])
            #expect(left.values.map(\.value.value) == [4, 5, 6])
        }
    }

    @Test("writes through a store fenced by a lease no longer in force are refused", arguments: StoreFactory.all)
    func fenced(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let stale = try #require(try await store.acquireLease(instance: "daemon-a", now: at(0), until: at(3)))
            let current = try #require(try await store.acquireLease(instance: "daemon-b", now: at(3), until: at(6)))
            let staleLog = try log(store.fenced(by: stale))
            await #expect(throws: StoreFenced.self) {
                try await staleLog.recordReceived(
                    ReceivedEvents(values: [ReceivedValue(Self.value(1, at: 1), receivedAt: at(1))]))
            }
            await #expect(throws: StoreFenced.self) {
                _ = try await staleLog.pruneReceived(before: at(10), keepingNewest: 0)
            }
            let currentLog = try log(store.fenced(by: current))
            try await currentLog.recordReceived(
                ReceivedEvents(values: [ReceivedValue(Self.value(2, at: 4), receivedAt: at(4))]))
            #expect(try await log(store).receivedEvents(from: at(0), to: at(10)).values.map(\.value.value) == [2])
        }
    }
}
