import RewindCore
import Testing

extension SupervisorTests {
    @Test("mark-good: a suspect deployment becomes known good through the ledger; bad, unseen or held ones are refused")
    func markGood() {
        var supervisor = Self.supervisor()
        let marked = supervisor.handle(
            .markGood(service: Self.backend, deploymentID: Self.v2.id, RequestID(1)), now: S.t(5))
        #expect(
            marked == [
                .record(
                    [.trust(service: Self.backend, deploymentID: Self.v2.id, .knownGood, at: S.t(5))],
                    because: .markedGood,
                    reply: RequestID(1))
            ])
        func refusal(_ actions: [SupervisorAction]) -> String? {
            guard case .reply(_, .refused(let code, _)) = actions.first else { return nil }
            return code
        }
        #expect(
            refusal(
                supervisor.handle(.markGood(service: Self.backend, deploymentID: Self.v1.id, RequestID(2)), now: S.t(6))
            )
                == "unchanged")
        #expect(
            refusal(supervisor.handle(.markGood(service: Self.backend, deploymentID: "v7", RequestID(3)), now: S.t(6)))
                == "not_found")
        #expect(
            refusal(
                supervisor.handle(.markGood(service: "nowhere", deploymentID: Self.v1.id, RequestID(4)), now: S.t(6)))
                == "unknown_service")
        // A trigger fired on v2: it is bad, and stays out of the rollback targets.
        _ = supervisor.handle(.violation(Self.critical()), now: S.t(7))
        _ = supervisor.handle(
            .recorded([.trust(service: Self.backend, deploymentID: Self.v2.id, .bad, at: S.t(7))]), now: S.t(7))
        #expect(
            refusal(
                supervisor.handle(.markGood(service: Self.backend, deploymentID: Self.v2.id, RequestID(5)), now: S.t(8))
            )
                == "refused")
    }
}
