import InMemoryTracing
import RewindCore
import RewindEngine
import RewindPorts
import Testing
import Tracing

/// The spans an incident leaves (what a tracing backend shows of a rollback), recorded by the
/// tracing library's own in-memory tracer while the engine runs on the manual clock.
@Suite("Engine: incident spans", .timeLimit(.minutes(3)))
struct IncidentSpansTests {
    @Test("an automatic rollback is one trace: the incident's span, its rollback step and its verification under it")
    func automaticRollback() async throws {
        try await Harness.with { h in
            let (v1, _) = try await h.seedKnownGood()
            let v2 = try await h.deploySuspect(Fixture.backend, "v2", health: .failing(status: 503))
            let tracer = InMemoryTracer()
            let spans = try await incidentSpans(h, tracer: tracer)

            let incident = try #require(spans.first { $0.operationName == "rewind.incident" })
            #expect(incident.parentSpanID == nil)
            #expect(incident.attributes["rewind.services"]?.toSpanAttribute() == .stringArray(["backend"]))
            #expect(incident.string("rewind.trigger") == "health_critical")
            #expect(incident.string("rewind.strategy") == "immediate")
            #expect(incident.string("rewind.outcome") == "completed")
            #expect(incident.attributes["rewind.resumed"]?.toSpanAttribute() == .bool(false))
            #expect(incident.status == nil)

            let step = try #require(spans.first { $0.operationName == "rewind.step rollback" })
            #expect(step.traceID == incident.traceID)
            #expect(step.parentSpanID == incident.spanID)
            #expect(step.string("rewind.step.id") == "rollback-backend")
            #expect(step.string("rewind.service") == "backend")
            #expect(step.string("rewind.from.version") == v2.version)
            #expect(step.string("rewind.to.version") == v1.version)
            #expect(step.string("rewind.outcome") == "succeeded")
            #expect(step.status == nil)

            let verification = try #require(spans.first { $0.operationName == "rewind.verify" })
            #expect(verification.parentSpanID == incident.spanID)
            #expect(verification.attributes["rewind.verification.passed"]?.toSpanAttribute() == .bool(true))
            #expect(verification.status == nil)
            // Only these: the incident's spans are few and fixed, whatever the engine does between.
            #expect(spans.count == 3)
        }
    }

    @Test("a rollback that does not bring the service back: the verification and the incident carry the error status")
    func failedVerification() async throws {
        try await Harness.with { h in
            let (v1, _) = try await h.seedKnownGood()
            h.world.setHealth(v1.id, .failing(status: 500))
            try await h.deploySuspect(Fixture.backend, "v2", health: .failing(status: 503))
            let spans = try await incidentSpans(h, tracer: InMemoryTracer())

            let incident = try #require(spans.first { $0.operationName == "rewind.incident" })
            #expect(incident.string("rewind.outcome") == "failed")
            #expect(incident.status?.code == .error)
            let verification = try #require(spans.first { $0.operationName == "rewind.verify" })
            #expect(verification.attributes["rewind.verification.passed"]?.toSpanAttribute() == .bool(false))
            #expect(verification.status?.code == .error)
            // The platform did roll back: the step itself succeeded.
            let step = try #require(spans.first { $0.operationName == "rewind.step rollback" })
            #expect(step.status == nil)
        }
    }

    @Test("a failed platform call is a step span with the error status and the platform's (redacted) reason")
    func failedStep() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            try await h.deploySuspect(Fixture.backend, "v2", health: .failing(status: 503))
            h.world.failNextRollbacks(Int.max, with: ProviderError(.auth, "the token was refused (HTTP 401)"))
            let spans = try await incidentSpans(h, tracer: InMemoryTracer())

            let step = try #require(spans.first { $0.operationName == "rewind.step rollback" })
            #expect(step.status?.code == .error)
            #expect(step.string("rewind.outcome")?.contains("the token was refused") == true)
            let incident = try #require(spans.first { $0.operationName == "rewind.incident" })
            #expect(incident.status?.code == .error)
            #expect(!spans.contains { $0.operationName == "rewind.verify" })
        }
    }

    /// Runs the harness's engine with `tracer` until its first incident's span has ended.
    private func incidentSpans(_ h: Harness, tracer: InMemoryTracer) async throws -> [FinishedInMemorySpan] {
        var dependencies = h.makeDependencies()
        dependencies.tracer = tracer
        try await h.run(RewindEngine(dependencies), policy: Fixture.policy()) { run in
            _ = try await run.untilClosed()
            try await run.advance(until: "the incident's span has ended") {
                tracer.finishedSpans.contains { $0.operationName == "rewind.incident" }
            }
        }
        return tracer.finishedSpans
    }
}

extension FinishedInMemorySpan {
    fileprivate func string(_ key: String) -> String? {
        guard case .string(let value) = attributes[key]?.toSpanAttribute() else { return nil }
        return value
    }
}
