import Foundation
import RewindSandbox
import Synchronization

/// A flag change the LaunchDarkly emulator accepted.
public struct LaunchDarklyPatchRecord: Sendable, Equatable {
    public var project: String
    public var flag: String
    public var environmentKey: String?
    public var comment: String?
    /// The instruction kinds (`turnFlagOff`, …), or `jsonPatch` for a JSON Patch.
    public var instructions: [String]
    public var contentType: String?
    public var ignoreConflicts: Bool
    public var apiVersion: String?

    public init(
        project: String, flag: String, environmentKey: String? = nil, comment: String? = nil, instructions: [String],
        contentType: String? = nil, ignoreConflicts: Bool = false, apiVersion: String? = nil
    ) {
        self.project = project
        self.flag = flag
        self.environmentKey = environmentKey
        self.comment = comment
        self.instructions = instructions
        self.contentType = contentType
        self.ignoreConflicts = ignoreConflicts
        self.apiVersion = apiVersion
    }
}

/// A request the LaunchDarkly emulator received (no header values but the version: the rest may hold the token).
public struct LaunchDarklyReceivedRequest: Sendable, Equatable {
    public var method: String
    public var path: String
    public var query: [String: String]
    public var hadToken: Bool
}

/// LaunchDarkly's flag API (platform-apis.md 11.2). Serve it with ``LaunchDarklyEmulatorServer``; configure
/// ``LaunchDarklyEmulatorServer/apiURL()`` as `api_url`.
///
/// - `GET /api/v2/flags/{project}/{flag}[?env=…]` → the flag with `environments.<env>.on`.
/// - `PATCH /api/v2/flags/{project}/{flag}[?ignoreConflicts=true]`: with
///   `Content-Type: application/json; domain-model=launchdarkly.semanticpatch`, a semantic patch
///   (`turnFlagOff`/`turnFlagOn` need `environmentKey`); without it, the body must be a JSON Patch array
///   (`replace /environments/<env>/on`). 200 with the full flag; turning an off flag off is a no-op 200.
///   A pending approval (``addPendingApproval(project:flag:)``) makes a change 400 unless `ignoreConflicts=true`.
/// - The raw token in `Authorization`: unknown → 401, a reader → 403 on changes. Errors `{"code", "message"}`.
/// - Faults: ``failNext(_:status:retryAfter:)`` (429 carries `X-Ratelimit-Reset` in epoch ms and, when
///   `retryAfter` is given, `Retry-After`), ``malformedNext(_:)``, ``delayNext(_:by:)``.
public final class LaunchDarklyEmulator: Sendable, LoopbackEmulator {
    public static let apiPrefix = "/api/v2"

    public enum Role: Sendable, Equatable { case reader, writer }

    struct State {
        /// Key: "project/flag"; value: on per environment.
        var flags: [String: [String: Bool]] = [:]
        var pendingApprovals: Set<String> = []
        var tokens: [String: Role] = [:]
        var patches: [LaunchDarklyPatchRecord] = []
        var requests: [LaunchDarklyReceivedRequest] = []
        var faults = LoopbackFaults()
    }

    let state = Mutex(State())

    public init() {}

    // MARK: - Seeding

    public func addToken(_ token: String, role: Role = .writer) {
        state.withLock { $0.tokens[token] = role }
    }

    public func addFlag(project: String = "default", key: String, environments: [String: Bool]) {
        state.withLock { $0.flags["\(project)/\(key)"] = environments }
    }

    /// A pending approval request on the flag: changes are refused unless `ignoreConflicts=true`.
    public func addPendingApproval(project: String = "default", flag: String) {
        _ = state.withLock { $0.pendingApprovals.insert("\(project)/\(flag)") }
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

    public func isOn(project: String = "default", flag: String, environment: String) -> Bool? {
        state.withLock { $0.flags["\(project)/\(flag)"]?[environment] }
    }

    public var patches: [LaunchDarklyPatchRecord] { state.withLock { $0.patches } }
    public var requests: [LaunchDarklyReceivedRequest] { state.withLock { $0.requests } }

    // MARK: - Serving

    package func answer(_ request: LoopbackRequest) -> LoopbackAnswer {
        state.withLock { state in
            state.requests.append(
                LaunchDarklyReceivedRequest(
                    method: request.method, path: request.path, query: request.query,
                    hadToken: request.header("authorization") != nil
                )
            )
            if let fault = state.faults.take() {
                switch fault {
                case .fail(let status, let retryAfter): return Self.failure(status: status, retryAfter: retryAfter)
                case .malformed: return .malformed()
                case .delay(let delay):
                    var answer = route(request, &state)
                    answer.delay = delay
                    return answer
                }
            }
            return route(request, &state)
        }
    }

    private func route(_ request: LoopbackRequest, _ state: inout State) -> LoopbackAnswer {
        guard let token = request.header("authorization"), let role = state.tokens[token] else {
            return Self.error(401, "unauthorized", "Invalid access token")
        }
        guard let path = request.segments(after: Self.apiPrefix + "/flags"), path.count == 2 else {
            return Self.error(404, "not_found", "Unknown resource \(request.path)")
        }
        let key = "\(path[0])/\(path[1])"
        guard let environments = state.flags[key] else { return Self.error(404, "not_found", "Unknown flag") }
        switch request.method {
        case "GET":
            return .json(Self.flag(path[1], environments, only: request.query["env"]))
        case "PATCH":
            guard role == .writer else {
                return Self.error(403, "forbidden", "Access to the requested resource was denied")
            }
            return patch(request, project: path[0], flag: path[1], &state)
        default:
            return Self.error(405, "method_not_allowed", "Method not allowed")
        }
    }

    private func patch(
        _ request: LoopbackRequest, project: String, flag: String, _ state: inout State
    ) -> LoopbackAnswer {
        let key = "\(project)/\(flag)"
        let contentType = request.header("content-type")
        let ignoreConflicts = request.query["ignoreConflicts"] == "true"
        var record = LaunchDarklyPatchRecord(
            project: project, flag: flag, instructions: [], contentType: contentType, ignoreConflicts: ignoreConflicts,
            apiVersion: request.header("ld-api-version")
        )
        var changes: [(environment: String, on: Bool)] = []
        if contentType?.contains("domain-model=launchdarkly.semanticpatch") == true {
            guard let body = request.jsonObject, let instructions = body["instructions"] as? [[String: Any]],
                !instructions.isEmpty
            else { return Self.error(400, "invalid_request", "a semantic patch needs a list of instructions") }
            record.environmentKey = body["environmentKey"] as? String
            record.comment = body["comment"] as? String
            for instruction in instructions {
                let kind = instruction["kind"] as? String ?? ""
                record.instructions.append(kind)
                guard kind == "turnFlagOff" || kind == "turnFlagOn" else {
                    return Self.error(400, "invalid_request", "unsupported instruction kind '\(kind)'")
                }
                guard let environment = record.environmentKey else {
                    return Self.error(400, "invalid_request", "\(kind) requires environmentKey")
                }
                changes.append((environment, kind == "turnFlagOn"))
            }
        } else {
            guard let operations = (try? JSONSerialization.jsonObject(with: request.body)) as? [[String: Any]] else {
                return Self.error(
                    400, "invalid_request",
                    "expected a JSON Patch array; send a semantic patch with domain-model=launchdarkly.semanticpatch"
                )
            }
            record.instructions = ["jsonPatch"]
            for operation in operations {
                let parts = (operation["path"] as? String ?? "").split(separator: "/").map(String.init)
                guard operation["op"] as? String == "replace", parts.count == 3, parts[0] == "environments",
                    parts[2] == "on", let on = operation["value"] as? Bool
                else { return Self.error(400, "invalid_request", "unsupported JSON Patch operation") }
                changes.append((parts[1], on))
            }
        }
        for change in changes where state.flags[key]?[change.environment] == nil {
            return Self.error(400, "invalid_request", "unknown environment '\(change.environment)'")
        }
        if state.pendingApprovals.contains(key), !ignoreConflicts {
            return Self.error(
                400, "invalid_request",
                "this change conflicts with a pending approval request; set ignoreConflicts=true to apply it anyway"
            )
        }
        for change in changes { state.flags[key]?[change.environment] = change.on }
        state.patches.append(record)
        return .json(Self.flag(flag, state.flags[key] ?? [:], only: nil))
    }

    private static func flag(_ key: String, _ environments: [String: Bool], only: String?) -> [String: Any] {
        var shown: [String: Any] = [:]
        for (name, on) in environments where only == nil || only == name {
            shown[name] = ["on": on, "_environmentName": name.capitalized, "archived": false]
        }
        return ["key": key, "name": key, "kind": "boolean", "_version": 1, "environments": shown]
    }

    static func error(
        _ status: Int, _ code: String, _ message: String, headers: [(name: String, value: String)] = []
    )
        -> LoopbackAnswer
    {
        .json(["code": code, "message": message], status: status, headers: headers)
    }

    static func failure(status: Int, retryAfter: Int?) -> LoopbackAnswer {
        switch status {
        case 429:
            // Saturating: a test may ask for an absurd Retry-After to see what Rewind makes of it.
            let (waitMs, overflow) = Int64(retryAfter ?? 30).multipliedReportingOverflow(by: 1000)
            let (reset, late) = Int64(Date().timeIntervalSince1970 * 1000).addingReportingOverflow(
                overflow ? .max : waitMs)
            let resetMs = late ? Int64.max : reset
            var headers = [
                (name: "X-Ratelimit-Reset", value: String(resetMs)),
                (name: "X-Ratelimit-Route-Remaining", value: "0"),
            ]
            if let retryAfter { headers.append(("Retry-After", String(retryAfter))) }
            return error(429, "rate_limited", "You've exceeded the API rate limit. Try again later.", headers: headers)
        case 500...599:
            return error(status, "internal_server_error", "An internal error occurred")
        default:
            return error(status, "injected", "Injected failure")
        }
    }
}
