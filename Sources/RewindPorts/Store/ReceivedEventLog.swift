import RewindCore

/// What the daemon received from outside, kept for `rewind replay`: every external alert it accepted
/// (Alertmanager's webhook, security events pushed to the API) and every pushed metric value it kept in a
/// signal's window, each with the time it was received on the daemon's clock.
///
/// A capability of its own, beside ``RewindStore`` (callers ask `store as? any ReceivedEventLog`): the in-memory
/// store, SQLite and PostgreSQL have it. One contract suite (`Tests/RewindStoreTests`) holds them to this:
/// - ``recordReceived(_:)`` appends every alert and value of the batch in one transaction, in the order given;
///   an empty batch writes nothing. Fenced like every write (``RewindStore``).
/// - ``receivedEvents(from:to:)`` reads those received in `[from, to)`, each list by receive time, ties in the
///   order recorded. A read: it changes nothing.
/// - ``pruneReceived(before:keepingNewest:)`` forgets what was received before `before` and, of each list,
///   all but the newest `keepingNewest` (by the order recorded): the daemon's pruning pass bounds the tables by
///   time and by rows. Pruning twice is the same as pruning once. Fenced.
///
/// What is stored is what the decision core reads (``ExternalAlert``, ``PushedValue``), with the text the engine
/// already redacted: never a label, an annotation besides the summary, nor a request header.
public protocol ReceivedEventLog: Sendable {
    /// Appends a batch, atomically.
    func recordReceived(_ events: ReceivedEvents) async throws

    /// The alerts and values received in `[from, to)`, oldest first.
    func receivedEvents(from: Timestamp, to: Timestamp) async throws -> ReceivedEvents

    /// Removes what was received before `before`, and of each list all but the newest `keepingNewest`; returns how
    /// many alerts and values it removed.
    func pruneReceived(before: Timestamp, keepingNewest: Int) async throws -> ReceivedEventsPruned
}
