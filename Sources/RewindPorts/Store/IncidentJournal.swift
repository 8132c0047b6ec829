import RewindCore

/// The record of every incident: the incident itself, its timeline, the journal of its plan's
/// steps, its post-rollback tasks and the observations kept for its report.
///
/// Incident ids are assigned by the store: increasing and never reused; a failed commit uses
/// none up. Writes are single-part ``StateChange``s (see
/// ``DeploymentLedger``).
public protocol IncidentJournal: Sendable {
    /// Stores a new incident and returns it with the id the store assigned (the `id` passed in is
    /// ignored).
    func createIncident(_ incident: Incident) async throws -> Incident

    /// Replaces the stored incident with the same id. Throws `store_not_found` when there is none.
    func updateIncident(_ incident: Incident) async throws

    /// The incident; nil when no incident has that id.
    func incident(id: Int64) async throws -> Incident?

    /// At most `limit` incidents, newest first (highest id first).
    func incidents(limit: Int) async throws -> [Incident]

    /// The incidents whose status is `open`, oldest first (the order to resume them in).
    func openIncidents() async throws -> [Incident]

    /// Appends an event to its incident's timeline. Throws `store_not_found` when the incident
    /// does not exist.
    func append(_ event: TimelineEvent) async throws

    /// The incident's timeline, chronological: by `at`, events with the same time in the order
    /// they were appended. Empty for an unknown incident.
    func timeline(incidentID: Int64) async throws -> [TimelineEvent]

    /// Appends a record to the step journal; earlier records of the step are kept. Throws
    /// `store_not_found` when the incident does not exist.
    func recordStep(_ record: StepRecord) async throws

    /// The latest record of each step of the incident (the step's state), steps in the order they
    /// were first recorded. Empty for an unknown incident.
    func steps(incidentID: Int64) async throws -> [StepRecord]

    /// Every record of every step of the incident, in the order recorded: the whole journal
    /// (intent, accepted, done) for reports and audits.
    func stepHistory(incidentID: Int64) async throws -> [StepRecord]

    /// Adds post-rollback tasks, each after the incident's existing ones. A task whose
    /// (incident, id) is already stored is skipped: the stored one is kept as it is. The incident
    /// is not checked.
    func addTasks(_ tasks: [IncidentTask]) async throws

    /// The incident's tasks in the order they were added.
    func tasks(incidentID: Int64) async throws -> [IncidentTask]

    /// Replaces the stored task with the same incident and id, keeping its place. Throws
    /// `store_not_found` when there is none.
    func updateTask(_ task: IncidentTask) async throws

    /// Every task of every incident whose overdue reminder is due at `now`
    /// (``TaskReminder/isDue(_:now:)``: due at or before `now`, open or in progress, not reminded
    /// yet), earliest due first, ties in the order the tasks were added.
    func overdueTasks(now: Timestamp) async throws -> [IncidentTask]

    /// Keeps observations around an incident for its report's chart. The incident is not checked.
    func recordSamples(incidentID: Int64, _ observations: [Observation]) async throws

    /// The incident's samples by time, ties in the order recorded.
    func samples(incidentID: Int64) async throws -> [Observation]
}
