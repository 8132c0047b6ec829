import RewindCore

/// Everything Rewind remembers: the composition of the store's capabilities.
///
/// Callers that need one capability take the narrow port (``DeploymentLedger``,
/// ``IncidentJournal``, ``NotificationOutbox``, ``EscalationTimers``, ``WriterLease``,
/// ``StateCommitter``, ``StatePruning``, ``StateInventory``); the engine, which needs them all, takes a `RewindStore`.
///
/// Implementations: ``MemoryStore`` (beside the ports, for tests and tools), `SQLiteStore` (one
/// file, the default) and, for replicas, a PostgreSQL store. One contract suite
/// (`Tests/RewindStoreTests`) runs against each of them; what it checks is what the `///` of each
/// requirement says.
///
/// Contract shared by every requirement:
/// - Each call is atomic, and sees every write committed before it started (in this process or
///   another one sharing the state). ``StateCommitter/commit(_:)`` makes several writes atomic
///   together; every single write is such a commit of one part.
/// - Times are the caller's clock ( `Timestamp`s passed in); a store never reads a clock.
/// - Errors conform to `RewindError`. Codes every implementation shares:
///   `store_not_found` (a deployment, incident, task, notification or timer the call refers to is
///   not stored), `store_invalid_change` (``InvalidStateChange``), `store_fenced`
///   (``StoreFenced``). Implementations add their own (`store_busy`, `store_corrupt`, …).
///   Cancellation surfaces as `CancellationError`.
/// - Writes through a store bound to a lease grant (``WriterLease/fenced(by:)``) are fenced: each
///   checks, inside its own transaction, that the grant is still the lease in force. Writes
///   through an unbound store are not checked (see ``WriterLease``).
public protocol RewindStore:
    DeploymentLedger, IncidentJournal, NotificationOutbox, EscalationTimers, WriterLease, StateCommitter, StatePruning,
    StateInventory
{}
