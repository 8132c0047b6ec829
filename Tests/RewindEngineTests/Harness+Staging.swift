import RewindCore
import RewindPorts
import RewindStoreSQLite

extension Harness {
    /// Stages, directly in the store, what a daemon leaves behind when it dies mid-rollback: an open
    /// immediate incident rolling backend back from v2 to v1, with `journal` recorded for its step.
    func stageInterruptedRollback(journal: [StepRecord.State]) async throws -> Incident {
        let (v1, _) = try await seedKnownGood()
        let v2 = try await deploySuspect(Fixture.backend, "v2", health: .failing(status: 503))
        let plan = Plan(
            strategy: .immediate,
            steps: [
                PlanStep(
                    id: "rollback-backend", service: Fixture.backend, from: v2, to: v1, timeout: .seconds(30),
                    dependsOn: [])
            ],
            freeze: .seconds(3600))
        let incident = try await sqlite.createIncident(
            Incident(
                id: 0, openedAt: clock.now, services: [Fixture.backend], trigger: .healthCritical,
                severity: .critical,
                strategy: .immediate, status: .open, summary: "backend: health_critical", plan: plan))
        for state in journal {
            try await sqlite.recordStep(
                StepRecord(incidentID: incident.id, stepID: "rollback-backend", state: state, at: clock.now))
        }
        return incident
    }
}
