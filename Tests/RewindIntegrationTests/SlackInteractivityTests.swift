import Crypto
import Foundation
import RewindCore
import Testing

@testable import RewindServer

/// Slack's interactivity requests: the signature (HMAC-SHA256 with the app's signing secret over
/// `v0:timestamp:body`, within five minutes) and the click they carry.
@Suite("Slack interactivity: signatures and clicks")
struct SlackInteractivityTests {
    static let secret = "8f742231b10e8888abcd99yyyzzz85a5"
    static let now = Timestamp(millisecondsSinceEpoch: 1_790_000_000_000)

    static func sign(_ body: [UInt8], timestamp: String, secret: String = secret) -> String {
        let mac = HMAC<SHA256>.authenticationCode(
            for: Array("v0:\(timestamp):".utf8) + body, using: SymmetricKey(data: Data(secret.utf8)))
        return "v0=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    static func form(_ json: String) -> [UInt8] {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return Array(("payload=" + json.addingPercentEncoding(withAllowedCharacters: allowed)!).utf8)
    }

    @Test("signed with a configured secret within five minutes: accepted; otherwise the reason")
    func signatures() {
        let body = Self.form(#"{"type":"block_actions"}"#)
        let timestamp = "1790000000"
        let good = Self.sign(body, timestamp: timestamp)
        func check(
            _ body: [UInt8], _ timestamp: String?, _ signature: String?, secrets: [String] = [Self.secret]
        )
            -> String?
        {
            SlackSignature.problem(
                body: body, timestamp: timestamp, signature: signature, secrets: secrets, now: Self.now)
        }
        #expect(check(body, timestamp, good) == nil)
        #expect(check(body, timestamp, good, secrets: ["other-app-secret", Self.secret]) == nil)
        #expect(check(body, timestamp, good.uppercased().replacingOccurrences(of: "V0=", with: "v0=")) == nil)
        #expect(check(body, timestamp, good, secrets: ["other-app-secret"])?.contains("does not match") == true)
        #expect(check(body + [0x20], timestamp, good)?.contains("does not match") == true)
        // Five minutes and one second either way: a replay, or a clock to fix.
        let stale = "1789999699"
        #expect(check(body, stale, Self.sign(body, timestamp: stale))?.contains("more than 5 minutes") == true)
        let future = "1790000301"
        #expect(check(body, future, Self.sign(body, timestamp: future))?.contains("more than 5 minutes") == true)
        for malformed in [nil, "", "-5", "17900000000000000000000", "soon"] as [String?] {
            #expect(check(body, malformed, good)?.contains("X-Slack-Request-Timestamp") == true)
        }
        for malformed in [nil, "sha256=" + good.dropFirst(3), "v0=abc", "v0=" + String(repeating: "zz", count: 32)]
            as [String?]
        {
            #expect(check(body, timestamp, malformed)?.contains("X-Slack-Signature") == true)
        }
    }

    @Test("a click names the action, the incident and the person; anything else is refused with the reason")
    func clicks() throws {
        let click =
            #"{"type":"block_actions","user":{"id":"U0123ABC","username":"dana.o"},"actions":[{"action_id":"rewind_acknowledge","value":"42"}]}"#
        #expect(
            try SlackInteraction.parse(Self.form(click)).get()
                == SlackInteraction(action: .acknowledge, incidentID: 42, actor: "Slack user dana.o (U0123ABC)"))
        // Form encoding with + for spaces; a hostile name keeps only safe characters.
        let hostile =
            #"{"type":"block_actions","user":{"id":"U1","name":"eve <!channel> \n\"x\""},"actions":[{"action_id":"rewind_roll_back_now","value":"7"}]}"#
        let parsed = try SlackInteraction.parse(Self.form(hostile)).get()
        #expect(parsed.action == .rollBackNow && parsed.actor == "Slack user evechannelx (U1)")

        func reason(_ body: [UInt8]) -> String? {
            if case .failure(let problem) = SlackInteraction.parse(body) { return problem.reason }
            return nil
        }
        #expect(reason(Array("not a form".utf8))?.contains("payload=") == true)
        #expect(reason(Self.form("{"))?.contains("not a Slack interaction") == true)
        #expect(reason(Self.form(#"{"type":"view_submission","user":{"id":"U1"}}"#))?.contains("block_actions") == true)
        let foreign =
            #"{"type":"block_actions","user":{"id":"U1"},"actions":[{"action_id":"approve_expense","value":"7"}]}"#
        #expect(reason(Self.form(foreign))?.contains("not one of Rewind's buttons") == true)
        let noNumber =
            #"{"type":"block_actions","user":{"id":"U1"},"actions":[{"action_id":"rewind_acknowledge","value":"-1"}]}"#
        #expect(reason(Self.form(noNumber))?.contains("not an incident number") == true)
    }
}
