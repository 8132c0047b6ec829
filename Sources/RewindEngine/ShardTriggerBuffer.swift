import RewindCore
import RewindPorts
import Synchronization

/// What the watchers of one shard saw, waiting to be forwarded to the coordinator (``ShardWatch``): the
/// ``CommandSink`` they send to on a shard's holder.
///
/// Triggers keep their order. A monitoring source's evaluations are thinned to what the coordinator needs: a good
/// one only when it changes something (the first, and the first after a failure), a failure at most once per
/// ``failureEvery`` of evaluation time (the coordinator measures how long a source has failed from them, and
/// `monitoring.failure_after` is far longer) — so a Prometheus that is down costs one row per second per replica,
/// not one per signal evaluation.
/// At most ``capacity`` triggers wait: past it, the oldest monitoring evaluations are dropped first, then the
/// oldest triggers of any kind, each drop counted in ``dropped``.
final class ShardTriggerBuffer: CommandSink {
    static let capacity = 4096
    static let failureEvery = Duration.seconds(1)

    private struct State {
        /// Oldest first, each with its place in the order queued.
        var waiting: [(seq: Int, trigger: ForwardedTrigger)] = []
        var queued = 0
        /// Each monitoring source's last evaluation forwarded: whether it was good, and when it was taken.
        var lastSent: [String: (ok: Bool, at: Timestamp)] = [:]
        var dropped = 0
        var finished = false
    }

    private let state = Mutex(State())
    private let doorbell = Doorbell()

    /// Rings when triggers are waiting.
    var rings: AsyncStream<Void> { doorbell.rings }

    @discardableResult
    func send(_ command: SupervisorCommand) -> Bool {
        guard let trigger = Self.forwarded(command) else { return true }
        return enqueue(trigger)
    }

    /// Queues `trigger` to be forwarded; false once finished.
    @discardableResult
    func enqueue(_ trigger: ForwardedTrigger) -> Bool {
        let accepted = state.withLock { state -> Bool in
            guard !state.finished else { return false }
            if case .monitoring(let source, let ok, let at, _, _) = trigger {
                if let last = state.lastSent[source], last.ok == ok, ok || at - last.at < Self.failureEvery {
                    return true
                }
                state.lastSent[source] = (ok, at)
            }
            state.queued += 1
            state.waiting.append((state.queued, trigger))
            if state.waiting.count > Self.capacity {
                let index =
                    state.waiting.firstIndex { if case .monitoring = $0.trigger { true } else { false } } ?? 0
                state.waiting.remove(at: index)
                state.dropped += 1
            }
            return true
        }
        if accepted { doorbell.ring() }
        return accepted
    }

    /// The triggers waiting, oldest first, without taking them, and the place of the last in the order queued.
    var waiting: (triggers: [ForwardedTrigger], through: Int) {
        state.withLock { state in (state.waiting.map(\.trigger), state.waiting.last?.seq ?? state.queued) }
    }

    /// Takes the waiting triggers up to place `seq` (those forwarded).
    func remove(through seq: Int) {
        state.withLock { $0.waiting.removeAll { $0.seq <= seq } }
    }

    /// How many triggers were dropped because too many waited.
    var dropped: Int { state.withLock { $0.dropped } }

    /// Accepts nothing more.
    func finish() {
        state.withLock { $0.finished = true }
        doorbell.finish()
    }

    /// What a watcher's command becomes on its way to the coordinator; nil for commands watchers never send.
    static func forwarded(_ command: SupervisorCommand) -> ForwardedTrigger? {
        switch command {
        case .event(.violation(let violation)): .violation(violation)
        case .event(.recovered(let service, let source)):
            .recovered(service: service, kind: source.kind.rawValue, name: source.name)
        case .event(.monitoring(let source, let ok, let at, let detail, let services)):
            .monitoring(source: source, ok: ok, at: at, detail: detail, services: services)
        case .earlyWarning(let warning, let severity, let query):
            .earlyWarning(warning, severity: severity, query: query)
        default: nil
        }
    }
}

extension ForwardedTrigger {
    /// The command the coordinator's supervisor receives for it; nil for a recovery of a kind it does not know.
    var command: SupervisorCommand? {
        switch self {
        case .violation(let violation): .event(.violation(violation))
        case .recovered(let service, let kind, let name):
            TriggerSource.Kind(rawValue: kind).map { .event(.recovered(service, TriggerSource($0, name))) }
        case .monitoring(let source, let ok, let at, let detail, let services):
            .event(.monitoring(source: source, ok: ok, at: at, detail: detail, services: services))
        case .earlyWarning(let warning, let severity, let query):
            .earlyWarning(warning, severity: severity, query: query)
        case .watchRestarted(let services): .event(.watchRestarted(services))
        }
    }
}
