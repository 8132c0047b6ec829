import Synchronization

/// The outbox entries an engine found when it took the writer lease: written by an earlier daemon
/// (one that was killed, or a leader that lost its lease), which may have delivered any of them in
/// the moment between the vendor's answer and its record of `sent`. The dispatcher says so when it
/// delivers one on a channel that cannot fold a repeat (``NoticeDelivery/mayRepeat``).
///
/// Ids are assigned in increasing order and never reused, so the newest id at the takeover divides
/// the inherited entries from this engine's own.
final class InheritedOutbox: Sendable {
    private let newest = Mutex<Int64>(0)

    /// Remembers the newest entry id at the takeover (0: the outbox was empty).
    func takeOver(newestID: Int64) {
        newest.withLock { $0 = newestID }
    }

    /// Whether an earlier daemon wrote the entry.
    func contains(_ id: Int64) -> Bool {
        newest.withLock { id <= $0 }
    }
}
