import RewindCore
import RewindEngine
import RewindPorts
import Testing

@Suite struct ZZDebug {
    @Test func debugTimeline() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            try await h.deploySuspect(Fixture.backend, "v2", health: .failing(status: 503))
            try await h.run { run in
                let incident = try await run.untilClosed()
                for e in try await h.sqlite.timeline(incidentID: incident.id) { print("DEBUG", e.at, e.kind, e.message.prefix(60)) }
            }
        }
    }
}
