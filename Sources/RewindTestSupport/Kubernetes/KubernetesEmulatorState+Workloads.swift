import Foundation

/// `kind/namespace/name` of a StatefulSet or DaemonSet.
struct EmulatedWorkloadKey: Hashable, Sendable {
    var kind: KubernetesRevisionedKind
    var key: KubernetesKey
}

/// StatefulSets and DaemonSets, their ControllerRevisions, and the controller that rolls them out.
extension KubernetesEmulatorState {
    // MARK: - Seeding

    mutating func addWorkload(
        _ kind: KubernetesRevisionedKind, namespace: String, name: String, images: [String], replicas: Int,
        labels: [String: String], onDelete: Bool, partition: Int
    ) {
        var workload = EmulatedWorkload(
            kind: kind, namespace: namespace, name: name, uid: nextUID(), created: nextTimestamp(), selector: labels,
            template: Self.template(labels: labels, container: name, image: ""), replicas: replicas,
            updateStrategy: onDelete ? "OnDelete" : "RollingUpdate", partition: partition,
            resourceVersion: nextResourceVersion(), updatedReplicas: replicas, readyReplicas: replicas,
            currentRevision: "", updateRevision: ""
        )
        for image in images {
            workload.template = Self.template(labels: labels, container: name, image: image)
            workload.updateRevision = recordRevision(of: workload).name
        }
        workload.currentRevision = workload.updateRevision
        workloads[EmulatedWorkloadKey(kind: kind, key: workload.key)] = workload
    }

    mutating func addForeignControllerRevision(
        namespace: String, name: String, labels: [String: String], image: String, revision: Int
    ) {
        controllerRevisions[KubernetesKey(namespace, name)] = EmulatedControllerRevision(
            namespace: namespace, name: name, uid: nextUID(), created: nextTimestamp(), owner: nil, labels: labels,
            template: Self.template(labels: labels, container: name, image: image), revision: revision,
            resourceVersion: nextResourceVersion()
        )
    }

    /// Applies `change` to the workload as a writer would: a new `resourceVersion`, and a new generation when the
    /// spec changed.
    mutating func updateWorkload(
        _ kind: KubernetesRevisionedKind, namespace: String, name: String, _ change: (inout EmulatedWorkload) -> Void
    ) {
        let key = EmulatedWorkloadKey(kind: kind, key: KubernetesKey(namespace, name))
        guard var workload = workloads[key] else { return }
        let before = (workload.template, workload.replicas)
        change(&workload)
        if before != (workload.template, workload.replicas) { workload.generation += 1 }
        workload.resourceVersion = nextResourceVersion()
        workloads[key] = workload
    }

    // MARK: - Controller

    /// One step of the StatefulSet or DaemonSet controller, run on each read of the workload: observe a new
    /// generation and pick (or reuse, renumbering it) the revision of the template → update the pods at or above
    /// the partition, one still not ready → all ready, and (without a partition) the current revision caught up.
    /// Under `OnDelete` the revision is picked but no pod changes.
    mutating func reconcileWorkload(_ key: EmulatedWorkloadKey) {
        guard var workload = workloads[key] else { return }
        defer { workloads[key] = workload }
        if workload.observedGeneration < workload.generation {
            workload.observedGeneration = workload.generation
            workload.resourceVersion = nextResourceVersion()
            let revision = recordRevision(of: workload)
            guard revision.name != workload.updateRevision else { return }
            workload.updateRevision = revision.name
            guard workload.updateStrategy == "RollingUpdate" else { return }
            workload.updatedReplicas = 0
            workload.readyReplicas = max(0, workload.replicas - 1)
            workload.rollout = .started
            return
        }
        switch workload.rollout {
        case .started?:
            workload.updatedReplicas = workload.replicas - min(workload.partition, workload.replicas)
            workload.rollout = .updated
        case .updated?:
            workload.readyReplicas = workload.replicas
            if workload.partition == 0 { workload.currentRevision = workload.updateRevision }
            workload.rollout = nil
        case nil:
            return
        }
        workload.resourceVersion = nextResourceVersion()
    }

    /// The workload's revision of its current template: an existing one (renumbered to the next revision unless it
    /// is the newest, as the controllers do on a rollback) or a new one.
    private mutating func recordRevision(of workload: EmulatedWorkload) -> EmulatedControllerRevision {
        let history = revisions(ownedBy: workload)
        let next = (history.map(\.revision).max() ?? 0) + 1
        if var existing = history.first(where: { $0.template == workload.template }) {
            if existing.revision != next - 1 {
                existing.revision = next
                existing.resourceVersion = nextResourceVersion()
                controllerRevisions[KubernetesKey(existing.namespace, existing.name)] = existing
            }
            return existing
        }
        let hash = Self.podTemplateHash(workload.template)
        var labels = workload.selector
        labels[EmulatedControllerRevision.hashLabel] = hash
        let revision = EmulatedControllerRevision(
            namespace: workload.namespace, name: "\(workload.name)-\(hash)", uid: nextUID(), created: nextTimestamp(),
            owner: (workload.kind, workload.name, workload.uid), labels: labels, template: workload.template,
            revision: next, resourceVersion: nextResourceVersion()
        )
        controllerRevisions[KubernetesKey(revision.namespace, revision.name)] = revision
        return revision
    }

    /// The workload's ControllerRevisions (by controller owner reference), newest revision first.
    func revisions(ownedBy workload: EmulatedWorkload) -> [EmulatedControllerRevision] {
        controllerRevisions.values
            .filter { $0.namespace == workload.namespace && $0.owner?.uid == workload.uid }
            .sorted { $0.revision > $1.revision }
    }

    func snapshot(of workload: EmulatedWorkload) -> KubernetesWorkloadSnapshot {
        KubernetesWorkloadSnapshot(
            kind: workload.kind, name: workload.name, image: Self.firstImage(of: workload.template),
            generation: workload.generation, observedGeneration: workload.observedGeneration,
            resourceVersion: workload.resourceVersion, currentRevision: workload.currentRevision,
            updateRevision: workload.updateRevision,
            rolledOut: workload.observedGeneration >= workload.generation && workload.rollout == nil
        )
    }

    // MARK: - API

    mutating func getWorkload(_ key: EmulatedWorkloadKey) -> KubernetesAnswer {
        guard workloads[key] != nil else { return notFound(key.kind.resource, key.key.name) }
        reconcileWorkload(key)
        return .json(workloads[key]!.json())
    }

    /// A PATCH of the workload: its template (every container needs a name and an image) and labels; a template
    /// change bumps the generation.
    mutating func patchWorkload(_ key: EmulatedWorkloadKey, _ request: KubernetesRequest) -> KubernetesAnswer {
        guard var workload = workloads[key] else { return notFound(key.kind.resource, key.key.name) }
        let patched: KubernetesJSON
        switch patch(
            workload.json(), request, resourceVersion: workload.resourceVersion, resource: key.kind.resource,
            name: key.key.name)
        {
        case .success(let value): patched = value
        case .failure(let failure): return failure.answer
        }
        guard let template = Self.validTemplate(of: patched) else {
            return Self.invalidTemplate(kind: key.kind.rawValue, name: key.key.name)
        }
        let labels = patched["metadata"]?["labels"]?.stringMap ?? workload.labels
        guard template != workload.template || labels != workload.labels else { return .json(workload.json()) }
        if template != workload.template { workload.generation += 1 }
        workload.template = template
        workload.labels = labels
        workload.resourceVersion = nextResourceVersion()
        if request.query["dryRun"] == nil { workloads[key] = workload }
        return .json(workload.json())
    }

    func listControllerRevisions(_ namespace: String, _ request: KubernetesRequest) -> KubernetesAnswer {
        let selector: KubernetesLabelSelector
        switch labelSelector(of: request) {
        case .success(let parsed): selector = parsed
        case .failure(let failure): return failure.answer
        }
        let items = controllerRevisions.values
            .filter { $0.namespace == namespace && selector.matches($0.labels) }
            .sorted { $0.name < $1.name }
        let version = controllerRevisions.values.map(\.resourceVersion).max() ?? 0
        return .json(
            .object([
                "kind": .string("ControllerRevisionList"), "apiVersion": .string("apps/v1"),
                "metadata": .object(["resourceVersion": .string(String(version))]),
                "items": .array(items.map { $0.json() }),
            ])
        )
    }
}
