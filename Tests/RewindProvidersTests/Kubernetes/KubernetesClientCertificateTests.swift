import AsyncHTTPClient
import Foundation
import NIOSSL
import RewindCore
import RewindPorts
import RewindProcess
import RewindSpecs
import RewindTestSupport
import Testing

@testable import RewindProviders

/// A throwaway PKI made with the `openssl` command line: a CA, the emulator's server certificate (for 127.0.0.1),
/// a client certificate signed by the CA, and one signed by nobody the server trusts.
struct ThrowawayPKI {
    let folder: TemporaryDirectory

    init() async throws {
        folder = try TemporaryDirectory("pki")
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try await openssl(
            ["req", "-x509"] + ec + [
                "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=rewind-test-ca",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign",
            ])
        try await issue(
            "server", subject: "/CN=127.0.0.1", extensions: "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
        )
        try await issue("client", subject: "/O=system:masters/CN=rewind", extensions: "extendedKeyUsage=clientAuth\n")
        try await openssl(
            ["req", "-x509"] + ec + [
                "-keyout", "stranger.key", "-out", "stranger.crt", "-days", "2", "-subj", "/CN=stranger",
            ])
    }

    func path(_ name: String) -> String { folder.file(name) }

    func text(_ name: String) throws -> String {
        try String(contentsOfFile: path(name), encoding: .utf8)
    }

    /// The emulator's side: its certificate, and a client certificate signed by the CA required.
    func serverTLS() throws -> TLSConfiguration {
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(path("server.crt")).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: path("server.key"), format: .pem))
        )
        tls.certificateVerification = .noHostnameVerification
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(path("ca.crt")))
        return tls
    }

    private func issue(_ name: String, subject: String, extensions: String) async throws {
        try Data(extensions.utf8).write(to: URL(fileURLWithPath: path("\(name).ext")))
        try await openssl([
            "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
            "\(name).key", "-out", "\(name).csr", "-subj", subject,
        ])
        try await openssl([
            "x509", "-req", "-in", "\(name).csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-set_serial",
            String(name.count), "-days", "2", "-out", "\(name).crt", "-extfile", "\(name).ext",
        ])
    }

    private func openssl(_ arguments: [String]) async throws {
        let result = try await CommandRunner.run(
            CommandInvocation(
                arguments: ["openssl"] + arguments, environment: .minimal, workingDirectory: folder.path,
                timeout: .seconds(30)))
        try #require(result.ending == .exited(0), "openssl \(arguments.first ?? "") failed: \(result.stderr)")
    }
}

@Suite("Kubernetes client certificates (mutual TLS)")
struct KubernetesClientCertificateTests {
    typealias H = KubernetesHarness

    /// The emulator over HTTPS requiring a client certificate signed by `pki`'s CA; its token is one no test sends.
    func withMutualTLS(_ body: @Sendable (KubernetesHarness, ThrowawayPKI) async throws -> Void) async throws {
        let pki = try await ThrowawayPKI()
        defer { pki.folder.remove() }
        let kube = KubernetesEmulator(token: "a-token-nobody-has")
        kube.addDeployment(namespace: H.namespace, name: "web", images: H.images)
        let server = KubernetesEmulatorServer(emulator: kube, tls: try pki.serverTLS())
        try await withLoopbackServices([server], beforeShutdown: { kube.releaseDelayedRequests() }) { client in
            let apiURL = await server.endpoint()
            try #require(apiURL.hasPrefix("https://127.0.0.1:"))
            try await body(KubernetesHarness(kube: kube, apiURL: apiURL, client: client), pki)
        }
    }

    func spec(
        _ h: KubernetesHarness, _ pki: ThrowawayPKI, credential: KubernetesClusterSpec.Credential
    ) throws -> KubernetesProviderSpec {
        var spec = h.spec()
        spec.cluster = KubernetesClusterSpec(
            server: .url(h.apiURL), credential: credential, authority: .pem(try pki.text("ca.crt")),
            credentialName: "the client certificate of user 'admin' in kubeconfig /k"
        )
        return spec
    }

    @Test("a rollback through a client certificate (file) and key (PEM data) succeeds; checks name the certificate")
    func rollbackWithClientCertificate() async throws {
        try await withMutualTLS { h, pki in
            let certificate = KubernetesClientCertificate(
                certificate: .file(pki.path("client.crt")), key: .pem(try pki.text("client.key")))
            let provider = KubernetesProvider(
                spec: try spec(h, pki, credential: .clientCertificate(certificate)), client: h.client,
                redactor: Redactor()
            )
            let target = try h.replicaSet(running: H.images[1])
            let operation = try await provider.rollback(service: "web", to: H.target(target.name), context: H.context)
            var status = OperationStatus.inProgress
            for _ in 0..<10 where status == .inProgress {
                status = try await provider.status(of: operation, service: "web", target: H.target(target.name))
            }
            #expect(status == .succeeded)
            #expect(h.web?.image == H.images[1])
            #expect(!h.kube.requests.isEmpty)
            #expect(h.kube.requests.allSatisfy { $0.clientCertificate && $0.bearerToken == nil })

            let checks = await provider.checkAccess(service: "web")
            #expect(checks.first?.passed == true)
            #expect(
                checks.first?.detail.contains("signed in with a client certificate (the client certificate") == true)
        }
    }

    @Test("without a client certificate, or with one the cluster's CA did not sign, the emulator refuses the handshake")
    func refusedWithoutCertificate() async throws {
        try await withMutualTLS { h, pki in
            let withToken = KubernetesProvider(
                spec: try spec(h, pki, credential: .token(ConfigText("a-token-nobody-has", isSecret: true))),
                client: h.client, redactor: Redactor()
            )
            let noCertificate = await #expect(throws: ProviderError.self) {
                try await withToken.currentDeployment(service: "web")
            }
            #expect(noCertificate?.kind == .connection)
            #expect(noCertificate?.message.contains("a-token-nobody-has") == false)

            let stranger = KubernetesClientCertificate(
                certificate: .pem(try pki.text("stranger.crt")), key: .file(pki.path("stranger.key")))
            let withStranger = KubernetesProvider(
                spec: try spec(h, pki, credential: .clientCertificate(stranger)), client: h.client, redactor: Redactor()
            )
            let unknown = await #expect(throws: ProviderError.self) {
                try await withStranger.currentDeployment(service: "web")
            }
            #expect(unknown?.kind == .connection)
            #expect(h.kube.requests.isEmpty, "no request got past the handshake")
        }
    }

    @Test("an exec plugin that answers with a client certificate and key signs in by mutual TLS")
    func execPluginClientCertificate() async throws {
        try await withMutualTLS { h, pki in
            let script = """
                #!/bin/sh
                cert=$(awk '{printf "%s\\\\n", $0}' "$PKI/client.crt")
                key=$(awk '{printf "%s\\\\n", $0}' "$PKI/client.key")
                printf '{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential",'
                printf '"status":{"clientCertificateData":"%s","clientKeyData":"%s"}}' "$cert" "$key"
                """
            let path = pki.path("cert-plugin")
            try Data(script.utf8).write(to: URL(fileURLWithPath: path))
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
            let plugin = KubernetesExecPlugin(
                apiVersion: .v1beta1, command: path, environment: ["PKI": pki.folder.path])
            let provider = KubernetesProvider(
                spec: try spec(h, pki, credential: .exec(plugin)), client: h.client, redactor: Redactor())
            #expect(try await provider.currentDeployment(service: "web")?.version == H.images[2])
            #expect(!h.kube.requests.isEmpty)
            #expect(h.kube.requests.allSatisfy { $0.clientCertificate && $0.bearerToken == nil })
        }
    }

    @Test("a key that is not a PEM private key, a missing file, or plain http: a clear error, nothing sent")
    func badClientCertificates() async throws {
        try await withMutualTLS { h, pki in
            let wrongKey = KubernetesClientCertificate(
                certificate: .file(pki.path("client.crt")), key: .pem(try pki.text("client.crt")))
            let provider = KubernetesProvider(
                spec: try spec(h, pki, credential: .clientCertificate(wrongKey)), client: h.client, redactor: Redactor()
            )
            let error = await #expect(throws: ProviderError.self) {
                try await provider.currentDeployment(service: "web")
            }
            #expect(error?.message.contains("is not an unencrypted PEM private key") == true)

            let missing = KubernetesClientCertificate(
                certificate: .file(pki.path("nope.crt")), key: .file(pki.path("client.key")))
            let gone = KubernetesProvider(
                spec: try spec(h, pki, credential: .clientCertificate(missing)), client: h.client, redactor: Redactor())
            let unreadable = await #expect(throws: ProviderError.self) {
                try await gone.currentDeployment(service: "web")
            }
            #expect(unreadable?.message.contains("cannot read the client certificate \(pki.path("nope.crt"))") == true)

            let certificate = KubernetesClientCertificate(
                certificate: .file(pki.path("client.crt")), key: .file(pki.path("client.key")))
            var plain = try spec(h, pki, credential: .clientCertificate(certificate))
            plain.cluster.server = .url("http://127.0.0.1:1")
            let http = KubernetesProvider(spec: plain, client: h.client, redactor: Redactor())
            let refused = await #expect(throws: ProviderError.self) { try await http.currentDeployment(service: "web") }
            #expect(refused?.message.contains("needs TLS") == true)
            #expect(h.kube.requests.isEmpty)
        }
    }
}
