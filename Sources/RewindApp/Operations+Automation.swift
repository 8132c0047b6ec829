import NIOHTTP1
import RewindConfig
import RewindCore
import RewindEngine
import RewindPorts
import RewindServer

/// `rewind pause` and `rewind resume`: through the daemon when it runs (it takes effect at once), else
/// straight into the state database (the daemon reads it when it starts).
extension StateAccess {
    public func pause(service: String?, reason: String) async throws -> AutomationState {
        if try await daemonCanAct() {
            return try await send(
                "/api/v1/automation", method: .POST,
                body: AutomationBody(paused: true, service: service, reason: reason))
        }
        let name = try knownService(service)
        let pause = AutomationPause(service: name, reason: reason, setAt: systemNow(), setBy: localActor)
        return try await changeStored(.pause(pause))
    }

    public func resume(service: String?) async throws -> AutomationState {
        if try await daemonCanAct() {
            return try await send(
                "/api/v1/automation", method: .POST, body: AutomationBody(paused: false, service: service, reason: nil))
        }
        return try await changeStored(.resume(service: try knownService(service)))
    }

    private func changeStored(_ change: AutomationChange) async throws -> AutomationState {
        let store = try await Composition.openStore(try configuration)
        try await store.commit(StateChange(automation: [change]))
        return AutomationState(pauses: try await store.automationPauses())
    }

    func knownService(_ service: String?) throws -> ServiceName? {
        guard let service else { return nil }
        let policy = try configuration.policy
        guard policy.service(ServiceName(service)) != nil else {
            throw AppError.usage(
                "unknown service '\(service)'; known: \(policy.services.map(\.name.rawValue).joined(separator: ", "))")
        }
        return ServiceName(service)
    }
}
