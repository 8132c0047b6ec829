import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHPACK
import NIOHTTP2
import NIOPosix
import NIOSSL
import RewindCore
import RewindPorts
import RewindProcess
import RewindSignals
import RewindTestSupport
import Testing

/// The HTTP/2 side of Fuzz/findings/ahc-status-below-100: a TLS service that speaks HTTP/2 (ALPN `h2`)
/// and answers `:status: 000` must fail its check, saying why, not kill the daemon — NIOHTTP2 checks only
/// that the status is a number, and AsyncHTTPClient traps on a final status under 100. An exit test, so
/// that a trap fails this test instead of the whole run.
@Suite("HTTP/2 answers with a status under 100")
struct HTTP2StatusTests {
    @Test func status000OverHTTP2IsAFailedCheckNotACrash() async {
        await #expect(processExitsWith: .success) {
            await Self.checkFailsSayingWhy()
        }
    }

    /// Inside the exit test: exit 1 when the check passed, 2 when it failed for another reason (HTTP/2 not
    /// negotiated, TLS refused), 3 when the test could not set up.
    private static func checkFailsSayingWhy() async {
        do {
            let pki = try await ThrowawayServerCertificate()
            let server = try await ZeroStatusHTTP2Server.start(
                certificate: pki.path("server.crt"), key: pki.path("server.key"))
            var configuration = HTTPHealthProber.clientConfiguration()
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .file(pki.path("ca.crt"))
            configuration.tlsConfiguration = tls
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
            let prober = HTTPHealthProber(client: client, clock: SystemClock())
            let probe = await prober.check(
                HealthCheckPolicy(
                    name: "health", url: "https://127.0.0.1:\(server.port)/health", timeout: .seconds(5),
                    expectedStatuses: 200...299))
            try await client.shutdown()
            try await server.close()
            pki.folder.remove()
            if probe.result.isSuccess { exit(1) }
            if !"\(probe.result)".contains("is not an HTTP status") {
                FileHandle.standardError.write(Data("unexpected: \(probe.result)\n".utf8))
                exit(2)
            }
        } catch {
            FileHandle.standardError.write(Data("setup failed: \(error)\n".utf8))
            exit(3)
        }
    }
}

/// A CA and a server certificate for 127.0.0.1, made with the `openssl` command line in a temporary folder.
private struct ThrowawayServerCertificate {
    let folder: TemporaryDirectory

    init() async throws {
        folder = try TemporaryDirectory("h2-pki")
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try await openssl(
            ["req", "-x509"] + ec + [
                "-keyout", "ca.key", "-out", "ca.crt", "-days", "1", "-subj", "/CN=rewind-h2-test-ca",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign",
            ])
        try Data("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n".utf8).write(
            to: URL(fileURLWithPath: path("server.ext")))
        try await openssl(
            ["req", "-new"] + ec + ["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"])
        try await openssl([
            "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-set_serial", "2", "-days", "1",
            "-out", "server.crt", "-extfile", "server.ext",
        ])
    }

    func path(_ name: String) -> String { folder.file(name) }

    private func openssl(_ arguments: [String]) async throws {
        let result = try await CommandRunner.run(
            CommandInvocation(
                arguments: ["openssl"] + arguments, environment: .minimal, workingDirectory: folder.path,
                timeout: .seconds(30)))
        guard result.ending == .exited(0) else { throw SetupFailed("openssl \(arguments[0]): \(result.stderr)") }
    }
}

private struct SetupFailed: Error {
    let why: String
    init(_ why: String) { self.why = why }
}

/// An HTTP/2-only server over TLS on 127.0.0.1 that answers every request `:status: 000`.
private struct ZeroStatusHTTP2Server {
    let channel: any Channel
    var port: Int { channel.localAddress?.port ?? 0 }

    static func start(certificate: String, key: String) async throws -> ZeroStatusHTTP2Server {
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
        tls.applicationProtocols = ["h2"]
        let context = try NIOSSLContext(configuration: tls)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                }.flatMap {
                    channel.configureHTTP2Pipeline(mode: .server) { stream in
                        stream.eventLoop.makeCompletedFuture {
                            try stream.pipeline.syncOperations.addHandler(ZeroStatusResponder())
                        }
                    }.map { _ in }
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return ZeroStatusHTTP2Server(channel: channel)
    }

    func close() async throws { try await channel.close() }
}

/// Answers the request's headers with `:status: 000` and no body.
private final class ZeroStatusResponder: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .headers = unwrapInboundIn(data) else { return }
        let headers = HPACKHeaders([(":status", "000"), ("content-length", "0")])
        context.writeAndFlush(wrapOutboundOut(.headers(.init(headers: headers, endStream: true))), promise: nil)
    }
}
