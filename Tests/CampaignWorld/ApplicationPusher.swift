import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RewindSandbox
import Synchronization

/// frontend's application, as the demo's: every 250 ms it pushes its conversion and error rates to the daemon's
/// `POST /api/v1/events`, mixed from the deployments serving it in their traffic shares. Refused or unanswered
/// pushes (the daemon is down between a kill and its restart) are dropped, as an application would.
struct ApplicationPusher: Sendable {
    let world: CampaignWorld
    let daemon: String
    let token: String

    func run() async throws {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        // The application's own cadence against a real daemon (not a test waiting for something): one push
        // every 250 ms by the wall clock, scheduled by deadline so a slow push does not shift the next ones.
        let clock = ContinuousClock()
        var next = clock.now
        while !Task.isCancelled {
            var conversion = 0.0
            var errors = 0.0
            let behaviours = world.requests.withLock { $0 }
            for part in world.sandbox.serving(service: "frontend") {
                let behaviour = behaviours[part.deployment.id] ?? CampaignWorld.RequestBehavior()
                conversion += part.share * behaviour.conversion
                errors += part.share * behaviour.errorRatio
            }
            let now = ISO8601DateFormatter().string(from: Date())
            let body = """
                {"events":[{"service":"frontend","signal":"conversion_rate","value":\(conversion),"at":"\(now)"},\
                {"service":"frontend","signal":"error_rate","value":\(max(0.004, errors)),"at":"\(now)"}]}
                """
            var request = HTTPClientRequest(url: daemon + "/api/v1/events")
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
            _ = try? await client.execute(request, timeout: .seconds(1))
            next = max(next.advanced(by: .milliseconds(250)), clock.now)
            do {
                try await clock.sleep(until: next)
            } catch {
                break
            }
        }
        try await client.shutdown()
    }
}
