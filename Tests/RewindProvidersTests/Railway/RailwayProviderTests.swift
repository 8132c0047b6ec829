import AsyncHTTPClient
import Foundation
import RewindCore
import RewindPorts
import RewindSandbox
import RewindSpecs
import Testing

@testable import RewindProviders

@Suite("Railway provider against the emulated GraphQL API")
struct RailwayProviderTests {
    typealias H = RailwayHarness

    // MARK: Reading

    @Test("listDeployments pages through the connection with endCursor and lists only deployments that ran")
    func listPaginates() async throws {
        try await withRailway { h in
            var provider = h.provider()
            provider.pageSize = 2
            let listed = try await provider.listDeployments(service: "backend")
            #expect(listed.map(\.id) == ["d-3", "d-2", "d-1"])
            #expect(listed.first?.version == "3333333")
            #expect(listed.first?.createdAt == Timestamp(millisecondsSinceEpoch: 1_790_000_000_000 - 3_600_000))

            let pages = h.railway.requests
            #expect(pages.map(\.operationName) == ["Deployments", "Deployments"])
            let input = pages[0].variables["input"]
            #expect(input?["projectId"] == "p-11")
            #expect(input?["environmentId"] == "e-22")
            #expect(input?["serviceId"] == "s-33")
            #expect(input?["status"]?["in"]?.array?.contains("SUCCESS") == true)
            #expect(input?["status"]?["in"]?.array?.contains("FAILED") == false)
            #expect(pages[0].variables["first"] == 2)
            #expect(pages[0].variables["after"] == nil)
            let endCursor = pages[0].answer?["data"]?["deployments"]?["pageInfo"]?["endCursor"]
            #expect(endCursor != nil)
            #expect(pages[1].variables["after"] == endCursor)
            // Values travel as variables only: the query text is the constant one.
            #expect(pages.allSatisfy { $0.query?.contains("p-11") == false })
            #expect(pages[0].headers["authorization"] == "Bearer \(H.token)")
            #expect(pages[0].headers["project-access-token"] == nil)
        }
    }

    @Test("currentDeployment is the newest active deployment that went live, not a failed newer build")
    func currentIsTheLiveOne() async throws {
        try await withRailway { h in
            let current = try await h.provider().currentDeployment(service: "backend")
            #expect(current?.id == "d-3")
            #expect(current?.version == "3333333")
            #expect(h.fields == ["serviceInstance"])
        }
    }

    @Test("a project token goes in Project-Access-Token and no Bearer header")
    func projectToken() async throws {
        try await withRailway { h in
            let current = try await h.provider(token: H.projectToken, kind: .project).currentDeployment(
                service: "backend"
            )
            #expect(current?.id == "d-3")
            let headers = try #require(h.railway.requests.first?.headers)
            #expect(headers["project-access-token"] == H.projectToken)
            #expect(headers["authorization"] == nil)
        }
    }

    // MARK: Rolling back

    @Test("rollback re-reads the live deployment, checks the target, rolls back and follows the new deployment")
    func rollbackSucceeds() async throws {
        try await withRailway { h in
            let provider = h.provider()
            let operation = try await provider.rollback(service: "backend", to: H.target(), context: H.context)
            #expect(!operation.finished)
            let created = try #require(h.railway.deployments(serviceID: H.service).first)
            #expect(operation.id == created.id)
            #expect(created.reason == "rollback")
            #expect(created.commitHash == "2222222bbbb")
            #expect(h.fields == ["serviceInstance", "deployment", "deploymentRollback", "serviceInstance"])
            let mutation = try #require(h.railway.mutations.first)
            #expect(mutation.operationName == "DeploymentRollback")
            #expect(mutation.variables == ["id": "d-2"])
            #expect(mutation.answer?["data"]?["deploymentRollback"] == true)

            // INITIALIZING → DEPLOYING → SUCCESS, one step per status read.
            var statuses: [OperationStatus] = []
            for _ in 0..<3 {
                statuses.append(try await provider.status(of: operation, service: "backend", target: H.target()))
            }
            #expect(statuses == [.inProgress, .inProgress, .succeeded])
            #expect(h.railway.deployment(id: "d-3")?.status == "REMOVED")
            let live = try await provider.currentDeployment(service: "backend")
            #expect(live?.id == created.id)
            #expect(live?.version == "2222222")
        }
    }

    @Test("rollback to the live deployment calls nothing")
    func targetAlreadyLive() async throws {
        try await withRailway { h in
            let operation = try await h.provider().rollback(service: "backend", to: H.target("d-3"), context: H.context)
            #expect(operation == RollbackOperation(finished: true))
            #expect(h.railway.mutations.isEmpty)
        }
    }

    @Test("a repeated rollback follows the one in flight, then sees it live; deploymentRollback is called once")
    func idempotentReCall() async throws {
        try await withRailway { h in
            let provider = h.provider()
            let first = try await provider.rollback(service: "backend", to: H.target(), context: H.context)
            let again = try await provider.rollback(service: "backend", to: H.target(), context: H.context)
            #expect(again == first)
            h.railway.finishInFlight()
            let afterwards = try await provider.rollback(service: "backend", to: H.target(), context: H.context)
            #expect(afterwards.finished)
            #expect(h.railway.mutations.count == 1)
        }
    }

    @Test("a rollback whose deployment crashes is reported failed")
    func rollbackFails() async throws {
        try await withRailway { h in
            h.railway.progression = ["INITIALIZING", "CRASHED"]
            let provider = h.provider()
            let operation = try await provider.rollback(service: "backend", to: H.target(), context: H.context)
            #expect(try await provider.status(of: operation, service: "backend", target: H.target()) == .inProgress)
            let outcome = try await provider.status(of: operation, service: "backend", target: H.target())
            #expect(outcome == .failed("Railway deployment \(operation.id ?? "") is CRASHED"))
        }
    }

    @Test("a target past the image retention (canRollback false) is refused before any mutation")
    func cannotRollBack() async throws {
        try await withRailway { h in
            h.railway.addDeployment(
                id: "d-0",
                projectID: H.project,
                environmentID: H.environment,
                serviceID: H.service,
                status: "REMOVED",
                createdAt: H.now.addingTimeInterval(-86_400),
                commitHash: "0000000",
                canRollback: false
            )
            let error = await #expect(throws: ProviderError.self) {
                _ = try await h.provider().rollback(service: "backend", to: H.target("d-0"), context: H.context)
            }
            #expect(error?.kind == .rejected)
            #expect(error?.message.contains("canRollback is false") == true)
            #expect(error?.message.contains("mode: redeploy") == true)
            // Refused by Rewind: the message must not end with the vendor's URL as if the rollback was sent.
            #expect(error?.message.contains("(POST ") == false, "\(error?.message ?? "")")
            #expect(error?.message.contains("nothing was sent") == true, "\(error?.message ?? "")")
            #expect(h.railway.mutations.isEmpty)
        }
    }

    @Test("the provider names its credential (the token's variable, project and environment), never the token")
    func credential() async throws {
        try await withRailway { h in
            let credential = try #require(h.provider().credential)
            #expect(
                credential
                    == CredentialID(
                        platform: "railway", source: "RAILWAY_TOKEN",
                        scope: "project \(H.project), environment \(H.environment)"))
            #expect(!credential.description.contains(RailwayHarness.token))
        }
    }

    @Test("the redeploy fallback calls deploymentRedeploy and follows the deployment it returns")
    func redeployFallback() async throws {
        try await withRailway { h in
            let spec = h.spec(mode: .redeploy)
            let provider = ProviderFactory.make(
                .railway(spec),
                service: "backend",
                client: h.client,
                redactor: Redactor(secrets: [H.token])
            )
            #expect(provider.kind == "railway")
            let operation = try await provider.rollback(service: "backend", to: H.target(), context: H.context)
            let mutation = try #require(h.railway.mutations.first)
            #expect(mutation.field == "deploymentRedeploy")
            #expect(mutation.variables == ["id": "d-2"])
            let created = try #require(h.railway.deployments(serviceID: H.service).first)
            #expect(created.reason == "redeploy")
            #expect(operation == RollbackOperation(id: created.id, finished: false))
            h.railway.finishInFlight()
            #expect(try await provider.status(of: operation, service: "backend", target: H.target()) == .succeeded)
        }
    }

    @Test("an operation accepted before its deployment was seen waits for the next deployment")
    func pendingOperation() async throws {
        try await withRailway { h in
            let provider = h.provider()
            let pending = RollbackOperation(id: RailwayProvider.pendingPrefix + "d-4", finished: false)
            #expect(try await provider.status(of: pending, service: "backend", target: H.target()) == .inProgress)
            let operation = try await provider.rollback(service: "backend", to: H.target(), context: H.context)
            h.railway.finishInFlight()
            #expect(try await provider.status(of: pending, service: "backend", target: H.target()) == .succeeded)
            #expect(operation.id != nil)
        }
    }

    // MARK: Errors

    @Test("an unknown token: Not Authorized (HTTP 200) is an auth error naming the variable, never the value")
    func notAuthorized() async throws {
        try await withRailway { h in
            let wrong = "rw-wrong-token-0000"
            let error = await #expect(throws: ProviderError.self) {
                _ = try await h.provider(token: wrong).rollback(service: "backend", to: H.target(), context: H.context)
            }
            #expect(error?.kind == .auth)
            #expect(error?.isTransient == false)
            #expect(error?.message.contains("Not Authorized") == true)
            #expect(
                error?.message.contains("check that RAILWAY_TOKEN can access project p-11, environment e-22") == true
            )
            #expect(error?.message.contains(wrong) == false)
            #expect(h.railway.requests.first?.status == 200)
            #expect(h.railway.mutations.isEmpty)
        }
    }

    @Test("an unknown project token: Project Token not found says which token and which token_type")
    func projectTokenNotFound() async throws {
        try await withRailway { h in
            let error = await #expect(throws: ProviderError.self) {
                _ = try await h.provider(token: "rw-stale-project-token", kind: .project).listDeployments(
                    service: "backend"
                )
            }
            #expect(error?.kind == .auth)
            #expect(error?.message.contains("RAILWAY_TOKEN is not a project token Railway knows") == true)
            #expect(error?.message.contains("token_type: account") == true)
            #expect(error?.message.contains("rw-stale-project-token") == false)
        }
    }

    @Test("a project token outside its environment is Not Authorized")
    func projectTokenScope() async throws {
        try await withRailway { h in
            h.railway.addService(projectID: H.project, environmentID: "e-staging", serviceID: H.service)
            var spec = h.spec(token: H.projectToken, kind: .project)
            spec.environmentID = "e-staging"
            let provider = RailwayProvider(spec: spec, client: h.client, redactor: Redactor(secrets: [H.projectToken]))
            let error = await #expect(throws: ProviderError.self) {
                _ = try await provider.currentDeployment(service: "backend")
            }
            #expect(error?.kind == .auth)
            #expect(error?.message.contains("is a project token of project p-11, environment e-staging") == true)
        }
    }

    @Test("two-factor authentication required names the workspace")
    func twoFactor() async throws {
        try await withRailway { h in
            h.railway.requireTwoFactor(workspace: "acme")
            let error = await #expect(throws: ProviderError.self) {
                _ = try await h.provider().currentDeployment(service: "backend")
            }
            #expect(error?.kind == .auth)
            #expect(error?.message.contains("workspace acme requires two-factor authentication") == true)
        }
    }

    @Test("HTTP 401 and 403 are auth errors naming the variable")
    func httpAuthStatuses() async throws {
        try await withRailway { h in
            for status in [401, 403] {
                h.railway.failNext(1, status: status)
                let error = await #expect(throws: ProviderError.self) {
                    _ = try await h.provider().currentDeployment(service: "backend")
                }
                #expect(error?.kind == .auth)
                #expect(error?.message.contains("(\(status))") == true)
                #expect(error?.message.contains("RAILWAY_TOKEN") == true)
                #expect(error?.message.contains(H.token) == false)
            }
        }
    }

    @Test("an unknown deployment is notFound")
    func unknownDeployment() async throws {
        try await withRailway { h in
            let error = await #expect(throws: ProviderError.self) {
                _ = try await h.provider().rollback(service: "backend", to: H.target("d-missing"), context: H.context)
            }
            #expect(error?.kind == .notFound)
            #expect(error?.message.contains("Railway does not know deployment d-missing") == true)
            #expect(h.railway.mutations.isEmpty)
        }
    }

    @Test("429 is rate limited with Retry-After; the emulator's own budget answers the same")
    func rateLimited() async throws {
        try await withRailway { h in
            h.railway.failNext(1, status: 429, retryAfter: 7)
            let injected = await #expect(throws: ProviderError.self) {
                _ = try await h.provider().currentDeployment(service: "backend")
            }
            #expect(injected?.kind == .rateLimited)
            #expect(injected?.retryAfter == .seconds(7))
            #expect(injected?.isTransient == true)

            h.railway.limitRequests(to: 1, resetAfter: 30)
            _ = try await h.provider().currentDeployment(service: "backend")
            let spent = await #expect(throws: ProviderError.self) {
                _ = try await h.provider().currentDeployment(service: "backend")
            }
            #expect(spent?.kind == .rateLimited)
            #expect(spent?.retryAfter == .seconds(30))
        }
    }

    @Test("a 16-digit Retry-After is an hour's wait, never a crash")
    func hugeRetryAfter() async throws {
        try await withRailway { h in
            h.railway.failNext(1, status: 429, retryAfter: 9_999_999_999_999_999)
            let error = await #expect(throws: ProviderError.self) {
                _ = try await h.provider().currentDeployment(service: "backend")
            }
            #expect(error?.kind == .rateLimited)
            #expect(error?.retryAfter == .seconds(3600))
        }
    }

    @Test("5xx and Railway's 'Problem processing request' are transient server errors")
    func serverErrors() async throws {
        try await withRailway { h in
            h.railway.failNext(1, status: 503)
            let http = await #expect(throws: ProviderError.self) {
                _ = try await h.provider().currentDeployment(service: "backend")
            }
            #expect(http?.kind == .server)
            #expect(http?.isTransient == true)

            h.railway.graphQLErrorNext(1, message: "Problem processing request")
            let graphQL = await #expect(throws: ProviderError.self) {
                _ = try await h.provider().currentDeployment(service: "backend")
            }
            #expect(graphQL?.kind == .server)
        }
    }

    @Test("the request deadline fires on a slow answer")
    func timeout() async throws {
        try await withRailway { h in
            h.railway.delayNext(1, by: .seconds(30))
            let error = await #expect(throws: ProviderError.self) {
                _ = try await h.provider(timeout: .milliseconds(300)).currentDeployment(service: "backend")
            }
            #expect(error?.kind == .timeout)
            #expect(error?.isTransient == true)
        }
    }

    @Test("an answer that is not JSON is a bad response")
    func malformed() async throws {
        try await withRailway { h in
            h.railway.malformedNext(1)
            let error = await #expect(throws: ProviderError.self) {
                _ = try await h.provider().currentDeployment(service: "backend")
            }
            #expect(error?.kind == .badResponse)
            #expect(error?.message.contains("not JSON") == true)
        }
    }

    @Test("a service without a Railway id is refused before any call")
    func unknownService() async throws {
        try await withRailway { h in
            let error = await #expect(throws: ProviderError.self) {
                _ = try await h.provider().listDeployments(service: "worker")
            }
            #expect(error?.kind == .rejected)
            #expect(error?.message.contains("no Railway service id for worker") == true)
            #expect(h.railway.requests.isEmpty)
        }
    }

    // MARK: Access checks

    @Test("checkAccess passes with a good token and names the token to fix with a bad one")
    func accessChecks() async throws {
        try await withRailway { h in
            let good = await h.provider().checkAccess(service: "backend")
            #expect(good.count == 2)
            #expect(good.allSatisfy { $0.passed })
            #expect(good.first?.detail.contains("live deployment: d-3") == true)
            #expect(h.railway.mutations.isEmpty)

            // A refused token is not sent again: the second check would be refused the same way.
            let before = h.railway.requests.count
            let bad = await h.provider(token: "rw-revoked-token").checkAccess(service: "backend")
            #expect(bad.count == 1)
            #expect(h.railway.requests.count == before + 1)
            #expect(bad.allSatisfy { !$0.passed && $0.refusedCredential })
            #expect(bad.allSatisfy { $0.detail.contains("RAILWAY_TOKEN") && !$0.detail.contains("rw-revoked-token") })

            let noID = await h.provider().checkAccess(service: "worker")
            #expect(noID.map(\.passed) == [false])
        }
    }
}
