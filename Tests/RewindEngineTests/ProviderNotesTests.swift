import RewindCore
import RewindEngine
import RewindPorts
import RewindStoreSQLite
import Testing

/// What a provider says people must know besides the rollback (a GitOps provider paused auto-sync or suspended a
/// Flux object) is written on the incident's timeline, redacted.
@Suite("Engine: provider notes on the incident", .timeLimit(.minutes(3)))
struct ProviderNotesTests {
    @Test("each note of the rollback operation is a timeline entry after the accepted step")
    func notesOnTheTimeline() async throws {
        try await Harness.with { h in
            _ = try await h.seedKnownGood()
            let platform = FakePlatform(
                h.world,
                notes: [
                    "Rewind turned off automated sync of Argo CD Application shop-web; resume it with `argocd app set`",
                    "Flux Kustomization flux-system/shop-web is suspended; resume with `flux resume kustomization`",
                ])
            let policy = Fixture.policy()
            try await h.run(h.makeEngine(policy: policy, platforms: [Fixture.backend: platform]), policy: policy) {
                run in
                _ = try await run.deploy(Fixture.backend, "v2", health: .failing(status: 500))
                let incident = try await run.untilClosed()
                let timeline = try await h.sqlite.timeline(incidentID: incident.id)
                let accepted = try #require(timeline.firstIndex { $0.kind == .stepAccepted })
                let notes = timeline.enumerated().filter { $0.element.message.contains("resume") }
                #expect(notes.count == 2)
                #expect(notes.allSatisfy { $0.offset > accepted && $0.element.kind == .stepAccepted })
                #expect(notes.first?.element.message.contains("argocd app set") == true)
            }
        }
    }
}
