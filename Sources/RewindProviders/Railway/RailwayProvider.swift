import AsyncHTTPClient
import RewindCore
import RewindPorts
import RewindSpecs

/// The `railway` platform: one Railway service in one environment, through the public GraphQL API.
///
/// - `listDeployments`: the service's deployments that ran (`SUCCESS`, `SLEEPING`, `CRASHED`, `REMOVING`,
///   `REMOVED`), following the connection's `endCursor` while `hasNextPage` (at most ``maxPages`` pages).
/// - `currentDeployment`: from `serviceInstance`: the newest active deployment that went live (a
///   deployment still building or one that failed never replaced it).
/// - `rollback`: re-reads the live and the latest deployment first. When the target is live, or the latest
///   deployment already restores it (in flight or live), nothing is called. Otherwise `deploymentRollback`
///   (`mode: rollback`, refused up front when the target has `canRollback: false`) or `deploymentRedeploy`
///   (`mode: redeploy`, the fallback). Either creates a new deployment, whose id is the operation id.
///   `mode: variables` (configuration rollback) instead re-reads the service's variables and upserts each
///   one of `spec.variables` that differs (Railway redeploys with them); finished at once, nothing sent when
///   all match. Values never appear in an error or a log: only names.
/// - `status`: that deployment's status: `SUCCESS`/`SLEEPING` succeeded, `FAILED`/`CRASHED` failed,
///   `REMOVING`/`REMOVED`/`SKIPPED` failed (replaced), anything else in progress.
///
/// Every request has the deadline `spec.timeout` (default 10 s). Timeouts, connection failures, 429 and
/// 5xx are transient; refused tokens (`Not Authorized`, 401/403), unknown deployments, other rejections
/// and unreadable answers are permanent.
public struct RailwayProvider: PlatformProvider, AccessCheckable {
    public static let pageSize = 50
    public static let maxPages = 20

    /// An operation id that stands for "the deployment Railway creates after `<id>`", used when the
    /// rollback was accepted before its deployment could be read.
    static let pendingPrefix = "after:"

    let spec: RailwayProviderSpec
    let api: RailwayAPI
    /// Deployments asked for per page (tests make it small to see the pagination).
    var pageSize = RailwayProvider.pageSize

    public init(spec: RailwayProviderSpec, client: HTTPClient, redactor: Redactor) {
        self.spec = spec
        // The stable values that are secrets are redacted too, should Railway ever echo one.
        let secretValues = spec.variables.values.filter(\.isSecret).map(\.value)
        api = RailwayAPI(
            spec: spec,
            client: client,
            redactor: Redactor(secrets: redactor.secrets + secretValues)
        )
    }

    public var kind: String { "railway" }

    /// The token's variable (never its value), on the project and environment it acts in.
    public var credential: CredentialID? {
        CredentialID(
            platform: kind, source: spec.tokenSource,
            scope: "project \(spec.projectID), environment \(spec.environmentID)")
    }

    // MARK: Reading

    public func listDeployments(service: ServiceName) async throws -> [PlatformDeployment] {
        try await listAll(service: service).deployments
    }

    /// The live deployment; `restores` names the deployment it brings back when Railway created it by a
    /// rollback or redeploy (see `RailwayProvider+Incremental.swift`).
    public func currentDeployment(service: ServiceName) async throws -> PlatformDeployment? {
        try await live(service: service)
    }

    // MARK: Rolling back

    public func rollback(
        service: ServiceName,
        to target: Deployment,
        context: ActionContext
    ) async throws -> RollbackOperation {
        if spec.mode == .variables { return try await restoreVariables(service: service) }
        let verb = spec.mode == .rollback ? "roll back to" : "redeploy"
        let purpose = RailwayAPI.Purpose(
            action: "\(verb) \(target.label)",
            service: service,
            notFound: "Railway does not know deployment \(target.id)"
        )
        let serviceID = try api.serviceID(service, purpose: purpose)
        let before = try await instance(serviceID: serviceID, purpose)
        if before.live?.id == target.id { return RollbackOperation(finished: true) }
        let source = try await deployment(id: target.id, purpose)
        if let owner = source.serviceId, owner != serviceID {
            throw api.failure(purpose).refusal(
                .rejected, "deployment \(target.id) belongs to Railway service \(owner), not \(serviceID)")
        }
        if let latest = before.latestDeployment, latest.restores(source, mode: spec.mode) {
            switch latest.status.phase {
            case .live: return RollbackOperation(finished: true)
            case .inFlight: return RollbackOperation(id: latest.id, finished: false)
            case .broken, .superseded, .unknown: break
            }
        }
        switch spec.mode {
        case .rollback:
            return try await rollBack(to: source, serviceID: serviceID, previous: before.latestDeployment, purpose)
        case .redeploy:
            return try await redeploy(source, purpose)
        case .variables:
            return try await restoreVariables(service: service)
        }
    }

    /// `mode: variables`: the stable values set back (see ``RailwayVariables/restore(_:service:)``).
    private func restoreVariables(service: ServiceName) async throws -> RollbackOperation {
        let stable = spec.variables.mapValues(\.value)
        try await RailwayVariables(spec: spec, api: api).restore(stable, service: service)
        return RollbackOperation(finished: true)
    }

    private func rollBack(
        to source: RailwayDeployment,
        serviceID: String,
        previous: RailwayDeployment?,
        _ purpose: RailwayAPI.Purpose
    ) async throws -> RollbackOperation {
        guard source.canRollback != false else {
            throw api.failure(purpose).refusal(
                .rejected,
                "Railway cannot roll back to \(source.id) (canRollback is false: its image is past the plan's "
                    + "retention); a fallback with mode: redeploy rebuilds it"
            )
        }
        let accepted = try await api.perform(
            .rollback,
            variables: ["id": .string(source.id)],
            as: Bool.self,
            purpose
        )
        guard accepted else { throw failure(purpose, .rejected, "Railway answered false to deploymentRollback") }
        // The rollback is a new deployment; read it so that `status` follows it. When that read fails
        // the rollback still happened: `status` finds the deployment later.
        let after = try? await instance(serviceID: serviceID, purpose)
        if let created = after?.latestDeployment, created.id != previous?.id, created.id != source.id {
            return RollbackOperation(id: created.id, finished: false)
        }
        return RollbackOperation(id: Self.pendingPrefix + (previous?.id ?? ""), finished: false)
    }

    private func redeploy(
        _ source: RailwayDeployment,
        _ purpose: RailwayAPI.Purpose
    ) async throws -> RollbackOperation {
        guard source.canRedeploy != false else {
            throw api.failure(purpose).refusal(.rejected, "Railway cannot redeploy \(source.id) (canRedeploy is false)")
        }
        let created = try await api.perform(
            .redeploy,
            variables: ["id": .string(source.id)],
            as: RailwayDeployment.self,
            purpose
        )
        return RollbackOperation(id: created.id, finished: created.status.phase == .live)
    }

    public func status(
        of operation: RollbackOperation,
        service: ServiceName,
        target: Deployment
    ) async throws -> OperationStatus {
        guard !operation.finished else { return .succeeded }
        let purpose = RailwayAPI.Purpose(
            action: "read the status of the rollback to \(target.label)",
            service: service,
            notFound: "Railway does not know deployment \(operation.id ?? "")"
        )
        guard let id = operation.id, !id.isEmpty else {
            throw failure(purpose, .badResponse, "the rollback has no deployment id to follow")
        }
        if id.hasPrefix(Self.pendingPrefix) {
            let previous = String(id.dropFirst(Self.pendingPrefix.count))
            let serviceID = try api.serviceID(service, purpose: purpose)
            guard let latest = try await instance(serviceID: serviceID, purpose).latestDeployment,
                latest.id != previous, latest.id != target.id
            else { return .inProgress }
            return Self.outcome(of: latest)
        }
        return Self.outcome(of: try await deployment(id: id, purpose))
    }

    static func outcome(of deployment: RailwayDeployment) -> OperationStatus {
        let status = deployment.status.rawValue
        switch deployment.status.phase {
        case .live: return .succeeded
        case .inFlight, .unknown: return .inProgress
        case .broken: return .failed("Railway deployment \(deployment.id) is \(status)")
        case .superseded:
            return .failed("Railway deployment \(deployment.id) is \(status): another deployment replaced it")
        }
    }

    // MARK: Access

    public func checkAccess(service: ServiceName) async -> [AccessCheck] {
        let purpose = RailwayAPI.Purpose(action: "check access", service: service, notFound: notFound(service: service))
        guard let serviceID = spec.railwayServiceID(for: service) else {
            return [AccessCheck(name: "service id", passed: false, detail: RailwayAPI.missingServiceID(service))]
        }
        let who = "\(spec.tokenSource) (sent as \(spec.tokenKind.header))"
        var checks: [AccessCheck] = []
        do {
            let live = try await instance(serviceID: serviceID, purpose).live
            let detail =
                "\(who) can read service \(serviceID) in environment \(spec.environmentID); live deployment: "
                + (live?.id ?? "none")
            checks.append(AccessCheck(name: "authentication", passed: true, detail: detail))
        } catch {
            checks.append(Self.failedCheck("authentication", error))
        }
        // Refused outright: every further call would be refused the same way.
        if checks.last?.refusedCredential == true { return checks }
        do {
            let page = try await deployments(serviceID: serviceID, first: 1, after: nil, purpose)
            let detail =
                "\(who) can list deployments of project \(spec.projectID)"
                + (page.edges.isEmpty ? " (none that ran yet: nothing to roll back to)" : "")
            checks.append(
                AccessCheck(name: "read deployments of project \(spec.projectID)", passed: true, detail: detail)
            )
        } catch {
            checks.append(Self.failedCheck("read deployments of project \(spec.projectID)", error))
        }
        return checks
    }

    private static func failedCheck(_ name: String, _ error: any Error) -> AccessCheck {
        guard let error = error as? ProviderError else {
            return AccessCheck(name: name, passed: false, detail: "the check failed: \(type(of: error))")
        }
        return AccessCheck(name: name, failed: error)
    }

    // MARK: Calls

    func deployments(
        serviceID: String,
        first: Int,
        after: String?,
        _ purpose: RailwayAPI.Purpose
    )
        async throws -> RailwayConnection
    {
        let input: JSONValue = .object([
            "projectId": .string(spec.projectID),
            "environmentId": .string(spec.environmentID),
            "serviceId": .string(serviceID),
            "status": .object(["in": .array(RailwayStatus.ran.map(JSONValue.string))]),
        ])
        var variables: [String: JSONValue] = ["input": input, "first": .number(Double(first))]
        if let after { variables["after"] = .string(after) }
        return try await api.perform(.deployments, variables: variables, as: RailwayConnection.self, purpose)
    }

    func instance(serviceID: String, _ purpose: RailwayAPI.Purpose) async throws -> RailwayServiceInstance {
        let variables: [String: JSONValue] = [
            "environmentId": .string(spec.environmentID), "serviceId": .string(serviceID),
        ]
        return try await api.perform(.serviceInstance, variables: variables, as: RailwayServiceInstance.self, purpose)
    }

    private func deployment(id: String, _ purpose: RailwayAPI.Purpose) async throws -> RailwayDeployment {
        try await api.perform(.deployment, variables: ["id": .string(id)], as: RailwayDeployment.self, purpose)
    }

    // MARK: Helpers

    func notFound(service: ServiceName) -> String {
        "Railway does not know the service or environment of \(service) (environment \(spec.environmentID), "
            + "service \(spec.railwayServiceID(for: service) ?? "?")): check environment_id and service_id"
    }

    private func failure(_ purpose: RailwayAPI.Purpose, _ kind: ProviderError.Kind, _ reason: String) -> ProviderError {
        api.failure(purpose).error(kind, reason)
    }
}
