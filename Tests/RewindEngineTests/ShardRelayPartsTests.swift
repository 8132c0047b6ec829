import RewindCore
import RewindPorts
import Testing

@testable import RewindEngine

/// The pure parts of the shards' watching: generations counted from the live deployments read, and the buffer of
/// what a shard's watchers forward.
@Suite("Engine: the shards' relay, part by part")
struct ShardRelayPartsTests {
    private static func deployment(_ id: String, at seconds: Int64) -> Deployment {
        Deployment(
            service: "api", id: id, version: id, deployedAt: Timestamp(millisecondsSinceEpoch: seconds * 1000))
    }

    @Test("a new deployment going live starts a new generation; a rollback to an older one does not")
    func generations() {
        var generations = LiveGenerations()
        generations.observe(["api": Self.deployment("v1", at: 10)])
        #expect(generations.generations["api", default: 0] == 0)
        generations.observe(["api": Self.deployment("v1", at: 10)])
        #expect(generations.generations["api", default: 0] == 0)
        generations.observe(["api": Self.deployment("v2", at: 20)])
        #expect(generations.generations["api"] == 1)
        // Rolled back to v1, then forward again to v2: neither is newer than every deployment seen live.
        generations.observe(["api": Self.deployment("v1", at: 10)])
        generations.observe(["api": Self.deployment("v2", at: 20)])
        #expect(generations.generations["api"] == 1)
        generations.observe(["api": Self.deployment("v3", at: 30)])
        #expect(generations.generations["api"] == 2)
    }

    @Test("the buffer keeps the watchers' order, forwards a source's good evaluations only when they change something")
    func buffer() {
        let buffer = ShardTriggerBuffer()
        let at = Timestamp(millisecondsSinceEpoch: 1000)
        func monitoring(_ ok: Bool) -> SupervisorCommand {
            .event(.monitoring(source: "prometheus", ok: ok, at: at, detail: ok ? "" : "refused", services: ["api"]))
        }
        buffer.enqueue(.watchRestarted(["api"]))
        for ok in [true, true, false, false, true, true] { buffer.send(monitoring(ok)) }
        buffer.send(.event(.recovered("api", TriggerSource(.check, "api-health"))))
        // A command watchers never send is not forwarded.
        buffer.send(.event(.tick))
        let (waiting, through) = buffer.waiting
        #expect(
            waiting.map(\.command.debugKind) == [
                "watchRestarted", "monitoring ok", "monitoring failed", "monitoring failed", "monitoring ok",
                "recovered",
            ])
        buffer.remove(through: through - 1)
        #expect(buffer.waiting.triggers == [.recovered(service: "api", kind: "check", name: "api-health")])
        buffer.finish()
        #expect(!buffer.send(monitoring(false)))
    }

    @Test("past its capacity the buffer drops the oldest monitoring evaluations first, never a violation")
    func capacity() {
        let buffer = ShardTriggerBuffer()
        let at = Timestamp(millisecondsSinceEpoch: 1000)
        let violation = Violation(
            service: "api", trigger: .healthCritical, severity: .critical, at: at, rule: "test", evidence: [])
        buffer.send(.event(.violation(violation)))
        for _ in 0..<ShardTriggerBuffer.capacity {
            buffer.send(.event(.monitoring(source: "prometheus", ok: false, at: at, detail: "down", services: [])))
        }
        #expect(buffer.dropped == 1)
        #expect(buffer.waiting.triggers.count == ShardTriggerBuffer.capacity)
        #expect(buffer.waiting.triggers.first == .violation(violation))
    }
}

extension Optional where Wrapped == SupervisorCommand {
    /// A short name of the command, for comparing sequences.
    fileprivate var debugKind: String {
        switch self {
        case .event(.watchRestarted): "watchRestarted"
        case .event(.monitoring(_, let ok, _, _, _)): ok ? "monitoring ok" : "monitoring failed"
        case .event(.recovered): "recovered"
        case .event(.violation): "violation"
        default: "other"
        }
    }
}
