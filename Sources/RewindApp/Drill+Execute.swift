import AsyncHTTPClient
import Foundation
import Logging
import RewindConfig
import RewindCore
import RewindEngine
import RewindPorts

/// `rewind drill SERVICE --execute`: the rehearsal for real, on a staging policy.
///
/// Only after a clean read-only pass: the service is rolled back through the same path as
/// `rewind rollback` (the daemon when one runs, else a one-shot engine on the policy's state),
/// journaled as a manual incident with reason "drill" and verified; then rolled forward to the
/// deployment that was live before (a second manual incident). Each journaled step's duration
/// and the verification time come from the incidents' timelines.
///
/// The engine marks a rolled-back deployment bad; a drill puts the trust marks back as they were
/// (when no daemon runs — a daemon's state is the daemon's to write).
extension Drill {
    static let drillReason = "drill"

    static func execute(
        _ rehearsal: Rehearsal, client: HTTPClient, logger: Logger, into report: inout DrillReport
    ) async {
        let service = rehearsal.service
        guard report.findings.isEmpty else {
            report.append(
                "execute", durationMs: 0,
                [
                    .init(
                        "not executed", .note,
                        "a rollback with findings would fail: fix them first; nothing was changed")
                ])
            return
        }
        guard let original = rehearsal.recordedLive else {
            report.append(
                "execute", durationMs: 0,
                [
                    .init(
                        "refused", .finding,
                        "Rewind has no record of the live deployment of \(service), so there is no known deployment to return to; record it (rewind deployments record) or let the daemon learn it, then drill again"
                    )
                ])
            return
        }
        guard rehearsal.live?.id == original.id else {
            let served = rehearsal.live?.label ?? "nothing known"
            report.append(
                "execute", durationMs: 0,
                [
                    .init(
                        "refused", .finding,
                        "Rewind's record says \(original.label) is live but the platform serves \(served): the drill could not return to a known deployment; let the daemon catch up first"
                    )
                ])
            return
        }
        let access = StateAccess(configuration: rehearsal.configuration, client: client)
        let daemon = await access.daemonIsRunning()
        let trustBefore = await recordedDeployments(rehearsal, service)
        let console: @Sendable (String) -> Void = {
            try? FileHandle.standardError.write(contentsOf: Data(($0 + "\n").utf8))
        }

        // Back to the target.
        let (back, backMs) = await timed {
            await attempt {
                try await access.rollback(
                    service: service.rawValue, to: nil, reason: drillReason, logger: logger, console: console)
            }
        }
        await record(back, title: "roll back", durationMs: backMs, access: access, into: &report)

        // Forward again, to what was live, whenever the rollback moved anything.
        let liveNow = await recordedLive(rehearsal, service)
        if liveNow?.id != original.id {
            let (forward, forwardMs) = await timed {
                await attempt {
                    try await access.rollback(
                        service: service.rawValue, to: original.id,
                        reason: "\(drillReason): return to \(original.label)",
                        logger: logger, console: console)
                }
            }
            await record(
                forward, title: "roll forward to \(original.label)", durationMs: forwardMs, access: access,
                into: &report)
        } else if case .success = back {
            report.append(
                "roll forward", durationMs: 0,
                [.init("roll forward", .note, "\(original.label) is still live: nothing to return to")])
        }

        let (restored, restoreMs) = await timed { await restoreTrust(trustBefore, rehearsal, daemon: daemon) }
        report.append("restore trust marks", durationMs: restoreMs, restored)
    }

    // MARK: Incidents

    private static func attempt(_ body: () async throws -> Incident) async -> Result<Incident, any Error> {
        do { return .success(try await body()) } catch { return .failure(error) }
    }

    /// One rollback of the drill as a report step: the incident's journaled steps, each with its
    /// duration, then its verification and its total.
    private static func record(
        _ result: Result<Incident, any Error>, title: String, durationMs: Double, access: StateAccess,
        into report: inout DrillReport
    ) async {
        switch result {
        case .failure(let error):
            let message = (error as? AppError)?.message ?? (error as? any RewindError)?.message ?? "\(error)"
            report.append(
                title, durationMs: durationMs,
                [.init("refused", .finding, (try? access.configuration)?.redactor.redact(message) ?? message)])
        case .success(let incident):
            report.incidents.append(incident.id)
            guard let detail = try? await access.incident(incident.id) else {
                report.append(
                    "\(title) (incident #\(incident.id))", durationMs: durationMs,
                    [
                        .init(
                            "incident", incident.status == .completed ? .ok : .finding,
                            "\(incident.status.rawValue): \(incident.summary)")
                    ])
                return
            }
            report.append("\(title) (incident #\(incident.id))", durationMs: durationMs, journaledSteps(detail))
        }
    }

    /// Durations from the timeline alone: a step starts when the incident opened or when the last
    /// step it waits for finished, and ends at its journaled outcome; verification runs from the
    /// service's last step to its verdict.
    static func journaledSteps(_ detail: IncidentDossier) -> [DrillReport.Check] {
        let incident = detail.incident
        var ends: [String: Timestamp] = [:]
        var outcomes: [String: (success: Bool, message: String)] = [:]
        for event in detail.timeline where event.kind == .stepOutcome {
            guard case .object(let fields)? = event.detail, let id = fields["step"]?.stringValue else { continue }
            ends[id] = event.at
            var success = false
            if case .bool(let value)? = fields["success"] { success = value }
            let message =
                event.message.hasPrefix("\(id): ") ? String(event.message.dropFirst(id.count + 2)) : event.message
            outcomes[id] = (success, message)
        }
        var checks: [DrillReport.Check] = []
        let plan = incident.plan
        for step in plan?.steps ?? [] {
            guard let end = ends[step.id], let outcome = outcomes[step.id] else {
                checks.append(.init(step.id, .finding, "no outcome journaled"))
                continue
            }
            let start =
                (step.dependsOn + step.after).compactMap { ends[$0] }.max().map { max($0, incident.openedAt) }
                ?? incident.openedAt
            checks.append(
                .init(
                    step.id, outcome.success ? .ok : .finding, "\(step.summary()): \(outcome.message)",
                    durationMs: Double((end - start).milliseconds)))
        }
        for service in incident.services {
            guard plan?.verify ?? true else {
                checks.append(.init("verify-\(service)", .note, "skipped: forced by an operator"))
                continue
            }
            let events = detail.timeline.filter { $0.kind == .verification && $0.message.hasPrefix("\(service) ") }
            let stepsEnd =
                (plan?.steps ?? []).filter { $0.service == service }.compactMap { ends[$0.id] }.max()
                ?? incident.openedAt
            guard let verdict = events.last(where: { $0.message.hasPrefix("\(service) verification ") }) else {
                checks.append(.init("verify-\(service)", .finding, "no verification journaled"))
                continue
            }
            let attempts = events.filter { $0.message.hasPrefix("\(service) attempt ") }.count
            let passed = verdict.message.hasSuffix("passed")
            checks.append(
                .init(
                    "verify-\(service)", passed ? .ok : .finding,
                    "\(passed ? "passed" : "FAILED") after \(attempts) health-check attempt\(attempts == 1 ? "" : "s")",
                    durationMs: Double((verdict.at - stepsEnd).milliseconds)))
        }
        let total = incident.closedAt.map { Double(($0 - incident.openedAt).milliseconds) }
        checks.append(
            .init(
                "incident #\(incident.id)", incident.status == .completed ? .ok : .finding,
                "\(incident.status.rawValue) (journaled as manual, reason \"\(incident.reason ?? "")\")",
                durationMs: total))
        return checks
    }

    // MARK: Trust marks

    private static func recordedDeployments(_ rehearsal: Rehearsal, _ service: ServiceName) async -> [Deployment] {
        (try? await ExistingState.reading(rehearsal.configuration) { try await $0.deployments(of: service) }) ?? []
    }

    private static func recordedLive(_ rehearsal: Rehearsal, _ service: ServiceName) async -> Deployment? {
        (try? await ExistingState.reading(rehearsal.configuration) { try await $0.liveDeployment(of: service) }) ?? nil
    }

    /// Puts back the trust every deployment of the service had before the drill.
    private static func restoreTrust(
        _ before: [Deployment], _ rehearsal: Rehearsal, daemon: Bool
    ) async -> [DrillReport.Check] {
        let after = await recordedDeployments(rehearsal, rehearsal.service)
        let changed = before.filter { old in after.contains { $0.id == old.id && $0.trust != old.trust } }
        if changed.isEmpty { return [.init("trust", .ok, "unchanged")] }
        let list = changed.map { "\($0.label) \($0.trust.rawValue)" }.joined(separator: ", ")
        if daemon {
            return [
                .init(
                    "trust", .note,
                    "a daemon runs on this state, so the drill leaves its record alone: the rollbacks marked \(changed.map(\.label).joined(separator: ", ")) bad (they were \(list))"
                )
            ]
        }
        let failure: DrillReport.Check?
        do {
            failure =
                try await ExistingState.reading(rehearsal.configuration) { store -> DrillReport.Check? in
                    for deployment in changed {
                        do {
                            try await store.setTrust(
                                service: rehearsal.service, deploymentID: deployment.id, trust: deployment.trust,
                                at: deployment.knownGoodAt ?? systemNow())
                        } catch {
                            return .init("trust", .finding, "could not restore \(deployment.label): \(error)")
                        }
                    }
                    return nil
                } ?? .init("trust", .finding, "there is no state to restore \(list) in")
        } catch {
            failure = .init("trust", .finding, "could not open the state to restore \(list): \(error)")
        }
        if let failure { return [failure] }
        return [
            .init("trust", .ok, "restored \(list) (a rollback marks the deployment it leaves bad; a drill's are not)")
        ]
    }
}
