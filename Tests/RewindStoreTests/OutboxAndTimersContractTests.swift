import RewindCore
import RewindPorts
import Testing

@Suite("Store contract: notification outbox and escalation timers")
struct OutboxAndTimersContractTests {
    @Test(
        "enqueue assigns increasing ids in the order given; outbox and recentOutbox read them back",
        arguments: StoreFactory.all)
    func enqueue(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let first = try await store.enqueue([
                outboxEntry(incident: 1, channel: "slack"), outboxEntry(incident: 1, channel: "pagerduty"),
            ])
            let second = try await store.enqueue([outboxEntry(incident: 2, channel: "slack")])
            #expect(first.map(\.id) == [1, 2])
            #expect(second.map(\.id) == [3])
            var expected = outboxEntry(incident: 1, channel: "pagerduty")
            expected.id = 2
            #expect(first[1] == expected)
            #expect(try await store.enqueue([]).isEmpty)

            #expect(try await store.outbox(incidentID: 1) == first)
            #expect(try await store.outbox(incidentID: 2) == second)
            #expect(try await store.outbox(incidentID: 3).isEmpty)
            #expect(try await store.recentOutbox(limit: 2) == [second[0], first[1]])
            #expect(try await store.recentOutbox(limit: 10).map(\.id) == [3, 2, 1])
        }
    }

    @Test(
        "dueOutbox: pending entries due by now, earliest first, ties by id, at most `limit`",
        arguments: StoreFactory.all)
    func due(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let stored = try await store.enqueue([
                outboxEntry(incident: 1, channel: "a", due: 200),
                outboxEntry(incident: 1, channel: "b", due: 100),
                outboxEntry(incident: 2, channel: "c", due: 200),
                outboxEntry(incident: 2, channel: "d", due: 50, status: .sent),
                outboxEntry(incident: 2, channel: "e", due: 300),
            ])
            #expect(try await store.dueOutbox(now: at(200), limit: 10).map(\.channel) == ["b", "a", "c"])
            #expect(try await store.dueOutbox(now: at(200), limit: 2).map(\.channel) == ["b", "a"])
            #expect(try await store.dueOutbox(now: at(99), limit: 10).isEmpty)

            var sent = stored[1]
            sent.status = .sent
            sent.attempts = 1
            sent.sentAt = at(101)
            try await store.updateOutbox(sent)
            var retry = stored[0]
            retry.attempts = 1
            retry.lastError = "HTTP 503"
            retry.nextAttemptAt = at(250)
            try await store.updateOutbox(retry)
            #expect(try await store.dueOutbox(now: at(200), limit: 10).map(\.channel) == ["c"])
            #expect(try await store.dueOutbox(now: at(300), limit: 10).map(\.channel) == ["c", "a", "e"])
            #expect(try await store.outbox(incidentID: 1) == [retry, sent])
        }
    }

    @Test("updating an unknown notification is store_not_found and changes nothing", arguments: StoreFactory.all)
    func updateUnknownNotification(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
            let stored = try await store.enqueue([outboxEntry(incident: 1)])
            var unknown = stored[0]
            unknown.id = 99
            unknown.status = .sent
            await expectError("store_not_found") { try await store.updateOutbox(unknown) }
            #expect(try await store.outbox(incidentID: 1) == stored)
        }
    }

    @Test(
        "timers: ids assigned, due ones earliest first (ties by id), per incident in every state",
        arguments: StoreFactory.all)
    func timers(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
            try await store.schedule([
                timer(incident: 1, .management, due: 300), timer(incident: 1, .oncall, due: 100),
            ])
            try await store.schedule([timer(incident: 2, .devops, due: 100)])

            let incidentOne = try await store.escalations(incidentID: 1)
            #expect(incidentOne.map(\.id) == [2, 1])
            #expect(incidentOne.map(\.audience) == [.oncall, .management])
            var expected = timer(incident: 1, .management, due: 300)
            expected.id = 1
            #expect(incidentOne[1] == expected)

            #expect(try await store.dueEscalations(now: at(99)).isEmpty)
            #expect(try await store.dueEscalations(now: at(100)).map(\.id) == [2, 3])
            #expect(try await store.dueEscalations(now: at(300)).map(\.id) == [2, 3, 1])

            var fired = incidentOne[0]
            fired.state = .fired
            try await store.updateEscalation(fired)
            #expect(try await store.dueEscalations(now: at(300)).map(\.id) == [3, 1])
            #expect(try await store.escalations(incidentID: 1) == [fired, incidentOne[1]])
            #expect(try await store.escalations(incidentID: 7).isEmpty)
        }
    }

    @Test("cancelEscalations cancels only the incident's pending timers and counts them", arguments: StoreFactory.all)
    func cancel(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
            try await store.schedule([
                timer(incident: 1, .oncall, due: 100), timer(incident: 1, .management, due: 300),
                timer(incident: 1, .product, due: 400), timer(incident: 2, .devops, due: 100),
            ])
            var fired = try await store.escalations(incidentID: 1)[0]
            fired.state = .fired
            try await store.updateEscalation(fired)

            #expect(try await store.cancelEscalations(incidentID: 1) == 2)
            #expect(try await store.escalations(incidentID: 1).map(\.state) == [.fired, .cancelled, .cancelled])
            #expect(try await store.cancelEscalations(incidentID: 1) == 0)
            #expect(try await store.cancelEscalations(incidentID: 9) == 0)
            #expect(try await store.dueEscalations(now: at(1000)).map(\.incidentID) == [2])
        }
    }

    @Test("updating an unknown timer is store_not_found", arguments: StoreFactory.all)
    func updateUnknownTimer(_ factory: StoreFactory) async throws {
        try await factory.withStore { store in
            var unknown = timer(incident: 1, due: 100)
            unknown.id = 5
            unknown.state = .fired
            await expectError("store_not_found") { try await store.updateEscalation(unknown) }
            let stored = try await store.escalations(incidentID: 1)
            #expect(stored.isEmpty)
        }
    }
}
