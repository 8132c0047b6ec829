import GRDB
import RewindCore
import RewindPorts

/// The writer lease: one row (`writer_lease`), kept when released so that its epoch never goes
/// back. The transitions are ``LeaseRecord``'s, applied inside one write transaction each.
extension SQLiteStore {
    public func acquireLease(
        instance: String, advertising url: String?, now: Timestamp, until: Timestamp
    ) async throws -> LeaseGrant? {
        try await writeUnfenced("take the writer lease") { db in
            guard
                let acquired = LeaseRecord.acquiring(
                    try LeaseRow.current(db), instance: instance, advertising: url, now: now, until: until)
            else {
                return nil
            }
            try LeaseRow(acquired).save(db)
            return acquired.grant
        }
    }

    public func renewLease(_ grant: LeaseGrant, until: Timestamp) async throws -> LeaseGrant {
        try await writeUnfenced("renew the writer lease") { db in
            let renewed = try LeaseRecord.renewing(try LeaseRow.current(db), grant: grant, until: until)
            try LeaseRow(renewed).save(db)
            return renewed.grant ?? grant
        }
    }

    public func releaseLease(_ grant: LeaseGrant) async throws {
        try await writeUnfenced("release the writer lease") { db in
            if let released = LeaseRecord.releasing(try LeaseRow.current(db), grant: grant) {
                try LeaseRow(released).save(db)
            }
        }
    }

    /// The grant in force, expired or not. The CLI uses it to tell whether a daemon is running.
    public func currentLease() async throws -> LeaseGrant? {
        try await read("read the writer lease") { db in
            try LeaseRow.current(db)?.grant
        }
    }
}
