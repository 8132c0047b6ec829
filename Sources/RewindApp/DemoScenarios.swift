import RewindCore
import RewindEngine
import RewindPorts
import RewindSandbox

extension Demo {
    public enum Scenario: String, CaseIterable, Sendable {
        /// backend v2's /health answers 500: critical health → immediate rollback.
        case down
        /// worker v2's non-critical check answers 503: non-critical health → fast rollback.
        case degraded
        /// backend v2 fails twice then passes once, over and over: never 3 in a row → no rollback.
        case flapping
        /// backend v2 is good: nothing happens.
        case healthy
        /// backend v2 answers in 1.2 s: P95 latency above the backend's 1 s → fast rollback.
        case slow
        /// backend v2's traffic fails 12 % of requests (pushed error rate, baseline 0.4 %) → fast rollback.
        case errors
        /// frontend v2 converts 2.5 % of visits instead of 4 %: business → gradual (frontend has Cloudflare).
        case business
        /// backend v2 reports a breach indicator: security → immediate rollback, freeze, security team told.
        case security
        /// frontend v2 runs as a canary with 20 % of the traffic and fails half its requests → canary strategy.
        case canary
        /// frontend v2 at 100 % hurts conversion, still at 50 %: gradual strategy, cut, watch, roll back.
        case gradual

        var service: String {
            switch self {
            case .degraded: "worker"
            case .business, .canary, .gradual: "frontend"
            default: "backend"
            }
        }

        /// How v2's /health answers.
        var behavior: SandboxBehavior {
            switch self {
            case .down: .failing(status: 500)
            case .degraded: .failing(status: 503)
            case .flapping: .flapping(failures: 2, successes: 1)
            case .slow: .slow(milliseconds: 1200)
            case .healthy, .errors, .business, .security, .canary, .gradual: .healthy
            }
        }

        /// An incident is expected: every scenario but flapping and healthy.
        var expectsIncident: Bool { self != .flapping && self != .healthy }
        /// The platform is rolled back: business is contained by the traffic cut instead.
        var expectsRollback: Bool { expectsIncident && self != .business }

        /// frontend runs its new deployments as canaries (`rollout: canary`).
        var runsCanary: Bool { self == .canary }

        /// The share of frontend's traffic Cloudflare gives the new origin once v2 is deployed.
        var newShare: Double? {
            switch self {
            case .canary: 0.2
            case .business, .gradual: 1
            default: nil
            }
        }

        /// The strategy the policy should take, when a rollback is expected.
        var expectedStrategy: Strategy? {
            switch self {
            case .down, .security: .immediate
            case .degraded, .slow, .errors: .fast
            case .business, .gradual: .gradual
            case .canary: .canary
            case .flapping, .healthy: nil
            }
        }

        var story: String {
            switch self {
            case .down:
                "backend v2 answers /health with HTTP 500 (critical health: 3 consecutive failures within 2m → immediate)"
            case .degraded: "worker v2 answers its non-critical check with HTTP 503 (5 consecutive within 5m → fast)"
            case .flapping:
                "backend v2 fails twice, then passes once, over and over (never 3 consecutive → no rollback)"
            case .healthy: "backend v2 is healthy (nothing should happen)"
            case .slow:
                "backend v2 answers /health in 1.2 s (P95 of probe latency > 1 s, 2 consecutive evaluations → fast)"
            case .errors:
                "backend v2 fails 12 % of its requests (error rate up > 5 points over its baseline, 2 consecutive → fast)"
            case .business:
                "frontend v2 (all of the traffic) converts 3.1 % instead of 4 % (−22 %, 3 consecutive → gradual); at half the traffic 3.55 % (−11 %, within 15 %): the watch sees the improvement, nothing is rolled back, v2 keeps 50 % for people to decide"
            case .security:
                "backend v2 reports a breach indicator (security → immediate rollback, deployments frozen, security team told)"
            case .canary:
                "frontend v2 is a canary with 20 % of the traffic (Cloudflare 80/20) and fails half its requests (error rate up > 5 points → canary)"
            case .gradual:
                "frontend v2 takes 100 % of the traffic and converts 2.5 % instead of 4 %; at 50 % still 3.25 % (> 15 % drop → gradual: no improvement, roll back)"
            }
        }

        var deploymentID: String { "\(DemoPlatforms.prefix(service))-v2" }

        /// How a deployment's real requests go (what the metrics and the pushed events see).
        func requests(of deploymentID: String) -> RequestBehavior {
            guard deploymentID == self.deploymentID else { return RequestBehavior() }
            switch self {
            case .slow: return RequestBehavior(slow: true)
            case .errors: return RequestBehavior(errorRatio: 0.12)
            case .canary: return RequestBehavior(errorRatio: 0.5)
            case .business: return RequestBehavior(conversion: 0.031)
            case .gradual: return RequestBehavior(conversion: 0.025)
            case .down, .degraded, .flapping, .healthy, .security: return RequestBehavior()
            }
        }
    }

    /// How one deployment's user requests go.
    struct RequestBehavior: Equatable {
        /// The requests that fail because of the deployment (a healthy one: none).
        var errorRatio = 0.0
        var slow = false
        var conversion = 0.04
    }

    /// A service's requests as its load balancer splits them between deployments.
    struct RequestMix {
        var parts: [(share: Double, behavior: RequestBehavior)]

        var errorRatio: Double { parts.reduce(0) { $0 + $1.share * $1.behavior.errorRatio } }
        var conversion: Double { parts.reduce(0) { $0 + $1.share * $1.behavior.conversion } }
        /// Slow when at least half the requests are: the synthetic stream has one latency distribution.
        var slow: Bool { parts.filter(\.behavior.slow).reduce(0) { $0 + $1.share } >= 0.5 }

        func profile(_ service: String) -> TrafficProfile {
            TrafficProfile(service: service, latency: slow ? .slow : .fast, errorRatio: errorRatio)
        }
    }

    /// The error rate a healthy application reports.
    static let usualErrorRate = 0.004

    /// The demo's applications: every 250 ms frontend and backend push their error rate and frontend its
    /// conversion rate, as `POST /api/v1/events` would, and (with Prometheus) their request traffic is
    /// streamed for scraping, with values mixed from the deployments serving and their shares.
    /// backend v2 also reports a breach indicator once (the security scenario).
    static func application(
        _ scenario: Scenario, world: SandboxWorld, engine: RewindEngine, traffic: SandboxTraffic?,
        clock: any RewindClock
    ) async throws {
        var reportedBreach = false
        var profiles: [String: TrafficProfile] = [:]
        while true {
            let now = clock.now
            var pushed: [PushedValue] = []
            for service in ["frontend", "backend"] {
                let mix = RequestMix(
                    parts: world.serving(service: service).map { ($0.share, scenario.requests(of: $0.deployment.id)) })
                if let traffic, profiles[service] != mix.profile(service) {
                    traffic.set(mix.profile(service))
                    profiles[service] = mix.profile(service)
                }
                // What an application reports also counts the odd failure every service has (0.4 %).
                let errorRate = max(Self.usualErrorRate, mix.errorRatio)
                pushed.append(
                    PushedValue(service: ServiceName(service), signal: "error_rate", value: errorRate, at: now))
                if service == "frontend" {
                    pushed.append(
                        PushedValue(service: "frontend", signal: "conversion_rate", value: mix.conversion, at: now))
                }
            }
            engine.receive(pushed: pushed)
            if world.live(service: "backend")?.id == "be-v2", scenario == .security, !reportedBreach {
                reportedBreach = true
                engine.receive(alerts: [
                    ExternalAlert(
                        origin: .pushed, service: "backend", category: .security, severity: .critical,
                        name: "breach_indicator",
                        firing: true, at: now, fingerprint: "pushed/breach_indicator",
                        summary: "backend v2 sent customer records to an unknown host")
                ])
            }
            try await clock.sleep(for: .milliseconds(250))
        }
    }
}
