import Foundation
import RewindCore
import RewindPorts
import RewindSandbox
import RewindStoreSQLite
import RewindTestSupport
import Testing

/// A value from `${…}` is redacted when it is a secret, and shown as written when it is not: a namespace
/// stays readable in the incident, the notices and the logs; a token never appears in any of them.
struct RedactionTests {
    static let namespace = "shop-prod-eu"
    static let token = "tok-VERYSECRET-123456"

    @Test func aNamespaceIsShownWhereATokenIsRedacted() async throws {
        let scratch = try TemporaryDirectory("it")
        defer { scratch.remove() }
        let config = scratch.file("rewind.yaml")
        let port = try freeLoopbackPort()
        // The rollback command fails, printing both values: its output lands in the incident, the failure
        // notice and the log.
        try """
        state: state.db
        server: { listen: 127.0.0.1:\(port) }
        notifications: { console: true, file: notifications.jsonl }
        retry: { attempts: 0 }
        services:
          backend:
            checks: [{ name: health, url: "http://127.0.0.1:1/health" }]
            provider:
              type: command
              rollback: [sh, -c, 'echo "cannot roll back in namespace $1 with token $DEPLOY_TOKEN" >&2; exit 3', sh, "${K8S_NAMESPACE}"]
              env: { DEPLOY_TOKEN: "${DEPLOY_TOKEN}" }

        """.write(toFile: config, atomically: true, encoding: .utf8)
        let store = try SQLiteStore(path: scratch.file("state.db"))
        let now = Timestamp(millisecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1000))
        try await store.recordDeployment(
            Deployment(
                service: "backend", id: "be-v1", version: "v1", deployedAt: now - .seconds(7200), trust: .knownGood,
                knownGoodAt: now - .seconds(3600)),
            makeLive: true)
        try await store.recordDeployment(
            Deployment(service: "backend", id: "be-v2", version: "v2", deployedAt: now - .seconds(60)), makeLive: true)
        let environment = ["K8S_NAMESPACE": Self.namespace, "DEPLOY_TOKEN": Self.token]

        let rollback = try await rewind(
            ["rollback", "backend", "--reason", "redaction check", "--config", config], environment: environment)
        #expect(rollback.status != 0, "the rollback command fails")
        let shown = try await rewind(["incidents", "show", "1", "--config", config], environment: environment)
        let json = try await rewind(
            ["incidents", "show", "1", "--config", config, "--output", "json"], environment: environment)
        let notices = (try? String(contentsOfFile: scratch.file("notifications.jsonl"), encoding: .utf8)) ?? ""
        #expect(
            shown.stdout.contains("cannot roll back in namespace \(Self.namespace) with token <redacted>"),
            "\(shown.stdout)")
        #expect(notices.contains(Self.namespace), "\(notices)")
        for (place, text) in [
            ("the rollback's output and log", rollback.stdout + rollback.stderr),
            ("the incident", shown.stdout + json.stdout),
            ("the notices", notices),
        ] {
            #expect(!text.contains(Self.token), "the token leaked into \(place)")
        }
    }
}
