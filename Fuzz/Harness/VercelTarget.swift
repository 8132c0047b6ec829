import Foundation
import RewindCore
import RewindSpecs

@testable import RewindPorts
@testable import RewindProviders

/// Vercel answers (`VercelAPI.decode` into each model the provider reads, `VercelAPI.statusError` for
/// refusals, with the error envelope's rate-limit reset): any answer gives a value or a ``ProviderError``,
/// never a trap; waits are bounded; the token never shows. The decoded values are used as the provider uses
/// them (deployments, the project's serving deployment and alias job, the job verdict).
enum VercelTarget {
    static let clock = ManualClock(now: Timestamp(millisecondsSinceEpoch: 1_790_000_000_000))
    static let api = VercelAPI(
        spec: VercelProviderSpec(token: ConfigText(vendorToken, isSecret: true), project: "shop", teamID: "team_1"),
        client: fuzzHTTPClient, redactor: Redactor(secrets: [vendorToken]), clock: clock
    )
    static let purpose = VercelAPI.Purpose(
        action: "list the deployments", service: "frontend", notFound: "Vercel does not know project shop")

    static func run(_ bytes: [UInt8]) {
        if skippingWaits && mentionsWait(bytes) { return }
        let input = FuzzAnswer(bytes)
        let answer = HTTPAnswer(status: input.status, headers: input.headers, body: input.body)
        guard let request = try? api.request("GET", ["v6", "deployments"], query: [("projectId", "shop")]) else {
            return expect(false, "the fixed request does not render")
        }
        if !input.isSuccess {
            expectSound(api.statusError(answer, request, purpose), "Vercel refusal")
        }
        let now = clock.now
        if let page = decode(VercelDeploymentPage.self, answer, request) {
            _ = page.deployments.compactMap(\.platformDeployment)
            _ = page.pagination?.next
        }
        if let project = decode(VercelProject.self, answer, request) {
            let serving = project.serving("production")
            _ = serving?.platformDeployment
            for mode in VercelProviderSpec.Mode.allCases {
                let operation = VercelOperation(type: mode, deploymentID: "dpl_1")
                _ = VercelJobVerdict.of(operation, job: project.aliasJob, serving: serving?.identifier, now: now)
            }
        }
        if let deployment = decode(VercelDeployment.self, answer, request) {
            _ = (deployment.platformDeployment, deployment.isReady)
        }
        if let aliases = decode(VercelAliasPage.self, answer, request) {
            _ = aliases.aliases.compactMap(\.alias?.alias)
        }
        _ = decode(VercelUser.self, answer, request)?.user?.username
        _ = decode(VercelTeam.self, answer, request)?.slug
    }

    private static func decode<Value: Decodable>(
        _ type: Value.Type, _ answer: HTTPAnswer, _ request: RenderedRequest
    ) -> Value? {
        do {
            return try api.decode(type, answer, request, purpose)
        } catch let error as ProviderError {
            expectSound(error, "Vercel decoding")
        } catch {
            expect(false, "decoding threw \(error), not a ProviderError")
        }
        return nil
    }
}
