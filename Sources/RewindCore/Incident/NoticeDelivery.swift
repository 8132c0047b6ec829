/// Which delivery of the outbox a notice is, set by the dispatcher on the notice it hands a channel
/// (never stored with the notice).
///
/// Delivery is at least once: a daemon killed after a vendor accepted a notice but before the outbox
/// recorded it `sent` leaves the entry pending, and the next daemon sends it again. Rewind cannot
/// tell those apart from entries the killed daemon never sent, so it says so instead:
///
/// - ``id`` is the outbox entry's id: the same on every attempt, across restarts and failovers, so a
///   receiver can fold repeats (webhooks carry it as `X-Rewind-Delivery`; e-mails build their
///   `Message-ID` from it).
/// - ``mayRepeat`` is true when the entry was written by an earlier daemon (one that was killed, or a
///   leader that lost its lease) and the channel cannot fold a repeat itself: the message then opens
///   with a line saying it may have arrived already, and the incident's timeline records the delivery
///   as "sent again". Channels that fold repeats by key (PagerDuty's `dedup_key`, Opsgenie's alias)
///   never say so.
public struct NoticeDelivery: Sendable, Equatable, Codable {
    public var id: Int64
    public var mayRepeat: Bool

    public init(id: Int64, mayRepeat: Bool) {
        self.id = id
        self.mayRepeat = mayRepeat
    }

    /// The line a possibly repeated message opens with.
    public static let repeatLine =
        "↻ Sent again after Rewind restarted during its delivery: you may have received this notice already."
}
