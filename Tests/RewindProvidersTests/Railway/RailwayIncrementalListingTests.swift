import Foundation
import RewindCore
import RewindPorts
import RewindSandbox
import Testing

@testable import RewindProviders

/// The deployment tracker's view of Railway: a first full listing, then only what is newer than the newest
/// cursor seen (`last`/`before`), and the deployments Railway's rollbacks create listed as restoring their
/// source.
@Suite("Railway incremental listing and restores")
struct RailwayIncrementalListingTests {
    typealias H = RailwayHarness

    /// The `deployments` requests received, oldest first.
    private func listings(_ h: RailwayHarness) -> [RailwayEmulator.Request] {
        h.railway.requests.filter { $0.field == "deployments" }
    }

    @Test("the first poll lists everything that ran; the second asks only for newer ones and transfers nothing")
    func secondPollTransfersNothing() async throws {
        try await withRailway { h in
            let provider = h.provider()
            let first = try await provider.listDeployments(service: "backend", since: nil)
            #expect(first.deployments.map(\.id) == ["d-3", "d-2", "d-1"])
            #expect(!first.incremental)
            let cursor = try #require(first.cursor)
            let newestCursor = listings(h).first?.answer?["data"]?["deployments"]?["edges"]?.array?.first?["cursor"]
            #expect(newestCursor == .string(cursor.value))

            let second = try await provider.listDeployments(service: "backend", since: cursor)
            #expect(second.deployments.isEmpty)
            #expect(second.incremental)
            #expect(second.cursor == cursor)
            let request = try #require(listings(h).last)
            #expect(request.operationName == "NewerDeployments")
            #expect(request.variables["before"] == .string(cursor.value))
            #expect(request.variables["last"] == .number(Double(RailwayProvider.pageSize)))
            #expect(request.variables["first"] == nil)
            #expect(request.answer?["data"]?["deployments"]?["edges"]?.array?.isEmpty == true)
            #expect(request.variables["input"]?["serviceId"] == "s-33")
        }
    }

    @Test("new deployments are listed newest first across backward pages, and the cursor moves to the newest")
    func newerDeploymentsAcrossPages() async throws {
        try await withRailway { h in
            var provider = h.provider()
            provider.pageSize = 1
            let first = try await provider.listDeployments(service: "backend", since: nil)
            for (index, id) in ["d-5", "d-6", "d-7"].enumerated() {
                h.railway.addDeployment(
                    id: id, projectID: H.project, environmentID: H.environment, serviceID: H.service,
                    status: "SUCCESS", createdAt: H.now.addingTimeInterval(Double(index + 1) * 60),
                    commitHash: "\(index + 5)\(index + 5)\(index + 5)ffff")
            }
            let page = try await provider.listDeployments(service: "backend", since: first.cursor)
            #expect(page.deployments.map(\.id) == ["d-7", "d-6", "d-5"])
            #expect(page.deployments.allSatisfy { $0.restores == nil })
            #expect(page.incremental)
            let again = try await provider.listDeployments(service: "backend", since: page.cursor)
            #expect(again.deployments.isEmpty)
            #expect(again.cursor == page.cursor)
        }
    }

    @Test("a rollback's new deployment is listed, and read live, as restoring its source")
    func rollbackDeploymentRestoresItsSource() async throws {
        try await withRailway { h in
            let provider = h.provider()
            let first = try await provider.listDeployments(service: "backend", since: nil)
            let operation = try await provider.rollback(service: "backend", to: H.target("d-2"), context: H.context)
            h.railway.finishInFlight()
            let created = try #require(operation.id)

            let live = try #require(try await provider.currentDeployment(service: "backend"))
            #expect(live.id == created)
            #expect(live.restores == "d-2")
            #expect(live.serves("d-2"))
            #expect(!live.serves("d-3"))

            let page = try await provider.listDeployments(service: "backend", since: first.cursor)
            #expect(page.deployments.map(\.id) == [created])
            #expect(page.deployments.first?.restores == "d-2")
            // A full listing says the same.
            let all = try await provider.listDeployments(service: "backend")
            #expect(all.first { $0.id == created }?.restores == "d-2")
            #expect(all.filter { $0.id != created }.allSatisfy { $0.restores == nil })
        }
    }

    @Test("a rollback of a rollback restores the original deployment of that release")
    func restoreOfARestore() {
        func node(_ id: String, minutes: Int, reason: String?, commit: String) -> RailwayDeployment {
            var meta: [String: JSONValue] = ["commitHash": .string(commit)]
            if let reason { meta["reason"] = .string(reason) }
            let created = Date(timeIntervalSince1970: 1_790_000_000 + Double(minutes) * 60)
            let formatter = ISO8601DateFormatter()
            return RailwayDeployment(
                id: id, status: .removed, createdAt: formatter.string(from: created), meta: .object(meta))
        }
        let original = node("d-1", minutes: 0, reason: nil, commit: "aaa")
        let other = node("d-2", minutes: 10, reason: nil, commit: "bbb")
        let firstRestore = node("d-3", minutes: 20, reason: "rollback", commit: "aaa")
        let variableChange = node("d-4", minutes: 30, reason: "variableChange", commit: "aaa")
        let secondRestore = node("d-5", minutes: 40, reason: "redeploy", commit: "aaa")
        let all = [secondRestore, variableChange, firstRestore, other, original]
        #expect(RailwayRestores.source(of: firstRestore, among: all) == "d-1")
        // d-4 changed variables only: not a restore, but an older deployment of the release.
        #expect(RailwayRestores.source(of: secondRestore, among: all) == "d-4")
        #expect(RailwayRestores.source(of: variableChange, among: all) == nil)
        #expect(RailwayRestores.source(of: other, among: all) == nil)
        #expect(RailwayRestores.source(of: firstRestore, among: [firstRestore]) == nil)
    }

    @Test("a cursor Railway no longer accepts falls back to a full listing")
    func invalidCursorFallsBack() async throws {
        try await withRailway { h in
            let page = try await h.provider().listDeployments(
                service: "backend", since: ListingCursor("ZGVwbG95bWVudDpnb25l"))
            #expect(!page.incremental)
            #expect(page.deployments.map(\.id) == ["d-3", "d-2", "d-1"])
            #expect(listings(h).map(\.operationName) == ["NewerDeployments", "Deployments"])
        }
    }

    @Test("errors of an incremental poll are classified as for any call: 429 with Retry-After, a refused token")
    func errorsAreClassified() async throws {
        try await withRailway { h in
            let provider = h.provider()
            let first = try await provider.listDeployments(service: "backend", since: nil)
            h.railway.failNext(1, status: 429, retryAfter: 7, field: "deployments")
            let limited = await #expect(throws: ProviderError.self) {
                _ = try await provider.listDeployments(service: "backend", since: first.cursor)
            }
            #expect(limited?.kind == .rateLimited)
            #expect(limited?.retryAfter == .seconds(7))

            let refused = await #expect(throws: ProviderError.self) {
                _ = try await h.provider(token: "rw-wrong-token").listDeployments(
                    service: "backend", since: first.cursor)
            }
            #expect(refused?.kind == .auth)
            #expect(refused?.message.contains("RAILWAY_TOKEN") == true)
            #expect(refused?.message.contains("rw-wrong-token") == false)
        }
    }
}
