import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RewindConfig
import RewindCore
import RewindPorts
import RewindSandbox
import RewindSpecs
import Testing

@testable import RewindApp

/// `rewind demo`'s link between the sandbox and the vendor emulators: the sandbox's services answer as the
/// deployment the emulators say is live, and Rewind's real providers and Cloudflare control, configured with
/// the demo's own YAML, move them.
@Suite("Demo: the sandbox follows the vendor emulators")
struct DemoPlatformsTests {
    @Test func aRailwayRollbackMakesTheBackendAnswerAsTheDeploymentItRestores() async throws {
        try await withDemoPlatforms { world, platforms, endpoints, client in
            world.deploy(
                service: "backend", SandboxDeployment(id: "be-v2", version: "v2", behavior: .failing(status: 500)))
            platforms.deploy(service: "backend", id: "be-v2", newShare: nil)
            let before = try await health(endpoints.services["backend"], client: client)
            #expect(before.status == 500 && before.deployment == "be-v2")

            let configuration = try await demoConfiguration(platforms)
            let provider = try #require(Composition.providers(for: configuration, client: client).primary["backend"])
            let target = Deployment(
                service: "backend", id: "be-v1", version: "v1", deployedAt: Timestamp(millisecondsSinceEpoch: 0))
            let operation = try await provider.rollback(
                service: "backend", to: target, context: ActionContext(incidentID: 1, current: nil))
            #expect(try await settle(operation, provider: provider, service: "backend", target: target) == .succeeded)

            let live = try #require(platforms.railway.liveDeployment(serviceID: "svc-backend"))
            #expect(live.id != "be-v1", "Railway rolls back by creating a new deployment")
            #expect(live.sourceID == "be-v1")
            #expect(world.live(service: "backend")?.id == "be-v1")
            let after = try await health(endpoints.services["backend"], client: client)
            #expect(after.status == 200 && after.deployment == "be-v1")
        }
    }

    @Test func cloudflareSplitsFrontendAndVercelsRollbackRoutesItToStable() async throws {
        try await withDemoPlatforms { world, platforms, endpoints, client in
            world.deploy(service: "frontend", SandboxDeployment(id: "fe-v2", version: "v2"))
            platforms.deploy(service: "frontend", id: "fe-v2", newShare: 0.2)
            #expect(platforms.frontendNewShare == 0.2)
            #expect(world.live(service: "frontend")?.id == "fe-v2", "Vercel's production serves v2")
            #expect(
                world.serving(service: "frontend").map { "\($0.deployment.id) \($0.share)" } == [
                    "fe-v1 0.8", "fe-v2 0.2",
                ])
            var reached: [String] = []
            for _ in 0..<10 {
                reached.append(try await health(endpoints.services["frontend"], client: client).deployment)
            }
            #expect(reached.filter { $0 == "fe-v2" }.count == 2, "every fifth request reaches the canary: \(reached)")

            let configuration = try await demoConfiguration(platforms)
            let traffic = try #require(
                Composition.rollbackControls(for: configuration, client: client).traffic["frontend"])
            #expect(try await traffic.newVersionShare(service: "frontend") == 0.2)
            try await traffic.setNewVersionShare(0, service: "frontend")
            reached = []
            for _ in 0..<5 {
                reached.append(try await health(endpoints.services["frontend"], client: client).deployment)
            }
            #expect(reached == Array(repeating: "fe-v1", count: 5))
            #expect(
                world.live(service: "frontend")?.id == "fe-v2", "stopping the canary leaves Vercel's production alone")

            let provider = try #require(Composition.providers(for: configuration, client: client).primary["frontend"])
            let target = Deployment(
                service: "frontend", id: "fe-v1", version: "v1", deployedAt: Timestamp(millisecondsSinceEpoch: 0))
            let operation = try await provider.rollback(
                service: "frontend", to: target, context: ActionContext(incidentID: 1, current: nil))
            #expect(try await settle(operation, provider: provider, service: "frontend", target: target) == .succeeded)
            #expect(platforms.vercel.production(project: DemoPlatforms.vercelProject) == "fe-v1")
            #expect(world.live(service: "frontend")?.id == "fe-v1")
            #expect(world.serving(service: "frontend").map(\.deployment.id) == ["fe-v1"])
        }
    }

    @Test func theDemoPolicyNamesTheVendorsAndReadsTheirTokensFromTheEnvironment() async throws {
        let platforms = DemoPlatforms(v1DeployedAt: Date(timeIntervalSinceNow: -7200))
        let endpoints = DemoPlatforms.Endpoints(
            vercel: "http://127.0.0.1:1", railway: "http://127.0.0.1:2/graphql/v2",
            cloudflare: "http://127.0.0.1:3/client/v4")
        let configuration = try parse(platforms, endpoints: endpoints, canary: true)
        let frontend = try #require(configuration.platforms["frontend"])
        #expect(frontend.provider?.kind == "vercel")
        #expect(frontend.traffic?.kind == "cloudflare")
        #expect(configuration.policy.service("frontend")?.rollout == .canary)
        #expect(configuration.platforms["backend"]?.provider?.kind == "railway")
        #expect(configuration.platforms["worker"]?.provider?.kind == "railway")
        let yaml = Demo.configuration(
            .canary, endpoints: SandboxEndpoints(services: [:], platform: ""), vendors: endpoints,
            local: Demo.LocalSinks(
                http: "http://127.0.0.1:4", smtpPort: 5, sinks: NotificationSinks(),
                mail: SMTPSink()),
            prometheus: nil)
        for token in [platforms.tokens.vercel, platforms.tokens.railway, platforms.tokens.cloudflare] {
            #expect(!yaml.contains(token), "the policy file holds no token")
        }
        #expect(
            try parse(platforms, endpoints: endpoints, canary: false).policy.service("frontend")?.rollout != .canary)
    }
}

@Suite("Demo: the summary of a traffic strategy")
struct DemoSummaryTests {
    @Test func eachTrafficMoveGetsTheSharesItsJournalEntryReports() {
        let v1 = Deployment(
            service: "frontend", id: "fe-v1", version: "v1", deployedAt: Timestamp(millisecondsSinceEpoch: 0))
        let v2 = Deployment(
            service: "frontend", id: "fe-v2", version: "v2", deployedAt: Timestamp(millisecondsSinceEpoch: 1))
        let plan = Plan(
            strategy: .gradual,
            steps: [
                PlanStep(
                    id: "reduce-traffic-frontend", service: "frontend", from: v2, to: v1,
                    action: .reduceTraffic(by: 0.5), timeout: .seconds(5), dependsOn: []),
                PlanStep(
                    id: "watch-frontend", service: "frontend", from: v2, to: v1, action: .watch(durationMs: 3000),
                    timeout: .seconds(8), dependsOn: []),
                PlanStep(
                    id: "route-stable-frontend", service: "frontend", from: v2, to: v1, action: .setTraffic(share: 0),
                    timeout: .seconds(5), dependsOn: []),
                PlanStep(
                    id: "rollback-frontend", service: "frontend", from: v2, to: v1, timeout: .seconds(10), dependsOn: []
                ),
            ], freeze: nil)
        func event(_ kind: TimelineKind, _ detail: [String: JSONValue]) -> TimelineEvent {
            TimelineEvent(
                incidentID: 1, at: Timestamp(millisecondsSinceEpoch: 0), kind: kind, message: "",
                detail: .object(detail))
        }
        func moved(_ before: Double, _ after: Double) -> TimelineEvent {
            event(.stepAccepted, ["service": .string("frontend"), "before": .number(before), "after": .number(after)])
        }
        func finished(_ step: String) -> TimelineEvent {
            event(.stepOutcome, ["step": .string(step), "success": .bool(true)])
        }
        let timeline = [
            moved(1, 0.5), finished("reduce-traffic-frontend"), finished("watch-frontend"), moved(0.5, 0),
            finished("route-stable-frontend"),
            finished("rollback-frontend"),
        ]
        let steps = plan.steps.map { Demo.Summary.Step(id: $0.id, outcome: "succeeded", startedS: 0, finishedS: 1) }
        let shares = Demo.stepsWithShares(steps, plan: plan, timeline: timeline).map {
            [$0.shareBefore, $0.shareAfter]
        }
        #expect(shares == [[1, 0.5], [nil, nil], [0.5, 0], [nil, nil]])
    }
}

// MARK: - Helpers

private typealias DemoBody = @Sendable (SandboxWorld, DemoPlatforms, SandboxEndpoints, HTTPClient) async throws -> Void

/// The demo's world and emulators, linked as `rewind demo` links them, on loopback for the duration of `body`.
private func withDemoPlatforms(_ body: DemoBody) async throws {
    let v1DeployedAt = Date(timeIntervalSinceNow: -7200)
    let world = SandboxWorld(
        services: [
            "frontend": [SandboxDeployment(id: "fe-v1", version: "v1", createdAt: v1DeployedAt)],
            "backend": [SandboxDeployment(id: "be-v1", version: "v1", createdAt: v1DeployedAt)],
            "worker": [SandboxDeployment(id: "wk-v1", version: "v1", createdAt: v1DeployedAt)],
        ],
        live: [:])
    let platforms = DemoPlatforms(v1DeployedAt: v1DeployedAt)
    platforms.link(world)
    let sandbox = Sandbox(world: world)
    let client = HTTPClient(eventLoopGroupProvider: .singleton)
    try await withThrowingTaskGroup(of: Void.self) { servers in
        servers.addTask { try await sandbox.run() }
        servers.addTask { try await platforms.vercelServer.run() }
        servers.addTask { try await platforms.railwayServer.run() }
        servers.addTask { try await platforms.cloudflareServer.run() }
        let endpoints = await sandbox.endpoints()
        do {
            try await body(world, platforms, endpoints, client)
        } catch {
            try? await client.shutdown()
            servers.cancelAll()
            throw error
        }
        // The client's connections first, then the servers (apple/swift-nio#2813).
        try await client.shutdown()
        servers.cancelAll()
    }
}

/// The demo's policy against the running emulators.
private func demoConfiguration(_ platforms: DemoPlatforms) async throws -> RewindConfiguration {
    try parse(platforms, endpoints: await platforms.endpoints(), canary: false)
}

private func parse(
    _ platforms: DemoPlatforms, endpoints: DemoPlatforms.Endpoints, canary: Bool
) throws -> RewindConfiguration {
    var yaml = "state: state.db\nservices:\n"
    for service in ["frontend", "backend", "worker"] {
        yaml += "  \(service):\n    checks:\n      - { name: health, url: http://127.0.0.1:1/health }\n"
        if canary && service == "frontend" { yaml += "    rollout: canary\n" }
        yaml += DemoPlatforms.providerYAML(service: service, endpoints: endpoints) + "\n"
    }
    switch ConfigLoader.parse(yaml: yaml, path: "/tmp/demo-platforms-test.yaml", environment: platforms.environment) {
    case .success(let configuration): return configuration
    case .failure(let errors): throw IntegrationError(errors.problems.map(\.description).joined(separator: "\n"))
    }
}

/// Polls the operation until it ends (each status read moves the emulators' jobs one step), at most 20 reads.
private func settle(
    _ operation: RollbackOperation, provider: any PlatformProvider, service: ServiceName, target: Deployment
)
    async throws -> OperationStatus
{
    var status = OperationStatus.inProgress
    for _ in 0..<20 where status == .inProgress {
        status = try await provider.status(of: operation, service: service, target: target)
        await Task.yield()
    }
    return status
}

/// One `GET /health`: its status and the deployment that answered (`X-Deployment`).
private func health(_ base: String?, client: HTTPClient) async throws -> (status: Int, deployment: String) {
    let response = try await client.execute(
        HTTPClientRequest(url: (base ?? "http://127.0.0.1:1") + "/health"), timeout: .seconds(5))
    _ = try await response.body.collect(upTo: 64 * 1024)
    return (Int(response.status.code), response.headers.first(name: "X-Deployment") ?? "")
}
