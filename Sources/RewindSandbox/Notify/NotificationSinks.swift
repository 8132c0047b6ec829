import Foundation
import Synchronization

/// Which emulated vendor endpoint a request reached. The demo's are here; RewindTestSupport adds the vendors
/// only tests use (`teams`, `opsgenie`, `webhook`).
public struct SinkKind: RawRepresentable, Sendable, Hashable {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    public static let slackWebhook = SinkKind(rawValue: "slack_webhook")
    public static let slackChat = SinkKind(rawValue: "slack_chat")
    public static let pagerDuty = SinkKind(rawValue: "pagerduty")
}

/// One request a sink received, and what it answered.
public struct ReceivedMessage: Sendable {
    public var kind: SinkKind
    /// The path, without the query (`/slack/webhook/T1`).
    public var path: String
    /// The raw query string, if any (`identifierType=alias`).
    public var query: String?
    /// Header names lowercased; repeated headers joined with `, `.
    public var headers: [String: String]
    public var body: String
    /// The body parsed as JSON; nil when it is not JSON.
    public var json: SinkJSON?
    /// The HTTP status the sink answered (an injected fault included).
    public var status: Int

    public var accepted: Bool { (200...299).contains(status) }
}

/// An alert as the PagerDuty emulator holds it.
public struct PagerDutyAlert: Sendable, Equatable {
    public enum State: String, Sendable, Equatable {
        case triggered, acknowledged, resolved
    }

    public var dedupKey: String
    public var routingKey: String
    public var state: State
    public var summary: String
    public var severity: String
    /// Trigger events folded into this alert (retries and updates de-duplicated by `dedup_key`).
    public var triggerCount: Int
    /// The event actions applied, in order (`trigger`, `trigger`, `resolve`).
    public var events: [String]

    public var isOpen: Bool { state != .resolved }
}

/// The state of the notification emulators served by ``NotificationSinksServer``: what each received,
/// the PagerDuty alerts, the Slack credentials they expect, and faults to inject. Thread-safe.
///
/// ```swift
/// let sinks = NotificationSinks()
/// sinks.failNext(1, path: "/slack/", status: 429, retryAfter: 7)
/// …
/// sinks.received(.slackWebhook).last?.json?["text"]?.string
/// ```
public final class NotificationSinks: Sendable {
    struct Fault: Sendable {
        var remaining: Int
        var pathPrefix: String
        var status: Int
        var retryAfter: Int?
        var body: String?
    }

    struct State: Sendable {
        var slackWebhookIDs: Set<String> = []
        var slackToken = "xoxb-sandbox"
        var faults: [Fault] = []
        var received: [ReceivedMessage] = []
        var pagerDutyAlerts: [PagerDutyAlert] = []
        var sequence = 0
    }

    let state = Mutex(State())

    public init() {}

    // MARK: Configuration

    /// The bot token `chat.postMessage` accepts (`Authorization: Bearer …`). Default `xoxb-sandbox`.
    public var slackToken: String {
        get { state.withLock { $0.slackToken } }
        set { state.withLock { $0.slackToken = newValue } }
    }

    /// Registers a Slack webhook id. Once any is registered, other ids answer 404 `no_service` (a
    /// revoked webhook); before that every id is accepted.
    public func addSlackWebhook(_ id: String) {
        state.withLock { _ = $0.slackWebhookIDs.insert(id) }
    }

    /// The next `count` requests whose path starts with `prefix` (e.g. `/slack/`, `/pagerduty/`) answer
    /// `status`, with `Retry-After: retryAfter` when given, and `body` (plain text) when given.
    public func failNext(_ count: Int, path prefix: String, status: Int, retryAfter: Int? = nil, body: String? = nil) {
        state.withLock {
            $0.faults.append(
                Fault(remaining: count, pathPrefix: prefix, status: status, retryAfter: retryAfter, body: body)
            )
        }
    }

    // MARK: Inspection

    /// Every request `kind` received, oldest first, rejected ones included (see ``ReceivedMessage/status``).
    public func received(_ kind: SinkKind) -> [ReceivedMessage] {
        state.withLock { $0.received.filter { $0.kind == kind } }
    }

    /// The requests `kind` accepted (2xx), oldest first.
    public func accepted(_ kind: SinkKind) -> [ReceivedMessage] {
        received(kind).filter(\.accepted)
    }

    /// How many requests each sink received.
    public var counts: [SinkKind: Int] {
        state.withLock { state in
            state.received.reduce(into: [:]) { counts, message in counts[message.kind, default: 0] += 1 }
        }
    }

    /// Every PagerDuty alert, oldest first; a trigger after a resolve opens a new one.
    public var pagerDutyAlerts: [PagerDutyAlert] {
        state.withLock { $0.pagerDutyAlerts }
    }

    /// The newest PagerDuty alert with `dedupKey`.
    public func pagerDutyAlert(dedupKey: String) -> PagerDutyAlert? {
        state.withLock { $0.pagerDutyAlerts.last { $0.dedupKey == dedupKey } }
    }

    /// Forgets what was received and the alerts; keeps the configuration.
    public func reset() {
        state.withLock {
            $0.received.removeAll()
            $0.pagerDutyAlerts.removeAll()
            $0.faults.removeAll()
        }
    }

    // MARK: Serving

    /// Answers one request: an injected fault when one matches, otherwise the emulator's `route`; the
    /// request is recorded either way.
    func answer(_ kind: SinkKind, _ request: SinkRequest, route: (SinkRequest) -> SinkAnswer) -> SinkAnswer {
        let answer = takeFault(for: request.path).map(Self.answer(for:)) ?? route(request)
        let message = ReceivedMessage(
            kind: kind,
            path: request.path,
            query: request.query,
            headers: request.headers,
            body: String(decoding: request.body, as: UTF8.self),
            json: SinkJSON.parse(request.body),
            status: answer.status
        )
        state.withLock { $0.received.append(message) }
        return answer
    }

    /// A number that grows with every call (Slack `ts`, request ids).
    func nextSequence() -> Int {
        state.withLock {
            $0.sequence += 1
            return $0.sequence
        }
    }

    private func takeFault(for path: String) -> Fault? {
        state.withLock { state in
            guard let index = state.faults.firstIndex(where: { $0.remaining > 0 && path.hasPrefix($0.pathPrefix) })
            else { return nil }
            state.faults[index].remaining -= 1
            let fault = state.faults[index]
            if fault.remaining == 0 { state.faults.remove(at: index) }
            return fault
        }
    }

    private static func answer(for fault: Fault) -> SinkAnswer {
        var headers: [(String, String)] = []
        if let retryAfter = fault.retryAfter { headers.append(("Retry-After", String(retryAfter))) }
        return .text(fault.body ?? "", status: fault.status, headers: headers)
    }
}

/// A request as the emulators see it.
package struct SinkRequest: Sendable {
    package var path: String
    package var query: String?
    package var headers: [String: String]
    package var body: Data
    /// The route's path parameter (`{id}`, `{alias}`), if any.
    package var parameter: String?

    package func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// The value of `name` in the query string.
    package func queryValue(_ name: String) -> String? {
        guard let query else { return nil }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.first.map(String.init)?.removingPercentEncoding == name {
                return parts.count > 1 ? String(parts[1]).removingPercentEncoding ?? String(parts[1]) : ""
            }
        }
        return nil
    }

    package var json: SinkJSON? { SinkJSON.parse(body) }
}

/// What an emulator answers.
package struct SinkAnswer: Sendable {
    package var status: Int
    package var headers: [(String, String)]
    package var body: Data

    package static func text(_ text: String, status: Int, headers: [(String, String)] = []) -> SinkAnswer {
        SinkAnswer(
            status: status,
            headers: [("Content-Type", "text/plain; charset=utf-8")] + headers,
            body: Data(text.utf8)
        )
    }

    /// A JSON answer from a plain value tree (dictionaries, arrays, strings, numbers, booleans).
    package static func json(_ value: Any, status: Int) -> SinkAnswer {
        let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])) ?? Data("{}".utf8)
        return SinkAnswer(status: status, headers: [("Content-Type", "application/json; charset=utf-8")], body: data)
    }

    package static func empty(status: Int) -> SinkAnswer {
        SinkAnswer(status: status, headers: [], body: Data())
    }

    /// An answer with no body but its content type (an empty protobuf message is zero bytes).
    package static func empty(status: Int, contentType: String) -> SinkAnswer {
        SinkAnswer(status: status, headers: [("Content-Type", contentType)], body: Data())
    }
}
