import Foundation
import Synchronization

/// Slack, as documented in `reference/platform-apis.md` §7.
///
/// - `POST /slack/webhook/{id}` (an incoming webhook): `Content-Type: application/json` with a non-empty
///   `text` or valid `blocks` → 200 `ok`. A body that is not a JSON object → 400 `invalid_payload`;
///   neither text nor blocks → 400 `no_text`; malformed blocks (a section over 3000 characters, more than
///   50 blocks, an unknown type) → 400 `invalid_blocks`; an id not registered with
///   ``NotificationSinks/addSlackWebhook(_:)`` (once any is) → 404 `no_service`.
/// - `POST /slack/api/chat.postMessage`: HTTP 200 always (but for faults); `{"ok":false,"error":…}` with
///   `not_authed` (no bearer token), `invalid_auth` (not ``NotificationSinks/slackToken``), `invalid_json`,
///   `channel_not_found`, `no_text`, `invalid_blocks`; else `{"ok":true,"channel","ts","message"}`.
extension NotificationSinks {
    func slackWebhook(_ request: SinkRequest) -> SinkAnswer {
        let id = request.parameter ?? ""
        let known = state.withLock { $0.slackWebhookIDs.isEmpty || $0.slackWebhookIDs.contains(id) }
        guard known else { return .text("no_service", status: 404) }
        guard request.header("content-type")?.lowercased().hasPrefix("application/json") == true,
            let message = request.json, message.object != nil
        else { return .text("invalid_payload", status: 400) }
        if let problem = SlackRules.problem(in: message) { return .text(problem, status: 400) }
        return .text("ok", status: 200)
    }

    func slackPostMessage(_ request: SinkRequest) -> SinkAnswer {
        guard let authorization = request.header("authorization"), authorization.hasPrefix("Bearer ") else {
            return Self.slackError("not_authed")
        }
        guard authorization.dropFirst("Bearer ".count) == slackToken else { return Self.slackError("invalid_auth") }
        guard let message = request.json, message.object != nil else { return Self.slackError("invalid_json") }
        guard let channel = message["channel"]?.string, !channel.isEmpty else {
            return Self.slackError("channel_not_found")
        }
        if let problem = SlackRules.problem(in: message) { return Self.slackError(problem) }
        let sequence = nextSequence()
        let ts = "\(Int(Date().timeIntervalSince1970)).\(String(format: "%06d", sequence % 1_000_000))"
        let text = message["text"]?.string ?? ""
        return .json(
            [
                "ok": true, "channel": channel, "ts": ts,
                "message": ["type": "message", "text": text, "bot_id": "B0SANDBOX", "ts": ts] as [String: Any],
            ],
            status: 200
        )
    }

    private static func slackError(_ code: String) -> SinkAnswer {
        .json(["ok": false, "error": code], status: 200)
    }
}

/// What Slack checks in a message, in both APIs.
enum SlackRules {
    static let maxBlocks = 50
    static let maxSectionText = 3000

    /// The error code for `message`, or nil when Slack would accept it.
    static func problem(in message: SinkJSON) -> String? {
        if let blocks = message["blocks"] {
            guard let blocks = blocks.array, blocks.count <= maxBlocks, blocks.allSatisfy(isValid) else {
                return "invalid_blocks"
            }
            if !blocks.isEmpty { return nil }
        }
        let text = message["text"]?.string ?? ""
        return text.isEmpty ? "no_text" : nil
    }

    private static func isValid(_ block: SinkJSON) -> Bool {
        switch block["type"]?.string {
        case "section":
            return isValidText(block["text"], limit: maxSectionText)
        case "context":
            guard let elements = block["elements"]?.array, (1...10).contains(elements.count) else { return false }
            return elements.allSatisfy { isValidText($0, limit: maxSectionText) }
        case "header":
            return isValidText(block["text"], limit: 150)
        case "divider", "actions", "image", "rich_text", "input", "file", "video":
            return true
        default:
            return false
        }
    }

    private static func isValidText(_ text: SinkJSON?, limit: Int) -> Bool {
        guard let text, ["mrkdwn", "plain_text"].contains(text["type"]?.string ?? ""),
            let content = text["text"]?.string
        else { return false }
        return (1...limit).contains(content.count)
    }
}
