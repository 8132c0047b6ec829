import AsyncHTTPClient
import Foundation
import NIOSSL
import RewindCore
import RewindPorts
import RewindSandbox
import RewindSpecs
import RewindTestSupport
import Testing

@testable import RewindProviders

@Suite("Kubernetes provider against the emulated API server")
struct KubernetesProviderTests {
    typealias H = KubernetesHarness

    // MARK: - Reading

    @Test("the history is the Deployment's own ReplicaSets: id = name, version = image, newest first")
    func listsOwnedReplicaSets() async throws {
        try await withKubernetes { h in
            h.kube.addForeignReplicaSet(
                namespace: H.namespace, name: "web-imposter", labels: ["app": "web"], image: "evil:1", revision: 9
            )
            h.kube.replicaSetPageSize = 1
            let listed = try await h.provider().listDeployments(service: "web")
            #expect(listed.map(\.version) == H.images.reversed())
            #expect(listed.map(\.id) == h.history.map(\.name))
            #expect(listed.allSatisfy { $0.id.hasPrefix("web-") && $0.createdAt != nil })
            let lists = h.kube.requests.filter { $0.path == "/apis/apps/v1/namespaces/shop/replicasets" }
            #expect(lists.count == 4, "one page per ReplicaSet, the foreign one included")
            #expect(lists.allSatisfy { $0.query["labelSelector"] == "app=web" })
            #expect(lists.first?.query["continue"] == nil)
            #expect(lists.dropFirst().allSatisfy { $0.query["continue"] != nil })
            #expect(lists.allSatisfy { $0.bearerToken == H.token })
        }
    }

    @Test("the live deployment is the ReplicaSet at the Deployment's revision")
    func currentDeployment() async throws {
        try await withKubernetes { h in
            let current = try #require(try await h.provider().currentDeployment(service: "web"))
            #expect(current.version == H.images[2])
            #expect(current.id == (try h.replicaSet(running: H.images[2])).name)
        }
    }

    // MARK: - Rolling back

    @Test("rollout undo: GET, list, one guarded JSON patch of template and annotations, then status to done")
    func rollbackSuccessPath() async throws {
        try await withKubernetes { h in
            let provider = h.provider()
            let target = try h.replicaSet(running: H.images[1])
            let operation = try await provider.rollback(service: "web", to: H.target(target.name), context: H.context)
            #expect(operation == RollbackOperation(id: "generation-2", finished: false))
            #expect(
                h.calls == [
                    "GET /apis/apps/v1/namespaces/shop/deployments/web",
                    "GET /apis/apps/v1/namespaces/shop/replicasets",
                    "PATCH /apis/apps/v1/namespaces/shop/deployments/web",
                ]
            )
            let patch = try #require(h.kube.acceptedPatches.first)
            #expect(patch.contentType == "application/json-patch+json")
            let ops = try #require(patch.json?.array)
            #expect(ops.map { $0["op"]?.string } == ["test", "replace", "replace"])
            #expect(
                ops.map { $0["path"]?.string } == [
                    "/metadata/resourceVersion", "/spec/template", "/metadata/annotations",
                ])
            #expect(ops[0]["value"]?.string != nil)
            let template = try #require(ops[1]["value"])
            #expect(template["metadata"]?["labels"]?.object == ["app": .string("web")], "no pod-template-hash label")
            #expect(template["spec"]?["containers"]?[0]?["image"]?.string == H.images[1])
            #expect(ops[2]["value"]?.object == ["deployment.kubernetes.io/revision": .string("3")])

            var statuses: [OperationStatus] = []
            for _ in 0..<10 {
                let status = try await provider.status(of: operation, service: "web", target: H.target(target.name))
                statuses.append(status)
                if status != .inProgress { break }
            }
            #expect(statuses == [.inProgress, .inProgress, .succeeded])
            let web = try #require(h.web)
            #expect(web.image == H.images[1])
            #expect(web.revision == 4)
            let reused = try h.replicaSet(running: H.images[1])
            #expect(reused.name == target.name, "the controller reuses the old ReplicaSet")
            #expect(reused.revision == 4 && reused.revisionHistory == [2])
            let live = try await provider.currentDeployment(service: "web")
            #expect(live?.id == target.name, "the id survives the rollback")
        }
    }

    @Test("a revision number works as a target id (--to-revision), before and after it was reused")
    func rollbackToRevision() async throws {
        try await withKubernetes { h in
            let provider = h.provider()
            let operation = try await provider.rollback(service: "web", to: H.target("2"), context: H.context)
            #expect(h.web?.image == H.images[1])
            var status = OperationStatus.inProgress
            for _ in 0..<10 where status == .inProgress {
                status = try await provider.status(of: operation, service: "web", target: H.target("2"))
            }
            #expect(status == .succeeded)
            #expect(try h.replicaSet(running: H.images[1]).revision == 4)
            let again = try await provider.rollback(service: "web", to: H.target("2"), context: H.context)
            #expect(again == RollbackOperation(finished: true), "revision 2 is now 4: found by its revision history")
        }
    }

    @Test("idempotent: the target already live writes nothing and is finished")
    func alreadyLive() async throws {
        try await withKubernetes { h in
            let live = try h.replicaSet(running: H.images[2])
            let operation = try await h.provider().rollback(service: "web", to: H.target(live.name), context: H.context)
            #expect(operation == RollbackOperation(finished: true))
            #expect(h.kube.acceptedPatches.isEmpty)
            #expect(!h.calls.contains { $0.hasPrefix("PATCH") })
        }
    }

    @Test("idempotent: a second call after the patch, before the rollout, writes nothing and returns the operation")
    func repeatedAfterPatch() async throws {
        try await withKubernetes { h in
            let provider = h.provider()
            let target = try h.replicaSet(running: H.images[1])
            let first = try await provider.rollback(service: "web", to: H.target(target.name), context: H.context)
            let second = try await provider.rollback(service: "web", to: H.target(target.name), context: H.context)
            #expect(second.finished == false && second.id == first.id)
            #expect(h.kube.acceptedPatches.count == 1)
            var status = OperationStatus.inProgress
            for _ in 0..<10 where status == .inProgress {
                status = try await provider.status(of: second, service: "web", target: H.target(target.name))
            }
            #expect(status == .succeeded)
            let third = try await provider.rollback(service: "web", to: H.target(target.name), context: H.context)
            #expect(third == RollbackOperation(finished: true))
            #expect(h.kube.acceptedPatches.count == 1)
        }
    }

    @Test("a paused Deployment is refused with the command that resumes it")
    func pausedRefused() async throws {
        try await withKubernetes { h in
            h.kube.setPaused(true, namespace: H.namespace, name: "web")
            let target = try h.replicaSet(running: H.images[1])
            let error = await #expect(throws: ProviderError.self) {
                try await h.provider().rollback(service: "web", to: H.target(target.name), context: H.context)
            }
            #expect(error?.kind == .rejected)
            #expect(error?.message.contains("kubectl rollout resume deployment/web -n shop") == true)
            #expect(h.kube.acceptedPatches.isEmpty)
        }
    }

    @Test("ProgressDeadlineExceeded fails the rollback")
    func rolloutDeadlineExceeded() async throws {
        try await withKubernetes { h in
            let provider = h.provider()
            h.kube.failNextRollout(namespace: H.namespace, name: "web")
            let target = try h.replicaSet(running: H.images[1])
            let operation = try await provider.rollback(service: "web", to: H.target(target.name), context: H.context)
            let status = try await provider.status(of: operation, service: "web", target: H.target(target.name))
            guard case .failed(let reason) = status else {
                Issue.record("expected a failed rollout, got \(status)")
                return
            }
            #expect(reason.contains("exceeded its progress deadline"))
        }
    }

    @Test("fallback set_image: deploys the target's image when its ReplicaSet left the history")
    func setImageFallback() async throws {
        try await withKubernetes { h in
            h.kube.setRevisionHistoryLimit(1, namespace: H.namespace, name: "web")
            h.kube.deploy(namespace: H.namespace, name: "web", image: "registry.example/web:1.43")
            _ = try await h.provider().currentDeployment(service: "web")  // the controller prunes revision 1
            #expect(!h.history.contains { $0.image == H.images[0] })
            // Learnt from the platform's listing when its ReplicaSet still existed: the version is its image.
            var target = H.target("web-gone", version: H.images[0])
            target.listed = true

            let undo = await #expect(throws: ProviderError.self) {
                try await h.provider().rollback(service: "web", to: target, context: H.context)
            }
            #expect(undo?.kind == .notFound)
            #expect(undo?.message.contains("set_image") == true)

            let fallback = h.provider(method: .setImage)
            let operation = try await fallback.rollback(service: "web", to: target, context: H.context)
            #expect(operation.finished == false)
            let patch = try #require(h.kube.acceptedPatches.last)
            #expect(patch.contentType == "application/strategic-merge-patch+json")
            #expect(patch.json?["metadata"]?["resourceVersion"]?.string != nil)
            #expect(
                patch.json?["spec"]?["template"]?["spec"]?["containers"]
                    == .array([.object(["name": .string("web"), "image": .string(H.images[0])])])
            )
            var status = OperationStatus.inProgress
            for _ in 0..<10 where status == .inProgress {
                status = try await fallback.status(of: operation, service: "web", target: target)
            }
            #expect(status == .succeeded)
            #expect(try await fallback.currentDeployment(service: "web")?.version == H.images[0])
            let again = try await fallback.rollback(service: "web", to: target, context: H.context)
            #expect(again == RollbackOperation(finished: true))
        }
    }

    /// Anyone with the API token can record a deployment with any version: set_image must never
    /// deploy that free text as a container image.
    @Test("fallback set_image: a version the platform never listed is not used as an image; nothing is written")
    func setImageRefusesFreeTextVersion() async throws {
        try await withKubernetes { h in
            let before = h.kube.acceptedPatches.count
            for version in ["attacker.example/miner:latest", "registry.example/web:9.99"] {
                let reported = H.target("web-reported", version: version)
                #expect(!reported.listed)
                let error = await #expect(throws: ProviderError.self) {
                    try await h.provider(method: .setImage).rollback(service: "web", to: reported, context: H.context)
                }
                #expect(error?.kind == .rejected)
                #expect(error?.message.contains("never listed") == true, "\(error?.message ?? "")")
            }
            #expect(h.kube.acceptedPatches.count == before)
        }
    }

    // MARK: - Errors

    @Test("401: auth error that names the token variable, never its value")
    func unauthorized() async throws {
        try await withKubernetes { h in
            let wrong = "kube-wrong-token-55aa01"
            let error = await #expect(throws: ProviderError.self) {
                try await h.provider(token: wrong).listDeployments(service: "web")
            }
            #expect(error?.kind == .auth)
            #expect(error?.isTransient == false)
            #expect(error?.message.contains("KUBE_TOKEN") == true)
            #expect(error?.message.contains("401 Unauthorized") == true)
            #expect(error?.message.contains(wrong) == false)
            #expect(error?.message.contains(H.token) == false)
        }
    }

    @Test("403: names the token variable and the RBAC verb, resource and namespace to grant")
    func forbidden() async throws {
        try await withKubernetes { h in
            h.kube.permissions = ["get deployments", "list replicasets"]
            let target = try h.replicaSet(running: H.images[1])
            let error = await #expect(throws: ProviderError.self) {
                try await h.provider().rollback(service: "web", to: H.target(target.name), context: H.context)
            }
            #expect(error?.kind == .auth)
            let message = error?.message ?? ""
            #expect(message.contains("403 Forbidden"))
            #expect(message.contains("check that KUBE_TOKEN may patch deployments in namespace shop"))
            #expect(message.contains("cannot patch resource \"deployments\""), "the Status message is quoted")
            #expect(!message.contains(H.token))
        }
    }

    @Test("404: an unknown Deployment, and an unknown target")
    func notFound() async throws {
        try await withKubernetes { h in
            let missing = await #expect(throws: ProviderError.self) {
                try await h.provider(deployment: "api").currentDeployment(service: "api")
            }
            #expect(missing?.kind == .notFound)
            #expect(missing?.message.contains("deployments.apps \"api\" not found") == true)
            let unknownTarget = await #expect(throws: ProviderError.self) {
                try await h.provider().rollback(
                    service: "web", to: H.target("web-nope", version: "registry.example/web:0.1"), context: H.context
                )
            }
            #expect(unknownTarget?.kind == .notFound)
            #expect(h.kube.acceptedPatches.isEmpty)
        }
    }

    @Test("429: rate limited with Retry-After in seconds or as an HTTP date")
    func rateLimited() async throws {
        try await withKubernetes { h in
            h.kube.failNext(1, status: 429, retryAfter: "7")
            let seconds = await #expect(throws: ProviderError.self) {
                try await h.provider().listDeployments(service: "web")
            }
            #expect(seconds?.kind == .rateLimited)
            #expect(seconds?.isTransient == true)
            #expect(seconds?.retryAfter == .seconds(7))

            let date = Date().addingTimeInterval(120)
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
            h.kube.failNext(1, status: 429, retryAfter: formatter.string(from: date))
            let httpDate = await #expect(throws: ProviderError.self) {
                try await h.provider().listDeployments(service: "web")
            }
            #expect(httpDate?.kind == .rateLimited)
            let wait = try #require(httpDate?.retryAfter)
            #expect(wait > .seconds(100) && wait <= .seconds(120))
        }
    }

    @Test("a 16-digit Retry-After or one in the year 9999 is an hour's wait, never a crash")
    func hugeRetryAfter() async throws {
        try await withKubernetes { h in
            for value in ["9999999999999999", "Fri, 31 Dec 9999 23:59:59 GMT"] {
                h.kube.failNext(1, status: 429, retryAfter: value)
                let error = await #expect(throws: ProviderError.self) {
                    try await h.provider().listDeployments(service: "web")
                }
                #expect(error?.kind == .rateLimited)
                #expect(error?.retryAfter == .seconds(3600))
                #expect(error?.message.contains("retry after 1h") == true)
            }
        }
    }

    @Test("500 and 503 are transient server errors")
    func serverErrors() async throws {
        try await withKubernetes { h in
            for status in [500, 503] {
                h.kube.failNext(1, status: status)
                let error = await #expect(throws: ProviderError.self) {
                    try await h.provider().currentDeployment(service: "web")
                }
                #expect(error?.kind == .server)
                #expect(error?.isTransient == true)
                #expect(error?.message.contains("Kubernetes answered \(status)") == true)
            }
        }
    }

    @Test("409 Conflict and 422 on the guarded patch are transient; the next attempt recomputes")
    func conflictOnPatch() async throws {
        try await withKubernetes { h in
            let target = try h.replicaSet(running: H.images[1])
            for status in [409, 422] {
                h.kube.failNext(1, status: status, method: "PATCH")
                let error = await #expect(throws: ProviderError.self) {
                    try await h.provider().rollback(service: "web", to: H.target(target.name), context: H.context)
                }
                #expect(error?.kind == .server)
                #expect(error?.isTransient == true)
                #expect(error?.message.contains("changed while Rewind was writing it") == true)
            }
            let operation = try await h.provider().rollback(
                service: "web", to: H.target(target.name), context: H.context)
            #expect(operation.finished == false)
            #expect(h.kube.acceptedPatches.count == 1)
        }
    }

    @Test("the deadline fires on a server that does not answer")
    func timeout() async throws {
        try await withKubernetes { h in
            h.kube.delayNext(1, by: .seconds(30))
            let error = await #expect(throws: ProviderError.self) {
                try await h.provider(timeout: .milliseconds(300)).currentDeployment(service: "web")
            }
            #expect(error?.kind == .timeout)
            #expect(error?.isTransient == true)
        }
    }

    @Test("malformed JSON is a bad response")
    func malformed() async throws {
        try await withKubernetes { h in
            h.kube.malformedNext(1)
            let error = await #expect(throws: ProviderError.self) {
                try await h.provider().currentDeployment(service: "web")
            }
            #expect(error?.kind == .badResponse)
            #expect(error?.isTransient == false)
        }
    }

    // MARK: - Access checks

    @Test("checkAccess: reads the Deployment and asks access reviews; nothing is written")
    func accessAllowed() async throws {
        try await withKubernetes { h in
            let checks = await h.provider().checkAccess(service: "web")
            #expect(checks.count == 5)
            let allPassed = checks.allSatisfy { $0.passed }
            #expect(allPassed, "\(checks)")
            #expect(checks[0].detail.contains("revision 3"))
            let reviews = h.kube.requests.filter { $0.path.hasSuffix("selfsubjectaccessreviews") }
            #expect(
                reviews.map { $0.json?["spec"]?["resourceAttributes"]?["verb"]?.string } == [
                    "list", "patch", "list", "create",
                ])
            #expect(!h.calls.contains { $0.hasPrefix("PATCH") })
        }
    }

    @Test("checkAccess explains the missing RBAC verb, and a bad token")
    func accessDenied() async throws {
        try await withKubernetes { h in
            h.kube.permissions = ["get deployments", "list replicasets"]
            let checks = await h.provider().checkAccess(service: "web")
            let patch = try #require(checks.first { $0.name.contains("patch deployments") })
            #expect(!patch.passed)
            #expect(patch.detail.contains("KUBE_TOKEN may not patch deployments in namespace shop"))
            #expect(patch.detail.contains("add the RBAC verb 'patch'"))
            #expect(checks.filter(\.passed).count == 2)

            let wrong = await h.provider(token: "kube-wrong-token-55aa01").checkAccess(service: "web")
            #expect(wrong.allSatisfy { !$0.passed })
            #expect(wrong[0].detail.contains("KUBE_TOKEN"))
            #expect(!wrong.contains { $0.detail.contains("kube-wrong-token-55aa01") })
        }
    }

    @Test("checkAccess names how Rewind signed in: a bearer token, or the in-cluster ServiceAccount token")
    func accessNamesTheMechanism() async throws {
        try await withKubernetes { h in
            let token = await h.provider().checkAccess(service: "web")
            #expect(token.first?.detail.hasSuffix("; signed in with a bearer token (KUBE_TOKEN)") == true)

            let folder = try TemporaryDirectory("sa")
            defer { folder.remove() }
            try Data(H.token.utf8).write(to: folder.url.appendingPathComponent("token"))
            var spec = h.spec()
            spec.cluster = .inCluster(serviceAccountDirectory: folder.path, apiURL: h.apiURL)
            let provider = KubernetesProvider(spec: spec, client: h.client, redactor: Redactor(), environment: [:])
            let inCluster = await provider.checkAccess(service: "web")
            #expect(inCluster.allSatisfy { $0.passed })
            #expect(
                inCluster.first?.detail.hasSuffix(
                    "; signed in with the in-cluster ServiceAccount token (\(folder.path)/token)") == true)
        }
    }

    // MARK: - In-cluster

    @Test("in-cluster: the ServiceAccount token is read from its file on every request (rotation)")
    func inClusterTokenFile() async throws {
        try await withKubernetes { h in
            let folder = try TemporaryDirectory("sa")
            defer { folder.remove() }
            try Data("\(H.token)\n".utf8).write(to: folder.url.appendingPathComponent("token"))
            var spec = h.spec()
            spec.cluster = .inCluster(serviceAccountDirectory: folder.path, apiURL: h.apiURL)
            let provider = KubernetesProvider(spec: spec, client: h.client, redactor: Redactor(), environment: [:])
            #expect(try await provider.currentDeployment(service: "web")?.version == H.images[2])

            let rotated = "kube-rotated-token-8c1d2e"
            try Data(rotated.utf8).write(to: folder.url.appendingPathComponent("token"))
            h.kube.token = rotated
            #expect(try await provider.currentDeployment(service: "web")?.version == H.images[2])
            #expect(h.kube.requests.last?.bearerToken == rotated)

            try FileManager.default.removeItem(at: folder.url.appendingPathComponent("token"))
            let missing = await #expect(throws: ProviderError.self) {
                try await provider.currentDeployment(service: "web")
            }
            #expect(missing?.kind == .auth)
            #expect(missing?.message.contains("ServiceAccount token \(folder.path)/token") == true)
        }
    }

    @Test("in-cluster: the API server comes from KUBERNETES_SERVICE_HOST/PORT, over TLS with the mounted CA")
    func inClusterEnvironment() throws {
        let folder = try TemporaryDirectory("sa")
        defer { folder.remove() }
        try Data("sa-token\n".utf8).write(to: folder.url.appendingPathComponent("token"))
        try Data(kubernetesTestCA.utf8).write(to: folder.url.appendingPathComponent("ca.crt"))
        let cluster = KubernetesClusterSpec.inCluster(serviceAccountDirectory: folder.path)

        let connection = try KubernetesConnection.resolve(
            cluster, environment: ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"]
        )
        #expect(connection.baseURL == "https://10.96.0.1:443")
        #expect(connection.token == "sa-token")
        #expect(connection.tls != nil)
        let ipv6 = try KubernetesConnection.resolve(
            cluster, environment: ["KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "6443"]
        )
        #expect(ipv6.baseURL == "https://[fd00::1]:6443")

        #expect(throws: KubernetesSetupError.self) { try KubernetesConnection.resolve(cluster, environment: [:]) }
        try Data("not a certificate".utf8).write(to: folder.url.appendingPathComponent("ca.crt"))
        #expect(throws: KubernetesSetupError.self) {
            try KubernetesConnection.resolve(
                cluster, environment: ["KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443"]
            )
        }
    }

    @Test("in-cluster outside a pod: a permanent error that says to use kubeconfig")
    func inClusterOutsideAPod() async throws {
        try await withKubernetes { h in
            var spec = h.spec()
            spec.cluster = .inCluster(serviceAccountDirectory: "/nonexistent")
            let provider = KubernetesProvider(spec: spec, client: h.client, redactor: Redactor(), environment: [:])
            let error = await #expect(throws: ProviderError.self) {
                try await provider.currentDeployment(service: "web")
            }
            #expect(error?.message.contains("KUBERNETES_SERVICE_HOST") == true)
            #expect(h.kube.requests.isEmpty)
        }
    }

    @Test("a kubeconfig CA (PEM data) and insecure mode become TLS settings; http needs none")
    func tlsSettings() throws {
        func cluster(_ url: String, _ authority: KubernetesClusterSpec.Authority) -> KubernetesClusterSpec {
            KubernetesClusterSpec(
                server: .url(url), credential: .token(ConfigText("t", isSecret: true)), authority: authority,
                credentialName: "KUBE_TOKEN"
            )
        }
        let pem = try KubernetesConnection.resolve(
            cluster("https://k8s.example:6443", .pem(kubernetesTestCA)), environment: [:])
        #expect(pem.tls != nil)
        let insecure = try KubernetesConnection.resolve(
            cluster("https://k8s.example", .insecureSkipVerify), environment: [:])
        #expect(insecure.tls?.certificateVerification == CertificateVerification.none)
        let system = try KubernetesConnection.resolve(cluster("https://k8s.example", .systemRoots), environment: [:])
        #expect(system.tls == nil)
        let http = try KubernetesConnection.resolve(cluster("http://127.0.0.1:1", .pem("garbage")), environment: [:])
        #expect(http.tls == nil)
        #expect(throws: KubernetesSetupError.self) {
            try KubernetesConnection.resolve(cluster("https://k8s.example", .pem("garbage")), environment: [:])
        }
    }
}
