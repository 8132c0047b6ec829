import AsyncHTTPClient
import Foundation
import RewindCore
import RewindPorts
import RewindSandbox
import RewindSpecs
import Testing

@testable import RewindProviders

@Suite("Vercel provider against the Vercel emulator")
struct VercelProviderTests {
    static let service: ServiceName = "frontend"
    static var wallClockMs: Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    // MARK: - Reading

    @Test("lists READY production deployments newest first, with commit versions, team scope and the token")
    func listsDeployments() async throws {
        try await withVercel { vercel in
            let listed = try await vercel.provider().listDeployments(service: Self.service)
            #expect(listed.map(\.id) == ["dpl_3", "dpl_2", "dpl_1"])
            #expect(listed.map(\.version) == ["ccc333", "bbb222", "aaa111"])
            #expect(listed.first?.createdAt == Timestamp(millisecondsSinceEpoch: 3_000_000))
            let request = try #require(vercel.requests("/v6/deployments").first)
            #expect(request.method == "GET")
            #expect(request.authorization == "Bearer \(VercelHarness.token)")
            #expect(request.query["teamId"] == VercelHarness.team)
            #expect(request.query["projectId"] == VercelHarness.project)
            #expect(request.query["target"] == "production")
            #expect(request.query["state"] == "READY")
        }
    }

    @Test("follows pagination.next with until= until it is null")
    func paginates() async throws {
        let emulator = seededVercel()
        emulator.setMaxPageSize(2)
        for index in 4...6 {
            emulator.addDeployment(
                .init(id: "dpl_\(index)", createdAt: Int64(index) * 1_000_000),
                project: VercelHarness.projectID
            )
        }
        try await withVercel(emulator) { vercel in
            let listed = try await vercel.provider().listDeployments(service: Self.service)
            #expect(listed.map(\.id) == ["dpl_6", "dpl_5", "dpl_4", "dpl_3", "dpl_2", "dpl_1"])
            #expect(listed.first?.version == "dpl_6", "without a commit in the meta the version is the id")
            let pages = vercel.requests("/v6/deployments")
            #expect(pages.count == 3)
            #expect(pages.map { $0.query["until"] } == [nil, "5000000", "3000000"])
        }
    }

    @Test("the current deployment is what the project's production target serves")
    func currentDeployment() async throws {
        try await withVercel { vercel in
            let current = try await vercel.provider().currentDeployment(service: Self.service)
            #expect(
                current
                    == PlatformDeployment(
                        id: "dpl_3",
                        version: "ccc333",
                        createdAt: .init(millisecondsSinceEpoch: 3_000_000)
                    )
            )
            let request = try #require(vercel.requests("/v9/projects/").first)
            #expect(request.path == "/v9/projects/shop-web")
            #expect(request.query["rollbackInfo"] == "true")
            #expect(request.query["teamId"] == VercelHarness.team)
        }
    }

    // MARK: - Rolling back

    @Test(
        "rollback re-reads the project, POSTs the instant rollback once, then the job goes pending → succeeded"
    )
    func rollsBack() async throws {
        try await withVercel { vercel in
            let provider = vercel.provider()
            let target = shopDeployment("dpl_2", version: "bbb222")
            let operation = try await provider.rollback(service: Self.service, to: target, context: frontendContext)
            #expect(operation == RollbackOperation(id: "rollback:dpl_2", finished: false))
            let mutation = try #require(vercel.vercel.mutations.first)
            #expect(vercel.vercel.mutations.count == 1)
            #expect(mutation.kind == .rollback)
            #expect(mutation.path == "/v1/projects/\(VercelHarness.projectID)/rollback/dpl_2")
            #expect(mutation.teamID == VercelHarness.team)
            #expect(mutation.status == 201)
            #expect(
                mutation.description == "Rewind incident #42: automatic rollback from ccc333 (dpl_3) to bbb222 (dpl_2)"
            )
            #expect(vercel.vercel.received.map(\.method) == ["GET", "POST"], "the project is read before the mutation")

            var statuses: [OperationStatus] = []
            for _ in 0..<3 {
                statuses.append(try await provider.status(of: operation, service: Self.service, target: target))
            }
            #expect(statuses == [.inProgress, .inProgress, .succeeded])
            #expect(vercel.vercel.production(project: VercelHarness.project) == "dpl_2")
            #expect(try await provider.currentDeployment(service: Self.service)?.id == "dpl_2")
            #expect(vercel.vercel.received.allSatisfy { $0.authorization == "Bearer \(VercelHarness.token)" })
        }
    }

    @Test("a target that already serves production is not rolled back again")
    func alreadyLive() async throws {
        try await withVercel { vercel in
            let operation = try await vercel.provider()
                .rollback(service: Self.service, to: shopDeployment("dpl_3"), context: frontendContext)
            #expect(operation == RollbackOperation(finished: true))
            #expect(vercel.vercel.mutations.isEmpty)
            #expect(
                try await vercel.provider().status(
                    of: operation,
                    service: Self.service,
                    target: shopDeployment("dpl_3")
                ) == .succeeded
            )
        }
    }

    @Test("a job already moving production to the target is followed, not sent again")
    func jobAlreadyRunning() async throws {
        let emulator = seededVercel()
        emulator.setJob(
            project: VercelHarness.projectID,
            VercelEmulatedJob(
                type: "rollback",
                fromDeploymentID: "dpl_3",
                toDeploymentID: "dpl_2",
                jobStatus: "in-progress",
                requestedAt: Self.wallClockMs - 5_000
            )
        )
        try await withVercel(emulator) { vercel in
            let provider = vercel.provider()
            let target = shopDeployment("dpl_2")
            let operation = try await provider.rollback(service: Self.service, to: target, context: frontendContext)
            #expect(operation == RollbackOperation(id: "rollback:dpl_2", finished: false, followedRunningJob: true))
            #expect(vercel.vercel.mutations.isEmpty)
            // The first status is the read the rollback decided on; the next one reads again.
            #expect(try await provider.status(of: operation, service: Self.service, target: target) == .inProgress)
            #expect(try await provider.status(of: operation, service: Self.service, target: target) == .succeeded)
        }
    }

    /// The engine reads the live deployment, then asks for the rollback: one decision, one read.
    @Test("a step reads the project once: the rollback decides on the read the engine just made")
    func oneReadPerStep() async throws {
        try await withVercel { vercel in
            let clock = ManualClock(now: Timestamp(millisecondsSinceEpoch: Self.wallClockMs))
            let provider = vercel.provider(clock: clock)
            let target = shopDeployment("dpl_2", version: "bbb222")
            #expect(try await provider.currentDeployment(service: Self.service)?.id == "dpl_3")
            clock.advance(by: .milliseconds(2))
            _ = try await provider.rollback(service: Self.service, to: target, context: frontendContext)
            #expect(
                vercel.vercel.received.map { "\($0.method) \($0.path)" } == [
                    "GET /v9/projects/shop-web", "POST /v1/projects/\(VercelHarness.projectID)/rollback/dpl_2",
                ])
            // After the POST the job it started must be seen: the status reads again.
            #expect(
                try await provider.status(
                    of: RollbackOperation(id: "rollback:dpl_2", finished: false), service: Self.service, target: target)
                    == .inProgress)
            #expect(vercel.requests("/v9/projects/").count == 2)
        }
    }

    @Test("a fallback that follows a running job reads the project once for its decision and its first status")
    func followingARunningJobReadsOnce() async throws {
        let emulator = seededVercel()
        emulator.setJob(
            project: VercelHarness.projectID,
            VercelEmulatedJob(
                type: "rollback", fromDeploymentID: "dpl_3", toDeploymentID: "dpl_2", jobStatus: "in-progress",
                requestedAt: Self.wallClockMs - 1_000))
        try await withVercel(emulator) { vercel in
            let clock = ManualClock(now: Timestamp(millisecondsSinceEpoch: Self.wallClockMs))
            let provider = vercel.provider(clock: clock)
            let target = shopDeployment("dpl_2")
            // What the engine does: is the target live? roll back; poll at once.
            _ = try await provider.currentDeployment(service: Self.service)
            clock.advance(by: .milliseconds(20))
            let operation = try await provider.rollback(service: Self.service, to: target, context: frontendContext)
            #expect(operation.followedRunningJob)
            clock.advance(by: .milliseconds(30))
            #expect(try await provider.status(of: operation, service: Self.service, target: target) == .inProgress)
            #expect(vercel.requests("/v9/projects/").count == 1, "three decisions in 50 ms, one read")
            // A read older than the documented pace is not reused.
            clock.advance(by: .seconds(2))
            _ = try await provider.currentDeployment(service: Self.service)
            #expect(vercel.requests("/v9/projects/").count == 2)
        }
    }

    @Test("Vercel asks to be polled at its documented pace, once a second")
    func pollInterval() async throws {
        try await withVercel { vercel in
            #expect(vercel.provider().pollInterval == .seconds(1))
        }
    }

    @Test("the provider names its credential (the token's variable, the team and the project), never the token")
    func credential() async throws {
        try await withVercel { vercel in
            let credential = try #require(vercel.provider().credential)
            #expect(
                credential
                    == CredentialID(platform: "vercel", source: "VERCEL_TOKEN", scope: "team team_x9, project shop-web")
            )
            #expect(!credential.description.contains(VercelHarness.token))
        }
    }

    @Test("a manual rollback is described to Vercel as manual, not automatic")
    func manualDescription() async throws {
        try await withVercel { vercel in
            let manual = ActionContext(
                incidentID: 43, current: shopDeployment("dpl_3", version: "ccc333"), manual: true)
            _ = try await vercel.provider().rollback(
                service: Self.service, to: shopDeployment("dpl_2", version: "bbb222"), context: manual)
            #expect(
                vercel.vercel.mutations.first?.description
                    == "Rewind incident #43: manual rollback (requested by an operator) from ccc333 (dpl_3) to bbb222 (dpl_2)"
            )
        }
    }

    @Test("a job requested more than 3 minutes ago does not count: the rollback is sent")
    func staleJob() async throws {
        let emulator = seededVercel()
        emulator.setJob(
            project: VercelHarness.projectID,
            VercelEmulatedJob(
                type: "rollback",
                fromDeploymentID: "dpl_2",
                toDeploymentID: "dpl_2",
                jobStatus: "succeeded",
                requestedAt: Self.wallClockMs - 600_000
            )
        )
        try await withVercel(emulator) { vercel in
            _ = try await vercel.provider().rollback(
                service: Self.service,
                to: shopDeployment("dpl_2"),
                context: frontendContext
            )
            #expect(vercel.vercel.mutations.map(\.deploymentID) == ["dpl_2"])
        }
    }

    @Test("another job in progress: 409 is a permanent rejection that says so")
    func conflict() async throws {
        let emulator = seededVercel()
        emulator.setJob(
            project: VercelHarness.projectID,
            VercelEmulatedJob(
                type: "promote",
                fromDeploymentID: "dpl_3",
                toDeploymentID: "dpl_1",
                jobStatus: "pending",
                requestedAt: Self.wallClockMs
            )
        )
        try await withVercel(emulator) { vercel in
            let error = await #expect(throws: ProviderError.self) {
                _ = try await vercel.provider().rollback(
                    service: Self.service,
                    to: shopDeployment("dpl_2"),
                    context: frontendContext
                )
            }
            #expect(error?.kind == .rejected)
            #expect(
                error?.message.contains("Vercel answered 409 conflict: another rollback or promote is already running")
                    == true
            )
        }
    }

    @Test("a failed job is reported with the domains Vercel could not move")
    func failedJob() async throws {
        let emulator = seededVercel()
        emulator.setNextJobOutcome(.fail(domains: ["shop.example.com", "www.shop.example.com"]))
        try await withVercel(emulator) { vercel in
            let provider = vercel.provider()
            let target = shopDeployment("dpl_2", version: "bbb222")
            let operation = try await provider.rollback(service: Self.service, to: target, context: frontendContext)
            var status = OperationStatus.inProgress
            for _ in 0..<3 where status == .inProgress {
                status = try await provider.status(of: operation, service: Self.service, target: target)
            }
            #expect(
                status
                    == .failed(
                        "the Vercel rollback job to bbb222 (dpl_2) failed; "
                            + "domains not moved: shop.example.com (failed), www.shop.example.com (failed)"
                    )
            )
            let aliases = try #require(
                vercel.requests("/v9/projects/\(VercelHarness.projectID)/rollback/aliases").first
            )
            #expect(aliases.query["failedOnly"] == "true")
            #expect(aliases.query["limit"] == "20")
            #expect(vercel.vercel.production(project: VercelHarness.projectID) == "dpl_3")
        }
    }

    @Test("status without a job toward the target: succeeded when production serves it, failed otherwise")
    func noJob() async throws {
        try await withVercel { vercel in
            let provider = vercel.provider()
            let serving = try await provider.status(
                of: RollbackOperation(id: "rollback:dpl_3", finished: false),
                service: Self.service,
                target: shopDeployment("dpl_3")
            )
            #expect(serving == .succeeded)
            let missing = try await provider.status(
                of: RollbackOperation(id: "rollback:dpl_1", finished: false),
                service: Self.service,
                target: shopDeployment("dpl_1")
            )
            #expect(
                missing
                    == .failed(
                        "the Vercel rollback to dpl_1 failed: Vercel shows no rollback or promote job toward dpl_1 "
                            + "in the last 3 minutes and production serves dpl_3"
                    )
            )
        }
    }

    // MARK: - The promote fallback

    @Test("promote mode POSTs /v10/…/promote with {} and follows the promote job")
    func promotes() async throws {
        try await withVercel { vercel in
            let provider = vercel.provider(mode: .promote)
            let target = shopDeployment("dpl_1")
            let operation = try await provider.rollback(service: Self.service, to: target, context: frontendContext)
            #expect(operation == RollbackOperation(id: "promote:dpl_1", finished: false))
            let post = try #require(vercel.vercel.received.first { $0.method == "POST" })
            #expect(post.path == "/v10/projects/\(VercelHarness.projectID)/promote/dpl_1")
            #expect(post.body == "{}")
            #expect(post.query["teamId"] == VercelHarness.team)
            var statuses: [OperationStatus] = []
            for _ in 0..<3 {
                statuses.append(try await provider.status(of: operation, service: Self.service, target: target))
            }
            #expect(statuses == [.inProgress, .inProgress, .succeeded])
            #expect(vercel.vercel.job(project: VercelHarness.projectID)?.type == "promote")
            #expect(vercel.vercel.production(project: VercelHarness.projectID) == "dpl_1")
        }
    }

    @Test("a promote queued behind a rolling release (202) stays in progress until the release ends")
    func queuedPromote() async throws {
        let emulator = seededVercel()
        emulator.setRollingRelease(project: VercelHarness.projectID, active: true)
        try await withVercel(emulator) { vercel in
            let provider = vercel.provider(mode: .promote)
            let target = shopDeployment("dpl_2")
            let operation = try await provider.rollback(service: Self.service, to: target, context: frontendContext)
            #expect(operation == RollbackOperation(id: "promote:dpl_2:queued", finished: false))
            #expect(vercel.vercel.mutations.first?.status == 202)
            for _ in 0..<3 {
                #expect(try await provider.status(of: operation, service: Self.service, target: target) == .inProgress)
            }
            vercel.vercel.setRollingRelease(project: VercelHarness.projectID, active: false)
            var statuses: [OperationStatus] = []
            for _ in 0..<3 {
                statuses.append(try await provider.status(of: operation, service: Self.service, target: target))
            }
            #expect(statuses == [.inProgress, .inProgress, .succeeded])
        }
    }

    @Test("the factory builds the Vercel provider from its spec")
    func factory() async throws {
        try await withVercel { vercel in
            let provider = ProviderFactory.make(
                .vercel(vercel.spec()),
                service: Self.service,
                client: vercel.client,
                redactor: Redactor()
            )
            #expect(provider.kind == "vercel")
            let current = try await provider.currentDeployment(service: Self.service)
            #expect(current?.id == "dpl_3")
        }
    }

    // MARK: - Errors

    @Test("401: permanent .auth naming the variable to check, never the token")
    func unauthorized() async throws {
        try await withVercel { vercel in
            vercel.vercel.failNext(1, status: 401)
            let error = await #expect(throws: ProviderError.self) {
                _ = try await vercel.provider().listDeployments(service: Self.service)
            }
            #expect(error?.kind == .auth)
            #expect(error?.isTransient == false)
            #expect(
                error?.message.contains("Vercel answered 401 unauthorized: check that VERCEL_TOKEN holds a valid")
                    == true
            )
            #expect(error?.message.contains(VercelHarness.token) == false)
        }
    }

    @Test("403 for a team the token cannot use: .auth naming the token variable and the team")
    func forbiddenTeam() async throws {
        try await withVercel { vercel in
            let error = await #expect(throws: ProviderError.self) {
                _ = try await vercel.provider(team: "team_other").rollback(
                    service: Self.service,
                    to: shopDeployment("dpl_2"),
                    context: frontendContext
                )
            }
            #expect(error?.kind == .auth)
            #expect(
                error?.message.contains(
                    "Vercel answered 403 forbidden: check that VERCEL_TOKEN can access team team_other"
                ) == true
            )
            #expect(error?.message.contains(VercelHarness.token) == false)
            #expect(vercel.vercel.mutations.isEmpty)
        }
    }

    @Test("403 for an unknown token; the error never echoes it")
    func unknownToken() async throws {
        try await withVercel { vercel in
            let wrong = "vercel-token-wrong-77"
            let error = await #expect(throws: ProviderError.self) {
                _ = try await vercel.provider(token: wrong).currentDeployment(service: Self.service)
            }
            #expect(error?.kind == .auth)
            #expect(error?.message.contains("check that VERCEL_TOKEN can access team team_x9") == true)
            #expect(error?.message.contains(wrong) == false)
        }
    }

    @Test("a team project read without team_id is unknown (404) and the message says to set team_id")
    func projectOutsideScope() async throws {
        try await withVercel { vercel in
            let error = await #expect(throws: ProviderError.self) {
                _ = try await vercel.provider(team: nil).currentDeployment(service: Self.service)
            }
            #expect(error?.kind == .notFound)
            #expect(
                error?.message.contains(
                    "Vercel does not know project shop-web in the token's personal account (set team_id"
                ) == true
            )
        }
    }

    @Test("an unknown deployment is .notFound and nothing is changed")
    func unknownDeployment() async throws {
        try await withVercel { vercel in
            let error = await #expect(throws: ProviderError.self) {
                _ = try await vercel.provider().rollback(
                    service: Self.service,
                    to: shopDeployment("dpl_nope"),
                    context: frontendContext
                )
            }
            #expect(error?.kind == .notFound)
            #expect(error?.message.contains("Vercel does not know deployment dpl_nope in project shop-web") == true)
            #expect(vercel.vercel.production(project: VercelHarness.projectID) == "dpl_3")
        }
    }

    @Test("429 is transient and carries Retry-After")
    func rateLimited() async throws {
        try await withVercel { vercel in
            vercel.vercel.failNext(1, status: 429, retryAfter: "2")
            let error = await #expect(throws: ProviderError.self) {
                _ = try await vercel.provider().listDeployments(service: Self.service)
            }
            #expect(error?.kind == .rateLimited)
            #expect(error?.isTransient == true)
            #expect(error?.retryAfter == .seconds(2))
            #expect(error?.message.contains("Vercel answered 429 rate_limited") == true)
        }
    }

    @Test("a 16-digit Retry-After is an hour's wait, never a crash")
    func hugeRetryAfter() async throws {
        try await withVercel { vercel in
            vercel.vercel.failNext(1, status: 429, retryAfter: "9999999999999999")
            let error = await #expect(throws: ProviderError.self) {
                _ = try await vercel.provider().listDeployments(service: Self.service)
            }
            #expect(error?.kind == .rateLimited)
            #expect(error?.retryAfter == .seconds(3600))
        }
    }

    @Test("429 with Retry-After as an HTTP date")
    func rateLimitedUntilDate() async throws {
        try await withVercel { vercel in
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
            vercel.vercel.failNext(1, status: 429, retryAfter: formatter.string(from: Date().addingTimeInterval(30)))
            let started = ContinuousClock.now
            let error = await #expect(throws: ProviderError.self) {
                _ = try await vercel.provider().listDeployments(service: Self.service)
            }
            let elapsed = ContinuousClock.now - started
            let wait = try #require(error?.retryAfter)
            // The date is 30 s away when the request goes out, at one-second resolution; however long the
            // exchange took on a loaded machine is already gone from the wait when it is parsed.
            #expect(wait <= .seconds(30))
            #expect(wait >= .seconds(28) - elapsed, "waited \(wait) after an exchange of \(elapsed)")
        }
    }

    @Test("429 without Retry-After takes the wait from the body's limit.resetMs")
    func rateLimitedFromBody() async throws {
        try await withVercel { vercel in
            vercel.vercel.failNext(1, status: 429)
            let error = await #expect(throws: ProviderError.self) {
                _ = try await vercel.provider().listDeployments(service: Self.service)
            }
            let wait = try #require(error?.retryAfter)
            #expect(wait > .seconds(50) && wait <= .seconds(60), "the emulator resets the limit 60 s later")
        }
    }

    @Test("500 is a transient .server error with Vercel's message")
    func serverError() async throws {
        try await withVercel { vercel in
            vercel.vercel.failNext(1, status: 500, path: "/v1/projects")
            let error = await #expect(throws: ProviderError.self) {
                _ = try await vercel.provider().rollback(
                    service: Self.service,
                    to: shopDeployment("dpl_2"),
                    context: frontendContext
                )
            }
            #expect(error?.kind == .server)
            #expect(error?.isTransient == true)
            #expect(error?.message.contains("(An unexpected internal error occurred)") == true)
        }
    }

    @Test("a slow answer hits the request deadline: transient .timeout")
    func timeout() async throws {
        try await withVercel { vercel in
            vercel.vercel.delayNext(1, by: .seconds(10))
            let error = await #expect(throws: ProviderError.self) {
                _ = try await vercel.provider(timeout: .milliseconds(300)).currentDeployment(service: Self.service)
            }
            #expect(error?.kind == .timeout)
            #expect(error?.isTransient == true)
        }
    }

    @Test("an answer that is not JSON is a permanent .badResponse")
    func malformed() async throws {
        try await withVercel { vercel in
            vercel.vercel.malformedNext(1)
            let error = await #expect(throws: ProviderError.self) {
                _ = try await vercel.provider().listDeployments(service: Self.service)
            }
            #expect(error?.kind == .badResponse)
            #expect(error?.isTransient == false)
            #expect(error?.message.contains("Vercel answered 200 with something that is not JSON") == true)
        }
    }

    // MARK: - Access checks

    @Test("checkAccess reads the user, the team, the project and the deployments, and changes nothing")
    func accessPasses() async throws {
        try await withVercel { vercel in
            let checks = await vercel.provider().checkAccess(service: Self.service)
            #expect(
                checks.map(\.name) == [
                    "authentication with VERCEL_TOKEN", "access to team team_x9", "read project shop-web",
                    "list production deployments of project shop-web",
                ]
            )
            #expect(checks.allSatisfy { $0.passed }, "\(checks)")
            #expect(checks.last?.detail == "newest READY production deployment: dpl_3")
            #expect(vercel.vercel.received.allSatisfy { $0.method == "GET" })
            #expect(vercel.vercel.mutations.isEmpty)
        }
    }

    @Test("checkAccess with the wrong team says which token and team to fix")
    func accessWrongTeam() async throws {
        try await withVercel { vercel in
            let checks = await vercel.provider(team: "team_other").checkAccess(service: Self.service)
            #expect(checks.first?.passed == true)
            let team = try #require(checks.first { $0.name == "access to team team_other" })
            #expect(!team.passed)
            #expect(team.detail.contains("check that VERCEL_TOKEN can access team team_other"))
        }
    }

    @Test("checkAccess with a bad token stops after authentication and never shows the token")
    func accessBadToken() async throws {
        try await withVercel { vercel in
            let checks = await vercel.provider(token: "vercel-token-revoked").checkAccess(service: Self.service)
            #expect(checks.count == 1)
            #expect(checks.first?.passed == false)
            #expect(checks.first?.detail.contains("VERCEL_TOKEN") == true)
            #expect(checks.first?.detail.contains("vercel-token-revoked") == false)
        }
    }
}
