import Foundation
import RewindCore
import RewindPorts
import RewindStoreSQLite

/// v1 of every campaign service, live and known good, as a deploy pipeline and an hour of baking would leave them.
enum CampaignSeed {
    static func seed(statePath: String) async throws {
        let store = try SQLiteStore(path: statePath)
        let now = Timestamp(millisecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1000))
        for service in CampaignWorld.services {
            try await store.recordDeployment(
                Deployment(
                    service: ServiceName(service), id: CampaignWorld.v1(service), version: "v1",
                    deployedAt: now - .seconds(7200),
                    trust: .knownGood, knownGoodAt: now - .seconds(3600)),
                makeLive: true)
        }
    }
}
