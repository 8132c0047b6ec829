import Foundation
import Synchronization

/// A deployment as the Vercel emulator holds it.
public struct VercelEmulatedDeployment: Sendable, Equatable {
    public var id: String
    /// Unix epoch milliseconds.
    public var createdAt: Int64
    /// `READY`, `ERROR`, `BUILDING`, `CANCELED`, …
    public var readyState: String
    /// `production`, `staging`, or nil for a preview.
    public var target: String?
    public var meta: [String: String]
    public var isRollbackCandidate: Bool

    public init(
        id: String,
        createdAt: Int64,
        readyState: String = "READY",
        target: String? = "production",
        meta: [String: String] = [:],
        isRollbackCandidate: Bool = true
    ) {
        self.id = id
        self.createdAt = createdAt
        self.readyState = readyState
        self.target = target
        self.meta = meta
        self.isRollbackCandidate = isRollbackCandidate
    }
}

/// A project's latest rollback or promote job (`lastAliasRequest`).
public struct VercelEmulatedJob: Sendable, Equatable {
    /// `rollback` or `promote`.
    public var type: String
    public var fromDeploymentID: String?
    public var toDeploymentID: String
    /// `pending`, `in-progress`, `succeeded`, `failed` or `skipped`.
    public var jobStatus: String
    /// Unix epoch milliseconds.
    public var requestedAt: Int64

    public init(type: String, fromDeploymentID: String?, toDeploymentID: String, jobStatus: String, requestedAt: Int64)
    {
        self.type = type
        self.fromDeploymentID = fromDeploymentID
        self.toDeploymentID = toDeploymentID
        self.jobStatus = jobStatus
        self.requestedAt = requestedAt
    }
}

/// How the next accepted job ends.
public enum VercelJobOutcome: Sendable, Equatable {
    /// pending → in-progress → succeeded (production moves).
    case succeed
    /// pending → in-progress → failed; these domains are listed by `/rollback/aliases?failedOnly=true`.
    case fail(domains: [String])
    /// pending → skipped (production does not move).
    case skip
}

/// A rollback or promote the emulator accepted.
public struct VercelMutation: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        case rollback, promote
    }

    public var kind: Kind
    public var projectID: String
    public var deploymentID: String
    /// The path that was called, e.g. `/v1/projects/prj_1/rollback/dpl_1`.
    public var path: String
    /// The `description` query parameter of a v1 rollback.
    public var description: String?
    public var teamID: String?
    /// 201, or 202 for a promote queued behind a rolling release.
    public var status: Int
}

/// One request the emulator received, and what it answered.
public struct VercelReceivedRequest: Sendable, Equatable {
    public var method: String
    /// Without the query, e.g. `/v9/projects/shop-web`.
    public var path: String
    public var query: [String: String]
    public var authorization: String?
    public var body: String
    public var status: Int
}

/// The state of a loopback emulation of the Vercel REST API (platform-apis.md section 1), served by
/// ``VercelEmulatorServer``: projects with deployments and their production deployment, rollback and
/// promote jobs that progress over successive project reads, team scoping, bearer tokens, pagination,
/// injected faults, and what it received. Thread-safe.
///
/// ```swift
/// let vercel = VercelEmulator()
/// vercel.addToken("tok_1", teams: ["team_x9"])
/// vercel.addTeam(id: "team_x9", slug: "acme")
/// vercel.addProject(id: "prj_1", name: "shop-web", team: "team_x9")
/// vercel.addDeployment(.init(id: "dpl_1", createdAt: 1_000), project: "prj_1")
/// vercel.addDeployment(.init(id: "dpl_2", createdAt: 2_000), project: "prj_1", makeProduction: true)
/// vercel.failNext(1, status: 429, retryAfter: "2")
/// ```
///
/// Faults apply to the next matching requests (any request, or those whose path starts with `path`),
/// after the request is recorded and before it is authorized.
public final class VercelEmulator: Sendable {
    struct Project {
        var id: String
        var name: String
        var teamID: String?
        var domains: [String]
        var deployments: [VercelEmulatedDeployment] = []
        var production: String?
        var job: VercelEmulatedJob?
        var jobOutcome: VercelJobOutcome = .succeed
        var failedDomains: [String] = []
        var description: String?
        /// While true, a promote answers 202 and its job stays pending.
        var rollingRelease = false
    }

    struct Team {
        var id: String
        var slug: String
        var name: String
    }

    struct Token {
        var username: String
        var teams: Set<String>
    }

    enum FaultKind {
        case fail(status: Int, retryAfter: String?)
        case delay(Duration)
        case malformed
    }

    struct Fault {
        var kind: FaultKind
        var remaining: Int
        var path: String?
    }

    struct State {
        var tokens: [String: Token] = [:]
        var teams: [String: Team] = [:]
        var projects: [Project] = []
        var nextOutcome: VercelJobOutcome?
        var faults: [Fault] = []
        var received: [VercelReceivedRequest] = []
        var mutations: [VercelMutation] = []
        var maxPageSize = 100
    }

    let state = Mutex(State())
    let now: @Sendable () -> Int64

    /// - Parameter now: the emulator's clock, Unix epoch milliseconds (`requestedAt` of jobs).
    public init(now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }) {
        self.now = now
    }

    // MARK: - Seeding

    /// A token the API accepts; `teams` are the team ids it may use as `teamId=`.
    public func addToken(_ token: String, username: String = "ci-bot", teams: [String] = []) {
        state.withLock { $0.tokens[token] = Token(username: username, teams: Set(teams)) }
    }

    public func addTeam(id: String, slug: String, name: String? = nil) {
        state.withLock { $0.teams[id] = Team(id: id, slug: slug, name: name ?? slug) }
    }

    /// A project of `team` (nil: a personal project, visible without `teamId`).
    public func addProject(id: String, name: String, team: String? = nil, domains: [String]? = nil) {
        state.withLock {
            $0.projects.append(
                Project(id: id, name: name, teamID: team, domains: domains ?? ["\(name).vercel.app"])
            )
        }
    }

    /// Adds a deployment to a project (by id or name); `makeProduction` makes it what production serves.
    public func addDeployment(_ deployment: VercelEmulatedDeployment, project: String, makeProduction: Bool = false) {
        state.withLock { state in
            guard let index = state.projects.firstIndex(where: { $0.id == project || $0.name == project }) else {
                return
            }
            state.projects[index].deployments.append(deployment)
            if makeProduction { state.projects[index].production = deployment.id }
        }
    }

    /// Sets what production serves (a deploy or rollback made elsewhere).
    public func setProduction(project: String, deployment: String?) {
        update(project) { $0.production = deployment }
    }

    /// Sets the project's latest alias job, e.g. one requested long ago or one still running.
    public func setJob(project: String, _ job: VercelEmulatedJob?) {
        update(project) { $0.job = job }
    }

    /// How the next accepted rollback or promote ends (default: it succeeds).
    public func setNextJobOutcome(_ outcome: VercelJobOutcome) {
        state.withLock { $0.nextOutcome = outcome }
    }

    /// While a rolling release is active, a promote answers 202 and waits; ending it lets the job run.
    public func setRollingRelease(project: String, active: Bool) {
        update(project) { $0.rollingRelease = active }
    }

    /// The largest page of `/v6/deployments` (Vercel caps `limit` at 100).
    public func setMaxPageSize(_ size: Int) {
        state.withLock { $0.maxPageSize = max(1, size) }
    }

    // MARK: - Faults

    /// The next `count` matching requests answer `status` with Vercel's error envelope (and
    /// `Retry-After: retryAfter` when given).
    public func failNext(_ count: Int = 1, status: Int, retryAfter: String? = nil, path: String? = nil) {
        addFault(.fail(status: status, retryAfter: retryAfter), count: count, path: path)
    }

    /// The next `count` matching requests are answered after `delay`, or never when the client hangs
    /// up first. The request itself takes effect at once (a rollback the client gave up on still happens).
    public func delayNext(_ count: Int = 1, by delay: Duration, path: String? = nil) {
        addFault(.delay(delay), count: count, path: path)
    }

    /// The next `count` matching requests answer 200 with a body that is not JSON.
    public func malformedNext(_ count: Int = 1, path: String? = nil) {
        addFault(.malformed, count: count, path: path)
    }

    private func addFault(_ kind: FaultKind, count: Int, path: String?) {
        guard count > 0 else { return }
        state.withLock { $0.faults.append(Fault(kind: kind, remaining: count, path: path)) }
    }

    // MARK: - Inspection

    public var received: [VercelReceivedRequest] { state.withLock { $0.received } }

    /// The rollbacks and promotes accepted, in order.
    public var mutations: [VercelMutation] { state.withLock { $0.mutations } }

    /// The deployment production serves.
    public func production(project: String) -> String? {
        state.withLock { state in state.projects.first { $0.id == project || $0.name == project }?.production }
    }

    public func job(project: String) -> VercelEmulatedJob? {
        state.withLock { state in state.projects.first { $0.id == project || $0.name == project }?.job }
    }

    private func update(_ project: String, _ change: (inout Project) -> Void) {
        state.withLock { state in
            guard let index = state.projects.firstIndex(where: { $0.id == project || $0.name == project }) else {
                return
            }
            change(&state.projects[index])
        }
    }
}
