import Foundation
import RewindCore
import RewindStoreSQLite

/// Runs `body` with the path of a state file in a fresh temporary directory, removed afterwards.
func withStatePath<T>(_ body: (String) async throws -> T) async throws -> T {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("rewind-store-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try await body(directory.appendingPathComponent("rewind.db").path)
}

/// Runs `body` with a store on a fresh state file.
func withStore<T>(_ body: (SQLiteStore) async throws -> T) async throws -> T {
    try await withStatePath { path in try await body(try SQLiteStore(path: path)) }
}

func at(_ seconds: Int64) -> Timestamp {
    Timestamp(millisecondsSinceEpoch: 1_790_000_000_000 + seconds * 1000)
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
