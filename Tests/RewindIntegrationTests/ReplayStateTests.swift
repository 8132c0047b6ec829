import Foundation
import RewindCore
import RewindPorts
import RewindStoreSQLite
import RewindTestSupport
import Testing

/// `rewind replay` without `--deployments`, as a user runs it next to a daemon: the deployments and the alerts
/// come from the state database the daemon wrote.
@Suite("rewind replay reads the state database")
struct ReplayStateTests {
    static let policy = """
        state: state.db
        bake: 10m
        services:
          backend:
            checks:
              - { name: health, url: http://127.0.0.1:9/health, severity: critical }
            provider:
              type: command
              rollback: [/bin/true]
        """

    @Test("a critical alert the daemon received rolls back the suspect deployment, at the time it was received")
    func receivedAlertIsReplayed() async throws {
        let scratch = try TemporaryDirectory("replay-state")
        defer { scratch.remove() }
        try Self.policy.write(toFile: scratch.file("rewind.yaml"), atomically: true, encoding: .utf8)
        let t0 = Timestamp(millisecondsSinceEpoch: 1_793_613_600_000)  // 2026-11-02T10:00:00Z
        // What a daemon records: v1 live and baked two hours ago, v2 live since 10:05 (both marked as once live).
        let store = try SQLiteStore(path: scratch.file("state.db"))
        var v1 = Deployment(
            service: "backend", id: "backend-1", version: "v1", deployedAt: t0 - .seconds(7200), trust: .knownGood,
            knownGoodAt: t0 - .seconds(3600))
        v1.wasLive = true
        var v2 = Deployment(service: "backend", id: "backend-2", version: "v2", deployedAt: t0 + .seconds(300))
        v2.wasLive = true
        try await store.recordDeployment(v1, makeLive: false)
        try await store.recordDeployment(v2, makeLive: true)
        try await store.recordReceived(
            ReceivedEvents(alerts: [
                ReceivedAlert(
                    ExternalAlert(
                        origin: .alertmanager, service: "backend", category: .performance, severity: .critical,
                        name: "BackendLatencyHigh", firing: true, at: t0 + .seconds(355), fingerprint: "9e1d"),
                    receivedAt: t0 + .seconds(360))
            ]))

        let run = try await runRewindAwaiting(
            [
                "replay", "--config", scratch.file("rewind.yaml"), "--from", "2026-11-02T10:00:00Z", "--to",
                "2026-11-02T11:00:00Z", "--output", "json",
            ])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.stdout)")
        let decisions = try #require(report["decisions"] as? [[String: Any]])
        #expect(decisions.count == 1, "\(decisions)")
        #expect(decisions.first?["service"] as? String == "backend")
        #expect(decisions.first?["at"] as? String == "2026-11-02T10:06:00.000Z")
        #expect(decisions.first?["would_roll_back"] as? Bool == true, "\(decisions)")
        let verdicts = (report["deployments"] as? [[String: Any]] ?? []).map {
            "\($0["id"] as? String ?? "?") \($0["verdict"] as? String ?? "?")"
        }
        #expect(verdicts.contains("backend-2 rolled_back"), "\(run.stdout)")
    }
}
