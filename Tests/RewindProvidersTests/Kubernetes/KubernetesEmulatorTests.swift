import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RewindCore
import RewindProviders
import RewindTestSupport
import Testing

/// The emulator's own contract: what the API server answers to writes the provider does not make.
@Suite("Kubernetes emulator")
struct KubernetesEmulatorTests {
    typealias H = KubernetesHarness

    private func patch(
        _ h: KubernetesHarness, _ body: String, contentType: String
    ) async throws -> (Int, KubernetesJSON?) {
        var request = HTTPClientRequest(url: h.apiURL + "/apis/apps/v1/namespaces/shop/deployments/web")
        request.method = .PATCH
        request.headers.add(name: "Authorization", value: "Bearer \(H.token)")
        request.headers.add(name: "Content-Type", value: contentType)
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await h.client.execute(request, timeout: .seconds(5))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), KubernetesJSON.parse(Data(bytes.readableBytesView)))
    }

    @Test("a failed JSON-patch test op answers 422; a stale resourceVersion in a merge patch answers 409")
    func preconditions() async throws {
        try await withKubernetes { h in
            let test =
                #"[{"op":"test","path":"/metadata/resourceVersion","value":"1"},"#
                + #"{"op":"replace","path":"/spec/paused","value":true}]"#
            let (testStatus, testBody) = try await patch(h, test, contentType: "application/json-patch+json")
            #expect(testStatus == 422)
            #expect(testBody?["kind"]?.string == "Status")
            #expect(testBody?["reason"]?.string == "Invalid")

            let stale = #"{"metadata":{"resourceVersion":"1"},"spec":{"paused":true}}"#
            let (staleStatus, staleBody) = try await patch(
                h, stale, contentType: "application/strategic-merge-patch+json")
            #expect(staleStatus == 409)
            #expect(staleBody?["reason"]?.string == "Conflict")
            #expect(h.web?.paused == false)

            let (unsupported, _) = try await patch(h, "{}", contentType: "application/yaml")
            #expect(unsupported == 415)

            let pause = #"{"spec":{"paused":true}}"#
            let (pauseStatus, pauseBody) = try await patch(
                h, pause, contentType: "application/strategic-merge-patch+json")
            #expect(pauseStatus == 200)
            #expect(pauseBody?["metadata"]?["generation"]?.int == 2)
            #expect(h.web?.paused == true)
        }
    }

    @Test("the controller advances one step per read: observed, updated, available")
    func rolloutSteps() async throws {
        try await withKubernetes { h in
            h.kube.deploy(namespace: H.namespace, name: "web", image: "registry.example/web:1.43")
            #expect(h.web?.generation == 2 && h.web?.observedGeneration == 1)
            var steps: [String] = []
            for _ in 0..<3 {
                _ = try await h.provider().currentDeployment(service: "web")
                let web = try #require(h.web)
                steps.append(
                    "\(web.observedGeneration) \(web.updatedReplicas) \(web.availableReplicas) \(web.rolledOut)")
            }
            #expect(steps == ["2 0 3 false", "2 3 2 false", "2 3 3 true"])
            #expect(h.web?.revision == 4)
        }
    }

    @Test("the request log records the bearer token, content type and query")
    func inspection() async throws {
        try await withKubernetes { h in
            _ = try await h.provider().listDeployments(service: "web")
            let list = try #require(h.kube.requests.last)
            #expect(list.query["labelSelector"] == "app=web")
            #expect(list.query["limit"] == "500")
            #expect(list.bearerToken == H.token)
            #expect(list.status == 200)
        }
    }
}
