import RewindCore
import Synchronization

/// Whether the engine can do its job, for `/healthz` and `/readyz`.
///
/// - **alive**: its supervisor loop runs (false before it started, while it waits for the writer
///   lease, and once it stopped — after a lost lease or a crash of the loop).
/// - **leader**: it holds the writer lease (with `epoch`), so it is the one instance acting.
/// - **writable**: its last write to the store went through (false from a failed write until the
///   next one succeeds).
/// - **standby**: a replica waiting for the lease another replica holds (``LeaseTiming/waitsAsStandby``), whose
///   last look at the lease went through: it serves reads from the shared state and refuses changes, naming
///   ``leaderInstance``, or sends them to ``leaderURL`` when the leader advertises one.
public struct EngineHealth: Sendable, Equatable, Codable {
    public var alive: Bool
    public var leader: Bool
    public var writable: Bool
    /// The writer lease's epoch while it holds the lease.
    public var epoch: Int64?
    /// This instance's id in the writer lease.
    public var instance: String
    /// Why it is not ready, in words (nil when ready).
    public var problem: String?
    /// Its supervisor loop ended (a lost lease, a crash of the loop, or shutdown): it will not act
    /// again in this process. Starting and waiting for the lease are not stopped.
    public var stopped: Bool

    /// A standby replica that can read the shared state.
    public var standby: Bool
    /// The instance holding the lease, as a standby last saw it.
    public var leaderInstance: String?
    /// The leader's advertised URL (`server.advertise_url`), as a standby last saw it with the lease.
    public var leaderURL: String?
    /// With `ha.shards` above 1: every shard and its holder, as this replica last read them; nil otherwise.
    public var shards: [ShardStatus]?

    /// Ready for traffic: the leader (alive, holding the lease, able to write), or a standby that can read (it
    /// serves reads and refuses changes).
    public var ready: Bool { (alive && leader && writable) || standby }

    enum CodingKeys: String, CodingKey {
        case alive, leader, writable, epoch, instance, problem, ready, stopped, standby
        case leaderInstance = "leader_instance"
        case leaderURL = "leader_url"
        case shards
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        alive = try c.decode(Bool.self, forKey: .alive)
        leader = try c.decode(Bool.self, forKey: .leader)
        writable = try c.decode(Bool.self, forKey: .writable)
        epoch = try c.decodeIfPresent(Int64.self, forKey: .epoch)
        instance = try c.decode(String.self, forKey: .instance)
        problem = try c.decodeIfPresent(String.self, forKey: .problem)
        stopped = try c.decodeIfPresent(Bool.self, forKey: .stopped) ?? false
        standby = try c.decodeIfPresent(Bool.self, forKey: .standby) ?? false
        leaderInstance = try c.decodeIfPresent(String.self, forKey: .leaderInstance)
        leaderURL = try c.decodeIfPresent(String.self, forKey: .leaderURL)
        shards = try c.decodeIfPresent([ShardStatus].self, forKey: .shards)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(alive, forKey: .alive)
        try c.encode(leader, forKey: .leader)
        try c.encode(writable, forKey: .writable)
        try c.encodeIfPresent(epoch, forKey: .epoch)
        try c.encode(instance, forKey: .instance)
        try c.encodeIfPresent(problem, forKey: .problem)
        try c.encode(ready, forKey: .ready)
        try c.encode(stopped, forKey: .stopped)
        try c.encode(standby, forKey: .standby)
        try c.encodeIfPresent(leaderInstance, forKey: .leaderInstance)
        try c.encodeIfPresent(leaderURL, forKey: .leaderURL)
        try c.encodeIfPresent(shards, forKey: .shards)
    }

    init(instance: String) {
        alive = false
        leader = false
        writable = true
        self.instance = instance
        problem = "starting"
        stopped = false
        standby = false
    }
}

/// The engine's health, written by its tasks.
final class HealthState: Sendable {
    private let state: Mutex<EngineHealth>

    init(instance: String) {
        state = Mutex(EngineHealth(instance: instance))
    }

    var current: EngineHealth { state.withLock { $0 } }

    func waitingForLease() { update { $0.problem = "waiting for the writer lease" } }

    /// A standby's look at the lease: `holder` holds it, advertising `url` (nil holder: the look failed, so this
    /// replica cannot read the state either and is not ready).
    func standingBy(holder: String?, url: String? = nil, error: String? = nil) {
        update {
            $0.standby = holder != nil
            $0.leaderInstance = holder
            $0.leaderURL = holder == nil ? nil : url
            $0.problem =
                holder.map { "standby: \($0) leads" }
                ?? "waiting for the writer lease; the state cannot be read: \(error ?? "")"
        }
    }

    func started(epoch: Int64) {
        update {
            $0.alive = true
            $0.leader = true
            $0.epoch = epoch
            $0.problem = nil
            $0.standby = false
            $0.leaderInstance = nil
            $0.leaderURL = nil
        }
    }

    func stopped(_ why: String) {
        update {
            $0.alive = false
            $0.leader = false
            $0.epoch = nil
            $0.problem = why
            $0.stopped = true
            $0.standby = false
        }
    }

    func wrote(_ ok: Bool, error: String? = nil) {
        update {
            $0.writable = ok
            if ok, $0.problem?.hasPrefix("the store refuses writes") == true { $0.problem = nil }
            if !ok { $0.problem = "the store refuses writes: \(error ?? "unknown error")" }
        }
    }

    private func update(_ change: (inout EngineHealth) -> Void) {
        state.withLock { change(&$0) }
    }
}
