/// How an engine holds the writer lease: its lifetime, how often it is renewed, how early a holder that cannot
/// renew stops, and what an instance that finds the lease held does.
///
/// Two settings, chosen by the state's store:
/// - ``singleWriter`` (SQLite, one machine): a 15 s lease renewed every 3 s — well above SQLite's 5 s busy
///   timeout, so a renewal waiting on a busy file does not lose it. A second daemon on the file waits one
///   lifetime for a holder that died, then refuses: one writer only.
/// - ``replicas`` (PostgreSQL, several replicas): a 3 s lease renewed every 750 ms, and an instance that finds it
///   held is a standby — it waits for as long as it runs, checking every 250 ms, and takes over within about
///   3.5 s of the leader's last renewal. A holder that cannot renew stops acting 1 s before its lease runs
///   out, whatever the database does meanwhile (each renewal is bounded by that deadline).
public struct LeaseTiming: Sendable, Equatable {
    public var ttl: Duration
    public var renewEvery: Duration
    /// A holder whose renewals fail stops this long before its grant would run out.
    public var margin: Duration
    /// How often an instance waiting for the lease tries again.
    public var retryEvery: Duration
    /// True: an instance that finds the lease held waits as a standby for as long as it runs. False: it waits
    /// one lifetime (for a holder that died), then refuses to start.
    public var waitsAsStandby: Bool

    public init(ttl: Duration, renewEvery: Duration, margin: Duration, retryEvery: Duration, waitsAsStandby: Bool) {
        self.ttl = ttl
        self.renewEvery = renewEvery
        self.margin = margin
        self.retryEvery = retryEvery
        self.waitsAsStandby = waitsAsStandby
    }

    public static let singleWriter = LeaseTiming(
        ttl: .seconds(15), renewEvery: .seconds(3), margin: .seconds(5), retryEvery: .milliseconds(500),
        waitsAsStandby: false)

    public static let replicas = LeaseTiming(
        ttl: .seconds(3), renewEvery: .milliseconds(750), margin: .seconds(1), retryEvery: .milliseconds(250),
        waitsAsStandby: true)
}
