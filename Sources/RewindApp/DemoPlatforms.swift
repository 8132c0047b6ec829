import Foundation
import RewindSandbox

/// The guide's own setup for `rewind demo`, on loopback emulators of the vendors' APIs: frontend on Vercel,
/// backend and worker on Railway (one project, one environment), Cloudflare in front of frontend (one pool
/// with the origins `stable` and `new`).
///
/// The sandbox's services follow what the emulators say: ``link(_:)`` makes each service live on the
/// emulator's live deployment (a Railway rollback's new deployment stands for the one it restores) and puts
/// the Cloudflare pool in front of frontend (its stable origin serves fe-v1, its new origin what Vercel's
/// production serves).
struct DemoPlatforms: Sendable {
    static let vercelProject = "rewind-demo-web"
    static let railwayProject = "rewind-demo"
    static let railwayEnvironment = "production"
    static let railwayServices = ["backend": "svc-backend", "worker": "svc-worker"]
    static let cloudflareAccount = "rewind-demo-account"
    static let cloudflarePool = "frontend-pool"
    /// The frontend deployment behind the stable origin: the known-good one.
    static let stableFrontend = "fe-v1"

    let vercel = VercelEmulator()
    let railway = RailwayEmulator()
    let cloudflare = CloudflareEmulator()
    let vercelServer: VercelEmulatorServer
    let railwayServer: RailwayEmulatorServer
    let cloudflareServer: CloudflareEmulatorServer
    /// The API tokens, new for every run; the policy reads them from the environment.
    let tokens: Tokens

    struct Tokens: Sendable {
        var vercel = "vercel-" + UUID().uuidString
        var railway = "railway-" + UUID().uuidString
        var cloudflare = "cloudflare-" + UUID().uuidString
    }

    /// Where the emulators listen.
    struct Endpoints: Sendable {
        var vercel: String
        var railway: String
        var cloudflare: String
    }

    /// Every service on v1 (deployed two hours ago); Cloudflare sends all of frontend's traffic to stable.
    init(v1DeployedAt: Date) {
        tokens = Tokens()
        vercelServer = VercelEmulatorServer(emulator: vercel)
        railwayServer = RailwayEmulatorServer(emulator: railway)
        cloudflareServer = CloudflareEmulatorServer(emulator: cloudflare)

        vercel.addToken(tokens.vercel)
        vercel.addProject(id: "prj_rewinddemo", name: Self.vercelProject)
        vercel.addDeployment(
            Self.vercelDeployment("fe-v1", version: "v1", at: v1DeployedAt), project: Self.vercelProject,
            makeProduction: true)

        railway.addAccountToken(tokens.railway)
        for (service, serviceID) in Self.railwayServices.sorted(by: { $0.key < $1.key }) {
            railway.addDeployment(
                id: "\(Self.prefix(service))-v1", projectID: Self.railwayProject,
                environmentID: Self.railwayEnvironment,
                serviceID: serviceID, createdAt: v1DeployedAt, commitHash: "v1")
        }

        cloudflare.addToken(tokens.cloudflare)
        cloudflare.addPool(
            account: Self.cloudflareAccount,
            CloudflareEmulatedPool(
                id: Self.cloudflarePool, name: "frontend",
                origins: [
                    CloudflareEmulatedOrigin(
                        name: "stable", address: "fe-v1-\(Self.vercelProject).vercel.app", weight: 1),
                    CloudflareEmulatedOrigin(name: "new", address: "\(Self.vercelProject).vercel.app", weight: 0),
                ]))
    }

    func endpoints() async -> Endpoints {
        Endpoints(
            vercel: await vercelServer.endpoint(), railway: await railwayServer.graphQLURL(),
            cloudflare: await cloudflareServer.apiURL())
    }

    var environment: [String: String] {
        [
            "DEMO_VERCEL_TOKEN": tokens.vercel, "DEMO_RAILWAY_TOKEN": tokens.railway,
            "DEMO_CLOUDFLARE_TOKEN": tokens.cloudflare,
        ]
    }

    /// Makes the world's services live on what the emulators serve, with Cloudflare in front of frontend.
    func link(_ world: SandboxWorld) {
        world.link(service: "frontend", to: .vercel(vercel, project: Self.vercelProject))
        for (service, serviceID) in Self.railwayServices {
            world.link(service: service, to: .railway(railway, serviceID: serviceID))
        }
        world.route(
            service: "frontend",
            through: .cloudflare(
                cloudflare, account: Self.cloudflareAccount, pool: Self.cloudflarePool, stableOrigin: "stable",
                newOrigin: "new", stableDeploymentID: Self.stableFrontend))
    }

    /// Deploys v2 of `service` the way its platform does: a Vercel production deployment (with the new origin
    /// given `newShare` of frontend's traffic), or a Railway deployment that replaces the live one.
    func deploy(service: String, id: String, newShare: Double?) {
        switch service {
        case "frontend":
            vercel.addDeployment(
                Self.vercelDeployment(id, version: "v2", at: Date()), project: Self.vercelProject, makeProduction: true)
            if let newShare {
                cloudflare.setOriginWeights(
                    account: Self.cloudflareAccount, pool: Self.cloudflarePool,
                    ["stable": Self.weight(1 - newShare), "new": Self.weight(newShare)])
            }
        default:
            guard let serviceID = Self.railwayServices[service] else { return }
            railway.deploy(
                id: id, projectID: Self.railwayProject, environmentID: Self.railwayEnvironment, serviceID: serviceID,
                commitHash: "v2")
        }
    }

    /// The share of frontend's traffic Cloudflare sends to the new origin now.
    var frontendNewShare: Double? {
        guard let pool = cloudflare.pool(account: Self.cloudflareAccount, id: Self.cloudflarePool),
            let stable = pool.origin(named: "stable"), let new = pool.origin(named: "new")
        else { return nil }
        let total = (stable.enabled ? stable.weight : 0) + (new.enabled ? new.weight : 0)
        return total > 0 ? (new.enabled ? new.weight : 0) / total : 0
    }

    /// The platform a service runs on.
    static func platform(of service: String) -> String {
        service == "frontend" ? "vercel" : "railway"
    }

    /// The `provider:` (and for frontend `traffic:`) of a service in the demo's policy.
    static func providerYAML(service: String, endpoints: Endpoints) -> String {
        switch service {
        case "frontend":
            return """
                    provider:
                      type: vercel
                      token: ${DEMO_VERCEL_TOKEN}
                      project: \(vercelProject)
                      api_url: \(endpoints.vercel)
                      timeout: 5s
                    traffic:
                      type: cloudflare
                      token: ${DEMO_CLOUDFLARE_TOKEN}
                      account_id: \(cloudflareAccount)
                      pool: \(cloudflarePool)
                      stable_origin: stable
                      new_origin: new
                      api_url: \(endpoints.cloudflare)
                      timeout: 5s
                """
        default:
            return """
                    provider:
                      type: railway
                      token: ${DEMO_RAILWAY_TOKEN}
                      project_id: \(railwayProject)
                      environment_id: \(railwayEnvironment)
                      service_id: \(railwayServices[service] ?? "?")
                      api_url: \(endpoints.railway)
                      timeout: 5s
                """
        }
    }

    private static func vercelDeployment(_ id: String, version: String, at date: Date) -> VercelEmulatedDeployment {
        VercelEmulatedDeployment(
            id: id, createdAt: Int64(date.timeIntervalSince1970 * 1000), meta: ["githubCommitSha": version])
    }

    /// Cloudflare's 0.01 steps.
    private static func weight(_ share: Double) -> Double { (min(1, max(0, share)) * 100).rounded() / 100 }

    /// `fe`, `be`, `wk`: the prefix of a service's deployment ids.
    static func prefix(_ service: String) -> String {
        switch service {
        case "frontend": "fe"
        case "worker": "wk"
        default: "be"
        }
    }
}
