import Foundation
import Hummingbird
import Logging
import RewindSandbox
import Synchronization

/// Everything a campaign's daemon talks to, on loopback:
///
/// - frontend on a Vercel emulator behind a Cloudflare pool (origins `stable`: fe-v1, `new`: production);
/// - backend and worker on a Railway emulator (one project, one environment);
/// - api on the sandbox's own platform API (its rollbacks are asynchronous operations, polled), reached by the
///   policy's fallback after its primary command fails;
/// - cmd rolled back by a local command (`/command/…` below): a 400 ms script, as a new user would write one;
/// - Slack and PagerDuty stand-ins and an SMTP server.
///
/// Counters a script reads (`GET /counters`): rollback calls per platform and service, traffic moves, command
/// runs, and what each notification sink accepted.
final class CampaignWorld: Sendable {
    static let services = ["frontend", "backend", "worker", "api", "cmd"]
    static let vercelProject = "campaign-web"
    static let railwayProject = "campaign"
    static let railwayEnvironment = "production"
    static let railwayServices = ["backend": "svc-backend", "worker": "svc-worker"]
    static let cloudflareAccount = "campaign-account"
    static let cloudflarePool = "frontend-pool"
    static let tokens = [
        "vercel": "vercel-campaign-token", "railway": "railway-campaign-token",
        "cloudflare": "cloudflare-campaign-token",
    ]

    static func v1(_ service: String) -> String { "\(service)-v1" }

    let sandbox: SandboxWorld
    let vercel = VercelEmulator()
    let railway = RailwayEmulator()
    let cloudflare = CloudflareEmulator()
    let sinks = NotificationSinks()
    let mail = SMTPSink()
    /// How each deployment's user requests go (conversion, errors): what the applications push.
    let requests = Mutex<[String: RequestBehavior]>([:])
    /// Command rollbacks: runs started and finished per service, and every deployment by id (to make one live again).
    private let commands = Mutex<CommandLog>(CommandLog())

    struct RequestBehavior: Sendable {
        var conversion = 0.04
        var errorRatio = 0.0
    }

    struct CommandLog {
        var started: [String: Int] = [:]
        var finished: [String: Int] = [:]
        var deployments: [String: SandboxDeployment] = [:]
    }

    init() {
        let v1At = Date(timeIntervalSinceNow: -7200)
        var deployments: [String: [SandboxDeployment]] = [:]
        for service in Self.services {
            deployments[service] = [SandboxDeployment(id: Self.v1(service), version: "v1", createdAt: v1At)]
        }
        sandbox = SandboxWorld(
            services: deployments, live: Dictionary(uniqueKeysWithValues: Self.services.map { ($0, Self.v1($0)) }))
        // The api's fallback polls its operation: long enough to be caught in the middle.
        sandbox.rollbackDuration = .milliseconds(1500)
        commands.withLock { log in
            for (service, list) in deployments {
                for deployment in list { log.deployments["\(service)/\(deployment.id)"] = deployment }
            }
        }

        vercel.addToken(Self.tokens["vercel"]!)
        vercel.addProject(id: "prj_campaign", name: Self.vercelProject)
        vercel.addDeployment(
            VercelEmulatedDeployment(
                id: Self.v1("frontend"), createdAt: Int64(v1At.timeIntervalSince1970 * 1000),
                meta: ["githubCommitSha": "v1"]),
            project: Self.vercelProject, makeProduction: true)
        railway.addAccountToken(Self.tokens["railway"]!)
        for (service, serviceID) in Self.railwayServices.sorted(by: { $0.key < $1.key }) {
            railway.addDeployment(
                id: Self.v1(service), projectID: Self.railwayProject, environmentID: Self.railwayEnvironment,
                serviceID: serviceID,
                createdAt: v1At, commitHash: "v1")
        }
        cloudflare.addToken(Self.tokens["cloudflare"]!)
        cloudflare.addPool(
            account: Self.cloudflareAccount,
            CloudflareEmulatedPool(
                id: Self.cloudflarePool, name: "frontend",
                origins: [
                    CloudflareEmulatedOrigin(name: "stable", address: "stable.campaign.local", weight: 1),
                    CloudflareEmulatedOrigin(name: "new", address: "new.campaign.local", weight: 0),
                ]))
        sandbox.link(service: "frontend", to: .vercel(vercel, project: Self.vercelProject))
        for (service, serviceID) in Self.railwayServices {
            sandbox.link(service: service, to: .railway(railway, serviceID: serviceID))
        }
        sandbox.route(
            service: "frontend",
            through: .cloudflare(
                cloudflare, account: Self.cloudflareAccount, pool: Self.cloudflarePool, stableOrigin: "stable",
                newOrigin: "new",
                stableDeploymentID: Self.v1("frontend")))
    }

    // MARK: What a campaign does

    /// Deploys `id` of `service` the way its platform does, answering its health checks as `behavior`;
    /// frontend's new origin gets `share` of the traffic.
    func deploy(
        service: String, id: String, behavior: SandboxBehavior, share: Double?, requests behaviour: RequestBehavior
    ) {
        let deployment = SandboxDeployment(id: id, version: id, behavior: behavior)
        sandbox.deploy(service: service, deployment)
        commands.withLock { $0.deployments["\(service)/\(id)"] = deployment }
        requests.withLock { $0[id] = behaviour }
        switch service {
        case "frontend":
            vercel.addDeployment(
                VercelEmulatedDeployment(
                    id: id, createdAt: Int64(Date().timeIntervalSince1970 * 1000), meta: ["githubCommitSha": id]),
                project: Self.vercelProject, makeProduction: true)
            let new = (min(1, max(0, share ?? 1)) * 100).rounded() / 100
            cloudflare.setOriginWeights(
                account: Self.cloudflareAccount, pool: Self.cloudflarePool, ["stable": 1 - new, "new": new])
        case "backend", "worker":
            railway.deploy(
                id: id, projectID: Self.railwayProject, environmentID: Self.railwayEnvironment,
                serviceID: Self.railwayServices[service]!,
                commitHash: id)
        default:
            break
        }
    }

    /// A run of the rollback command started.
    func commandStarted(service: String) {
        commands.withLock { $0.started[service, default: 0] += 1 }
    }

    /// A run of the rollback command did its work: `target` is live. False for a deployment the world does not know.
    func commandRolledBack(service: String, to target: String) -> Bool {
        guard
            let deployment = commands.withLock({ log -> SandboxDeployment? in
                log.finished[service, default: 0] += 1
                return log.deployments["\(service)/\(target)"]
            })
        else { return false }
        sandbox.deploy(service: service, deployment)
        return true
    }

    /// Everything counted so far.
    func counters() -> [String: Any] {
        let log = commands.withLock { $0 }
        var railwayRollbacks: [String: Int] = [:]
        for mutation in railway.mutations where mutation.field == "deploymentRollback" {
            let id = mutation.variables["id"]?.string ?? ""
            let service = Self.railwayServices.first { key, _ in id.hasPrefix(key) }?.key ?? "?"
            railwayRollbacks[service, default: 0] += 1
        }
        let vercelRollbacks = vercel.mutations.filter { $0.status < 300 }.count
        var live: [String: String] = [:]
        for service in Self.services { live[service] = sandbox.live(service: service)?.id ?? "" }
        let share = sandbox.serving(service: "frontend").first { $0.deployment.id != Self.v1("frontend") }?.share ?? 0
        return [
            "rollbacks": [
                "railway": railwayRollbacks,
                "vercel": ["frontend": vercelRollbacks],
                "platform": ["api": sandbox.rollbackCalls(service: "api")],
                "command": log.started,
            ],
            "command_finished": log.finished,
            "traffic_moves": cloudflare.mutations.count,
            "frontend_new_share": share,
            "live": live,
            "notices": [
                "slack": sinks.accepted(.slackWebhook).map(\.body),
                "pagerduty": sinks.accepted(.pagerDuty).map(\.body),
                "email": mail.messages.map { "\($0.recipients.joined(separator: ",")) \($0.subject ?? "")" },
            ],
        ]
    }

    // MARK: Serving

    func serve(writingEndpointsTo path: String, pusher: ApplicationPusher?) async throws {
        let quiet = Logger(label: "campaign-world", factory: { _ in SwiftLogNoOpLogHandler() })
        let services = Sandbox(world: sandbox, logger: quiet)
        let vercelServer = VercelEmulatorServer(emulator: vercel, logger: quiet)
        let railwayServer = RailwayEmulatorServer(emulator: railway, logger: quiet)
        let cloudflareServer = CloudflareEmulatorServer(emulator: cloudflare, logger: quiet)
        let sinksServer = NotificationSinksServer(sinks: sinks, logger: quiet)
        let mailServer = SMTPSinkServer(sink: mail)
        let control = ControlRoutes(world: self)
        let controlPort = PortBox()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await services.run() }
            group.addTask { try await vercelServer.run() }
            group.addTask { try await railwayServer.run() }
            group.addTask { try await cloudflareServer.run() }
            group.addTask { try await sinksServer.run() }
            group.addTask { try await mailServer.run() }
            group.addTask {
                let app = Application(
                    router: control.router(),
                    configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "campaign-world"),
                    onServerRunning: { channel in controlPort.set(channel.localAddress?.port ?? 0) },
                    logger: quiet)
                try await runStoppingGracefully(app, logger: quiet)
            }
            if let pusher { group.addTask { try await pusher.run() } }
            let sandboxEndpoints = await services.endpoints()
            let port = await controlPort.wait()
            let endpoints: [String: Any] = [
                "control": "http://127.0.0.1:\(port)",
                "services": sandboxEndpoints.services,
                "platform": sandboxEndpoints.platform,
                "vercel": await vercelServer.endpoint(),
                "railway": await railwayServer.graphQLURL(),
                "cloudflare": await cloudflareServer.apiURL(),
                "sinks": await sinksServer.endpoint(),
                "smtp_port": await mailServer.port(),
                "tokens": Self.tokens,
                "vercel_project": Self.vercelProject,
                "railway_project": Self.railwayProject,
                "railway_environment": Self.railwayEnvironment,
                "railway_services": Self.railwayServices,
                "cloudflare_account": Self.cloudflareAccount,
                "cloudflare_pool": Self.cloudflarePool,
            ]
            let data = try JSONSerialization.data(withJSONObject: endpoints, options: [.sortedKeys])
            try data.write(to: URL(fileURLWithPath: path + ".tmp"))
            _ = rename(path + ".tmp", path)
            try await group.next()
            group.cancelAll()
        }
    }
}

/// The control server's port, once it listens: `wait()` resumes when `set(_:)` is called, no polling.
final class PortBox: Sendable {
    private struct State {
        var port: Int?
        var waiters: [CheckedContinuation<Int, Never>] = []
    }

    private let state = Mutex(State())

    func set(_ value: Int) {
        let waiters = state.withLock { state in
            state.port = value
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: value) }
    }

    func wait() async -> Int {
        await withCheckedContinuation { continuation in
            let known = state.withLock { state -> Int? in
                if let port = state.port { return port }
                state.waiters.append(continuation)
                return nil
            }
            if let known { continuation.resume(returning: known) }
        }
    }
}
