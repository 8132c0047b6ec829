import Foundation
import RewindCore
import RewindPorts
import RewindProcess
import RewindSpecs
import RewindTestSupport
import Testing

@testable import RewindProviders

/// A fake exec credential plugin: a shell script in a temporary folder that counts its runs in `count`, records
/// its `KUBERNETES_EXEC_INFO` and the names of its environment for each run, and prints an ExecCredential with
/// the token `exec-token-<run>` expiring at the time in `expiry` — or fails, hangs or floods as `mode` says.
struct FakeExecPlugin {
    static let name = "fake-kube-plugin"

    let folder: TemporaryDirectory

    init() throws {
        folder = try TemporaryDirectory("exec-plugin")
        let script = """
            #!/bin/sh
            dir=$(dirname "$0")
            n=$(cat "$dir/count" 2>/dev/null || echo 0)
            n=$((n + 1))
            echo "$n" > "$dir/count"
            printf '%s' "$KUBERNETES_EXEC_INFO" > "$dir/info-$n"
            env | cut -d= -f1 > "$dir/env-$n"
            printf '%s' "${AWS_PROFILE-}" > "$dir/profile-$n"
            mode=$(cat "$dir/mode" 2>/dev/null || echo ok)
            case "$mode" in
              fail) echo "error: the SSO session has expired; run aws sso login" >&2; echo "more detail" >&2; exit 3 ;;
              hang) exec sleep 60 ;;
              flood) head -c 400000 /dev/zero | tr '\\000' 'x'; exit 0 ;;
              garbage) echo "Token: exec-token-$n"; exit 0 ;;
            esac
            api=$(cat "$dir/api" 2>/dev/null || echo client.authentication.k8s.io/v1)
            printf '{"apiVersion":"%s","kind":"ExecCredential","status":{"token":"exec-token-%s",' "$api" "$n"
            printf '"expirationTimestamp":"%s"}}\\n' "$(cat "$dir/expiry")"
            """
        try Data(script.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
    }

    var path: String { folder.file(Self.name) }

    /// How many times the plugin ran.
    var runs: Int {
        (try? String(contentsOfFile: folder.file("count"), encoding: .utf8))
            .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
    }

    func set(_ file: String, _ text: String) throws {
        try Data(text.utf8).write(to: folder.url.appendingPathComponent(file))
    }

    func read(_ file: String) throws -> String {
        try String(contentsOfFile: folder.file(file), encoding: .utf8)
    }

    /// The credentials it prints expire at `time`.
    func expire(at time: Timestamp) throws {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        try set(
            "expiry", formatter.string(from: Date(timeIntervalSince1970: Double(time.millisecondsSinceEpoch) / 1000)))
    }

    func spec(
        _ h: KubernetesHarness, command: String? = nil, environment: [String: String] = ["AWS_PROFILE": "prod"],
        interactiveMode: KubernetesExecPlugin.InteractiveMode = .never, timeout: Duration = .seconds(30),
        installHint: String? = nil
    ) -> KubernetesProviderSpec {
        var spec = h.spec()
        spec.cluster = KubernetesClusterSpec(
            server: .url(h.apiURL),
            credential: .exec(
                KubernetesExecPlugin(
                    apiVersion: .v1, command: command ?? path,
                    arguments: ["eks", "get-token", "--cluster-name", "prod"],
                    environment: environment, interactiveMode: interactiveMode, provideClusterInfo: true,
                    installHint: installHint, timeout: timeout
                )
            ),
            authority: .systemRoots, credentialName: "the exec plugin \(Self.name) of user 'eks' in kubeconfig /k"
        )
        return spec
    }
}

@Suite("Kubernetes exec credential plugins")
struct KubernetesExecPluginTests {
    typealias H = KubernetesHarness

    /// A fake plugin whose credential expires `lifetime` after a manual clock's now, the emulator taking the plugin's
    /// first token, and a provider signing in through the plugin on that clock; `body` gets them.
    static func withSignedInProvider(
        expiringIn lifetime: Duration,
        _ body: @Sendable (FakeExecPlugin, KubernetesHarness, ManualClock, KubernetesProvider) async throws -> Void
    ) async throws {
        let plugin = try FakeExecPlugin()
        defer { plugin.folder.remove() }
        try await withKubernetes { h in
            let clock = ManualClock()
            try plugin.expire(at: clock.now + lifetime)
            h.kube.token = "exec-token-1"
            let provider = KubernetesProvider(
                spec: plugin.spec(h), client: h.client, redactor: Redactor(), environment: [:], clock: clock)
            try await body(plugin, h, clock, provider)
        }
    }

    @Test("the plugin runs once per credential: cached until 30 s before expiry, then run again (injected clock)")
    func cachesUntilShortlyBeforeExpiry() async throws {
        try await Self.withSignedInProvider(expiringIn: .seconds(600)) { plugin, h, clock, provider in

            #expect(try await provider.currentDeployment(service: "web")?.version == H.images[2])
            #expect(try await provider.currentDeployment(service: "web")?.version == H.images[2])
            #expect(plugin.runs == 1, "four calls, one run")
            #expect(h.kube.requests.count == 4)
            #expect(h.kube.requests.allSatisfy { $0.bearerToken == "exec-token-1" })

            clock.advance(by: .seconds(569))
            _ = try await provider.currentDeployment(service: "web")
            #expect(plugin.runs == 1, "31 s before expiry: still cached")

            h.kube.token = "exec-token-2"
            clock.advance(by: .seconds(2))
            try plugin.expire(at: clock.now + .seconds(600))
            _ = try await provider.currentDeployment(service: "web")
            #expect(plugin.runs == 2, "29 s before expiry: renewed")
            #expect(h.kube.requests.suffix(2).allSatisfy { $0.bearerToken == "exec-token-2" })
            #expect(!h.kube.requests.contains { $0.status == 401 })
        }
    }

    @Test("a 401 runs the plugin again and retries the call once; a second 401 is an auth error naming the plugin")
    func refreshesOnUnauthorized() async throws {
        try await Self.withSignedInProvider(expiringIn: .seconds(3600)) { plugin, h, clock, provider in
            _ = try await provider.currentDeployment(service: "web")
            #expect(plugin.runs == 1)

            h.kube.token = "exec-token-2"  // the cached credential was revoked
            #expect(try await provider.currentDeployment(service: "web")?.version == H.images[2])
            #expect(plugin.runs == 2)
            #expect(h.kube.requests.filter { $0.status == 401 }.map(\.bearerToken) == ["exec-token-1"])

            h.kube.token = "a-token-no-plugin-run-gives"
            let error = await #expect(throws: ProviderError.self) {
                try await provider.currentDeployment(service: "web")
            }
            #expect(plugin.runs == 3, "one more run, one retry, no loop")
            #expect(error?.kind == .auth)
            #expect(error?.message.contains("exec plugin \(FakeExecPlugin.name) of user 'eks'") == true)
            #expect(error?.message.contains("even after Rewind ran the plugin again") == true)
            #expect(error?.message.contains("exec-token") == false)
        }
    }

    @Test("the plugin gets KUBERNETES_EXEC_INFO, its kubeconfig env on a minimal environment, and is found on PATH")
    func protocolAndEnvironment() async throws {
        let plugin = try FakeExecPlugin()
        defer { plugin.folder.remove() }
        try await withKubernetes { h in
            let clock = ManualClock()
            try plugin.expire(at: clock.now + .seconds(3600))
            h.kube.token = "exec-token-1"
            let path = "\(plugin.folder.path):/usr/bin:/bin"
            let spec = plugin.spec(h, command: FakeExecPlugin.name, environment: ["AWS_PROFILE": "prod", "PATH": path])
            let provider = KubernetesProvider(
                spec: spec, client: h.client, redactor: Redactor(), environment: [:], clock: clock)
            _ = try await provider.currentDeployment(service: "web")
            #expect(plugin.runs == 1)

            let info = try JSONSerialization.jsonObject(with: Data(try plugin.read("info-1").utf8)) as? [String: Any]
            #expect(info?["apiVersion"] as? String == "client.authentication.k8s.io/v1")
            #expect(info?["kind"] as? String == "ExecCredential")
            let execSpec = info?["spec"] as? [String: Any]
            #expect(execSpec?["interactive"] as? Bool == false)
            #expect((execSpec?["cluster"] as? [String: Any])?["server"] as? String == h.apiURL)
            #expect(try plugin.read("profile-1") == "prod")
            let names = try plugin.read("env-1").split(separator: "\n").map(String.init)
            let allowed: Set<String> = ["AWS_PROFILE", "KUBERNETES_EXEC_INFO", "PWD", "SHLVL", "_", "OLDPWD"]
            let unexpected = names.filter { !allowed.contains($0) && !ChildEnvironment.minimalKeeps($0) }
            #expect(unexpected.isEmpty, "the daemon's environment leaked: \(unexpected)")
        }
    }

    @Test("a failing plugin: its name and the first line of its stderr, no token; nothing is sent")
    func pluginFailure() async throws {
        let plugin = try FakeExecPlugin()
        defer { plugin.folder.remove() }
        try plugin.set("mode", "fail")
        try await withKubernetes { h in
            let provider = KubernetesProvider(spec: plugin.spec(h), client: h.client, redactor: Redactor())
            let error = await #expect(throws: ProviderError.self) {
                try await provider.currentDeployment(service: "web")
            }
            #expect(error?.kind == .auth)
            #expect(
                error?.message
                    == "could not read the live revision of Deployment shop/web for web: the exec plugin "
                    + "\(FakeExecPlugin.name) of user 'eks' in kubeconfig /k exited with status 3: error: the SSO "
                    + "session has expired; run aws sso login"
            )
            #expect(h.kube.requests.isEmpty)
        }
    }

    @Test("a plugin that hangs is stopped at its timeout; one that floods stdout or prints no ExecCredential fails")
    func boundedPlugin() async throws {
        let plugin = try FakeExecPlugin()
        defer { plugin.folder.remove() }
        try await withKubernetes { h in
            try plugin.set("mode", "hang")
            let slow = KubernetesProvider(
                spec: plugin.spec(h, timeout: .milliseconds(300)), client: h.client, redactor: Redactor())
            let timedOut = await #expect(throws: ProviderError.self) {
                try await slow.currentDeployment(service: "web")
            }
            #expect(timedOut?.kind == .timeout)
            #expect(timedOut?.message.contains("did not print a credential within 300ms and was stopped") == true)

            try plugin.set("mode", "flood")
            let provider = KubernetesProvider(spec: plugin.spec(h), client: h.client, redactor: Redactor())
            let flood = await #expect(throws: ProviderError.self) {
                try await provider.currentDeployment(service: "web")
            }
            #expect(flood?.kind == .badResponse)
            #expect(flood?.message.contains("printed 400000 bytes, more than the 256 KiB") == true)

            try plugin.set("mode", "garbage")
            let garbage = await #expect(throws: ProviderError.self) {
                try await provider.currentDeployment(service: "web")
            }
            #expect(garbage?.kind == .badResponse)
            #expect(garbage?.message.contains("did not print a usable ExecCredential: its output is not") == true)
            #expect(garbage?.message.contains("exec-token") == false)

            try plugin.set("mode", "ok")
            try plugin.set("api", "client.authentication.k8s.io/v1beta1")
            try plugin.expire(at: Timestamp(millisecondsSinceEpoch: 1_790_000_000_000))
            let version = await #expect(throws: ProviderError.self) {
                try await provider.currentDeployment(service: "web")
            }
            #expect(version?.message.contains("but the kubeconfig asks for client.authentication.k8s.io/v1") == true)
            #expect(h.kube.requests.isEmpty)
        }
    }

    @Test("interactiveMode Always is refused without running the plugin; a missing plugin shows its install hint")
    func refusedBeforeRunning() async throws {
        let plugin = try FakeExecPlugin()
        defer { plugin.folder.remove() }
        try await withKubernetes { h in
            let always = KubernetesProvider(
                spec: plugin.spec(h, interactiveMode: .always), client: h.client, redactor: Redactor())
            let refused = await #expect(throws: ProviderError.self) {
                try await always.currentDeployment(service: "web")
            }
            #expect(refused?.kind == .auth)
            #expect(refused?.message.contains("interactiveMode: Always") == true)
            #expect(refused?.message.contains("without a terminal") == true)
            #expect(plugin.runs == 0)

            let missing = KubernetesProvider(
                spec: plugin.spec(
                    h, command: "rewind-no-such-plugin", environment: ["PATH": plugin.folder.path],
                    installHint: "Install it with: brew install rewind-no-such-plugin"),
                client: h.client, redactor: Redactor()
            )
            let notFound = await #expect(throws: ProviderError.self) {
                try await missing.currentDeployment(service: "web")
            }
            #expect(notFound?.message.contains("executable `rewind-no-such-plugin` was not found on PATH") == true)
            #expect(notFound?.message.contains("Install it with: brew install rewind-no-such-plugin") == true)
            #expect(h.kube.requests.isEmpty)
        }
    }

    @Test("providers check names the exec plugin")
    func accessCheckNamesThePlugin() async throws {
        try await Self.withSignedInProvider(expiringIn: .seconds(3600)) { plugin, h, clock, provider in
            let checks = await provider.checkAccess(service: "web")
            #expect(checks.allSatisfy { $0.passed }, "\(checks)")
            #expect(checks.first?.detail.contains("signed in with exec plugin \(FakeExecPlugin.name)") == true)
            #expect(plugin.runs == 1)
        }
    }

    @Test("ExecCredential answers: token, certificate and key, expiry; half a certificate and bad times are refused")
    func parsesExecCredential() throws {
        func parse(
            _ json: String, _ version: KubernetesExecPlugin.APIVersion = .v1beta1
        ) -> Result<
            KubernetesExecCredential, KubernetesExecCredential.Problem
        > {
            KubernetesExecCredential.parse(Data(json.utf8), expected: version)
        }
        let head = #"{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":"#
        let token = try parse(head + #"{"token":"t-1","expirationTimestamp":"2026-12-07T01:15:00.5Z"}}"#).get()
        #expect(token.token == "t-1")
        #expect(token.expiresAt == Timestamp(millisecondsSinceEpoch: 1_796_606_100_500))
        let pem = "-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----"
        let key = "-----BEGIN EC PRIVATE KEY-----\\nMHc\\n-----END EC PRIVATE KEY-----"
        let certificate = try parse(head + #"{"clientCertificateData":"\#(pem)","clientKeyData":"\#(key)"}}"#).get()
        #expect(certificate.token == nil && certificate.expiresAt == nil)
        #expect(certificate.clientCertificate != nil)
        #expect(certificate.secrets.count == 1)

        let problems = [
            (head + #"{"clientCertificateData":"\#(pem)"}}"#, "without the other"),
            (head + #"{}}"#, "neither status.token"),
            (head + #"{"token":"t","expirationTimestamp":"tomorrow"}}"#, "not an RFC 3339 time"),
            (head + #"{"token":"t","expirationTimestamp":"0000-01-01T00:00:00Z"}}"#, "not an RFC 3339 time"),
            (#"{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"Status"}"#, "not kind ExecCredential"),
            (#"{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential"}"#, "has no status"),
            ("[1]", "not a JSON object"),
        ]
        for (json, expected) in problems {
            guard case .failure(let problem) = parse(json) else {
                Issue.record("accepted \(json)")
                continue
            }
            #expect(problem.reason.contains(expected), "\(problem.reason)")
        }
        guard case .failure(let mismatch) = parse(head + #"{"token":"t"}}"#, .v1) else {
            Issue.record("a v1beta1 answer to a v1 request was accepted")
            return
        }
        #expect(mismatch.reason.contains("asks for client.authentication.k8s.io/v1"))
    }
}
