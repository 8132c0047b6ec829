import AsyncHTTPClient
import Foundation
import NIOCore
import RewindCore
import RewindPorts
import RewindProviders
import RewindSpecs
import RewindTestSupport
import Testing

/// Vendor answers found by fuzzing (Fuzz/findings) that broke an adapter's promise. A rate-limit answer may name
/// any wait: it must come back as a rate-limit error with a wait of at most an hour (issue 11: saturating
/// arithmetic, capped) — never trap the daemon, which with a notice or a step waiting on it would crash again
/// after every restart. Counts and weights are the vendor's too: a nonsensical one must not trap or leak out.
///
/// Cases that trapped run in their own process (an exit test), so that a trap fails the test instead of the run.
@Suite("Hostile vendor answers")
struct HostileVendorAnswerTests {
    /// Vercel's error envelope: `limit.reset` in seconds, sixteen digits (`reset * 1000` overflows).
    @Test func vercelResetInSecondsIsCapped() async {
        await #expect(processExitsWith: .success) {
            await HostileVendorAnswerTests.exitWithWaitVerdict(
                answer: #"{"error":{"code":"rate_limited","limit":{"reset":"9999999999999999"}}}"#
            ) { base, client in
                let spec = VercelProviderSpec(
                    token: ConfigText("t0ken-vercel", isSecret: true), project: "shop", apiURL: base)
                _ = try await VercelProvider(spec: spec, client: client, redactor: Redactor()).listDeployments(
                    service: "web")
            }
        }
    }

    /// LaunchDarkly's `X-Ratelimit-Reset`, epoch milliseconds, at `Int64.min` (`reset - now` overflows).
    @Test func launchDarklyResetIsCapped() async {
        await #expect(processExitsWith: .success) {
            await HostileVendorAnswerTests.exitWithWaitVerdict(
                headers: "X-Ratelimit-Reset: -9223372036854775808\r\n", answer: "{}"
            ) { base, client in
                let spec = LaunchDarklyFlagsSpec(
                    apiURL: base, token: ConfigText("t0ken-launchdarkly", isSecret: true), tokenSource: "LD_TOKEN",
                    environment: "production")
                let flags = LaunchDarklySwitch(
                    spec: spec, flags: ["checkout"], service: "web", client: client, redactor: Redactor())
                _ = try await flags.isEnabled(flag: "checkout")
            }
        }
    }

    /// Cloudflare's `Ratelimit` header, `t=` with sixteen digits (shown in the message, it overflows).
    @Test func cloudflareRatelimitIsCapped() async {
        await #expect(processExitsWith: .success) {
            await HostileVendorAnswerTests.exitWithWaitVerdict(
                headers: "ratelimit: t=9999999999999999\r\n", answer: #"{"success":false,"errors":[]}"#
            ) { base, client in
                let spec = CloudflareTrafficSpec(
                    token: ConfigText("t0ken-cloudflare", isSecret: true), tokenSource: "CF_TOKEN", accountID: "a1",
                    routing: .origins(pool: "p1", stable: "stable", new: "canary"), apiURL: base)
                _ = try await CloudflareTraffic(spec: spec, client: client, redactor: Redactor())
                    .newVersionShare(service: "web")
            }
        }
    }

    /// Fuzz/findings/kubernetes-negative-replicas: `rollout status` of a Deployment whose status counts a
    /// negative number of updated replicas (`replicas - updatedReplicas` overflows).
    @Test func kubernetesNegativeReplicaCountsDoNotTrap() async {
        await #expect(processExitsWith: .success) {
            let deployment = #"""
                {"kind":"Deployment","metadata":{"name":"web","generation":1},"spec":{},
                 "status":{"observedGeneration":1,"replicas":9223372036854775807,"updatedReplicas":-1}}
                """#
            let raw = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n\(deployment)"
            guard let server = try? await LoopbackTCPServer.start(handler: { FixedAnswer(raw) }) else { exit(2) }
            let cluster = KubernetesClusterSpec(
                server: .url("http://127.0.0.1:\(server.port)"),
                credential: .token(ConfigText("t0ken-kube", isSecret: true)),
                authority: .systemRoots, credentialName: "KUBE_TOKEN")
            let provider = KubernetesProvider(
                spec: KubernetesProviderSpec(namespace: "shop", workload: "web", cluster: cluster),
                client: HTTPClient(eventLoopGroupProvider: .singleton), redactor: Redactor(), environment: [:])
            let target = Deployment(
                service: "web", id: "web-1", version: "v1", deployedAt: Timestamp(millisecondsSinceEpoch: 0))
            _ = try? await provider.status(
                of: RollbackOperation(id: "generation-1", finished: false), service: "web", target: target)
            exit(0)
        }
    }

    /// Fuzz/findings/cloudflare-weight-range: a pool whose origin weights leave Cloudflare's 0…1 gives a traffic
    /// share outside 0…1 (here -100 %), which `newVersionShare` promises never to return.
    @Test func cloudflareWeightsOutsideTheirRangeGiveAShareInRange() async throws {
        let pool =
            #"{"success":true,"result":{"origins":[{"name":"stable","weight":2},{"name":"canary","weight":-1}]}}"#
        let raw = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n\(pool)"
        let server = try await LoopbackTCPServer.start(handler: { FixedAnswer(raw) })
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let spec = CloudflareTrafficSpec(
            token: ConfigText("t0ken-cloudflare", isSecret: true), tokenSource: "CF_TOKEN", accountID: "a1",
            routing: .origins(pool: "p1", stable: "stable", new: "canary"), apiURL: "http://127.0.0.1:\(server.port)")
        let share = try? await CloudflareTraffic(spec: spec, client: client, redactor: Redactor())
            .newVersionShare(service: "web")
        try await client.shutdown()
        try await server.stop()
        if let share { #expect((0...1).contains(share), "share \(share)") }
    }

    /// Serves `429` with `headers` and `answer` on loopback, runs `call` against it, and exits 0 when it failed
    /// with a rate-limit error whose wait is 0…3600 s, 1 otherwise.
    static func exitWithWaitVerdict(
        headers: String = "", answer: String, _ call: (String, HTTPClient) async throws -> Void
    ) async -> Never {
        let raw = "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\n\(headers)\r\n\(answer)"
        guard let server = try? await LoopbackTCPServer.start(handler: { FixedAnswer(raw) }) else { exit(2) }
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            try await call("http://127.0.0.1:\(server.port)", client)
        } catch let error as ProviderError {
            let wait = error.retryAfter ?? .zero
            exit(error.kind == .rateLimited && wait >= .zero && wait <= .seconds(3600) ? 0 : 1)
        } catch {
            exit(1)
        }
        exit(1)
    }
}

/// Answers every connection's first read with fixed bytes, then closes it.
private final class FixedAnswer: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let answer: String
    private var answered = false

    init(_ answer: String) { self.answer = answer }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !answered else { return }
        answered = true
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: answer))).whenComplete { _ in
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
