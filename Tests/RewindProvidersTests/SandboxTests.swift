import Foundation
import RewindSandbox
import RewindTestSupport
import Testing

@Suite("Sandbox")
struct SandboxTests {
    @Test("a service answers /health as its live deployment behaves, and / with its identity")
    func healthFollowsBehavior() async throws {
        let world = twoVersionWorld(v2: .failing(status: 503))
        try await withSandbox(world) { endpoints in
            let api = try #require(endpoints.services["api"])
            let failing = try await get("\(api)/health")
            #expect(failing.status == 503)
            #expect(failing.headers["x-deployment"] == "dpl_2")
            #expect(failing.json == ["service": "api", "deployment": "dpl_2", "version": "2.0.0", "status": "failing"])

            let root = try await get("\(api)/")
            #expect(root.status == 200)
            #expect(root.json["version"] == "2.0.0")

            world.setBehavior(service: "api", deploymentID: "dpl_2", .healthy)
            let healthy = try await get("\(api)/health")
            #expect(healthy.status == 200)
            #expect(healthy.json["status"] == "ok")
        }
    }

    @Test("a flapping deployment repeats N failures then M successes")
    func flapping() async throws {
        let world = twoVersionWorld(v2: .flapping(failures: 2, successes: 1))
        try await withSandbox(world) { endpoints in
            let api = try #require(endpoints.services["api"])
            var statuses: [Int] = []
            for _ in 0..<6 { statuses.append(try await get("\(api)/health").status) }
            #expect(statuses == [500, 500, 200, 500, 500, 200])
        }
    }

    @Test("an accepted rollback stays in progress until its duration has passed")
    func rollbackInProgress() async throws {
        let world = twoVersionWorld()
        world.rollbackDuration = .seconds(3600)
        try await withSandbox(world) { endpoints in
            let accepted = try await post(
                "\(endpoints.platform)/v1/services/api/rollback", body: #"{"deployment":"dpl_1"}"#
            )
            #expect(accepted.status == 202)
            #expect(accepted.json == ["id": "op-1", "status": "in_progress"])
            let operation = try await get("\(endpoints.platform)/v1/operations/op-1")
            #expect(operation.json == ["id": "op-1", "status": "in_progress", "service": "api", "deployment": "dpl_1"])
            #expect(world.live(service: "api")?.id == "dpl_2")
            #expect(world.rollbackCalls(service: "api") == 1)
        }
    }

    @Test("a rollback succeeds after its duration and the service serves the target again")
    func rollbackSucceeds() async throws {
        let world = twoVersionWorld()
        world.rollbackDuration = .milliseconds(50)
        try await withSandbox(world) { endpoints in
            let accepted = try await post(
                "\(endpoints.platform)/v1/services/api/rollback", body: #"{"deployment":"dpl_1"}"#
            )
            let id = try #require(accepted.json["id"])
            let finished = try await eventually {
                try await get("\(endpoints.platform)/v1/operations/\(id)").json["status"] != "in_progress"
            }
            #expect(finished)
            #expect(try await get("\(endpoints.platform)/v1/operations/\(id)").json["status"] == "succeeded")
            #expect(try await get("\(endpoints.platform)/v1/services/api/current").json["id"] == "dpl_1")
            let health = try await get("\(endpoints.services["api"]!)/health")
            #expect(health.status == 200)
            #expect(health.headers["x-deployment"] == "dpl_1")
        }
    }

    @Test("failNextRollbacks makes the next rollback fail and leaves the live deployment alone")
    func failedRollback() async throws {
        let world = twoVersionWorld()
        world.rollbackDuration = .zero
        world.failNextRollbacks(1)
        try await withSandbox(world) { endpoints in
            let rollback = "\(endpoints.platform)/v1/services/api/rollback"
            let first = try await post(rollback, body: #"{"deployment":"dpl_1"}"#)
            let operation = try await get("\(endpoints.platform)/v1/operations/\(first.json["id"] ?? "")")
            #expect(operation.json["status"] == "failed")
            #expect(world.live(service: "api")?.id == "dpl_2")

            let second = try await post(rollback, body: #"{"deployment":"dpl_1"}"#)
            #expect(second.json["status"] == "succeeded")
            #expect(world.live(service: "api")?.id == "dpl_1")
            #expect(world.rollbackCalls(service: "api") == 2)
        }
    }

    @Test("the platform lists deployments newest first and refuses bad requests")
    func platformAPI() async throws {
        let world = twoVersionWorld(token: "sandbox-token-42")
        try await withSandbox(world) { endpoints in
            let auth = ["Authorization": "Bearer sandbox-token-42"]
            let base = "\(endpoints.platform)/v1/services"
            let listing = try await get("\(base)/api/deployments", headers: auth)
            #expect(listing.status == 200)
            #expect(listing.body.contains(#""created_at":"#))
            let order = listing.body.range(of: "dpl_2")!.lowerBound < listing.body.range(of: "dpl_1")!.lowerBound
            #expect(order)

            #expect(try await get("\(base)/api/deployments").status == 401)
            #expect(try await get("\(base)/api/deployments", headers: ["Authorization": "Bearer nope"]).status == 401)
            #expect(try await get("\(base)/nope/deployments", headers: auth).status == 404)
            #expect(try await post("\(base)/api/rollback", body: "{", headers: auth).status == 400)
            let unknown = try await post("\(base)/api/rollback", body: #"{"deployment":"x"}"#, headers: auth)
            #expect(unknown.status == 404)
            #expect(world.rollbackCalls(service: "api") == 0)
        }
    }

    @Test("injected platform failures answer the given status, 429 with Retry-After")
    func injectedFailures() async throws {
        let world = twoVersionWorld()
        world.failNextPlatformCalls(2, status: 429)
        try await withSandbox(world) { endpoints in
            let current = "\(endpoints.platform)/v1/services/api/current"
            let limited = try await get(current)
            #expect(limited.status == 429)
            #expect(limited.headers["retry-after"] == "1")
            #expect(try await get(current).status == 429)
            #expect(try await get(current).status == 200)
        }
    }

    @Test("scripts can deploy through the platform API")
    func deployThroughAPI() async throws {
        let world = twoVersionWorld()
        try await withSandbox(world) { endpoints in
            let deployed = try await post(
                "\(endpoints.platform)/v1/services/api/deploy",
                body: #"{"id":"dpl_3","version":"3.0.0","behavior":"failing"}"#
            )
            #expect(deployed.status == 201)
            let health = try await get("\(endpoints.services["api"]!)/health")
            #expect(health.status == 500)
            #expect(health.headers["x-deployment"] == "dpl_3")
            let bad = try await post(
                "\(endpoints.platform)/v1/services/api/deploy", body: #"{"id":"x","behavior":"sideways"}"#
            )
            #expect(bad.status == 400)
        }
    }
}
