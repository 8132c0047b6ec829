import AsyncHTTPClient
import Foundation
import RewindSandbox
import RewindTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
    import NIOHTTP1
#endif

/// `health.record` in a running daemon: every probe lands in the file, the confirmation re-checks of a failing
/// run too, in the format `rewind replay --probes` reads.
@Suite(.serialized)
struct ProbeRecordTests {
    @Test func everyProbeIsRecordedConfirmationReChecksToo() async throws {
        let scratch = try TemporaryDirectory("probes")
        defer { scratch.remove() }
        try await withSandbox { world, endpoints in
            let port = try freeLoopbackPort()
            let config = scratch.file("rewind.yaml")
            try daemonConfig(endpoints: endpoints, port: port)
                .replacingOccurrences(
                    of: "confirm_interval: 100ms }", with: "confirm_interval: 100ms, record: probes.csv }"
                )
                // Regular checks 5 s apart (the suspect cadence too): a gap well under that is a confirmation
                // re-check, however slow a loaded machine makes the 100 ms ones.
                .replacingOccurrences(of: "interval: 500ms,", with: "interval: 5s, suspect_interval: 5s,")
                .write(toFile: config, atomically: true, encoding: .utf8)
            try await seedKnownGood(statePath: scratch.file("state.db"))
            let client = HTTPClient(eventLoopGroupProvider: .singleton)
            defer { client.shutdown { _ in } }
            let api = API(client: client, base: "http://127.0.0.1:\(port)")
            let daemon = try await DaemonProcess(config: config, log: scratch.file("daemon.log"))
            defer { daemon.kill(SIGKILL) }
            try await eventually("the daemon answers /healthz", within: 30) { await api.isUp() }

            world.deploy(
                service: "backend", SandboxDeployment(id: "be-v2", version: "v2", behavior: .failing(status: 500)))
            let recorded = try await api.call(
                .POST, "/api/v1/deployments", json: #"{"service":"backend","id":"be-v2","version":"v2"}"#)
            #expect(recorded.status == 201)
            try await eventually("the failing deployment is rolled back", within: 30) {
                world.rollbackCalls(service: "backend") == 1
            }
            daemon.kill(SIGTERM)
            #expect(await daemon.waitForExit() == 0, "\(daemon.output.suffix(2000))")

            let lines = try String(contentsOfFile: scratch.file("probes.csv"), encoding: .utf8)
                .split(separator: "\n").map(String.init)
            #expect(lines.first == "timestamp,service,check,ok,status,latency_seconds")
            let rows = lines.dropFirst().map {
                $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            }
            #expect(rows.allSatisfy { $0.count == 6 })
            #expect(rows.contains { $0[1] == "worker" && $0[2] == "health" && $0[3] == "true" && $0[4] == "200" })
            let failing = rows.filter { $0[1] == "backend" && $0[3] == "false" && $0[4] == "500" }
            #expect(failing.count >= 3, "\(lines.suffix(20))")
            // The re-checks after a failure come every 100 ms, not every 5 s interval: they are recorded too.
            let times = failing.compactMap { Self.time($0[0]) }
            let gaps = zip(times, times.dropFirst()).map { $1.timeIntervalSince($0) }
            #expect(gaps.contains { $0 < 2.5 }, "\(gaps)")
            try await client.shutdown()
        }
    }

    static func time(_ text: String) -> Date? {
        let parser = ISO8601DateFormatter()
        parser.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return parser.date(from: text)
    }
}
