import Hummingbird
import RewindEngine

/// `GET /healthz` (liveness) and `GET /readyz` (readiness), for load balancers and Kubernetes
/// probes; no token needed. Both answer the engine's health as JSON (``HealthAnswer``).
///
/// - `/healthz` is 200 while the process is not wedged: the engine is starting, waiting for the
///   writer lease (a standby replica), or running. It is 503 once the engine's loop stopped —
///   the lease was lost or taken over, or the loop crashed — because this process will not act
///   again and should be restarted.
/// - `/readyz` is 200 when the engine acts (alive, holding the writer lease, its last write went
///   through) and on a standby replica that can read the shared state (it serves reads and answers
///   changes with 503 naming the leader). Otherwise 503 with the reason in `error` (e.g. "waiting for
///   the writer lease" on a second daemon on a SQLite file): send no traffic to this instance.
extension APIServer {
    func addHealthRoutes(to router: Router<BasicRequestContext>) {
        router.get("/healthz") { _, _ in
            let health = engine.health
            return json(HealthAnswer(health, ok: !health.stopped), status: health.stopped ? .serviceUnavailable : .ok)
        }
        router.get("/readyz") { _, _ in
            let health = engine.health
            return json(HealthAnswer(health, ok: health.ready), status: health.ready ? .ok : .serviceUnavailable)
        }
    }
}

/// The body of `/healthz` and `/readyz`: `status` (`ok` or `unavailable`), `error` (the reason,
/// when not ok), and the engine's health fields.
struct HealthAnswer: Encodable {
    var status: String
    var error: String?
    var alive: Bool
    var leader: Bool
    var writable: Bool
    var ready: Bool
    var stopped: Bool
    var epoch: Int64?
    var instance: String
    var problem: String?
    var standby: Bool
    var leaderInstance: String?

    enum CodingKeys: String, CodingKey {
        case status, error, alive, leader, writable, ready, stopped, epoch, instance, problem, standby
        case leaderInstance = "leader_instance"
    }

    init(_ health: EngineHealth, ok: Bool) {
        status = ok ? "ok" : "unavailable"
        error = ok ? nil : (health.problem ?? "not ready")
        alive = health.alive
        leader = health.leader
        writable = health.writable
        ready = health.ready
        stopped = health.stopped
        epoch = health.epoch
        instance = health.instance
        problem = health.problem
        standby = health.standby
        leaderInstance = health.leaderInstance
    }
}
