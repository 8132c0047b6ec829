import RewindCore
import RewindPorts
import RewindReplay
import Testing

/// What the daemon received — pushed values and alerts — replayed as the daemon took them.
@Suite("Replay: received alerts and pushed values")
struct ReplayReceivedTests {
    static func policy() -> Policy {
        var policy = World.policy(bake: .seconds(600))
        for index in policy.services.indices { policy.services[index].checks = [] }
        var queue = MetricSignalPolicy.guideDefaults(
            name: "queue", measure: .queueBacklog, source: .pushed(signal: "queue"), serviceClass: .backend)!
        queue.interval = .seconds(10)
        queue.window = .seconds(30)
        queue.consecutive = 2
        policy.services[0].signals = [queue]
        return policy
    }

    static func value(_ number: Double, at seconds: Double, received: Double? = nil) -> ReceivedValue {
        ReceivedValue(
            PushedValue(service: World.backend, signal: "queue", value: number, at: World.at(seconds)),
            receivedAt: World.at(received ?? seconds))
    }

    @Test("a pushed signal is the mean of its window, fed when each value was received; an empty window is no data")
    func pushedWindows() {
        let values = [
            Self.value(100, at: -15),  // before the period, still in the first window
            Self.value(300, at: 5),
            Self.value(500, at: 8, received: 12),  // received after the evaluation at 10 s
        ]
        let evaluations = PushedValueHistory.evaluations(
            policy: Self.policy(), values: values, from: World.at(0), to: World.at(60))
        #expect(evaluations.map(\.at) == stride(from: 10.0, to: 60, by: 10).map(World.at))
        let outcomes = evaluations.map(\.outcome)
        // At 10 s: -15 s and 5 s (the value received at 12 s is not in yet); at 20 s: 5 s and 8 s.
        #expect(outcomes[0] == .value(200, samples: 2))
        #expect(outcomes[1] == .value(400, samples: 2))
        guard case .noData = outcomes[4] else {
            Issue.record("50 s: the window of 30 s holds nothing, expected no data, got \(outcomes[4])")
            return
        }
        #expect(evaluations.allSatisfy { $0.signal == "queue" && $0.service == World.backend })
    }

    @Test(
        "a received alert reaches the supervisor when it was received and rolls back; one below the severity does not")
    func alertsDecide() async throws {
        let alert = ExternalAlert(
            origin: .alertmanager, service: World.worker, category: .security, severity: .high, name: "Breach",
            firing: true, at: World.at(700), fingerprint: "b1")
        let warning = ExternalAlert(
            origin: .alertmanager, service: World.worker, category: .performance, severity: .low, name: "Slow",
            firing: true, at: World.at(690), fingerprint: "s1")
        let received = ReceivedEvents(alerts: [
            ReceivedAlert(alert, receivedAt: World.at(705)), ReceivedAlert(warning, receivedAt: World.at(700)),
        ])
        let history = try await ReplayHistory.assemble(
            policy: Self.policy(),
            deployments: [
                World.deployment(World.worker, "v1", at: -1000), World.deployment(World.worker, "v2", at: 650),
            ],
            probes: nil, prometheus: nil, received: received, from: World.at(0), to: World.at(900))
        let result = Replay.run(policy: Self.policy(), history: history, from: World.at(0), to: World.at(900))
        #expect(result.decisions.count == 1)
        let decision = try #require(result.decisions.first)
        #expect(decision.at == World.at(705))
        #expect(decision.violation.trigger == .security)
        #expect(decision.violation.alert?.name == "Breach")
        #expect(decision.strategy == .immediate)
        #expect(decision.targets.map(\.to.id) == ["worker-v1"])
        #expect(result.deployments.map(\.outcome) == [.rolledBack])
        #expect(result.deployments.first?.detectedAt == World.at(705))
    }
}
