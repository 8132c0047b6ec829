import Logging
import RewindCore
import RewindPorts

/// What one incident's runner may write: its timeline, its step journal, and changes of its state
/// with the notices they cause — each a single write of the record. It also tells the supervisor
/// what the supervisor must know (a rollback happened, the incident ended).
struct IncidentRecorder: Sendable {
    let incidentID: Int64
    let journal: Journal
    let notices: Notices
    let dispatcher: NoticeDispatcher
    let clock: any RewindClock
    let redactor: Redactor
    let logger: Logger
    let supervisor: Mailbox<SupervisorCommand>
    /// Told each ``JournalPhase`` this incident passes (a test hook).
    let phaseReached: @Sendable (JournalPhase) -> Void

    /// A timeline entry (its message redacted).
    func entry(_ kind: TimelineKind, _ message: String, detail: JSONValue? = nil) -> TimelineEvent {
        TimelineEvent(
            incidentID: incidentID, at: clock.now, kind: kind, message: redactor.redact(message), detail: detail)
    }

    /// Appends one timeline entry.
    func note(_ kind: TimelineKind, _ message: String, detail: JSONValue? = nil) async throws {
        var change = StateChange()
        change.timeline = [entry(kind, message, detail: detail)]
        _ = try await journal.commit(change)
    }

    /// Journals a step's state, with its timeline entry if any.
    func step(_ stepID: String, _ state: StepRecord.State, note: TimelineEvent? = nil) async throws {
        var change = StateChange()
        change.steps = [StepRecord(incidentID: incidentID, stepID: stepID, state: state, at: clock.now)]
        change.timeline = note.map { [$0] } ?? []
        _ = try await journal.commit(change)
    }

    /// Stores a change of the incident and makes the first attempt of the notices it carries; `stored` is the
    /// phase passed once it is stored, before the notices go.
    @discardableResult
    func commit(
        _ change: StateChange, awaitNotices: Bool = false, stored: JournalPhase? = nil
    ) async throws -> CommittedChange {
        let committed = try await journal.commit(change)
        if let stored { phaseReached(stored) }
        if awaitNotices {
            await dispatcher.attempt(committed.outbox)
        } else {
            dispatcher.deliverNow(committed.outbox)
        }
        return committed
    }

    /// Tells the supervisor about a rollback this incident stored.
    func rolledBack(_ rollback: StateChange.Rollback) {
        supervisor.send(
            .event(
                .rolledBack(
                    service: rollback.service, from: rollback.from, to: rollback.to, automatic: rollback.automatic,
                    at: rollback.at)))
    }

    /// Logs a write that failed; the incident goes on.
    func failed(_ what: String, _ error: any Error) {
        logger.error(
            "\(what)",
            metadata: [
                "rewind.incident.id": "\(incidentID)", "rewind.error": "\(redactor.redact(String(describing: error)))",
            ])
    }
}

/// What a rollback moves: each service's platform (and its fallback), and besides the platform
/// its traffic, its kill-switch flags and its down-migration.
struct Platforms: Sendable {
    var providers: [ServiceName: any PlatformProvider]
    var fallbacks: [ServiceName: any PlatformProvider]
    var traffic: [ServiceName: any TrafficController]
    var flags: [ServiceName: any FeatureSwitch]
    var migrations: [ServiceName: any MigrationRollback]
}
