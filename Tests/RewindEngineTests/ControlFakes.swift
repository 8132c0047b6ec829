import RewindCore
import RewindPorts
import Synchronization

/// A load balancer that behaves: it holds the new version's share of traffic, answers it, changes
/// it when asked (idempotently), and can refuse for a while.
final class FakeTraffic: TrafficController, CachePurging {
    private struct State {
        var share: Double
        var sets: [Double] = []
        var purges = 0
        var failures: [ProviderError] = []
    }

    private let state: Mutex<State>
    let kind = "fake-lb"

    init(share: Double) {
        state = Mutex(State(share: share))
    }

    var share: Double { state.withLock { $0.share } }
    /// Every share the engine set, in order.
    var sets: [Double] { state.withLock { $0.sets } }
    /// How many times the CDN cache in front of the service was purged.
    var purges: Int { state.withLock { $0.purges } }
    let purgesCache = true

    func purgeCache(service: ServiceName) async throws {
        try state.withLock { state in
            if !state.failures.isEmpty { throw state.failures.removeFirst() }
            state.purges += 1
        }
    }

    /// The next calls (reads and writes alike) throw these errors, in order.
    func fail(_ errors: [ProviderError]) {
        state.withLock { $0.failures = errors }
    }

    func newVersionShare(service: ServiceName) async throws -> Double {
        try state.withLock { state in
            if !state.failures.isEmpty { throw state.failures.removeFirst() }
            return state.share
        }
    }

    func setNewVersionShare(_ share: Double, service: ServiceName) async throws {
        try state.withLock { state in
            if !state.failures.isEmpty { throw state.failures.removeFirst() }
            state.sets.append(share)
            state.share = share
        }
    }
}

/// A flag service: flags are on or off; turning one off that is off changes nothing.
final class FakeFlags: FeatureSwitch {
    private let flags: Mutex<[String: Bool]>
    private let disabled = Mutex<[String]>([])
    let kind = "fake-flags"

    init(_ flags: [String: Bool]) {
        self.flags = Mutex(flags)
    }

    var disableCalls: [String] { disabled.withLock { $0 } }
    func isOn(_ flag: String) -> Bool { flags.withLock { $0[flag] ?? false } }

    func isEnabled(flag: String) async throws -> Bool {
        try flags.withLock { flags in
            guard let value = flags[flag] else { throw ProviderError(.notFound, "no flag \(flag)") }
            return value
        }
    }

    func disable(flag: String) async throws {
        disabled.withLock { $0.append(flag) }
        flags.withLock { $0[flag] = false }
    }
}

/// A migration tool: records each down-migration with the deployment live at the time, so that a
/// test can tell whether it ran before or after the application's rollback.
final class FakeMigration: MigrationRollback {
    private let runs = Mutex<[(target: String, liveDuring: String?)]>([])
    private let world: FakeWorld
    let irreversible: Bool

    init(world: FakeWorld, irreversible: Bool = false) {
        self.world = world
        self.irreversible = irreversible
    }

    var description: String { irreversible ? "irreversible migration" : "migration `./migrate`" }
    var calls: [(target: String, liveDuring: String?)] { runs.withLock { $0 } }

    func rollBack(
        service: ServiceName, from current: Deployment?, to target: Deployment, context: ActionContext
    ) async throws -> CapturedOutput {
        guard !irreversible else {
            throw ProviderError(
                .unsupported, "migration of \(service) is marked irreversible: no down step; restore from backup")
        }
        runs.withLock { $0.append((target.id, world.live(service))) }
        return CapturedOutput(
            command: ["./migrate", "down", target.version], exitCode: 0, stdout: "migrated down to \(target.version)\n",
            stderr: "")
    }
}
