import RewindCore
import Testing

func at(_ seconds: Int64) -> Timestamp {
    Timestamp(millisecondsSinceEpoch: 1_790_000_000_000 + seconds * 1000)
}

/// Expects `body` to throw a Rewind error with `code`, and returns it.
@discardableResult
func expectError(
    _ code: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void
) async -> (any RewindError)? {
    do {
        try await body()
        Issue.record("expected \(code), but nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as any RewindError {
        #expect(error.code == code, "\(error.message)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected \(code), but got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

func deployment(
    _ service: ServiceName, _ id: String, at seconds: Int64, trust: DeploymentTrust = .suspect,
    commit: String? = nil, knownGoodAt: Timestamp? = nil
) -> Deployment {
    Deployment(
        service: service, id: id, version: "v-\(id)", deployedAt: at(seconds), trust: trust, commit: commit,
        author: commit == nil ? nil : "ada", knownGoodAt: knownGoodAt)
}

func sampleViolation() -> Violation {
    Violation(
        service: "backend", trigger: .healthCritical, severity: .critical, at: at(120),
        rule: "health: 3 consecutive within 2m",
        evidence: [
            Evidence(at: at(60), check: "http /healthz", result: "status 503", latencyMs: 41),
            Evidence(at: at(90), check: "http /healthz", result: "timeout", latencyMs: 5000),
            Evidence(at: at(120), check: "http /healthz", result: "connection refused", latencyMs: 2),
        ])
}

func samplePlan() -> Plan {
    Plan(
        strategy: .immediate,
        steps: [
            PlanStep(
                id: "rollback-frontend", service: "frontend", from: deployment("frontend", "f2", at: 100),
                to: deployment("frontend", "f1", at: 10, trust: .knownGood, knownGoodAt: at(50)),
                timeout: .seconds(120), dependsOn: []),
            PlanStep(
                id: "rollback-backend", service: "backend", from: deployment("backend", "b2", at: 100),
                to: deployment("backend", "b1", at: 10, trust: .knownGood, commit: "abc123", knownGoodAt: at(50)),
                timeout: .seconds(120), dependsOn: ["rollback-frontend"]),
        ],
        freeze: .seconds(3600))
}

func sampleIncident(openedAt seconds: Int64 = 120, status: IncidentStatus = .open) -> Incident {
    Incident(
        id: 0, openedAt: at(seconds), services: ["frontend", "backend"], trigger: .healthCritical,
        severity: .critical, strategy: .immediate, status: status, summary: "backend is down", plan: samplePlan(),
        violation: sampleViolation())
}

func notice(_ kind: NoticeKind = .initiated, incident: Int64) -> Notice {
    Notice(
        kind: kind, incidentID: incident, services: ["backend"], trigger: .healthCritical, severity: .critical,
        timestamp: at(120), strategy: .immediate, actions: ["roll back backend to b1"], status: "in progress",
        evidence: ["status 503"])
}

func outboxEntry(
    incident: Int64, channel: String = "slack", due seconds: Int64 = 130, kind: NoticeKind = .initiated,
    status: OutboxEntry.Status = .pending
) -> OutboxEntry {
    OutboxEntry(
        incidentID: incident, channel: channel, notice: notice(kind, incident: incident), status: status,
        nextAttemptAt: at(seconds), createdAt: at(120))
}

func timer(incident: Int64, _ audience: Audience = .oncall, due seconds: Int64) -> EscalationTimer {
    EscalationTimer(
        incidentID: incident, audience: audience, policy: .immediate, dueAt: at(seconds),
        reason: "critical service down")
}

func task(incident: Int64, _ id: String, title: String = "Analyze logs") -> IncidentTask {
    IncidentTask(
        incidentID: incident, id: id, group: .investigation, title: title, team: "devops", dueAt: at(7320),
        updatedAt: at(120))
}

func observation(at seconds: Int64, _ check: String = "http /healthz", status: Int = 200) -> Observation {
    Observation(
        service: "backend", check: check, at: at(seconds),
        result: status == 200 ? .success(status: 200) : .failure(.status(status)), latencyMs: 12)
}
