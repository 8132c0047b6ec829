import AsyncHTTPClient
import Foundation
import NIOHTTP1
import RewindSandbox
import RewindTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `tracing.otlp_endpoint`, end to end: a `rewind serve` exports its spans over OTLP/HTTP to a
/// loopback receiver of the OTLP contract — a manual rollback arrives as one trace (the incident, its
/// step and its verification), the API request that asked for it as a server span — with the
/// configured header, and without a secret in any span.
@Suite(.serialized)
struct TracingDaemonTests {
    static let token = "it-api-token-tracing-4411"
    static let otlpToken = "it-otlp-secret-9031"

    @Test func aRollbackIsExportedAsOneTraceWithTheRequestThatAskedForIt() async throws {
        let scratch = try TemporaryDirectory("tracing")
        defer { scratch.remove() }
        try await withSandbox { world, endpoints in
            let sinks = NotificationSinks()
            let receiver = NotificationSinksServer(sinks: sinks, adding: OTLPTraceSink.routes)
            try await withLoopbackServices([receiver]) { client in
                let collector = await receiver.endpoint()
                let port = try freeLoopbackPort()
                let config = scratch.file("rewind.yaml")
                let tracing = """
                    tracing: { otlp_endpoint: "\(collector)", protocol: http/json, service_name: rewind-it, headers: { authorization: "Bearer ${IT_OTLP_TOKEN}" } }
                    """
                try daemonConfig(endpoints: endpoints, port: port, token: "x", extra: tracing).write(
                    toFile: config, atomically: true, encoding: .utf8)
                try await seedKnownGood(statePath: scratch.file("state.db"))
                let api = API(client: client, base: "http://127.0.0.1:\(port)", token: Self.token)
                let daemon = try await DaemonProcess(
                    config: config, log: scratch.file("daemon.log"),
                    environment: ["IT_TOKEN": Self.token, "IT_OTLP_TOKEN": Self.otlpToken])
                try await eventually("the daemon answers /healthz", within: 30) { await api.isUp() }
                let instance = try await api.object("/readyz")["instance"] as? String

                world.deploy(service: "backend", SandboxDeployment(id: "be-v2", version: "v2"))
                let incident = try await rollBackToCompletion(api)
                // A graceful stop flushes the spans the batch holds: the exporter stops last.
                daemon.kill(SIGTERM)
                #expect(await daemon.waitForExit() == 0, "\(daemon.output.suffix(2000))")

                let exports = sinks.received(.otlpTraces)
                #expect(!exports.isEmpty && exports.allSatisfy(\.accepted), "\(daemon.output.suffix(2000))")
                #expect(exports.allSatisfy { $0.headers["authorization"] == "Bearer \(Self.otlpToken)" })
                #expect(exports.allSatisfy { $0.path == "/v1/traces" })
                let spans = OTLPTraceSink.spans(in: exports)

                let root = try #require(
                    spans.first {
                        $0.name == "rewind.incident" && $0.attributes["rewind.incident.id"] == "\(incident)"
                    },
                    "\(spans.map(\.name))")
                #expect(root.parentSpanID.isEmpty)
                #expect(root.attributes["rewind.trigger"] == "manual")
                #expect(root.attributes["rewind.outcome"] == "completed")
                #expect(root.resource["service.name"] == "rewind-it")
                #expect(instance != nil && root.resource["service.instance.id"] == instance)
                let step = try #require(spans.first { $0.name == "rewind.step rollback" && $0.traceID == root.traceID })
                #expect(step.parentSpanID == root.spanID)
                #expect(step.attributes["rewind.to.version"] == "v1")
                #expect(step.attributes["rewind.outcome"] == "succeeded")
                let verification = try #require(spans.first { $0.name == "rewind.verify" })
                #expect(verification.parentSpanID == root.spanID)

                // The request that asked for the rollback: a server span named by its route.
                let request = try #require(spans.first { $0.attributes["http.route"] == "/api/v1/rollbacks" })
                #expect(request.kind == 2)
                #expect(request.attributes["http.request.method"] == "POST")
                #expect(request.attributes["http.response.status_code"] == "202")

                // No secret in any span: not the API token, not the collector's, not a vendor URL's query.
                for export in exports {
                    #expect(!export.body.contains(Self.token))
                    #expect(!export.body.contains(Self.otlpToken))
                }
            }
        }
    }

    /// Records v2 of backend, asks for its rollback, and waits until the incident completed; its id.
    private func rollBackToCompletion(_ api: API) async throws -> Int {
        _ = try await api.call(
            .POST, "/api/v1/deployments", json: #"{"service":"backend","id":"be-v2","version":"v2"}"#)
        let opened = try await api.call(.POST, "/api/v1/rollbacks", json: #"{"service":"backend","reason":"traced"}"#)
        #expect(opened.status == 202, "\(opened.body)")
        let incident = try #require(
            (try JSONSerialization.jsonObject(with: Data(opened.body.utf8)) as? [String: Any])?["incident"] as? Int,
            "\(opened.body)")
        try await eventually("incident #\(incident) completes", within: 30) {
            let answer = try await api.object("/api/v1/incidents/\(incident)")
            return (answer["incident"] as? [String: Any])?["status"] as? String == "completed"
        }
        return incident
    }

    @Test func aCollectorThatIsDownCostsSpansNeverTheDaemon() async throws {
        let scratch = try TemporaryDirectory("tracing-down")
        defer { scratch.remove() }
        try await withSandbox { _, endpoints in
            let port = try freeLoopbackPort()
            let refusing = try RefusingPort()
            let config = scratch.file("rewind.yaml")
            let tracing = "tracing: { otlp_endpoint: \"http://127.0.0.1:\(refusing.port)\", timeout: 1s }"
            try daemonConfig(endpoints: endpoints, port: port, token: "x", extra: tracing).write(
                toFile: config, atomically: true, encoding: .utf8)
            try await seedKnownGood(statePath: scratch.file("state.db"))
            try await withLoopbackServices([]) { client in
                let api = API(client: client, base: "http://127.0.0.1:\(port)", token: Self.token)
                let daemon = try await DaemonProcess(
                    config: config, log: scratch.file("daemon.log"), environment: ["IT_TOKEN": Self.token])
                try await eventually("the daemon answers /healthz", within: 30) { await api.isUp() }
                _ = try await rollBackToCompletion(api)
                daemon.kill(SIGTERM)
                #expect(await daemon.waitForExit() == 0, "\(daemon.output.suffix(2000))")
                // Not silent: each failed export is a warning in the log (swift-otel's, through Rewind's logger).
                #expect(daemon.output.contains("Failed to export batch"), "\(daemon.output.suffix(2000))")
            }
            withExtendedLifetime(refusing) {}
        }
    }
}
