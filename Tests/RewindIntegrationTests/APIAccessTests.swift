import Foundation
import Hummingbird
import RewindCore
import RewindEngine
import Testing

@testable import RewindServer

/// The server's access rules as tables (RewindServer has no test target of its own; the daemon
/// tests exercise the same rules over HTTP).
@Suite("API access: tokens, hosts, exact paths, health answers")
struct APIAccessTests {
    static let tokens = [
        APIToken(name: "oncall", token: ConfigText("oncall-secret", isSecret: true), scopes: [.read, .operate]),
        APIToken(name: "ci", token: ConfigText("ci-secret", isSecret: true), scopes: [.events]),
    ]

    @Test func tokensAndScopes() {
        let access = APIAccess(tokens: Self.tokens, listenHost: "127.0.0.1")
        #expect(
            access.decide(authorization: "Bearer oncall-secret", scope: .operate)
                == .admitted(.init(token: "oncall", scopes: [.read, .operate])))
        #expect(
            access.decide(authorization: "Bearer ci-secret", scope: .operate)
                == .forbidden(.init(token: "ci", scopes: [.events])))
        #expect(access.decide(authorization: "Bearer nope", scope: .read) == .unauthenticated)
        #expect(access.decide(authorization: nil, scope: .read) == .unauthenticated)
        let open = APIAccess(tokens: [], listenHost: "127.0.0.1")
        #expect(open.decide(authorization: nil, scope: .operate) == .admitted(.anonymous))
        #expect(APIAccess.Caller.anonymous.actor == "anonymous")
        #expect(APIAccess.Caller(token: "anonymous", scopes: []).actor == "token anonymous")
    }

    @Test(
        "Host against the listen address",
        arguments: [
            ("127.0.0.1", "127.0.0.1:8786", true), ("127.0.0.1", "localhost:8786", true),
            ("127.0.0.1", "LOCALHOST", true),
            ("127.0.0.1", "[::1]:8786", true), ("127.0.0.1", "127.0.0.2", true),
            ("127.0.0.1", "attacker.example:8786", false),
            ("127.0.0.1", "10.0.0.5:8786", false), ("127.0.0.1", "rewind.internal", true),
            ("127.0.0.1", "localhost.", true),
            ("0.0.0.0", "10.0.0.5:8786", true), ("0.0.0.0", "[fd00::5]:8786", true),
            ("0.0.0.0", "attacker.example", false),
            ("0.0.0.0", "localhost", true), ("10.0.0.5", "10.0.0.5:8786", true), ("10.0.0.5", "10.0.0.6:8786", false),
            ("10.0.0.5", "localhost", false), ("127.0.0.1", "evil.example/x", false),
            ("127.0.0.1", "user@127.0.0.1", false),
            ("127.0.0.1", "127.0.0.1:port", false), ("127.0.0.1", "", true),
        ] as [(String, String, Bool)]
    )
    func hosts(listen: String, host: String, allowed: Bool) {
        let access = APIAccess(tokens: [], listenHost: listen, allowedHosts: ["Rewind.Internal"])
        #expect(access.allowsHost(host) == allowed)
    }

    @Test(
        "only paths written exactly reach a route",
        arguments: [
            ("/", true), ("/hooks/alertmanager", true), ("/api/v1/incidents/7/ack", true),
            ("/hooks//alertmanager", false),
            ("///hooks/alertmanager/", false), ("/hooks/alertmanager/", false), ("//hooks/alertmanager", false),
            ("/hooks/./alertmanager", false), ("/hooks/x/../alertmanager", false), ("hooks/alertmanager", false),
        ] as [(String, Bool)]
    )
    func exactPaths(path: String, routed: Bool) {
        #expect(RequestGate<BasicRequestContext>.isExact(path) == routed)
    }

    @Test func healthAnswers() throws {
        func health(_ json: String) throws -> EngineHealth {
            try JSONDecoder().decode(EngineHealth.self, from: Data(json.utf8))
        }
        let waiting = try health(
            #"{"alive":false,"leader":false,"writable":true,"instance":"i","problem":"waiting for the writer lease"}"#)
        #expect(!waiting.stopped && !waiting.ready)
        let live = HealthAnswer(waiting, ok: !waiting.stopped)
        #expect(live.status == "ok" && live.error == nil)
        let notReady = HealthAnswer(waiting, ok: waiting.ready)
        #expect(notReady.status == "unavailable" && notReady.error == "waiting for the writer lease")
        let stopped = try health(
            #"{"alive":false,"leader":false,"writable":true,"instance":"i","problem":"stopped: lease lost","stopped":true}"#
        )
        #expect(HealthAnswer(stopped, ok: !stopped.stopped).error == "stopped: lease lost")
    }
}
