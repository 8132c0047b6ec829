import RewindCore
import RewindEngine
import RewindPorts
import RewindStoreSQLite
import Testing

/// When the platform misbehaves: transient errors, permanent ones, a fallback, a rollback that never
/// finishes, and a rollback that does not fix the service.
@Suite("Engine: provider failures and verification", .timeLimit(.minutes(3)))
struct ProviderFailureTests {
    @Test("transient provider errors (2 × server) are retried with backoff on the clock; the third call succeeds")
    func transientErrorsAreRetried() async throws {
        try await Harness.with { h in
            let (v1, _) = try await h.seedKnownGood()
            try await h.deploySuspect(Fixture.backend, "v2", health: .failing(status: 503))
            h.world.failNextRollbacks(2, with: ProviderError(.server, "railway answered HTTP 502"))
            try await h.run { run in
                let incident = try await run.untilClosed()
                #expect(incident.status == .completed)

                let calls = h.world.rollbackCalls
                #expect(calls.count == 3)
                #expect(calls.allSatisfy { $0.provider == FakePlatform.primary && $0.target == v1.id })
                // Full-jitter backoff with the draw fixed at 0.5: 250 ms, then 500 ms.
                if calls.count == 3 {
                    #expect(calls[1].at - calls[0].at >= .milliseconds(250))
                    #expect(calls[2].at - calls[1].at >= .milliseconds(500))
                }
                #expect(h.world.live(Fixture.backend) == v1.id)
                #expect(
                    try await h.sqlite.steps(incidentID: incident.id).first?.outcome == .succeeded(viaFallback: false))
                let retries = try await h.sqlite.timeline(incidentID: incident.id).filter { $0.kind == .stepAttempt }
                    .map(\.message)
                #expect(retries.count == 2)
                #expect(retries.first?.contains("retry 1 of 3 in 250ms") == true)
                #expect(retries.last?.contains("retry 2 of 3 in 500ms") == true)
                #expect(h.notifier.incidentKinds == [.initiated, .completed])
            }
        }
    }

    @Test("a permanent error (auth) is not retried; the fallback provider rolls back instead")
    func permanentErrorUsesFallback() async throws {
        try await Harness.with { h in
            let (v1, _) = try await h.seedKnownGood()
            try await h.deploySuspect(Fixture.backend, "v2", health: .failing(status: 503))
            h.world.failNextRollbacks(Int.max, with: ProviderError(.auth, "the token was refused (HTTP 401)"))
            try await h.run(fallback: true) { run in
                let incident = try await run.untilClosed()
                #expect(incident.status == .completed)
                #expect(h.world.rollbackCount(provider: FakePlatform.primary) == 1)
                #expect(h.world.rollbackCount(provider: FakePlatform.fallback) == 1)
                #expect(h.world.live(Fixture.backend) == v1.id)
                #expect(try await h.liveID(Fixture.backend) == v1.id)

                #expect(
                    try await h.journal(incident.id, step: "rollback-backend")
                        == [.intent, .intent, .accepted(operationID: nil), .done(.succeeded(viaFallback: true))])
                let attempts = try await h.sqlite.timeline(incidentID: incident.id).filter { $0.kind == .stepAttempt }
                    .map(\.message)
                #expect(attempts == ["rollback-backend via fake failed: the token was refused (HTTP 401)"])
                let intents = try await h.sqlite.timeline(incidentID: incident.id).filter { $0.kind == .stepIntent }
                    .map(\.message)
                #expect(intents.last?.hasPrefix("fallback: roll back backend") == true)
                try await run.untilNotified(.completed)
                #expect(h.notifier.incidentNotices.last?.actions.first?.hasSuffix("succeeded via fallback") == true)
            }
        }
    }

    @Test("a permanent error with no fallback: failed, escalated, and never a second rollback")
    func permanentErrorWithoutFallbackFails() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            let v2 = try await h.deploySuspect(Fixture.backend, "v2", health: .failing(status: 503))
            h.world.failNextRollbacks(Int.max, with: ProviderError(.auth, "the token was refused (HTTP 401)"))
            try await h.run { run in
                let incident = try await run.untilClosed()
                #expect(incident.status == .failed)
                #expect(h.world.rollbackCalls.count == 1)
                #expect(h.world.live(Fixture.backend) == v2.id)
                #expect(try await h.liveID(Fixture.backend) == v2.id)
                #expect(try await h.sqlite.automaticRollbacks(service: Fixture.backend, since: v2.deployedAt).isEmpty)

                let steps = try await h.sqlite.steps(incidentID: incident.id)
                #expect(steps.map(\.stepID) == ["rollback-backend"])
                #expect(
                    steps.first?.outcome == .failed("fake: the token was refused (HTTP 401); no fallback configured"))
                let timeline = try await h.sqlite.timeline(incidentID: incident.id)
                #expect(try await h.escalationReasons(incident.id) == ["rollback_failed"])
                #expect(!timeline.contains { $0.kind == .verification })

                #expect(h.notifier.incidentKinds == [.initiated, .failed])
                let failed = try #require(h.notifier.incidentNotices.last)
                #expect(failed.error?.contains("no fallback configured") == true)
                #expect(failed.status == "failed; manual intervention needed")
                #expect(failed.nextSteps.first == "Manual intervention needed")

                // The service stays down and the trigger stays firing: no new incident, no new call.
                try await run.advance(by: .seconds(120))
                #expect(h.world.rollbackCalls.count == 1)
                #expect(try await h.incidents().count == 1)
            }
        }
    }

    @Test("a platform that asks to wait longer than the whole retry budget is given up on at once; the fallback runs")
    func waitLongerThanTheBudgetUsesFallback() async throws {
        try await Harness.with { h in
            let (v1, _) = try await h.seedKnownGood()
            try await h.deploySuspect(Fixture.backend, "v2", health: .failing(status: 503))
            h.world.failNextRollbacks(
                Int.max, with: ProviderError(.rateLimited, "railway is rate limiting (429)", retryAfter: .seconds(3600))
            )
            try await h.run(fallback: true) { run in
                let incident = try await run.untilClosed()
                #expect(incident.status == .completed)
                let calls = h.world.rollbackCalls
                #expect(calls.map(\.provider) == [FakePlatform.primary, FakePlatform.fallback])
                if calls.count == 2 { #expect(calls[1].at - calls[0].at < .seconds(1), "no waiting for an hour") }
                let attempts = try await h.sqlite.timeline(incidentID: incident.id).filter { $0.kind == .stepAttempt }
                    .map(\.message)
                #expect(
                    attempts.contains {
                        $0.contains("asked to wait 1h") && $0.contains("longer than Rewind's retry budget of 15s")
                    }, "\(attempts)")
                #expect(h.world.live(Fixture.backend) == v1.id)
            }
        }
    }

    @Test("an auth failure: a fallback with the same credential is skipped (it would be refused the same way)")
    func sameCredentialFallbackIsSkipped() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            let v2 = try await h.deploySuspect(Fixture.backend, "v2", health: .failing(status: 503))
            h.world.failNextRollbacks(Int.max, with: ProviderError(.auth, "the token was refused (HTTP 401)"))
            let token = CredentialID(platform: "fake", source: "FAKE_TOKEN", scope: "project shop")
            try await h.run(fallback: true, credentials: (token, token)) { run in
                let incident = try await run.untilClosed()
                #expect(incident.status == .failed)
                #expect(h.world.rollbackCount(provider: FakePlatform.primary) == 1)
                #expect(
                    h.world.rollbackCount(provider: FakePlatform.fallback) == 0,
                    "the same request would be refused again")
                let outcome = try await h.sqlite.steps(incidentID: incident.id).first?.outcome
                guard case .failed(let reason)? = outcome else {
                    Issue.record("the step must fail, got \(String(describing: outcome))")
                    return
                }
                #expect(reason.contains("fallback fake-fallback skipped"), "\(reason)")
                #expect(reason.contains("same credential (fake FAKE_TOKEN on project shop)"), "\(reason)")
                #expect(try await h.escalationReasons(incident.id) == ["rollback_failed"])
                #expect(h.world.live(Fixture.backend) == v2.id)
            }
        }
    }

    @Test("an auth failure: a fallback with another credential still runs")
    func otherCredentialFallbackRuns() async throws {
        try await Harness.with { h in
            let (v1, _) = try await h.seedKnownGood()
            try await h.deploySuspect(Fixture.backend, "v2", health: .failing(status: 503))
            h.world.failNextRollbacks(Int.max, with: ProviderError(.auth, "the token was refused (HTTP 401)"))
            let credentials = (
                CredentialID(platform: "fake", source: "FAKE_TOKEN", scope: "project shop"),
                CredentialID(platform: "fake", source: "FAKE_FALLBACK_TOKEN", scope: "project shop")
            )
            try await h.run(fallback: true, credentials: credentials) { run in
                let incident = try await run.untilClosed()
                #expect(incident.status == .completed)
                #expect(h.world.rollbackCount(provider: FakePlatform.fallback) == 1)
                #expect(h.world.live(Fixture.backend) == v1.id)
            }
        }
    }

    @Test("a fallback that only followed a rollback job already running says so in the journal, not 'accepted'")
    func followedRunningJobIsJournaledAsSuch() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            try await h.deploySuspect(Fixture.backend, "v2", health: .failing(status: 503))
            h.world.setRollbackBehaviour(.followsRunningJob(polls: 1))
            try await h.run { run in
                let incident = try await run.untilClosed()
                #expect(incident.status == .completed)
                let accepted = try await h.sqlite.timeline(incidentID: incident.id).filter { $0.kind == .stepAccepted }
                    .map(\.message)
                #expect(accepted == ["fake followed the rollback job already running (operation op-1)"])
            }
        }
    }

    @Test("verification fails (the target is unhealthy too): failed, escalated, exactly one rollback call")
    func failedVerificationEscalates() async throws {
        try await Harness.with { h in
            let (v1, _) = try await h.seedKnownGood()
            h.world.setHealth(v1.id, .failing(status: 500))
            try await h.deploySuspect(Fixture.backend, "v2", health: .failing(status: 503))
            try await h.run { run in
                let incident = try await run.untilClosed()
                #expect(incident.status == .failed)
                #expect(h.world.rollbackCalls.count == 1)
                #expect(h.world.live(Fixture.backend) == v1.id)

                #expect(
                    try await h.sqlite.steps(incidentID: incident.id).first?.outcome == .succeeded(viaFallback: false))
                let verification = try await h.journal(incident.id, step: "verify-backend")
                #expect(verification == [.done(.failed("2 consecutive failed verification attempts"))])
                let timeline = try await h.sqlite.timeline(incidentID: incident.id)
                #expect(
                    timeline.filter { $0.kind == .verification }.map(\.message).last == "backend verification FAILED")
                #expect(try await h.escalationReasons(incident.id) == ["verification_failed"])

                try await run.untilNotified(.failed)
                #expect(h.notifier.incidentKinds == [.initiated, .failed])
                let failed = try #require(h.notifier.incidentNotices.last)
                #expect(failed.verificationResults.count == 3)
                #expect(failed.error?.contains("backend verification failed") == true)

                // A failed verification never loops into another rollback.
                try await run.advance(by: .seconds(60))
                #expect(h.world.rollbackCalls.count == 1)
                #expect(try await h.incidents().count == 1)
            }
        }
    }

    @Test("a rollback that never finishes: the step times out (deadline exceeded) and the fallback runs")
    func stepTimeoutRunsFallback() async throws {
        try await Harness.with { h in
            let (v1, _) = try await h.seedKnownGood()
            try await h.deploySuspect(Fixture.backend, "v2", health: .failing(status: 503))
            h.world.setRollbackBehaviour(.neverFinishes)
            try await h.run(policy: Fixture.policy(backendRollbackTimeout: .seconds(3)), fallback: true) { run in
                let incident = try await run.untilClosed()
                #expect(incident.status == .completed)

                let calls = h.world.rollbackCalls
                #expect(calls.map(\.provider) == [FakePlatform.primary, FakePlatform.fallback])
                if calls.count == 2 { #expect(calls[1].at - calls[0].at >= .seconds(3)) }
                #expect(h.world.statusPolls >= 4)
                #expect(h.world.live(Fixture.backend) == v1.id)

                #expect(
                    try await h.journal(incident.id, step: "rollback-backend")
                        == [
                            .intent, .accepted(operationID: "op-1"), .intent, .accepted(operationID: nil),
                            .done(.succeeded(viaFallback: true)),
                        ])
                let attempts = try await h.sqlite.timeline(incidentID: incident.id).filter { $0.kind == .stepAttempt }
                    .map(\.message)
                #expect(attempts == ["rollback-backend via fake failed: did not finish within 3s"])
            }
        }
    }

    @Test("a rollback that never finishes, with no fallback: the step fails at its deadline")
    func stepTimeoutWithoutFallbackFails() async throws {
        try await Harness.with { h in
            try await h.seedKnownGood()
            let v2 = try await h.deploySuspect(Fixture.backend, "v2", health: .failing(status: 503))
            h.world.setRollbackBehaviour(.neverFinishes)
            try await h.run(policy: Fixture.policy(backendRollbackTimeout: .seconds(3))) { run in
                let incident = try await run.untilClosed()
                #expect(incident.status == .failed)
                #expect(h.world.rollbackCalls.count == 1)
                #expect(try await h.liveID(Fixture.backend) == v2.id)
                #expect(
                    try await h.sqlite.steps(incidentID: incident.id).first?.outcome
                        == .failed("fake: did not finish within 3s; no fallback configured"))
                #expect(h.notifier.incidentKinds == [.initiated, .failed])
            }
        }
    }

    @Test("a platform that documents a slower polling pace is polled at that pace, not the engine's 250 ms")
    func pollsAtThePlatformsPace() async throws {
        try await Harness.with { h in
            let (v1, _) = try await h.seedKnownGood()
            try await h.deploySuspect(Fixture.backend, "v2", health: .failing(status: 503))
            h.world.setRollbackBehaviour(.operation(polls: 3))
            try await h.run(providerPollInterval: .seconds(1)) { run in
                let incident = try await run.untilClosed()
                #expect(incident.status == .completed)
                let times = h.world.statusPollTimes
                #expect(times.count == 3)
                for (earlier, later) in zip(times, times.dropFirst()) { #expect(later - earlier >= .seconds(1)) }
                #expect(h.world.live(Fixture.backend) == v1.id)
            }
        }
    }

    @Test("an asynchronous rollback is polled until the platform reports it done")
    func asynchronousRollbackIsPolled() async throws {
        try await Harness.with { h in
            let (v1, _) = try await h.seedKnownGood()
            try await h.deploySuspect(Fixture.backend, "v2", health: .failing(status: 503))
            h.world.setRollbackBehaviour(.operation(polls: 3))
            try await h.run { run in
                let incident = try await run.untilClosed()
                #expect(incident.status == .completed)
                #expect(h.world.rollbackCalls.count == 1)
                #expect(h.world.statusPolls == 3)
                #expect(h.world.live(Fixture.backend) == v1.id)
                #expect(
                    try await h.journal(incident.id, step: "rollback-backend")
                        == [.intent, .accepted(operationID: "op-1"), .done(.succeeded(viaFallback: false))])
                let accepted = try await h.sqlite.timeline(incidentID: incident.id).first { $0.kind == .stepAccepted }
                #expect(accepted?.message == "fake accepted the rollback (operation op-1)")
            }
        }
    }
}
