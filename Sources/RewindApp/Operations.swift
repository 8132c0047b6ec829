import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import RewindConfig
import RewindCore
import RewindEngine
import RewindPorts
import RewindServer
import RewindStoreSQLite

/// The CLI's state-changing commands. Each goes through the daemon when it runs; without one, a
/// rollback runs in a one-shot engine on the same state (journal, verification, notifications),
/// holding the same writer lease, so there is never a side door to the platform.
extension StateAccess {
    /// Who makes a change without a daemon: the CLI's user (`cli user alice`).
    var localActor: String {
        "cli user \(ProcessInfo.processInfo.environment["USER"] ?? ProcessInfo.processInfo.userName)"
    }

    /// A manual rollback (`rewind rollback`, `rewind drill --execute`): through the daemon when it runs, waiting
    /// for the incident to close; otherwise in a one-shot engine (``rollbackInProcess(service:to:reason:force:logger:console:observer:)``).
    /// `force` accepts a target that is not known good and skips the verification gates; the incident's journal
    /// says so.
    public func rollback(
        service: String, to: String?, reason: String, force: Bool = false, logger: Logger,
        console: (@Sendable (String) -> Void)? = nil,
        observer: @escaping @Sendable (EngineEvent) -> Void = { _ in }
    ) async throws -> Incident {
        if try await daemonCanAct() {
            let body = RollbackRequestBody(service: service, to: to, reason: reason, force: force, wait: true)
            return try await send("/api/v1/rollbacks", method: .POST, body: body, timeout: .minutes(30))
        }
        return try await rollbackInProcess(
            service: service, to: to, reason: reason, force: force, logger: logger, console: console,
            observer: observer)
    }

    /// A manual rollback run to its end by a one-shot engine on the same state, holding the writer lease: for
    /// when no daemon runs (the caller has asked). `console` receives the console channel's lines (standard
    /// output when nil).
    public func rollbackInProcess(
        service: String, to: String?, reason: String, force: Bool = false, logger: Logger,
        console: (@Sendable (String) -> Void)? = nil,
        observer: @escaping @Sendable (EngineEvent) -> Void = { _ in }
    ) async throws -> Incident {
        try await withOneShotEngine(logger: logger, console: console, observer: observer) { engine in
            switch await engine.requestRollback(
                .init(service: ServiceName(service), to: to, reason: reason, force: force, actor: localActor))
            {
            case .success(let id): return await engine.waitForIncident(id)
            case .failure(let refusal): throw AppError.other(refusal.message)
            }
        }
    }

    /// Asks the running daemon for a manual rollback and returns its incident at once, without waiting for the
    /// rollback (`rewind rollback --no-wait`, or to follow it); nil when no daemon runs (the CLI then runs a
    /// one-shot engine, which waits by nature).
    public func startRollback(service: String, to: String?, reason: String, force: Bool) async throws -> Int64? {
        struct Opened: Decodable { var incident: Int64 }
        guard try await daemonCanAct() else { return nil }
        let opened: Opened = try await send(
            "/api/v1/rollbacks", method: .POST,
            body: RollbackRequestBody(service: service, to: to, reason: reason, force: force))
        return opened.incident
    }

    /// `rewind promote`: the new version a gradual incident left at a reduced share of traffic gets
    /// all of it, and the incident's promote-or-roll-back task is done. Through the daemon when it
    /// runs, otherwise in a one-shot engine, as a rollback.
    public func promote(
        service: String, logger: Logger, console: (@Sendable (String) -> Void)? = nil
    ) async throws -> PromotionResult {
        struct Body: Encodable { var service: String }
        if try await daemonCanAct() {
            return try await send(
                "/api/v1/promotions", method: .POST, body: Body(service: service), timeout: .minutes(10))
        }
        return try await withOneShotEngine(logger: logger, console: console) { engine in
            switch await engine.promote(service: ServiceName(service), by: localActor) {
            case .success(let result): return result
            case .failure(let refusal): throw AppError.other(refusal.message)
            }
        }
    }

    /// Runs `work` against an engine on the state with no daemon: it holds the writer lease, watches
    /// nothing, and ends once its work is done — the incident closed, the escalations that are due
    /// fired, and the first attempt of every notice made (what a channel did not take waits in the
    /// outbox for the daemon).
    private func withOneShotEngine<T: Sendable>(
        logger: Logger, console: (@Sendable (String) -> Void)?,
        observer: @escaping @Sendable (EngineEvent) -> Void = { _ in },
        _ work: @escaping @Sendable (RewindEngine) async throws -> T
    ) async throws -> T {
        let configuration = try configuration
        let store = try await Composition.openStore(configuration)
        let engine = Composition.makeEngine(
            configuration: configuration, store: store, client: client,
            notifiers: try Composition.notifiers(for: configuration, client: client, console: console),
            observer: observer, watch: false,
            logger: logger)
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await engine.run()
                return nil
            }
            group.addTask {
                defer { engine.finish() }
                return try await work(engine)
            }
            var outcome: T?
            for try await result in group where result != nil {
                outcome = result
            }
            guard let outcome else { throw AppError.other("the engine ended without an answer") }
            return outcome
        }
    }

    /// Acknowledges an incident: its escalation stops.
    public func acknowledge(_ id: Int64, by: String) async throws -> Incident {
        struct Body: Encodable { var by: String }
        if try await daemonCanAct() {
            return try await send("/api/v1/incidents/\(id)/ack", method: .POST, body: Body(by: by))
        }
        let store = try await store()
        guard var incident = try await store.incident(id: id) else {
            throw AppError.other("there is no incident #\(id)")
        }
        if incident.acknowledgedAt != nil {
            throw AppError.other("incident #\(id) was already acknowledged by \(incident.acknowledgedBy ?? "someone")")
        }
        let now = systemNow()
        incident.acknowledgedAt = now
        incident.acknowledgedBy = by
        try await store.updateIncident(incident)
        try await store.append(
            TimelineEvent(incidentID: id, at: now, kind: .acknowledged, message: "acknowledged by \(by)"))
        let cancelled = try await store.cancelEscalations(incidentID: id)
        if cancelled > 0 {
            try await store.append(
                TimelineEvent(
                    incidentID: id, at: now, kind: .escalation,
                    message: "escalation stopped (\(cancelled) pending): acknowledged by \(by)"))
        }
        return incident
    }

    public func updateTask(
        _ id: Int64, task: String, state: IncidentTask.State, note: String?
    ) async throws -> IncidentTask {
        struct Body: Encodable {
            var state: String
            var note: String?
        }
        if try await daemonCanAct() {
            return try await send(
                "/api/v1/incidents/\(id)/tasks/\(task)", method: .POST, body: Body(state: state.rawValue, note: note))
        }
        let store = try await store()
        guard var stored = try await store.tasks(incidentID: id).first(where: { $0.id == task }) else {
            throw AppError.other("incident #\(id) has no task \(task); see rewind incidents tasks \(id)")
        }
        stored.state = state
        stored.note = note ?? stored.note
        stored.updatedAt = systemNow()
        try await store.updateTask(stored)
        try await store.append(
            TimelineEvent(
                incidentID: id, at: stored.updatedAt, kind: .task,
                message: "task \(task) is now \(state.rawValue)" + (note.map { ": \($0)" } ?? "")))
        return stored
    }

    public func freeze(for duration: Duration, reason: String) async throws -> FreezeState {
        struct Body: Encodable {
            var duration: String
            var reason: String
        }
        if try await daemonCanAct() {
            return try await send(
                "/api/v1/freeze", method: .POST, body: Body(duration: duration.rewindDescription, reason: reason))
        }
        let now = systemNow()
        let freeze = Freeze(until: now + duration, reason: reason, setAt: now, setBy: localActor)
        try await Composition.openStore(try configuration).setFreeze(freeze)
        return FreezeState(frozen: true, freeze: freeze)
    }

    public func unfreeze() async throws -> FreezeState {
        if try await daemonCanAct() {
            return try await send("/api/v1/freeze", method: .DELETE, body: nil as [String: String]?)
        }
        try await Composition.openStore(try configuration).setFreeze(nil)
        return FreezeState(frozen: false, freeze: nil)
    }

    public func recordDeployment(
        service: String, id: String, version: String?, commit: String?, author: String?
    ) async throws -> RecordedDeployment {
        struct Body: Encodable {
            var service: String
            var id: String
            var version: String?
            var commit: String?
            var author: String?
        }
        if let invalid = DeploymentIdentifier.check(id, as: "id")
            ?? DeploymentIdentifier.check(version ?? id, as: "version")
        {
            throw AppError.usage(invalid.message)
        }
        if try await daemonCanAct() {
            return try await send(
                "/api/v1/deployments", method: .POST,
                body: Body(service: service, id: id, version: version, commit: commit, author: author))
        }
        let policy = try configuration.policy
        guard policy.service(ServiceName(service)) != nil else {
            throw AppError.usage(
                "unknown service '\(service)'; known: \(policy.services.map(\.name.rawValue).joined(separator: ", "))"
            )
        }
        let now = systemNow()
        let store = try await Composition.openStore(try configuration)
        // Recorded live, as the daemon's supervisor records a reported deployment.
        let deployment = Deployment(
            service: ServiceName(service), id: id, version: version ?? id, deployedAt: now, commit: commit,
            author: author,
            wasLive: true)
        try await store.recordDeployment(deployment, makeLive: true)
        let frozen = try await store.currentFreeze()?.isActive(at: now) ?? false
        return RecordedDeployment(deployment: deployment, deployedDuringFreeze: frozen)
    }
}

/// The body of `POST /api/v1/rollbacks` as the CLI sends it; with `wait` the answer is the closed incident.
private struct RollbackRequestBody: Encodable {
    var service: String
    var to: String?
    var reason: String
    var force: Bool
    var wait = false
}
