import RewindCore

/// The writer lease as a store keeps it, and the rules of ``WriterLease`` as pure transitions, so
/// that every store applies them the same way inside its own transaction.
public struct LeaseRecord: Sendable, Equatable {
    /// Nil once released: the row stays, so that the epoch never goes back.
    public var holder: String?
    public var epoch: Int64
    public var until: Timestamp
    /// The holder's advertised URL; nil once released or when it advertises none.
    public var advertiseURL: String?

    public init(holder: String?, epoch: Int64, until: Timestamp, advertiseURL: String? = nil) {
        self.holder = holder
        self.epoch = epoch
        self.until = until
        self.advertiseURL = holder == nil ? nil : advertiseURL
    }

    /// The grant in force; nil once released.
    public var grant: LeaseGrant? {
        holder.map { LeaseGrant(holder: $0, epoch: epoch, until: until, advertiseURL: advertiseURL) }
    }

    /// What ``WriterLease/acquireLease(instance:advertising:now:until:)`` stores given the `stored`
    /// record (nil: never taken): the new record, advertising `url`, or nil when another instance's
    /// lease still runs. The first epoch is 1.
    public static func acquiring(
        _ stored: LeaseRecord?, instance: String, advertising url: String? = nil, now: Timestamp, until: Timestamp
    ) -> LeaseRecord? {
        guard let stored else { return LeaseRecord(holder: instance, epoch: 1, until: until, advertiseURL: url) }
        if stored.holder == instance {
            return LeaseRecord(holder: instance, epoch: stored.epoch, until: until, advertiseURL: url)
        }
        if stored.holder != nil && now < stored.until { return nil }
        return LeaseRecord(holder: instance, epoch: stored.epoch + 1, until: until, advertiseURL: url)
    }

    /// What ``WriterLease/renewLease(_:until:)`` stores; throws ``StoreFenced`` when `grant` is
    /// not in force.
    public static func renewing(_ stored: LeaseRecord?, grant: LeaseGrant, until: Timestamp) throws -> LeaseRecord {
        try requireInForce(grant, stored: stored)
        return LeaseRecord(holder: grant.holder, epoch: grant.epoch, until: until, advertiseURL: stored?.advertiseURL)
    }

    /// What ``WriterLease/releaseLease(_:)`` stores: the record without a holder, or nil when
    /// `grant` is not in force (nothing to release).
    public static func releasing(_ stored: LeaseRecord?, grant: LeaseGrant) -> LeaseRecord? {
        guard let stored, stored.grant?.isSameGrant(as: grant) == true else { return nil }
        return LeaseRecord(holder: nil, epoch: stored.epoch, until: stored.until)
    }

    /// The fence: throws ``StoreFenced`` unless `grant` is the lease in force in `stored`. Stores
    /// call it first inside every write transaction of a fenced store.
    public static func requireInForce(_ grant: LeaseGrant, stored: LeaseRecord?) throws {
        guard let current = stored?.grant, current.isSameGrant(as: grant) else {
            throw StoreFenced(grant: grant, current: stored?.grant)
        }
    }
}

extension LeaseGrant {
    /// Same holder and epoch: the same grant, renewed or not.
    func isSameGrant(as other: LeaseGrant) -> Bool {
        holder == other.holder && epoch == other.epoch
    }
}
