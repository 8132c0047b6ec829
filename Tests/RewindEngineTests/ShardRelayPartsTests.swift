import RewindCore
import RewindPorts
import Testing

@testable import RewindEngine

/// The pure parts of the shards' watching: generations counted from the live deployments read, and the buffer of
/// what a shard's watchers forward.
@Suite("Engine: the shards' relay, part by part", .timeLimit(.minutes(1)))
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

    @Test(
        "the buffer keeps the watchers' order; a source's good evaluations go when they change something, failures once a second"
    )
    func buffer() {
        let buffer = ShardTriggerBuffer()
        func monitoring(_ ok: Bool, at milliseconds: Int64) -> SupervisorCommand {
            .event(
                .monitoring(
                    source: "prometheus", ok: ok, at: Timestamp(millisecondsSinceEpoch: milliseconds),
                    detail: ok ? "" : "refused", services: ["api"]))
        }
        buffer.enqueue(.watchRestarted(["api"]))
        for (ok, at) in [
            (true, 0), (true, 500), (false, 1000), (false, 1500), (false, 2000), (true, 2100), (true, 3000),
        ] {
            buffer.send(monitoring(ok, at: Int64(at)))
        }
        buffer.send(.event(.recovered("api", TriggerSource(.check, "api-health"))))
        // A command watchers never send is not forwarded.
        buffer.send(.event(.tick))
        let (waiting, through) = buffer.waiting
        #expect(
            waiting.map(\.command.debugKind) == [
                "watchRestarted", "monitoring ok 0", "monitoring failed 1000", "monitoring failed 2000",
                "monitoring ok 2100", "recovered",
            ])
        buffer.remove(through: through - 1)
        #expect(buffer.waiting.triggers == [.recovered(service: "api", kind: "check", name: "api-health")])
        buffer.finish()
        #expect(!buffer.send(monitoring(false, at: 9000)))
    }

    @Test("the supervisor's answer to the reader: given once; a reader cancelled while it waits stops waiting")
    func answer() async {
        let given = Answer(cancelled: false)
        given.give(true)
        given.give(false)
        #expect(await given.wait())

        let unanswered = Answer(cancelled: false)
        let waiter = Task { await unanswered.wait() }
        waiter.cancel()
        #expect(await waiter.value == false)
    }

    @Test("past its capacity the buffer drops the oldest monitoring evaluations first, never a violation")
    func capacity() {
        let buffer = ShardTriggerBuffer()
        let at = Timestamp(millisecondsSinceEpoch: 1000)
        let violation = Violation(
            service: "api", trigger: .healthCritical, severity: .critical, at: at, rule: "test", evidence: [])
        buffer.send(.event(.violation(violation)))
        for second in 0..<Int64(ShardTriggerBuffer.capacity) {
            buffer.send(
                .event(
                    .monitoring(
                        source: "prometheus", ok: false, at: at + .seconds(second), detail: "down", services: []))
            )
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
        case .event(.monitoring(_, let ok, let at, _, _)):
            "monitoring \(ok ? "ok" : "failed") \(at.millisecondsSinceEpoch)"
        case .event(.recovered): "recovered"
        case .event(.violation): "violation"
        default: "other"
        }
    }
}
