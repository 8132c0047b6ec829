import GRDB
import RewindCore

/// Who holds the writer lease, and until when.
public struct WriterLease: Sendable, Equatable {
    public var holder: String
    public var until: Timestamp

    public init(holder: String, until: Timestamp) {
        self.holder = holder
        self.until = until
    }

    /// A lease is held while `now < until`.
    public func isHeld(at now: Timestamp) -> Bool { now < until }
}

extension SQLiteStore {
    // MARK: - Automatic rollbacks

    public func recordAutomaticRollback(service: ServiceName, at: Timestamp) async throws {
        try await write("record an automatic rollback of \(service)") { db in
            try db.execute(
                sql: "INSERT INTO automatic_rollbacks (service, at) VALUES (?, ?)",
                arguments: [service.rawValue, at.millisecondsSinceEpoch])
        }
    }

    /// Times of automatic rollbacks of `service` at or after `since`, oldest first.
    public func automaticRollbacks(service: ServiceName, since: Timestamp) async throws -> [Timestamp] {
        try await read("read automatic rollbacks of \(service)") { db in
            try Int64.fetchAll(
                db, sql: "SELECT at FROM automatic_rollbacks WHERE service = ? AND at >= ? ORDER BY at, id",
                arguments: [service.rawValue, since.millisecondsSinceEpoch]
            ).map(Timestamp.init(millisecondsSinceEpoch:))
        }
    }

    // MARK: - Freeze

    /// Sets the one deployment freeze (replacing any), or clears it with nil.
    public func setFreeze(_ freeze: Freeze?) async throws {
        try await write(freeze == nil ? "clear the deployment freeze" : "set the deployment freeze") { db in
            if let freeze {
                try FreezeRow(freeze).save(db)
            } else {
                _ = try FreezeRow.deleteOne(db, key: FreezeRow.onlyID)
            }
        }
    }

    /// The stored freeze, expired or not (callers check `isActive(at:)`).
    public func currentFreeze() async throws -> Freeze? {
        try await read("read the deployment freeze") { db in
            try FreezeRow.fetchOne(db, key: FreezeRow.onlyID)?.freeze
        }
    }

    // MARK: - Writer lease

    /// Takes or renews the lease in one write transaction. True when there was no lease, when
    /// `holder` already held it, or when it had expired (`until <= now`); false when another
    /// holder's lease is still running, which is left untouched.
    public func acquireLease(holder: String, now: Timestamp, until: Timestamp) async throws -> Bool {
        try await write("take the writer lease") { db in
            if let current = try LeaseRow.fetchOne(db, key: LeaseRow.onlyID)?.lease,
                current.holder != holder, current.isHeld(at: now)
            {
                return false
            }
            try LeaseRow(WriterLease(holder: holder, until: until)).save(db)
            return true
        }
    }

    /// Clears the lease if `holder` holds it; does nothing otherwise.
    public func releaseLease(holder: String) async throws {
        try await write("release the writer lease") { db in
            try db.execute(sql: "DELETE FROM lease WHERE holder = ?", arguments: [holder])
        }
    }

    /// The stored lease, expired or not. The CLI uses it to tell whether a daemon is running.
    public func currentLease() async throws -> WriterLease? {
        try await read("read the writer lease") { db in
            try LeaseRow.fetchOne(db, key: LeaseRow.onlyID)?.lease
        }
    }
}
