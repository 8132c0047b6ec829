import RewindCore

@testable import RewindSignals

/// The Alertmanager webhook intake (`AlertmanagerWebhook.parseNotification`): any body gives mapped alerts or
/// a rejection, never a trap. A rejection's reason is short and printable (it is the 400 answer and a log
/// line: "quotes at most a short, sanitised piece of what was sent"). Accepted alerts keep their promises:
/// a firing alert has no end, empty labels count as absent, the notification fires when an alert does.
enum AlertmanagerTarget {
    static let mapping = AlertMapping()
    /// The limit the server applies is a few KiB above any fuzz input: the size check is exercised too.
    static let maxBodyBytes = 64 * 1024

    static func run(_ bytes: [UInt8]) {
        switch AlertmanagerWebhook.parseNotification(bytes, mapping: mapping, maxBodyBytes: maxBodyBytes) {
        case .success(let notification):
            expect(
                notification.firing == notification.alerts.contains(where: \.firing), "group firing ≠ any alert firing")
            for alert in notification.alerts {
                expect(alert.service?.isEmpty != true, "an empty service label counted as a service")
                expect(alert.fingerprint?.isEmpty != true, "an empty fingerprint kept")
                if let endsAt = alert.endsAt { expect(endsAt > RFC3339.goZeroTime, "Go's zero time kept as an end") }
                _ = alert.startsAt.iso8601
                _ = alert.summary
            }
        case .failure(let rejection):
            expect(bytes.count <= maxBodyBytes || rejection.kind == .tooLarge, "an oversized body not refused as such")
            expect(rejection.httpStatus == 400 || rejection.httpStatus == 413, "rejected with \(rejection.httpStatus)")
            expectTidy(rejection.reason, limit: 512, "the rejection reason")
        }
    }
}
