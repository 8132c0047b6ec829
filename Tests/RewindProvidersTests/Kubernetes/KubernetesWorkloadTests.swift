import Foundation
import RewindCore
import RewindPorts
import RewindSpecs
import RewindTestSupport
import Testing

@testable import RewindProviders

/// StatefulSets and DaemonSets: revisions are ControllerRevisions, rolled back and followed like Deployments.
@Suite("Kubernetes StatefulSets and DaemonSets against the emulated API server")
struct KubernetesWorkloadTests {
    typealias H = KubernetesHarness

    static let images = ["registry.example/db:15.1", "registry.example/db:15.2", "registry.example/db:15.3"]

    /// Seeds `kind` called `db` (images 15.1…15.3, the last live) and returns its provider.
    static func seed(
        _ h: H, _ kind: KubernetesRevisionedKind, onDelete: Bool = false, partition: Int = 0,
        method: KubernetesProviderSpec.Method = .rolloutUndo
    ) -> KubernetesProvider {
        h.kube.addWorkload(
            kind, namespace: H.namespace, name: "db", images: images, onDelete: onDelete, partition: partition)
        h.kube.resetRequests()
        return h.provider(kind: kind == .statefulSet ? .statefulSet : .daemonSet, deployment: "db", method: method)
    }

    static func revisions(_ h: H, _ kind: KubernetesRevisionedKind) -> [KubernetesControllerRevisionSnapshot] {
        h.kube.controllerRevisions(kind, namespace: H.namespace, owner: "db")
    }

    static func revision(
        _ h: H, _ kind: KubernetesRevisionedKind, running image: String
    ) throws
        -> KubernetesControllerRevisionSnapshot
    {
        try #require(revisions(h, kind).first { $0.image == image })
    }

    static func follow(
        _ provider: KubernetesProvider, _ operation: RollbackOperation, target: Deployment
    ) async throws -> [OperationStatus] {
        try await H.follow(provider, operation, service: "db", target: target)
    }

    // MARK: - Reading

    @Test("the history is the workload's own ControllerRevisions: id = name, version = image, newest first")
    func listsOwnedRevisions() async throws {
        try await withKubernetes { h in
            for kind in [KubernetesRevisionedKind.statefulSet, .daemonSet] {
                let provider = Self.seed(h, kind)
                h.kube.addForeignControllerRevision(
                    namespace: H.namespace, name: "db-imposter", labels: ["app": "db"], image: "evil:1", revision: 9)
                let listed = try await provider.listDeployments(service: "db")
                #expect(listed.map(\.version) == Self.images.reversed())
                #expect(listed.map(\.id) == Self.revisions(h, kind).map(\.name))
                #expect(listed.allSatisfy { $0.id.hasPrefix("db-") && $0.createdAt != nil })
                let lists = h.kube.requests.filter { $0.path == "/apis/apps/v1/namespaces/shop/controllerrevisions" }
                #expect(lists.count == 1 && lists.allSatisfy { $0.query["labelSelector"] == "app=db" })
                let current = try await provider.currentDeployment(service: "db")
                #expect(current?.version == Self.images[2])
                #expect(current?.id == (try Self.revision(h, kind, running: Self.images[2])).name)
            }
        }
    }

    @Test("incremental listing: an unchanged resourceVersion lists nothing; a rollout lists again")
    func incrementalListing() async throws {
        try await withKubernetes { h in
            let provider = Self.seed(h, .statefulSet)
            let first = try await provider.listDeployments(service: "db", since: nil)
            #expect(first.deployments.count == 3 && first.cursor != nil)
            let again = try await provider.listDeployments(service: "db", since: first.cursor)
            #expect(again.deployments.isEmpty && again.live == .unchanged)
            h.kube.deploy(.statefulSet, namespace: H.namespace, name: "db", image: "registry.example/db:16.0")
            let changed = try await provider.listDeployments(service: "db", since: again.cursor)
            #expect(changed.deployments.first?.version == "registry.example/db:16.0")
            #expect(changed.live == .current(changed.deployments.first))
        }
    }

    // MARK: - Rolling back

    @Test(
        "rollout undo to the previous revision: one guarded JSON patch of the template, status to done",
        arguments: [KubernetesRevisionedKind.statefulSet, .daemonSet])
    func rollbackToPrevious(kind: KubernetesRevisionedKind) async throws {
        try await withKubernetes { h in
            let provider = Self.seed(h, kind)
            let target = try Self.revision(h, kind, running: Self.images[1])
            let operation = try await provider.rollback(service: "db", to: H.target(target.name), context: H.context)
            #expect(operation == RollbackOperation(id: "generation-2", finished: false))
            #expect(
                h.calls == [
                    "GET /apis/apps/v1/namespaces/shop/\(kind.rawValue.lowercased())s/db",
                    "GET /apis/apps/v1/namespaces/shop/controllerrevisions",
                    "PATCH /apis/apps/v1/namespaces/shop/\(kind.rawValue.lowercased())s/db",
                ])
            let patch = try #require(h.kube.acceptedPatches.first)
            #expect(patch.contentType == "application/json-patch+json")
            let ops = try #require(patch.json?.array)
            #expect(ops.map { $0["op"]?.string } == ["test", "replace"])
            #expect(ops.map { $0["path"]?.string } == ["/metadata/resourceVersion", "/spec/template"])
            let template = try #require(ops[1]["value"])
            #expect(template["$patch"] == nil, "the ControllerRevision's directive is not written")
            #expect(template["spec"]?["containers"]?[0]?["image"]?.string == Self.images[1])

            let statuses = try await Self.follow(provider, operation, target: H.target(target.name))
            #expect(statuses == [.inProgress, .inProgress, .succeeded])
            let workload = try #require(h.kube.workload(kind, namespace: H.namespace, name: "db"))
            #expect(workload.image == Self.images[1] && workload.rolledOut)
            let reused = try Self.revision(h, kind, running: Self.images[1])
            #expect(reused.name == target.name && reused.revision == 4, "the controller reuses and renumbers it")
            #expect(try await provider.currentDeployment(service: "db")?.id == target.name)
            let again = try await provider.rollback(service: "db", to: H.target(target.name), context: H.context)
            #expect(again == RollbackOperation(finished: true), "live and rolled out: nothing is written")
            #expect(h.kube.acceptedPatches.count == 1)
        }
    }

    @Test(
        "a revision number is a target (--to-revision); status waits for the controller",
        arguments: [KubernetesRevisionedKind.statefulSet, .daemonSet])
    func rollbackToRevision(kind: KubernetesRevisionedKind) async throws {
        try await withKubernetes { h in
            let provider = Self.seed(h, kind)
            // The engine's target carries the version it recorded: once the controller renumbers revision 1, the
            // number names nothing (ControllerRevisions keep no revision history) and the image finds it.
            let target = H.target("1", version: Self.images[0])
            let operation = try await provider.rollback(service: "db", to: target, context: H.context)
            #expect(h.kube.workload(kind, namespace: H.namespace, name: "db")?.image == Self.images[0])
            let repeated = try await provider.rollback(service: "db", to: target, context: H.context)
            #expect(repeated == operation, "written already: the same operation, no second write")
            #expect(h.kube.acceptedPatches.count == 1)
            let statuses = try await Self.follow(provider, operation, target: target)
            #expect(
                statuses == [.inProgress, .succeeded], "the repeated rollback's read was the controller's first step")
            #expect(try Self.revision(h, kind, running: Self.images[0]).revision == 4)
        }
    }

    @Test("a partitioned StatefulSet is rolled out once the pods at or above the partition are updated")
    func partitionRespected() async throws {
        try await withKubernetes { h in
            let provider = Self.seed(h, .statefulSet, partition: 1)
            let target = try Self.revision(h, .statefulSet, running: Self.images[1])
            let operation = try await provider.rollback(service: "db", to: H.target(target.name), context: H.context)
            let statuses = try await Self.follow(provider, operation, target: H.target(target.name))
            #expect(statuses == [.inProgress, .inProgress, .succeeded])
            let db = try #require(h.kube.workload(.statefulSet, namespace: H.namespace, name: "db"))
            #expect(db.currentRevision != db.updateRevision, "the pod below the partition keeps the old revision")
        }
    }

    @Test(
        "a stale resourceVersion: the guarded patch is refused (transient), nothing is overwritten, a retry works",
        arguments: [KubernetesRevisionedKind.statefulSet, .daemonSet])
    func staleResourceVersion(kind: KubernetesRevisionedKind) async throws {
        try await withKubernetes { h in
            let provider = Self.seed(h, kind)
            let target = try Self.revision(h, kind, running: Self.images[1])
            h.kube.interfere(kind, namespace: H.namespace, name: "db", beforeNext: "PATCH")
            let error = await #expect(throws: ProviderError.self) {
                try await provider.rollback(service: "db", to: H.target(target.name), context: H.context)
            }
            #expect(error?.kind == .server && error?.isTransient == true)
            #expect(error?.message.contains("the \(kind.rawValue) changed while Rewind was writing it") == true)
            #expect(h.kube.acceptedPatches.isEmpty)
            #expect(h.kube.workload(kind, namespace: H.namespace, name: "db")?.image == Self.images[2])

            let retried = try await provider.rollback(service: "db", to: H.target(target.name), context: H.context)
            #expect(retried.finished == false && h.kube.acceptedPatches.count == 1)
            #expect(h.kube.workload(kind, namespace: H.namespace, name: "db")?.image == Self.images[1])
        }
    }

    @Test("set_image on a StatefulSet: a strategic merge patch whose stale resourceVersion answers 409")
    func setImageConflict() async throws {
        try await withKubernetes { h in
            let provider = Self.seed(h, .statefulSet, method: .setImage)
            h.kube.interfere(.statefulSet, namespace: H.namespace, name: "db", beforeNext: "PATCH")
            let target = H.target("1", version: Self.images[0])
            let error = await #expect(throws: ProviderError.self) {
                try await provider.rollback(service: "db", to: target, context: H.context)
            }
            #expect(error?.kind == .server && error?.message.contains("409 Conflict") == true)
            _ = try await provider.rollback(service: "db", to: target, context: H.context)
            let patch = try #require(h.kube.acceptedPatches.first)
            #expect(patch.contentType == "application/strategic-merge-patch+json")
            #expect(h.kube.workload(.statefulSet, namespace: H.namespace, name: "db")?.image == Self.images[0])
        }
    }

    @Test(
        "updateStrategy OnDelete is refused, permanently, saying why; nothing is written",
        arguments: [KubernetesRevisionedKind.statefulSet, .daemonSet])
    func onDeleteRefused(kind: KubernetesRevisionedKind) async throws {
        try await withKubernetes { h in
            let provider = Self.seed(h, kind, onDelete: true)
            let target = try Self.revision(h, kind, running: Self.images[1])
            let error = await #expect(throws: ProviderError.self) {
                try await provider.rollback(service: "db", to: H.target(target.name), context: H.context)
            }
            #expect(error?.kind == .rejected && error?.isTransient == false)
            let reference = "\(kind.rawValue.lowercased())/db"
            #expect(error?.message.contains("\(reference) has updateStrategy OnDelete") == true)
            #expect(error?.message.contains("only when someone deletes them") == true)
            #expect(!h.calls.contains { $0.hasPrefix("PATCH") })
        }
    }

    @Test("checkAccess reads the workload and asks for list controllerrevisions and patch on the workload")
    func access() async throws {
        try await withKubernetes { h in
            let provider = Self.seed(h, .daemonSet)
            h.kube.permissions = ["get daemonsets", "list controllerrevisions", "list pods", "create events"]
            let checks = await provider.checkAccess(service: "db")
            #expect(checks.map(\.passed) == [true, true, false, true, true])
            #expect(checks[0].name == "authenticate and read DaemonSet shop/db")
            #expect(checks[2].detail.contains("may not patch daemonsets in namespace shop"))
            let reviews = h.kube.requests.filter { $0.path.hasSuffix("selfsubjectaccessreviews") }
            #expect(
                reviews.map { $0.json?["spec"]?["resourceAttributes"]?["resource"]?.string } == [
                    "controllerrevisions", "daemonsets", "pods", "events",
                ])
        }
    }
}

/// `kubectl rollout status` for StatefulSets and DaemonSets, from answers as the API server writes them.
@Suite("Kubernetes rollout status of StatefulSets and DaemonSets")
struct KubernetesWorkloadProgressTests {
    static func statefulSet(_ status: String, spec: String = #""replicas": 3"#) throws -> KubeStatefulSet {
        try JSONDecoder().decode(
            KubeStatefulSet.self,
            from: Data(
                #"{"metadata": {"name": "db", "generation": 2}, "spec": {\#(spec)}, "status": {\#(status)}}"#.utf8))
    }

    static func daemonSet(_ status: String) throws -> KubeDaemonSet {
        try JSONDecoder().decode(
            KubeDaemonSet.self, from: Data(#"{"metadata": {"generation": 2}, "spec": {}, "status": {\#(status)}}"#.utf8)
        )
    }

    static let revisions = #""currentRevision": "db-a", "updateRevision": "db-a""#

    @Test("StatefulSet: observed, ready, updated (partition respected), current revision caught up")
    func statefulSetRules() throws {
        func progress(
            _ status: String, spec: String = #""replicas": 3"#, generation: Int64 = 0
        ) throws
            -> KubernetesRollout.Progress
        {
            try Self.statefulSet(status, spec: spec).progress(generation: generation)
        }
        let complete = #""observedGeneration": 2, "readyReplicas": 3, "updatedReplicas": 3, "# + Self.revisions
        #expect(try progress(complete) == .done)
        #expect(try progress(complete, generation: 3) != .done, "the rollback's generation is not observed yet")
        #expect(try progress(#""observedGeneration": 1, "readyReplicas": 3"#) != .done)
        #expect(try progress(#""readyReplicas": 3, "updatedReplicas": 3"#) != .done, "observedGeneration 0")
        #expect(try progress(#""observedGeneration": 2, "readyReplicas": 2, "updatedReplicas": 3"#) != .done)
        let moved = #""currentRevision": "db-a", "updateRevision": "db-b""#
        let moving = #""observedGeneration": 2, "readyReplicas": 3, "updatedReplicas": 3, "# + moved
        #expect(try progress(moving) == .waiting("waiting for the rolling update to finish: pods are moving to db-b"))
        let partial = #""observedGeneration": 2, "readyReplicas": 3, "updatedReplicas": 2, "# + moved
        #expect(try progress(partial) != .done)
        let partitioned =
            #""replicas": 3, "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 1}}"#
        #expect(try progress(partial, spec: partitioned) == .done)
        // Hostile numbers: negative counts read as 0, a partition above the replicas as the replicas.
        #expect(try progress(#""observedGeneration": 2, "readyReplicas": -5, "updatedReplicas": -5"#) != .done)
        let huge = #""replicas": 3, "updateStrategy": {"rollingUpdate": {"partition": 9223372036854775807}}"#
        #expect(
            try progress(#""observedGeneration": 2, "readyReplicas": 3, "updatedReplicas": 0"#, spec: huge) == .done)
        let negative = #""replicas": -3"#
        #expect(try progress(#""observedGeneration": 2"#, spec: negative) == .done)
    }

    @Test("DaemonSet: observed, every scheduled pod updated and available")
    func daemonSetRules() throws {
        func progress(_ status: String) throws -> KubernetesRollout.Progress {
            try Self.daemonSet(status).progress(generation: 0)
        }
        let base = #""observedGeneration": 2, "desiredNumberScheduled": 4"#
        #expect(try progress(base + #", "updatedNumberScheduled": 4, "numberAvailable": 4"#) == .done)
        #expect(
            try progress(base + #", "updatedNumberScheduled": 3, "numberAvailable": 4"#)
                == .waiting("3 of 4 new pods have been updated"))
        #expect(
            try progress(base + #", "updatedNumberScheduled": 4, "numberAvailable": 3"#)
                == .waiting("3 of 4 updated pods are available"))
        #expect(try progress(#""observedGeneration": 1, "desiredNumberScheduled": 0"#) != .done)
        #expect(try progress(#""observedGeneration": 2, "desiredNumberScheduled": -4"#) == .done)
    }

    @Test("a ControllerRevision's number is positive or none; its template drops the $patch directive")
    func controllerRevision() throws {
        func decode(_ json: String) throws -> KubeControllerRevision {
            try JSONDecoder().decode(KubeControllerRevision.self, from: Data(json.utf8))
        }
        let data = #""data": {"spec": {"template": {"$patch": "replace", "spec": {}}}}"#
        let revision = try decode(#"{"metadata": {"name": "db-a"}, "revision": 7, "# + data + "}")
        #expect(revision.revision == 7)
        #expect(revision.template == .object(["spec": .object([:])]))
        #expect(try decode(#"{"metadata": {}, "revision": -2}"#).revision == nil)
        #expect(try decode(#"{"metadata": {}, "revision": 0}"#).revision == nil)
        #expect(try decode(#"{"metadata": {}}"#).template == nil)
    }
}
