import Foundation

/// The emulator's objects and the deployment controller that acts on them. Used under the emulator's lock.
struct KubernetesEmulatorState: Sendable {
    static let revisionAnnotation = "deployment.kubernetes.io/revision"
    static let revisionHistoryAnnotation = "deployment.kubernetes.io/revision-history"
    static let hashLabel = "pod-template-hash"

    var token: String?
    var permissions: Set<String>?
    var user = "system:serviceaccount:rewind:rewind"
    var replicaSetPageSize = 500
    var deployments: [KubernetesKey: EmulatedDeployment] = [:]
    var replicaSets: [KubernetesKey: EmulatedReplicaSet] = [:]
    var workloads: [EmulatedWorkloadKey: EmulatedWorkload] = [:]
    var controllerRevisions: [KubernetesKey: EmulatedControllerRevision] = [:]
    var rollouts: [KubernetesKey: EmulatedRollout] = [:]
    /// core/v1 Events created through the API, in order.
    var events: [KubernetesEventSnapshot] = []
    /// Images whose containers crash-loop: every pod of a ReplicaSet with one of them waits in `CrashLoopBackOff`.
    var crashLoopingImages: Set<String> = []
    /// Flux objects (Kustomizations, HelmReleases) by `group/resource` and key: `KubernetesEmulator+Flux.swift`.
    var fluxObjects: [FluxObjectKey: KubernetesJSON] = [:]
    var faults: [KubernetesFault] = []
    var delays: [Duration] = []
    var received: [KubernetesReceivedRequest] = []
    private var sequence = 0

    init(token: String?) {
        self.token = token
    }

    // MARK: - Seeding

    mutating func addDeployment(
        namespace: String, name: String, images: [String], replicas: Int, labels: [String: String]
    ) {
        var deployment = EmulatedDeployment(
            namespace: namespace, name: name, uid: nextUID(), created: nextTimestamp(), labels: labels,
            selector: labels, annotations: [:], template: Self.template(labels: labels, container: name, image: ""),
            replicas: replicas, resourceVersion: nextResourceVersion(), statusReplicas: replicas,
            updatedReplicas: replicas, availableReplicas: replicas
        )
        for (index, image) in images.enumerated() {
            deployment.template = Self.template(labels: labels, container: name, image: image)
            var replicaSet = makeReplicaSet(for: deployment)
            replicaSet.annotations[Self.revisionAnnotation] = String(index + 1)
            replicaSet.replicas = index == images.count - 1 ? replicas : 0
            replicaSets[KubernetesKey(namespace, replicaSet.name)] = replicaSet
        }
        deployment.annotations[Self.revisionAnnotation] = String(images.count)
        deployments[deployment.key] = deployment
    }

    mutating func addForeignReplicaSet(
        namespace: String, name: String, labels: [String: String], image: String, revision: Int
    ) {
        let template = Self.template(labels: labels, container: name, image: image)
        replicaSets[KubernetesKey(namespace, name)] = EmulatedReplicaSet(
            namespace: namespace, name: name, uid: nextUID(), created: nextTimestamp(), ownerUID: nil, ownerName: nil,
            labels: labels, annotations: [Self.revisionAnnotation: String(revision)], template: template, replicas: 1,
            resourceVersion: nextResourceVersion()
        )
    }

    mutating func setImage(namespace: String, name: String, image: String) {
        update(namespace: namespace, name: name) { deployment in
            let container = deployment.template["spec"]?["containers"]?[0]?["name"]?.string ?? name
            deployment.template = Self.template(labels: deployment.selector, container: container, image: image)
            deployment.generation += 1
        }
    }

    mutating func update(namespace: String, name: String, _ change: (inout EmulatedDeployment) -> Void) {
        guard var deployment = deployments[KubernetesKey(namespace, name)] else { return }
        change(&deployment)
        deployment.resourceVersion = nextResourceVersion()
        deployments[deployment.key] = deployment
    }

    // MARK: - Controller

    /// One step of the deployment controller, run on each read of the Deployment.
    mutating func reconcile(_ key: KubernetesKey) {
        guard var deployment = deployments[key] else { return }
        defer { deployments[key] = deployment }
        if deployment.observedGeneration < deployment.generation {
            deployment.observedGeneration = deployment.generation
            deployment.resourceVersion = nextResourceVersion()
            guard !deployment.paused else { return }
            let current = owned(by: deployment).first { $0.revision == deployment.revision }
            if let current, Self.sameTemplate(current.template, deployment.template) {
                // Only the scale changed.
                scaleReplicaSet(current.name, namespace: deployment.namespace, to: deployment.replicas)
                deployment.statusReplicas = deployment.replicas
                deployment.updatedReplicas = deployment.replicas
                deployment.availableReplicas = deployment.replicas
                return
            }
            startRollout(&deployment, from: current)
            return
        }
        switch deployment.rollout {
        case .started?:
            deployment.updatedReplicas = deployment.replicas
            deployment.statusReplicas = deployment.replicas + 1
            deployment.availableReplicas = max(0, deployment.replicas - 1)
            deployment.rollout = .updated
            deployment.resourceVersion = nextResourceVersion()
        case .updated?:
            deployment.statusReplicas = deployment.replicas
            deployment.availableReplicas = deployment.replicas
            deployment.progressing = (
                "True", "NewReplicaSetAvailable",
                "ReplicaSet \"\(newReplicaSetName(deployment))\" has successfully progressed."
            )
            deployment.rollout = nil
            deployment.resourceVersion = nextResourceVersion()
        case .failed?, nil:
            break
        }
    }

    /// Picks the ReplicaSet of the new template (reusing an old one: a rollback) and gives it the next revision.
    private mutating func startRollout(_ deployment: inout EmulatedDeployment, from current: EmulatedReplicaSet?) {
        let history = owned(by: deployment)
        let nextRevision = (history.compactMap(\.revision).max() ?? 0) + 1
        var target =
            history.first { Self.sameTemplate($0.template, deployment.template) } ?? makeReplicaSet(for: deployment)
        if let old = target.revision {
            let earlier = target.annotations[Self.revisionHistoryAnnotation].map { $0 + "," } ?? ""
            target.annotations[Self.revisionHistoryAnnotation] = earlier + String(old)
        }
        target.annotations[Self.revisionAnnotation] = String(nextRevision)
        target.replicas = deployment.replicas
        target.resourceVersion = nextResourceVersion()
        replicaSets[KubernetesKey(deployment.namespace, target.name)] = target
        if let current, current.name != target.name {
            scaleReplicaSet(current.name, namespace: deployment.namespace, to: 0)
        }
        // Old ReplicaSets beyond spec.revisionHistoryLimit are deleted, oldest first.
        for pruned in owned(by: deployment).dropFirst(deployment.revisionHistoryLimit + 1) {
            replicaSets.removeValue(forKey: KubernetesKey(pruned.namespace, pruned.name))
        }
        deployment.annotations[Self.revisionAnnotation] = String(nextRevision)
        deployment.updatedReplicas = 0
        deployment.statusReplicas = deployment.replicas
        deployment.availableReplicas = deployment.replicas
        if deployment.failNextRollout {
            deployment.failNextRollout = false
            deployment.rollout = .failed
            deployment.availableReplicas = max(0, deployment.replicas - 1)
            deployment.progressing = (
                "False", "ProgressDeadlineExceeded", "ReplicaSet \"\(target.name)\" has timed out progressing."
            )
        } else {
            deployment.rollout = .started
            deployment.progressing = ("True", "ReplicaSetUpdated", "ReplicaSet \"\(target.name)\" is progressing.")
        }
    }

    private mutating func scaleReplicaSet(_ name: String, namespace: String, to replicas: Int) {
        let key = KubernetesKey(namespace, name)
        guard replicaSets[key]?.replicas != replicas else { return }
        let version = nextResourceVersion()
        replicaSets[key]?.replicas = replicas
        replicaSets[key]?.resourceVersion = version
    }

    private func newReplicaSetName(_ deployment: EmulatedDeployment) -> String {
        owned(by: deployment).first { $0.revision == deployment.revision }?.name ?? deployment.name
    }

    private mutating func makeReplicaSet(for deployment: EmulatedDeployment) -> EmulatedReplicaSet {
        let hash = Self.podTemplateHash(deployment.template)
        var labels = deployment.template["metadata"]?["labels"]?.stringMap ?? [:]
        labels[Self.hashLabel] = hash
        var template = deployment.template
        template["metadata"] = (template["metadata"] ?? .object([:])).applyingMergePatch(
            .object(["labels": .strings(labels)])
        )
        return EmulatedReplicaSet(
            namespace: deployment.namespace, name: "\(deployment.name)-\(hash)", uid: nextUID(),
            created: nextTimestamp(), ownerUID: deployment.uid, ownerName: deployment.name, labels: labels,
            annotations: [:], template: template, replicas: 0, resourceVersion: nextResourceVersion()
        )
    }

    /// The Deployment's ReplicaSets (by controller owner reference), newest revision first.
    func owned(by deployment: EmulatedDeployment) -> [EmulatedReplicaSet] {
        replicaSets.values
            .filter { $0.namespace == deployment.namespace && $0.ownerUID == deployment.uid }
            .sorted { ($0.revision ?? 0, $0.name) > ($1.revision ?? 0, $1.name) }
    }

    func snapshot(of deployment: EmulatedDeployment) -> KubernetesDeploymentSnapshot {
        KubernetesDeploymentSnapshot(
            namespace: deployment.namespace, name: deployment.name, image: Self.firstImage(of: deployment.template),
            revision: deployment.revision, annotations: deployment.annotations,
            templateLabels: deployment.template["metadata"]?["labels"]?.stringMap ?? [:],
            generation: deployment.generation, observedGeneration: deployment.observedGeneration,
            replicas: deployment.replicas, updatedReplicas: deployment.updatedReplicas,
            availableReplicas: deployment.availableReplicas, paused: deployment.paused,
            rolledOut: deployment.observedGeneration >= deployment.generation && deployment.rollout == nil
        )
    }

    // MARK: - Templates

    static func template(labels: [String: String], container: String, image: String) -> KubernetesJSON {
        .object([
            "metadata": .object(["labels": .strings(labels)]),
            "spec": .object([
                "containers": .array([
                    .object([
                        "name": .string(container), "image": .string(image),
                        "imagePullPolicy": .string("IfNotPresent"),
                    ])
                ]),
                "restartPolicy": .string("Always"),
            ]),
        ])
    }

    static func firstImage(of template: KubernetesJSON) -> String? {
        template["spec"]?["containers"]?[0]?["image"]?.string
    }

    /// The template without its `pod-template-hash` label (and without an emptied label map).
    static func withoutHash(_ template: KubernetesJSON) -> KubernetesJSON {
        guard var labels = template["metadata"]?["labels"]?.object else { return template }
        labels.removeValue(forKey: hashLabel)
        var result = template
        var metadata = template["metadata"] ?? .object([:])
        metadata["labels"] = labels.isEmpty ? nil : .object(labels)
        result["metadata"] = metadata
        return result
    }

    static func sameTemplate(_ a: KubernetesJSON, _ b: KubernetesJSON) -> Bool {
        withoutHash(a) == withoutHash(b)
    }

    /// A stable ten-character hash of the template, in the alphabet Kubernetes uses for names.
    static func podTemplateHash(_ template: KubernetesJSON) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in withoutHash(template).encoded {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")
        var name = ""
        for _ in 0..<10 {
            name.append(alphabet[Int(hash % UInt64(alphabet.count))])
            hash /= UInt64(alphabet.count)
        }
        return name
    }

    // MARK: - Counters

    mutating func nextResourceVersion() -> Int {
        sequence += 1
        return 1000 + sequence
    }

    mutating func nextUID() -> String {
        sequence += 1
        let hex = String(sequence, radix: 16)
        return "6f1c2a4e-0000-4000-8000-" + String(repeating: "0", count: max(0, 12 - hex.count)) + hex
    }

    mutating func nextTimestamp() -> String {
        sequence += 1
        let date = Date(timeIntervalSince1970: 1_772_366_400 + Double(sequence) * 60)
        return date.formatted(.iso8601)
    }
}
