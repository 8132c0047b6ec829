import Foundation
import RewindCore
import RewindSpecs

@testable import RewindProviders

/// Railway's GraphQL answers (`RailwayReply`, read by every call, for each model the provider asks for):
/// any body gives `data.<field>`, GraphQL errors, or "not JSON", never a trap. The errors classify; the
/// deployments read are used as the provider uses them (live deployment, restores, restore sources).
enum RailwayTarget {
    static func run(_ bytes: [UInt8]) {
        let body = FuzzAnswer(bytes).body
        let connection = RailwayReply(body, field: "deployments", as: RailwayConnection.self)
        check(connection)
        let nodes = ((try? connection.data.get()) ?? nil)?.edges.map(\.node) ?? []
        let newer = RailwayReply(body, field: "deployments", as: RailwayNewerConnection.self)
        let newerNodes = ((try? newer.data.get()) ?? nil)?.edges.map(\.node) ?? []
        let instance = RailwayReply(body, field: "serviceInstance", as: RailwayServiceInstance.self)
        check(instance)
        let single = RailwayReply(body, field: "deployment", as: RailwayDeployment.self)
        let all =
            nodes + newerNodes + [((try? single.data.get()) ?? nil)].compactMap { $0 }
            + (((try? instance.data.get()) ?? nil)?.activeDeployments ?? [])
        _ = ((try? instance.data.get()) ?? nil)?.live?.platformDeployment
        for deployment in all.prefix(20) {
            _ = (deployment.platformDeployment, deployment.served, deployment.reason, deployment.status.phase)
            _ = deployment.created?.iso8601
            for mode in RailwayProviderSpec.Mode.allCases {
                _ = all.prefix(20).map { deployment.restores($0, mode: mode) }
            }
            _ = RailwayRestores.listed(deployment, among: all)
        }
    }

    private static func check<Value>(_ reply: RailwayReply<Value>) {
        if !reply.isJSON, case .success(let value) = reply.data { expect(value == nil, "data read from non-JSON") }
        guard !reply.errors.isEmpty else { return }
        let ranked = reply.errors.map(\.kind).sorted { $0.rank < $1.rank }
        _ = ranked.first
        for error in reply.errors {
            expect(error.shortMessage.count <= 201, "a GraphQL error message of \(error.shortMessage.count) characters")
        }
    }
}
