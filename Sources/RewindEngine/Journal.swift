import RewindCore
import RewindPorts

/// The engine's only way to write: every change of the record is one ``StateChange`` — a change of
/// an incident's state with the timeline entries, notices, timers, ledger and freeze changes it
/// causes — committed to the store bound to the engine's writer lease (so a write from an engine
/// that lost the lease is refused).
struct Journal: Sendable {
    let store: any RewindStore
    /// Told whether each write went through (the engine's `writable` health).
    var health: HealthState?

    @discardableResult
    func commit(_ change: StateChange) async throws -> CommittedChange {
        do {
            let committed = try await store.commit(change)
            health?.wrote(true)
            return committed
        } catch {
            health?.wrote(false, error: String(describing: error))
            throw error
        }
    }
}

extension StateChange {
    /// Adds the supervisor's ledger changes (deployments, trust, freeze); a deployment made live
    /// goes live `now`.
    mutating func record(_ ledger: [LedgerChange], at now: Timestamp) {
        for change in ledger {
            switch change {
            case .deployment(let deployment, let makeLive):
                deployments.append(DeploymentRecord(deployment, makeLive: makeLive, liveSince: makeLive ? now : nil))
            case .trust(let service, let deploymentID, let trust, let at):
                trustChanges.append(TrustChange(service: service, deploymentID: deploymentID, trust: trust, at: at))
            case .freeze(let freeze):
                self.freeze = freeze.map { .set($0) } ?? .clear
            case .automation(let change):
                automation.append(change)
            }
        }
    }

    /// A rollback that happened: `to` is live, `from` is bad, and an automatic one counts towards
    /// cooldown and the storm cap.
    mutating func record(_ rollback: Rollback) {
        liveSwitches.append(LiveSwitch(service: rollback.service, deploymentID: rollback.to, since: rollback.at))
        trustChanges.append(
            TrustChange(service: rollback.service, deploymentID: rollback.from, trust: .bad, at: rollback.at))
        if rollback.automatic {
            automaticRollbacks.append(AutomaticRollback(service: rollback.service, at: rollback.at))
        }
    }

    /// A rollback a runner did, as it is stored and reported to the supervisor.
    struct Rollback: Sendable {
        var service: ServiceName
        var from: String
        var to: String
        var automatic: Bool
        var at: Timestamp
    }
}
