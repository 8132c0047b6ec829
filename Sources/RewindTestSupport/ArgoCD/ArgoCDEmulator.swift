import Foundation
import RewindSandbox
import Synchronization

/// A request the Argo CD emulator received (no header values: they hold the token).
public struct ArgoCDReceivedRequest: Sendable, Equatable {
    public var method: String
    public var path: String
    public var hadToken: Bool
    /// The JSON body, as text (the emulator's own tests read what the client sent).
    public var body: String
}

/// Argo CD's Application API as Rewind uses it (server/application/application.proto; docs/developer-guide/api-docs).
/// Serve it with ``ArgoCDEmulatorServer`` and configure its endpoint as the `url` of `gitops:`.
///
/// - `GET /api/v1/applications/{name}[?appNamespace=ns]` → the Application (`metadata`, `spec.syncPolicy`,
///   `status.history[] {id, revision, deployedAt}`, `status.sync`, `status.health`, `status.operationState`).
/// - `PATCH /api/v1/applications/{name}` with `{"name", "patch", "patchType"}`: `merge` patches only; a patch
///   setting `spec.syncPolicy.automated` (null turns automated sync off) → the Application.
/// - `POST /api/v1/applications/{name}/rollback` with `{"name", "id", "prune", "dryRun"}`: 400 (code 9,
///   FailedPrecondition) while automated sync is on or another operation runs; 400 (code 3) for an id not in the
///   history; otherwise a sync operation to that entry's revision starts (`Running`) and finishes after
///   ``setOperationReads(_:)`` reads of the Application: a new history entry, health ``setHealthAfterRollback(_:)``.
/// - `Authorization: Bearer <token>`: none or unknown → 401 (code 16); a read-only token → 403 (code 7) on writes.
/// - Unknown application → 404 (code 5). Errors are grpc-gateway's `{"error", "code", "message"}`.
/// - Faults: ``failNext(_:status:)``, ``delayNext(_:by:)``, ``malformedNext(_:)``.
public final class ArgoCDEmulator: Sendable, LoopbackEmulator {
    struct HistoryEntry {
        var id: Int
        var revision: String
        var deployedAt: String
    }

    struct Application {
        var namespace: String
        var automated: (prune: Bool, selfHeal: Bool)?
        var history: [HistoryEntry]
        var health = "Healthy"
        var phase: String?
        var message: String?
        var operationRevision: String?
        var readsUntilDone = 0
    }

    struct State {
        var applications: [String: Application] = [:]
        var tokens: [String: Bool] = [:]
        var requests: [ArgoCDReceivedRequest] = []
        var faults = LoopbackFaults()
        var operationReads = 1
        var healthAfterRollback = "Healthy"
        var failRollbackOperation: String?
        var rollbackRequestFailures = 0
        var clock = 0
    }

    let state = Mutex(State())

    public init() {}

    // MARK: - Seeding

    /// A token; `canWrite` false makes it read-only (403 on PATCH and rollback).
    public func addToken(_ token: String, canWrite: Bool = true) {
        state.withLock { $0.tokens[token] = canWrite }
    }

    /// An Application whose history synced `revisions` in order (ids 0, 1, 2, …; the last is live).
    public func addApplication(
        _ name: String, namespace: String = "argocd", revisions: [String], autoSync: Bool = true,
        selfHeal: Bool = true, prune: Bool = false
    ) {
        let history = revisions.enumerated().map { index, revision in
            HistoryEntry(id: index, revision: revision, deployedAt: Self.time(index))
        }
        state.withLock {
            $0.applications[name] = Application(
                namespace: namespace, automated: autoSync ? (prune, selfHeal) : nil, history: history)
        }
    }

    /// Reads of the Application after a rollback before its operation finishes (default 1).
    public func setOperationReads(_ reads: Int) { state.withLock { $0.operationReads = max(0, reads) } }

    /// The health the Application shows once a rollback finished (default `Healthy`).
    public func setHealthAfterRollback(_ health: String) { state.withLock { $0.healthAfterRollback = health } }

    /// The next rollback operations end `Failed` with this message.
    public func failRollbackOperations(_ message: String?) { state.withLock { $0.failRollbackOperation = message } }

    /// The next `count` rollback requests answer 503 (after the reads and the sync-policy patch before them).
    public func failRollbackRequests(_ count: Int) { state.withLock { $0.rollbackRequestFailures = max(0, count) } }

    /// An operation already running on the Application (another sync, a person's rollback).
    public func startOperation(_ name: String, revision: String) {
        state.withLock {
            $0.applications[name]?.phase = "Running"
            $0.applications[name]?.operationRevision = revision
            $0.applications[name]?.readsUntilDone = Int.max
        }
    }

    // MARK: - Faults

    public func failNext(_ count: Int, status: Int) {
        state.withLock { $0.faults.failNext(count, status: status, retryAfter: nil) }
    }

    public func delayNext(_ count: Int, by delay: Duration) {
        state.withLock { $0.faults.delayNext(count, by: delay) }
    }

    public func malformedNext(_ count: Int) { state.withLock { $0.faults.malformedNext(count) } }

    // MARK: - Inspection

    public var requests: [ArgoCDReceivedRequest] { state.withLock { $0.requests } }

    public func autoSyncEnabled(_ name: String) -> Bool? {
        state.withLock { $0.applications[name].map { $0.automated != nil } }
    }

    /// The revisions of the Application's history, oldest first.
    public func history(_ name: String) -> [String] {
        state.withLock { $0.applications[name]?.history.map(\.revision) ?? [] }
    }

    // MARK: - Serving

    package func answer(_ request: LoopbackRequest) -> LoopbackAnswer {
        state.withLock { state in
            let authorization = request.header("authorization")
            state.requests.append(
                ArgoCDReceivedRequest(
                    method: request.method, path: request.path, hadToken: authorization != nil,
                    body: String(decoding: request.body, as: UTF8.self)))
            if let fault = state.faults.take() {
                switch fault {
                case .fail(let status, _): return Self.error(status, 13, "injected failure")
                case .malformed: return .malformed()
                case .delay(let delay):
                    var answer = route(request, authorization: authorization, &state)
                    answer.delay = delay
                    return answer
                }
            }
            return route(request, authorization: authorization, &state)
        }
    }

    private func route(_ request: LoopbackRequest, authorization: String?, _ state: inout State) -> LoopbackAnswer {
        guard let token = authorization.flatMap({ $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }),
            let canWrite = state.tokens[token]
        else { return Self.error(401, 16, "no session information") }
        guard let path = request.segments(after: "/api/v1/applications"), let name = path.first, path.count <= 2 else {
            return Self.error(404, 5, "Not Found")
        }
        guard var application = state.applications[name],
            application.namespace == (request.query["appNamespace"] ?? application.namespace)
        else {
            return Self.error(404, 5, "applications.argoproj.io \"\(name)\" not found")
        }
        let writing = request.method != "GET"
        if writing, !canWrite {
            return Self.error(
                403, 7, "permission denied: applications, \(path.count == 2 ? "sync" : "update"), default/\(name)")
        }
        let answer: LoopbackAnswer
        switch (request.method, path.count == 2 ? path[1] : nil) {
        case ("GET", nil):
            progress(&application, state: &state)
            answer = .json(Self.render(name, application))
        case ("PATCH", nil):
            answer = patch(name, &application, request)
        case ("POST", "rollback"?):
            answer = rollback(name, &application, request, state: &state)
        default:
            return Self.error(404, 5, "Not Found")
        }
        state.applications[name] = application
        return answer
    }

    private func patch(_ name: String, _ application: inout Application, _ request: LoopbackRequest) -> LoopbackAnswer {
        guard let body = request.jsonObject, let patchType = body["patchType"] as? String,
            let patchText = body["patch"] as? String,
            let patch = (try? JSONSerialization.jsonObject(with: Data(patchText.utf8))) as? [String: Any]
        else { return Self.error(400, 3, "invalid patch request") }
        guard patchType == "merge" else { return Self.error(400, 3, "Patch type '\(patchType)' is not supported") }
        if let spec = patch["spec"] as? [String: Any], let syncPolicy = spec["syncPolicy"] as? [String: Any],
            syncPolicy.keys.contains("automated")
        {
            if let automated = syncPolicy["automated"] as? [String: Any] {
                application.automated = (automated["prune"] as? Bool ?? false, automated["selfHeal"] as? Bool ?? false)
            } else {
                application.automated = nil
            }
        }
        return .json(Self.render(name, application))
    }

    private func rollback(
        _ name: String, _ application: inout Application, _ request: LoopbackRequest, state: inout State
    ) -> LoopbackAnswer {
        guard let body = request.jsonObject,
            let id = (body["id"] as? NSNumber)?.intValue ?? Int(body["id"] as? String ?? "")
        else { return Self.error(400, 3, "id is required") }
        if state.rollbackRequestFailures > 0 {
            state.rollbackRequestFailures -= 1
            return Self.error(503, 14, "the server is temporarily unavailable")
        }
        if application.phase == "Running" { return Self.error(400, 9, "another operation is already in progress") }
        if application.automated != nil {
            return Self.error(400, 9, "rollback cannot be initiated when auto-sync is enabled")
        }
        guard let entry = application.history.first(where: { $0.id == id }) else {
            return Self.error(400, 3, "application \(name) does not have deployment with id \(id)")
        }
        if body["dryRun"] as? Bool == true { return .json(Self.render(name, application)) }
        application.phase = "Running"
        application.message = "rolling back to \(entry.revision)"
        application.operationRevision = entry.revision
        application.readsUntilDone = state.operationReads
        application.health = "Progressing"
        return .json(Self.render(name, application))
    }

    /// A running rollback finishes after its reads: a new history entry (or a failed operation).
    private func progress(_ application: inout Application, state: inout State) {
        guard application.phase == "Running", application.readsUntilDone != Int.max else { return }
        if application.readsUntilDone > 0 {
            application.readsUntilDone -= 1
            return
        }
        if let failure = state.failRollbackOperation {
            application.phase = "Failed"
            application.message = failure
            application.health = "Degraded"
            return
        }
        let next = (application.history.map(\.id).max() ?? -1) + 1
        application.history.append(
            HistoryEntry(id: next, revision: application.operationRevision ?? "", deployedAt: Self.time(next)))
        application.phase = "Succeeded"
        application.message = "successfully synced (all tasks run)"
        application.health = state.healthAfterRollback
    }

    private static func render(_ name: String, _ application: Application) -> [String: Any] {
        var syncPolicy: [String: Any] = [:]
        if let automated = application.automated {
            syncPolicy["automated"] = ["prune": automated.prune, "selfHeal": automated.selfHeal]
        }
        let live = application.history.last?.revision ?? ""
        var status: [String: Any] = [
            "history": application.history.map {
                [
                    "id": $0.id, "revision": $0.revision, "deployedAt": $0.deployedAt, "deployStartedAt": $0.deployedAt,
                    "source": ["repoURL": "https://git.example.com/fleet.git", "path": "apps/\(name)"],
                ] as [String: Any]
            },
            "sync": ["status": application.phase == nil ? "Synced" : "OutOfSync", "revision": live],
            "health": ["status": application.health],
        ]
        if let phase = application.phase {
            status["operationState"] =
                [
                    "phase": phase, "message": application.message ?? "",
                    "operation": ["sync": ["revision": application.operationRevision ?? ""]],
                    "syncResult": ["revision": application.operationRevision ?? ""],
                ] as [String: Any]
        }
        return [
            "metadata": ["name": name, "namespace": application.namespace, "resourceVersion": "1"],
            "spec": [
                "project": "default", "syncPolicy": syncPolicy,
                "source": [
                    "repoURL": "https://git.example.com/fleet.git", "path": "apps/\(name)", "targetRevision": "HEAD",
                ],
                "destination": ["server": "https://kubernetes.default.svc", "namespace": name],
            ] as [String: Any],
            "status": status,
        ]
    }

    static func error(_ status: Int, _ code: Int, _ message: String) -> LoopbackAnswer {
        .json(["error": message, "code": code, "message": message], status: status)
    }

    private static func time(_ index: Int) -> String {
        String(format: "2026-12-07T%02d:%02d:00Z", 8 + index / 60, index % 60)
    }
}
