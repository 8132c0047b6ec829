import RewindCore

@testable import RewindSignals

/// The pushed-events intake (`PushedEvents.parse`): any body gives events or a rejection, never a trap.
/// Accepted events keep the documented limits (count, names, finite values, clock skew, detail length); a
/// rejection's reason is short and printable.
enum PushedEventsTarget {
    static let limits = PushLimits(maxBodyBytes: 64 * 1024)
    static let now = Timestamp(millisecondsSinceEpoch: 1_790_000_000_000)

    static func run(_ bytes: [UInt8]) {
        switch PushedEvents.parse(bytes, limits: limits, now: now) {
        case .success(let events):
            expect(events.count <= limits.maxEvents, "\(events.count) events accepted")
            for event in events {
                expect(event.at <= now + limits.maxFutureSkew, "an event from \(event.at) accepted at \(now)")
                expect(PushedEvents.isValidName(event.service, maxLength: limits.maxNameLength), "service name")
                _ = event.at.iso8601
                switch event {
                case .metric(let metric):
                    expect(metric.value.isFinite, "a metric value of \(metric.value) accepted")
                    expect(PushedEvents.isValidName(metric.signal, maxLength: limits.maxNameLength), "signal name")
                case .security(let finding):
                    expect(PushedEvents.isValidName(finding.name, maxLength: limits.maxNameLength), "event name")
                    expect(PushedEvents.isValidName(finding.severity, maxLength: limits.maxNameLength), "severity")
                    expect((finding.detail?.count ?? 0) <= limits.maxDetailLength, "detail over the limit")
                }
            }
        case .failure(let rejection):
            expectTidy(rejection.reason, limit: 512, "the rejection reason")
        }
    }
}
