import RewindCore

/// One writer at a time: the instance holding the writer lease is the only one that acts on the
/// state, and the lease's epoch fences out one that lost it.
///
/// - ``acquireLease(instance:advertising:now:until:)`` gives a ``LeaseGrant`` carrying an epoch. The epoch
///   increases whenever the lease changes hands — to another instance, or to any instance after a
///   release — and never goes back; a renewal, or an acquire by the instance that holds it, keeps
///   it.
/// - `until` only decides when another instance may take the lease over. A grant stays in force
///   until another instance takes the lease or it is released, even past its `until`.
/// - A store bound to a grant by ``fenced(by:)`` checks, first thing inside every write
///   transaction (``StateCommitter/commit(_:)`` and each single write), that the grant is still in
///   force, and throws ``StoreFenced`` otherwise, having written nothing. A paused or partitioned
///   instance whose lease was taken over can never write over its successor, whatever the clocks
///   say.
/// - A store that is not bound writes unchecked. That is for tests, tools, and the CLI's commands
///   when no daemon runs; a command that acts still takes the lease first (`rewind rollback`
///   without a daemon runs a one-shot engine that holds it). Anything that may run alongside
///   another instance writes through a fenced store.
/// - Times are the caller's clock. Instances sharing a state should agree on the time to within a
///   small part of the lease's duration: a fast clock takes an expired lease over early (the fence
///   keeps that safe, but the previous holder then has to stop).
/// - The lease calls themselves ignore a store's binding: each checks the grant passed to it.
public protocol WriterLease: Sendable {
    /// Takes the lease for `instance` until `until`, in one transaction. Returns the grant when
    /// there was no lease, when it was released, when it had expired (`until <= now`), or when
    /// `instance` already held it (then a renewal: same epoch). Returns nil, leaving the lease
    /// untouched, while another instance's lease runs. `url` is published with the grant (its
    /// ``LeaseGrant/advertiseURL``, kept by renewals) so that a standby can send changes to the
    /// holder.
    func acquireLease(
        instance: String, advertising url: String?, now: Timestamp, until: Timestamp
    ) async throws
        -> LeaseGrant?

    /// Extends `grant` until `until`, keeping its epoch. Throws ``StoreFenced`` when the grant is
    /// no longer in force (another instance took the lease over, or it was released); then the
    /// holder must stop writing.
    func renewLease(_ grant: LeaseGrant, until: Timestamp) async throws -> LeaseGrant

    /// Releases the lease if `grant` is in force, so that another instance can take it at once;
    /// does nothing otherwise. A store bound to the grant cannot write after this.
    func releaseLease(_ grant: LeaseGrant) async throws

    /// The grant in force, expired or not (callers compare `until` with their clock); nil when
    /// the lease was never taken or was released.
    func currentLease() async throws -> LeaseGrant?

    /// The same store, with every write fenced by `grant` (see above). Only the epoch and holder
    /// are compared: renewing does not require binding again.
    func fenced(by grant: LeaseGrant) -> Self
}

extension WriterLease {
    /// Takes the lease advertising no URL (tools, the CLI's one-shot engine, tests).
    public func acquireLease(instance: String, now: Timestamp, until: Timestamp) async throws -> LeaseGrant? {
        try await acquireLease(instance: instance, advertising: nil, now: now, until: until)
    }

    /// Takes or renews the lease for `holder`: true when `holder` now holds it until `until`.
    /// The unfenced form of ``acquireLease(instance:now:until:)``, for callers that do not fence
    /// their writes yet.
    public func acquireLease(holder: String, now: Timestamp, until: Timestamp) async throws -> Bool {
        try await acquireLease(instance: holder, now: now, until: until) != nil
    }

    /// Releases the lease if `holder` holds it; does nothing otherwise.
    public func releaseLease(holder: String) async throws {
        guard let current = try await currentLease(), current.holder == holder else { return }
        try await releaseLease(current)
    }
}
