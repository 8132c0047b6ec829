import RewindCore
import Synchronization

/// Every store port in memory: the reference implementation the contract suite holds the
/// databases to, and a store for tests and tools that need no file.
///
/// Copies share one state (a value type over a shared, locked state), the way two connections
/// share one database: ``fenced(by:)`` returns a copy bound to a lease grant. A commit works on a
/// copy of the state and stores it only when every write succeeded, so it is all or nothing like
/// a database transaction. Nothing survives the process.
public struct MemoryStore: RewindStore {
    let state: SharedState
    let fence: LeaseGrant?

    /// An empty store.
    public init() {
        self.init(state: SharedState(), fence: nil)
    }

    init(state: SharedState, fence: LeaseGrant?) {
        self.state = state
        self.fence = fence
    }

    public func fenced(by grant: LeaseGrant) -> MemoryStore {
        MemoryStore(state: state, fence: grant)
    }

    // MARK: - Commit

    public func commit(_ change: StateChange) async throws -> CommittedChange {
        try state.tables.withLock { tables in
            if let fence { try LeaseRecord.requireInForce(fence, stored: tables.lease) }
            var draft = tables
            let committed = try change.apply(
                createIncident: { try draft.insert($0) },
                write: { try draft.apply($0, into: &$1) })
            tables = draft
            return committed
        }
    }

    // MARK: - Pruning

    public func prune(_ retention: RetentionPolicy, now: Timestamp) async throws -> PruneReport {
        try state.tables.withLock { tables in
            if let fence { try LeaseRecord.requireInForce(fence, stored: tables.lease) }
            return tables.prune(retention, now: now)
        }
    }

    // MARK: - Writer lease

    public func acquireLease(
        instance: String, advertising url: String?, now: Timestamp, until: Timestamp
    ) async throws -> LeaseGrant? {
        state.tables.withLock { tables in
            guard
                let acquired = LeaseRecord.acquiring(
                    tables.lease, instance: instance, advertising: url, now: now, until: until)
            else { return nil }
            tables.lease = acquired
            return acquired.grant
        }
    }

    public func renewLease(_ grant: LeaseGrant, until: Timestamp) async throws -> LeaseGrant {
        try state.tables.withLock { tables in
            let renewed = try LeaseRecord.renewing(tables.lease, grant: grant, until: until)
            tables.lease = renewed
            return renewed.grant ?? grant
        }
    }

    public func releaseLease(_ grant: LeaseGrant) async throws {
        state.tables.withLock { tables in
            if let released = LeaseRecord.releasing(tables.lease, grant: grant) { tables.lease = released }
        }
    }

    public func currentLease() async throws -> LeaseGrant? {
        state.tables.withLock { $0.lease?.grant }
    }

    // MARK: - State

    /// Reads a consistent snapshot.
    func read<T>(_ body: (MemoryTables) -> T) -> T {
        state.tables.withLock { body($0) }
    }

    final class SharedState: Sendable {
        let tables = Mutex(MemoryTables())
    }
}
