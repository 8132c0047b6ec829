import Foundation
import RewindCore
import RewindNotify
import RewindPorts
import Synchronization

/// What notification channels make of their vendor's answer — PagerDuty's and Opsgenie's error bodies,
/// Slack's `{"ok": false, "error"}`, Teams and plain webhooks — through the real `Notifier.send` and its HTTP
/// client: the channels keep their error bodies private, so the answer comes from a loopback server, byte for
/// byte as the fuzzer wrote it (status line, headers, body; the connection closes after it).
///
/// The first input byte picks the channel; the rest is the answer. `send` returns or throws a
/// ``ProviderError`` within its deadline, never traps; the wait it reports is bounded; the error never shows
/// the channel's key, token or secret URL.
enum NotifyTarget {
    static let secret = "fuzz-secret-channel-7f3a"
    static let server = LoopbackServer()
    static let timeout: Duration = .seconds(2)

    static let channels: [any Notifier] = {
        let base = "http://127.0.0.1:\(server.port)"
        let key = ConfigText(secret, isSecret: true)
        let redactor = Redactor(secrets: [secret, "\(base)/hooks/\(secret)"])
        let templates = try! NoticeTemplates()
        return [
            PagerDutyNotifier(
                routingKey: key, url: base, name: "pagerduty", client: fuzzHTTPClient, timeout: timeout,
                redactor: redactor),
            SlackChatNotifier(
                token: key, channel: "#incidents", apiURL: base, name: "slack", templates: templates,
                client: fuzzHTTPClient, timeout: timeout, redactor: redactor),
            OpsgenieNotifier(
                apiKey: key, url: base, name: "opsgenie", client: fuzzHTTPClient, timeout: timeout, redactor: redactor),
            SlackWebhookNotifier(
                url: ConfigText("\(base)/hooks/\(secret)", isSecret: true), name: "slack-webhook", templates: templates,
                client: fuzzHTTPClient, timeout: timeout, redactor: redactor),
            TeamsNotifier(
                url: ConfigText("\(base)/hooks/\(secret)", isSecret: true), name: "teams", templates: templates,
                client: fuzzHTTPClient, timeout: timeout, redactor: redactor),
            WebhookNotifier(
                url: ConfigText("\(base)/hooks", isSecret: false), secret: key, name: "webhook", client: fuzzHTTPClient,
                timeout: timeout, redactor: redactor),
        ]
    }()

    static let notice = Notice(
        kind: .initiated, incidentID: 7, services: ["backend"], trigger: .healthCritical, severity: .critical,
        timestamp: Timestamp(millisecondsSinceEpoch: 1_790_000_000_250), strategy: .immediate,
        actions: ["roll back backend v42 → v41"], status: "rolling back")

    /// AsyncHTTPClient traps on a final status under 100 (finding ahc-status-below-100).
    static func statusBelow100(_ answer: ArraySlice<UInt8>) -> Bool {
        let line = String(decoding: answer.prefix(64), as: UTF8.self).split(separator: "\r\n").first ?? ""
        let parts = line.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count > 1 else { return false }
        let digits = parts[1].prefix(while: \.isNumber)
        return !digits.isEmpty && (Int(digits).map { $0 < 100 } ?? false)
    }

    static func run(_ bytes: [UInt8]) {
        if skippingWaits && mentionsWait(bytes) { return }
        if skipping("ahc-status-below-100") && statusBelow100(bytes.dropFirst()) { return }
        guard let first = bytes.first else { return }
        let channel = channels[Int(first) % channels.count]
        server.answer(with: Array(bytes.dropFirst()))
        let outcome = Mutex<(any Error)??>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            do {
                try await channel.send(notice)
                outcome.withLock { $0 = .some(nil) }
            } catch {
                outcome.withLock { $0 = .some(error) }
            }
            done.signal()
        }
        let finished = done.wait(timeout: .now() + .seconds(8)) == .success
        expect(finished, "\(channel.channel) did not finish within 8 s of its 2 s deadline")
        guard case .some(let error?) = outcome.withLock({ $0 }) else { return }
        guard let error = error as? ProviderError else { return expect(false, "\(channel.channel) threw \(error)") }
        expectBoundedWait(error.retryAfter, "\(channel.channel)'s wait")
        expectNoSecret(error.message, [secret], "\(channel.channel)'s error")
        _ = error.retryAfter?.rewindDescription
    }
}
