import RewindCore
import RewindStoreSQLite
import Testing

@Suite("SQLiteStore safety: automatic rollbacks, freeze, writer lease")
struct SafetyStoreTests {
    @Test("automaticRollbacks returns a service's rollbacks at or after `since`, oldest first")
    func automaticRollbacks() async throws {
        try await withStore { store in
            for seconds: Int64 in [300, 100, 200] {
                try await store.recordAutomaticRollback(service: "backend", at: at(seconds))
            }
            try await store.recordAutomaticRollback(service: "frontend", at: at(250))

            #expect(
                try await store.automaticRollbacks(service: "backend", since: at(0)) == [at(100), at(200), at(300)])
            #expect(try await store.automaticRollbacks(service: "backend", since: at(200)) == [at(200), at(300)])
            #expect(try await store.automaticRollbacks(service: "backend", since: at(301)).isEmpty)
            #expect(try await store.automaticRollbacks(service: "worker", since: at(0)).isEmpty)
        }
    }

    @Test("a freeze is set, replaced and cleared")
    func freeze() async throws {
        try await withStore { store in
            #expect(try await store.currentFreeze() == nil)
            let first = Freeze(until: at(3600), reason: "incident 1: immediate rollback", setAt: at(0), incidentID: 1)
            try await store.setFreeze(first)
            #expect(try await store.currentFreeze() == first)

            let manual = Freeze(until: at(7200), reason: "release train paused", setAt: at(60))
            try await store.setFreeze(manual)
            #expect(try await store.currentFreeze() == manual)

            try await store.setFreeze(nil)
            #expect(try await store.currentFreeze() == nil)
            try await store.setFreeze(nil)
            #expect(try await store.currentFreeze() == nil)
        }
    }

    @Test("the lease: acquire, renew, refuse a steal, take over once expired, release only by its holder")
    func lease() async throws {
        try await withStore { store in
            #expect(try await store.currentLease() == nil)
            #expect(try await store.acquireLease(holder: "daemon-a", now: at(0), until: at(30)))
            #expect(try await store.currentLease() == WriterLease(holder: "daemon-a", until: at(30)))

            // Renewal by the holder extends it.
            #expect(try await store.acquireLease(holder: "daemon-a", now: at(20), until: at(50)))
            // Another holder is refused while it runs, and the lease is untouched.
            #expect(try await store.acquireLease(holder: "daemon-b", now: at(49), until: at(90)) == false)
            #expect(try await store.currentLease() == WriterLease(holder: "daemon-a", until: at(50)))

            // Releasing someone else's lease does nothing.
            try await store.releaseLease(holder: "daemon-b")
            #expect(try await store.currentLease()?.holder == "daemon-a")

            // Expired (until <= now): another holder takes it over.
            #expect(try await store.acquireLease(holder: "daemon-b", now: at(50), until: at(80)))
            #expect(try await store.acquireLease(holder: "daemon-a", now: at(60), until: at(90)) == false)

            try await store.releaseLease(holder: "daemon-b")
            #expect(try await store.currentLease() == nil)
            #expect(try await store.acquireLease(holder: "daemon-a", now: at(61), until: at(91)))
        }
    }
}
