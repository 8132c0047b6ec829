import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RewindCore
import RewindPorts
import RewindTestSupport
import Testing

@testable import RewindProviders

@Suite("Kubernetes: what changed between two ReplicaSets (rewind diff)")
struct KubernetesCompareTests {
    typealias H = KubernetesHarness

    /// Rolls `shop/web` out to `web:1.43` with an environment, the way `kubectl apply` would patch it.
    static func deployWithEnvironment(_ h: KubernetesHarness) async throws {
        let patch = """
            {"spec":{"template":{"spec":{"containers":[{"name":"web","image":"registry.example/web:1.43","env":[
              {"name":"LOG_LEVEL","value":"debug"},
              {"name":"DATABASE_PASSWORD","valueFrom":{"secretKeyRef":{"name":"db","key":"password"}}}],
              "envFrom":[{"configMapRef":{"name":"web-config"}}]}]}}}}
            """
        var request = HTTPClientRequest(url: "\(h.apiURL)/apis/apps/v1/namespaces/shop/deployments/web")
        request.method = .PATCH
        request.headers.add(name: "Authorization", value: "Bearer \(H.token)")
        request.headers.add(name: "Content-Type", value: "application/strategic-merge-patch+json")
        request.body = .bytes(ByteBuffer(string: patch))
        let response = try await h.client.execute(request, timeout: .seconds(5))
        #expect(response.status == .ok)
        _ = try await h.provider().currentDeployment(service: "web")  // lets the controller roll it out
    }

    @Test("images and the names of the variables that differ; values are compared, never returned")
    func imagesAndVariables() async throws {
        try await withKubernetes { h in
            try await Self.deployWithEnvironment(h)
            let live = try h.replicaSet(running: "registry.example/web:1.43")
            let previous = try h.replicaSet(running: "registry.example/web:1.42")

            let comparison = try await h.provider().compare(
                service: "web", from: H.target(live.name, version: live.image ?? ""), to: H.target(previous.name))

            #expect(comparison.platform == "kubernetes")
            #expect(comparison.from.images == ["registry.example/web:1.43"])
            #expect(comparison.to.images == ["registry.example/web:1.42"])
            let variables = try #require(comparison.variables)
            #expect(variables.removed == ["DATABASE_PASSWORD", "LOG_LEVEL", "envFrom:configMap/web-config"])
            #expect(variables.added.isEmpty && variables.changed.isEmpty)
            let encoded = String(decoding: try JSONEncoder().encode(comparison), as: UTF8.self)
            #expect(!encoded.contains("debug") && !encoded.contains("password\""))
            #expect(h.calls.filter { $0.hasPrefix("PATCH") }.count == 1, "comparing is read-only")
        }
    }

    @Test("a ReplicaSet gone from the history is said, not guessed")
    func pruned() async throws {
        try await withKubernetes { h in
            let live = try h.replicaSet(running: "registry.example/web:1.42")
            let comparison = try await h.provider().compare(
                service: "web", from: H.target(live.name, version: live.image ?? ""), to: H.target("web-gone"))
            #expect(comparison.variables == nil)
            #expect(comparison.to.images.isEmpty)
            #expect(comparison.notes.contains { $0.contains("no longer in the history of Deployment shop/web") })
        }
    }

    @Test("the environment of a pod template, by name: a literal value, a reference, an envFrom source")
    func fingerprints() {
        func env(_ name: String, _ value: JSONValue, key: String = "value") -> JSONValue {
            .object(["name": .string(name), key: value])
        }
        let secretRef: JSONValue = .object(["secretKeyRef": .object(["name": .string("s"), "key": .string("k")])])
        let template: JSONValue = .object([
            "spec": .object([
                "containers": .array([
                    .object([
                        "name": .string("web"), "image": .string("web:1"),
                        "env": .array([env("A", .string("1")), env("B", secretRef, key: "valueFrom")]),
                    ]),
                    .object(["name": .string("sidecar"), "image": .string("proxy:2")]),
                ])
            ])
        ])
        #expect(KubernetesPodEnvironment.images(template) == ["web=web:1", "sidecar=proxy:2"])
        let fingerprints = KubernetesPodEnvironment.fingerprints(template)
        #expect(Set(fingerprints.keys) == ["web/A", "web/B"])
        let changedValue = KubernetesPodEnvironment.fingerprints(
            .object([
                "spec": .object([
                    "containers": .array([.object(["name": .string("web"), "env": .array([env("A", .string("2"))])])])
                ])
            ]))
        #expect(
            VariableDifference(from: ["A": fingerprints["web/A"] ?? ""], to: ["A": changedValue["A"] ?? ""]).changed
                == ["A"])
    }
}
