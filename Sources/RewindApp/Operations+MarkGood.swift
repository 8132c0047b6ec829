import NIOHTTP1
import RewindCore
import RewindPorts
import RewindServer

/// `rewind deployments mark-good`: through the daemon's supervisor when it runs, else in the state database.
extension StateAccess {
    public func markGood(service: String, id: String) async throws -> Deployment {
        if try await daemonCanAct() {
            return try await send(
                "/api/v1/deployments/mark-good", method: .POST, body: MarkGoodBody(service: service, id: id))
        }
        guard let name = try knownService(service) else { throw AppError.usage("name the service") }
        let store = try await Composition.openStore(try configuration)
        guard let deployment = try await store.deployments(of: name).first(where: { $0.id == id }) else {
            throw AppError.other("Rewind has not seen deployment \(id) of \(service); see rewind status")
        }
        switch deployment.trust {
        case .bad:
            throw AppError.other(
                "\(deployment.label) of \(service) was marked bad; Rewind does not make it a rollback target again")
        case .knownGood:
            return deployment
        case .suspect:
            let now = systemNow()
            try await store.setTrust(service: name, deploymentID: id, trust: .knownGood, at: now)
            return deployment.settingTrust(.knownGood, at: now)
        }
    }
}
