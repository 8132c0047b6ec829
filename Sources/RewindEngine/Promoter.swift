import RewindCore
import RewindPorts

/// A promote the supervisor loop accepted (``Promotion``), waiting to run.
struct PendingPromotion: Sendable {
    var target: Promotion.Target
    /// Who asked (`token oncall`, `cli user alice`).
    var actor: String
}

/// Runs one promote as a step of the incident that contained the rollout: `promote-SERVICE` sets
/// the new version's share of traffic to 100 %, journaled like any step (intent, accepted share,
/// outcome), then the incident's promote-or-roll-back task is marked done in one write with its
/// timeline entry. A promote that fails leaves the task open and says so.
///
/// Setting a share is idempotent: a promote interrupted by a restart is simply asked for again.
struct Promoter: Sendable {
    let recorder: IncidentRecorder
    let executor: StepExecutor
    let clock: any RewindClock

    func run(_ promotion: PendingPromotion) async -> EngineReply {
        let target = promotion.target
        let step = target.step
        let version = target.cut.from
        do {
            try await recorder.note(
                .task, "promote requested by \(promotion.actor): \(step.summary()) (task \(target.task.id))")
        } catch {
            return .refused(
                EngineRefusal(
                    code: "store_failed", message: recorder.redactor.redact("could not record the promote: \(error)")))
        }
        let outcome = await executor.execute(step, prior: nil)
        guard outcome.isSuccess else {
            return .refused(
                EngineRefusal(
                    code: "promote_failed",
                    message: recorder.redactor.redact(
                        "could not promote \(step.service): \(outcome.summary); task \(target.task.id) of incident #\(target.incident.id) "
                            + "stays open: try again, or roll back (rewind rollback \(step.service) --reason …)")))
        }
        var task = target.task
        task.state = .done
        task.note = "promoted by \(promotion.actor): \(version.label) has all of \(step.service)'s traffic"
        task.updatedAt = clock.now
        var change = StateChange(taskUpdates: [task])
        change.timeline = [
            recorder.entry(.task, "task \(task.id) is now done (by \(promotion.actor)): \(version.label) promoted")
        ]
        do {
            try await recorder.commit(change)
        } catch {
            return .refused(
                EngineRefusal(
                    code: "store_failed",
                    message: recorder.redactor.redact(
                        "\(version.label) has all of \(step.service)'s traffic, but task \(task.id) could not be marked done: \(error)"
                    )))
        }
        return .promoted(
            PromotionResult(
                incidentID: target.incident.id, service: step.service, deployment: version, outcome: outcome.summary,
                task: task))
    }
}
