import RewindCore
import RewindPorts

/// The writer lease: one row (`writer_lease`), locked `FOR UPDATE` by each lease call and kept
/// when released so that its epoch never goes back. The transitions are ``LeaseRecord``'s.
extension PostgresStore {
    public func acquireLease(
        instance: String, advertising url: String?, now: Timestamp, until: Timestamp
    ) async throws -> LeaseGrant? {
        try await writeUnfenced("take the writer lease") { session in
            guard
                let acquired = LeaseRecord.acquiring(
                    try await session.lease(lock: .update), instance: instance, advertising: url, now: now,
                    until: until)
            else { return nil }
            try await session.saveLease(acquired)
            return acquired.grant
        }
    }

    public func renewLease(_ grant: LeaseGrant, until: Timestamp) async throws -> LeaseGrant {
        try await writeUnfenced("renew the writer lease") { session in
            let renewed = try LeaseRecord.renewing(try await session.lease(lock: .update), grant: grant, until: until)
            try await session.saveLease(renewed)
            return renewed.grant ?? grant
        }
    }

    public func releaseLease(_ grant: LeaseGrant) async throws {
        try await writeUnfenced("release the writer lease") { session in
            if let released = LeaseRecord.releasing(try await session.lease(lock: .update), grant: grant) {
                try await session.saveLease(released)
            }
        }
    }

    /// The grant in force, expired or not.
    public func currentLease() async throws -> LeaseGrant? {
        try await read("read the writer lease") { session in
            try await session.currentLease()?.grant
        }
    }
}
