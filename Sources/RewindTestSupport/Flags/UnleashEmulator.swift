import Foundation
import RewindSandbox
import Synchronization

/// A flag turned on or off in the Unleash emulator.
public struct UnleashToggleRecord: Sendable, Equatable {
    public var project: String
    public var feature: String
    public var environment: String
    /// The state the request asked for.
    public var enabled: Bool
    /// True when it came in a bulk request.
    public var bulk: Bool

    public init(project: String, feature: String, environment: String, enabled: Bool, bulk: Bool) {
        self.project = project
        self.feature = feature
        self.environment = environment
        self.enabled = enabled
        self.bulk = bulk
    }
}

/// A request the Unleash emulator received (no header values: they hold the token).
public struct UnleashReceivedRequest: Sendable, Equatable {
    public var method: String
    public var path: String
    public var hadToken: Bool
    /// True when the token came with a `Bearer ` prefix (Unleash's examples send it raw).
    public var bearerPrefix: Bool
}

/// Unleash's Admin API for feature toggles per environment (platform-apis.md 11.1). Serve it with
/// ``UnleashEmulatorServer``; configure the endpoint as `url`.
///
/// - `GET /api/admin/projects/{project}/features/{feature}` → `{name, project, environments: [{name, enabled}]}`.
/// - `POST …/features/{feature}/environments/{environment}/on|off` → 200 with an empty body, also when the flag
///   already has that state.
/// - `POST …/bulk_features/environments/{environment}/on|off` with `{"features": [...]}` → 200 empty; 403 when
///   bulk toggling is disabled (``setBulkToggling(enabled:)``); 404 when one feature is unknown (nothing changes).
/// - `Authorization: <token>` (a `Bearer ` prefix is tolerated): unknown → 401, read-only → 403 on writes.
/// - Errors: `{"id", "name", "message"}` (`NotFoundError`, `NoAccessError`, `AuthenticationRequired`, …).
/// - Faults: ``failNext(_:status:retryAfter:)``, ``malformedNext(_:)``, ``delayNext(_:by:)``.
public final class UnleashEmulator: Sendable, LoopbackEmulator {
    struct Feature {
        var project: String
        var environments: [(name: String, enabled: Bool)]
    }

    struct State {
        /// Key: "project/feature".
        var features: [String: Feature] = [:]
        var tokens: [String: Bool] = [:]
        var bulkToggling = true
        var toggles: [UnleashToggleRecord] = []
        var requests: [UnleashReceivedRequest] = []
        var faults = LoopbackFaults()
    }

    let state = Mutex(State())

    public init() {}

    // MARK: - Seeding

    /// A token; `canUpdate` false makes it read-only (403 on every write).
    public func addToken(_ token: String, canUpdate: Bool = true) {
        state.withLock { $0.tokens[token] = canUpdate }
    }

    public func addFlag(project: String = "default", name: String, environments: [String: Bool]) {
        let sorted = environments.sorted { $0.key < $1.key }.map { (name: $0.key, enabled: $0.value) }
        state.withLock { $0.features["\(project)/\(name)"] = Feature(project: project, environments: sorted) }
    }

    public func setBulkToggling(enabled: Bool) {
        state.withLock { $0.bulkToggling = enabled }
    }

    // MARK: - Faults

    public func failNext(_ count: Int, status: Int, retryAfter: Int? = nil) {
        state.withLock { $0.faults.failNext(count, status: status, retryAfter: retryAfter) }
    }

    public func malformedNext(_ count: Int) {
        state.withLock { $0.faults.malformedNext(count) }
    }

    public func delayNext(_ count: Int, by delay: Duration) {
        state.withLock { $0.faults.delayNext(count, by: delay) }
    }

    // MARK: - Inspection

    public func isEnabled(project: String = "default", flag: String, environment: String) -> Bool? {
        state.withLock { $0.features["\(project)/\(flag)"]?.environments.first { $0.name == environment }?.enabled }
    }

    public var toggles: [UnleashToggleRecord] { state.withLock { $0.toggles } }
    public var requests: [UnleashReceivedRequest] { state.withLock { $0.requests } }

    // MARK: - Serving

    package func answer(_ request: LoopbackRequest) -> LoopbackAnswer {
        state.withLock { state in
            let authorization = request.header("authorization")
            let bearer = authorization?.hasPrefix("Bearer ") == true
            let token = bearer ? authorization.map { String($0.dropFirst("Bearer ".count)) } : authorization
            state.requests.append(
                UnleashReceivedRequest(
                    method: request.method, path: request.path, hadToken: authorization != nil, bearerPrefix: bearer
                )
            )
            if let fault = state.faults.take() {
                switch fault {
                case .fail(let status, let retryAfter): return Self.failure(status: status, retryAfter: retryAfter)
                case .malformed: return .malformed()
                case .delay(let delay):
                    var answer = route(request, token: token, &state)
                    answer.delay = delay
                    return answer
                }
            }
            return route(request, token: token, &state)
        }
    }

    private func route(_ request: LoopbackRequest, token: String?, _ state: inout State) -> LoopbackAnswer {
        guard let path = request.segments(after: "/api/admin/projects"), let project = path.first else {
            return Self.error(404, "NotFoundError", "no route for \(request.path)")
        }
        guard let token, let canUpdate = state.tokens[token] else {
            return Self.error(401, "AuthenticationRequired", "You must log in to use Unleash.")
        }
        let writing = request.method != "GET"
        if writing, !canUpdate {
            return Self.error(
                403, "NoAccessError", "You need permission=UPDATE_FEATURE_ENVIRONMENT to perform this action")
        }
        switch (request.method, Array(path.dropFirst())) {
        case ("GET", let rest) where rest.count == 2 && rest[0] == "features":
            guard let feature = state.features["\(project)/\(rest[1])"] else { return Self.unknown(rest[1]) }
            return .json([
                "name": rest[1], "project": project,
                "environments": feature.environments.map { ["name": $0.name, "enabled": $0.enabled, "type": $0.name] },
            ])
        case ("POST", let rest)
        where rest.count == 5 && rest[0] == "features" && rest[2] == "environments" && ["on", "off"].contains(rest[4]):
            return toggle([rest[1]], project: project, environment: rest[3], on: rest[4] == "on", bulk: false, &state)
        case ("POST", let rest)
        where rest.count == 4 && rest[0] == "bulk_features" && rest[1] == "environments"
            && ["on", "off"].contains(rest[3]):
            guard state.bulkToggling else {
                return Self.error(403, "NoAccessError", "Bulk operations are disabled on this instance")
            }
            guard let features = request.jsonObject?["features"] as? [String], !features.isEmpty else {
                return Self.error(400, "ValidationError", "\"features\" must be a non-empty list of feature names")
            }
            return toggle(features, project: project, environment: rest[2], on: rest[3] == "on", bulk: true, &state)
        default:
            return Self.error(404, "NotFoundError", "no route for \(request.method) \(request.path)")
        }
    }

    private func toggle(
        _ names: [String], project: String, environment: String, on: Bool, bulk: Bool, _ state: inout State
    ) -> LoopbackAnswer {
        for name in names {
            guard let feature = state.features["\(project)/\(name)"] else { return Self.unknown(name) }
            guard feature.environments.contains(where: { $0.name == environment }) else {
                return Self.error(404, "NotFoundError", "Could not find environment \(environment) for feature \(name)")
            }
        }
        for name in names {
            let key = "\(project)/\(name)"
            if let index = state.features[key]?.environments.firstIndex(where: { $0.name == environment }) {
                state.features[key]?.environments[index].enabled = on
            }
            state.toggles.append(
                UnleashToggleRecord(project: project, feature: name, environment: environment, enabled: on, bulk: bulk)
            )
        }
        return .empty()
    }

    private static func unknown(_ feature: String) -> LoopbackAnswer {
        error(404, "NotFoundError", "Could not find feature \(feature)")
    }

    static func error(
        _ status: Int, _ name: String, _ message: String, headers: [(name: String, value: String)] = []
    )
        -> LoopbackAnswer
    {
        .json(
            ["id": UUID().uuidString.lowercased(), "name": name, "message": message], status: status, headers: headers)
    }

    static func failure(status: Int, retryAfter: Int?) -> LoopbackAnswer {
        let headers = retryAfter.map { [(name: "Retry-After", value: String($0))] } ?? []
        switch status {
        case 429: return error(429, "RateLimitError", "Too many requests", headers: headers)
        case 500...599: return error(status, "InternalError", "Unexpected error", headers: headers)
        default: return error(status, "InjectedError", "Injected failure", headers: headers)
        }
    }
}
