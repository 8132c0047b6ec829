import Foundation

/// Argo Rollouts, pods and Events: the API server's side and the Argo controller that acts on Rollouts.
///
/// The Argo controller advances one step on each `GET` of the Rollout, as argoproj/argo-rollouts documents it: a new
/// template is observed (its ReplicaSet created or reused, numbered `rollout.argoproj.io/revision` max+1); a template
/// equal to the stable ReplicaSet's skips every step (a rollback); otherwise each read runs one canary step (a
/// `setWeight` scales the canary ReplicaSet, a `pause: {}` waits for a promote); after the last one the new
/// ReplicaSet becomes stable. `status.abort` (status subresource) sends everything back to the stable ReplicaSet and
/// makes the Rollout Degraded; `status.promoteFull` skips the remaining steps.
extension KubernetesEmulatorState {
    // MARK: - Seeding

    mutating func addRollout(
        namespace: String, name: String, images: [String], replicas: Int, labels: [String: String], steps: [Int?]
    ) {
        var rollout = EmulatedRollout(
            namespace: namespace, name: name, uid: nextUID(), created: nextTimestamp(), selector: labels,
            template: Self.template(labels: labels, container: name, image: ""), replicas: replicas, steps: steps,
            resourceVersion: nextResourceVersion(), stableRS: "", currentPodHash: "", currentStepIndex: steps.count
        )
        for (index, image) in images.enumerated() {
            rollout.template = Self.template(labels: labels, container: name, image: image)
            var replicaSet = rolloutReplicaSet(for: rollout)
            replicaSet.annotations[EmulatedRollout.revisionAnnotation] = String(index + 1)
            replicaSet.replicas = index == images.count - 1 ? replicas : 0
            replicaSets[KubernetesKey(namespace, replicaSet.name)] = replicaSet
            rollout.stableRS = replicaSet.labels[EmulatedRollout.hashLabel] ?? ""
            rollout.currentPodHash = rollout.stableRS
        }
        rollouts[rollout.key] = rollout
    }

    mutating func updateRollout(_ key: KubernetesKey, _ change: (inout EmulatedRollout) -> Void) {
        guard var rollout = rollouts[key] else { return }
        change(&rollout)
        rollout.resourceVersion = nextResourceVersion()
        rollouts[key] = rollout
    }

    // MARK: - Controller

    /// One step of the Argo controller, run on each read of the Rollout.
    mutating func reconcileRollout(_ key: KubernetesKey) {
        guard var rollout = rollouts[key] else { return }
        let before = rollout.json()
        defer {
            if rollout.json() != before { rollout.resourceVersion = nextResourceVersion() }
            rollouts[key] = rollout
        }
        if rollout.observedGeneration < rollout.generation {
            observeTemplate(&rollout)
            return
        }
        if rollout.abort {
            rollout.phase = "Degraded"
            rollout.message = "RolloutAborted: Rollout aborted update to revision \(revision(of: rollout) ?? 0)"
            rollout.canaryWeight = 0
            rollout.pausedAtStep = false
            scaleRollout(rollout, only: rollout.stableRS)
            return
        }
        if rollout.fullyPromoted {
            rollout.phase = "Healthy"
            rollout.message = ""
            scaleRollout(rollout, only: rollout.stableRS)
            return
        }
        if rollout.promoteFull {
            rollout.promoteFull = false
            rollout.pausedAtStep = false
            rollout.currentStepIndex = rollout.steps.count
        }
        if rollout.pausedAtStep {
            rollout.phase = "Paused"
            rollout.message = "CanaryPauseStep"
            return
        }
        guard rollout.currentStepIndex < rollout.steps.count else {
            rollout.stableRS = rollout.currentPodHash
            rollout.canaryWeight = 0
            rollout.phase = "Healthy"
            rollout.message = ""
            scaleRollout(rollout, only: rollout.stableRS)
            return
        }
        if let weight = rollout.steps[rollout.currentStepIndex] {
            rollout.canaryWeight = weight
            rollout.currentStepIndex += 1
            rollout.phase = "Progressing"
            rollout.message = "more replicas need to be updated"
            let canary = max(1, (rollout.replicas * weight + 99) / 100)
            setReplicas(ofHash: rollout.currentPodHash, in: rollout, to: canary)
        } else {
            rollout.pausedAtStep = true
            rollout.phase = "Paused"
            rollout.message = "CanaryPauseStep"
        }
    }

    /// A new spec: the ReplicaSet of its template, renumbered; back to the stable one skips every step.
    private mutating func observeTemplate(_ rollout: inout EmulatedRollout) {
        rollout.observedGeneration = rollout.generation
        var replicaSet = rolloutReplicaSet(for: rollout)
        let hash = replicaSet.labels[EmulatedRollout.hashLabel] ?? ""
        guard hash != rollout.currentPodHash else { return }
        let next = (rolloutReplicaSets(of: rollout).compactMap(Self.rolloutRevision).max() ?? 0) + 1
        replicaSet.annotations[EmulatedRollout.revisionAnnotation] = String(next)
        replicaSet.resourceVersion = nextResourceVersion()
        replicaSets[KubernetesKey(rollout.namespace, replicaSet.name)] = replicaSet
        rollout.currentPodHash = hash
        rollout.abort = false
        rollout.promoteFull = false
        rollout.pausedAtStep = false
        rollout.deadlineExceeded = false
        rollout.canaryWeight = 0
        rollout.phase = "Progressing"
        if hash == rollout.stableRS {
            rollout.currentStepIndex = rollout.steps.count
            rollout.message = "more replicas need to be updated"
        } else {
            rollout.currentStepIndex = 0
            rollout.message = ""
        }
    }

    /// The ReplicaSet of the Rollout's template: the one it owns already, or a new one (not stored).
    private mutating func rolloutReplicaSet(for rollout: EmulatedRollout) -> EmulatedReplicaSet {
        let template = Self.withoutRolloutHash(rollout.template)
        let hash = Self.podTemplateHash(template)
        if let existing = rolloutReplicaSets(of: rollout).first(where: { $0.labels[EmulatedRollout.hashLabel] == hash })
        {
            return existing
        }
        var labels = template["metadata"]?["labels"]?.stringMap ?? [:]
        labels[EmulatedRollout.hashLabel] = hash
        var hashed = template
        hashed["metadata"] = (hashed["metadata"] ?? .object([:])).applyingMergePatch(
            .object(["labels": .strings(labels)]))
        return EmulatedReplicaSet(
            namespace: rollout.namespace, name: "\(rollout.name)-\(hash)", uid: nextUID(), created: nextTimestamp(),
            ownerUID: rollout.uid, ownerName: rollout.name, labels: labels, annotations: [:], template: hashed,
            replicas: 0, resourceVersion: nextResourceVersion(), ownerKind: "Rollout",
            ownerAPIVersion: "argoproj.io/v1alpha1"
        )
    }

    /// The Rollout's ReplicaSets (by controller owner reference), newest revision first.
    func rolloutReplicaSets(of rollout: EmulatedRollout) -> [EmulatedReplicaSet] {
        replicaSets.values
            .filter { $0.namespace == rollout.namespace && $0.ownerUID == rollout.uid }
            .sorted { (Self.rolloutRevision($0) ?? 0, $0.name) > (Self.rolloutRevision($1) ?? 0, $1.name) }
    }

    static func rolloutRevision(_ replicaSet: EmulatedReplicaSet) -> Int? {
        replicaSet.annotations[EmulatedRollout.revisionAnnotation].flatMap { Int($0) }
    }

    private func revision(of rollout: EmulatedRollout) -> Int? {
        rolloutReplicaSets(of: rollout).first { $0.labels[EmulatedRollout.hashLabel] == rollout.currentPodHash }
            .flatMap(Self.rolloutRevision)
    }

    private mutating func scaleRollout(_ rollout: EmulatedRollout, only hash: String) {
        for replicaSet in rolloutReplicaSets(of: rollout) {
            let wanted = replicaSet.labels[EmulatedRollout.hashLabel] == hash ? rollout.replicas : 0
            if replicaSet.replicas != wanted {
                setReplicas(ofHash: replicaSet.labels[EmulatedRollout.hashLabel] ?? "", in: rollout, to: wanted)
            }
        }
    }

    private mutating func setReplicas(ofHash hash: String, in rollout: EmulatedRollout, to replicas: Int) {
        guard
            var replicaSet = rolloutReplicaSets(of: rollout).first(where: {
                $0.labels[EmulatedRollout.hashLabel] == hash
            })
        else { return }
        replicaSet.replicas = replicas
        replicaSet.resourceVersion = nextResourceVersion()
        replicaSets[KubernetesKey(replicaSet.namespace, replicaSet.name)] = replicaSet
    }

    static func withoutRolloutHash(_ template: KubernetesJSON) -> KubernetesJSON {
        guard var labels = template["metadata"]?["labels"]?.object else { return template }
        labels.removeValue(forKey: EmulatedRollout.hashLabel)
        var result = template
        var metadata = template["metadata"] ?? .object([:])
        metadata["labels"] = labels.isEmpty ? nil : .object(labels)
        result["metadata"] = metadata
        return result
    }

    func snapshot(of rollout: EmulatedRollout) -> KubernetesRolloutSnapshot {
        KubernetesRolloutSnapshot(
            name: rollout.name, image: Self.firstImage(of: rollout.template), phase: rollout.phase,
            stableRS: rollout.stableRS, currentPodHash: rollout.currentPodHash,
            currentStepIndex: rollout.currentStepIndex, abort: rollout.abort, canaryWeight: rollout.canaryWeight,
            generation: rollout.generation, observedGeneration: rollout.observedGeneration,
            resourceVersion: rollout.resourceVersion)
    }

    // MARK: - API

    mutating func getRollout(_ key: KubernetesKey) -> KubernetesAnswer {
        guard rollouts[key] != nil else { return rolloutNotFound(key.name) }
        reconcileRollout(key)
        return .json(rollouts[key]!.json())
    }

    /// A PATCH of the Rollout's spec (JSON patch, merge patch): a new template or replica count is a new generation.
    mutating func patchRollout(_ key: KubernetesKey, _ request: KubernetesRequest) -> KubernetesAnswer {
        guard var rollout = rollouts[key] else { return rolloutNotFound(key.name) }
        if request.contentType == "application/strategic-merge-patch+json" {
            return .failure(
                415, reason: "UnsupportedMediaType",
                message: "the body of the request was in an unknown format - accepted media types include: "
                    + "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml")
        }
        let patched: KubernetesJSON
        switch patch(
            rollout.json(), request, resourceVersion: rollout.resourceVersion, resource: "rollouts", name: key.name)
        {
        case .success(let value): patched = value
        case .failure(let failure): return failure.answer
        }
        guard let template = Self.validTemplate(of: patched) else {
            return Self.invalidTemplate(kind: "Rollout", name: key.name)
        }
        let newTemplate = Self.withoutRolloutHash(template)
        let replicas = patched["spec"]?["replicas"]?.int ?? rollout.replicas
        guard newTemplate != rollout.template || replicas != rollout.replicas else { return .json(rollout.json()) }
        rollout.template = newTemplate
        rollout.replicas = replicas
        rollout.generation += 1
        rollout.resourceVersion = nextResourceVersion()
        rollouts[key] = rollout
        return .json(rollout.json())
    }

    /// A merge patch of the status subresource, as `kubectl argo rollouts abort | promote | retry` send:
    /// `abort`, `promoteFull`, `pauseConditions: null`, `currentStepIndex`. Never a new generation.
    mutating func patchRolloutStatus(_ key: KubernetesKey, _ request: KubernetesRequest) -> KubernetesAnswer {
        guard var rollout = rollouts[key] else { return rolloutNotFound(key.name) }
        guard request.contentType == "application/merge-patch+json" || request.contentType == "application/json",
            let body = KubernetesJSON.parse(request.body), let status = body["status"]?.object
        else {
            return .failure(400, reason: "BadRequest", message: "expected a merge patch of status")
        }
        if let abort = status["abort"]?.bool { rollout.abort = abort }
        if let full = status["promoteFull"]?.bool { rollout.promoteFull = full }
        if status["pauseConditions"] == .null, rollout.pausedAtStep {
            rollout.pausedAtStep = false
            rollout.currentStepIndex += 1
        }
        if let index = status["currentStepIndex"]?.int, (0...rollout.steps.count).contains(index) {
            rollout.currentStepIndex = index
        }
        rollout.resourceVersion = nextResourceVersion()
        rollouts[key] = rollout
        return .json(rollout.json())
    }

    private func rolloutNotFound(_ name: String) -> KubernetesAnswer {
        .failure(404, reason: "NotFound", message: "rollouts.argoproj.io \"\(name)\" not found")
    }

    // MARK: - Pods

    /// The pods of every ReplicaSet with replicas: `<replicaset>-<n>`, with the ReplicaSet's template labels; a pod
    /// of a crash-looping image waits in `CrashLoopBackOff`.
    func listPods(_ namespace: String, _ request: KubernetesRequest) -> KubernetesAnswer {
        let selector: KubernetesLabelSelector
        switch labelSelector(of: request) {
        case .success(let parsed): selector = parsed
        case .failure(let failure): return failure.answer
        }
        var pods: [KubernetesJSON] = []
        for replicaSet in replicaSets.values.sorted(by: { $0.name < $1.name })
        where replicaSet.namespace == namespace && replicaSet.replicas > 0 {
            let labels = replicaSet.template["metadata"]?["labels"]?.stringMap ?? replicaSet.labels
            guard selector.matches(labels) else { continue }
            let image = Self.firstImage(of: replicaSet.template) ?? ""
            let container = replicaSet.template["spec"]?["containers"]?[0]?["name"]?.string ?? "app"
            for index in 0..<replicaSet.replicas {
                let name = "\(replicaSet.name)-\(index)"
                let state: KubernetesJSON =
                    crashLoopingImages.contains(image)
                    ? .object([
                        "waiting": .object([
                            "reason": .string("CrashLoopBackOff"),
                            "message": .string(
                                "back-off 5m0s restarting failed container=\(container) pod=\(name)_\(namespace)"),
                        ])
                    ])
                    : .object(["running": .object(["startedAt": .string(replicaSet.created)])])
                pods.append(
                    .object([
                        "apiVersion": .string("v1"), "kind": .string("Pod"),
                        "metadata": .object([
                            "name": .string(name), "namespace": .string(namespace), "labels": .strings(labels),
                        ]),
                        "status": .object([
                            "phase": .string("Running"),
                            "containerStatuses": .array([
                                .object([
                                    "name": .string(container), "image": .string(image),
                                    "ready": .bool(!crashLoopingImages.contains(image)),
                                    "restartCount": .number(crashLoopingImages.contains(image) ? 5 : 0),
                                    "state": state,
                                ])
                            ]),
                        ]),
                    ]))
            }
        }
        let limit = request.query["limit"].flatMap { Int($0) }.map { $0 > 0 ? $0 : Int.max } ?? Int.max
        return .json(
            .object([
                "kind": .string("PodList"), "apiVersion": .string("v1"), "metadata": .object([:]),
                "items": .array(Array(pods.prefix(limit))),
            ]))
    }

    // MARK: - Events

    /// `POST /api/v1/namespaces/{ns}/events`: an Event needs an involved object, a reason, a message and a type
    /// (`Normal` or `Warning`); its name comes from `generateName`.
    mutating func createEvent(_ namespace: String, _ request: KubernetesRequest) -> KubernetesAnswer {
        guard var body = KubernetesJSON.parse(request.body), let involved = body["involvedObject"],
            let involvedName = involved["name"]?.string, !involvedName.isEmpty
        else {
            return .failure(
                422, reason: "Invalid", message: "Event is invalid: involvedObject.name: Required value")
        }
        guard let type = body["type"]?.string, ["Normal", "Warning"].contains(type) else {
            return .failure(
                422, reason: "Invalid", message: "Event is invalid: type: Unsupported value: must be Normal or Warning")
        }
        guard let reason = body["reason"]?.string, !reason.isEmpty, reason.count <= 128 else {
            return .failure(422, reason: "Invalid", message: "Event is invalid: reason: Required value")
        }
        let name = (body["metadata"]?["generateName"]?.string ?? "\(involvedName).") + String(nextResourceVersion())
        body["metadata"] = .object(["name": .string(name), "namespace": .string(namespace)])
        events.append(
            KubernetesEventSnapshot(
                name: name, namespace: namespace, involvedKind: involved["kind"]?.string, involvedName: involvedName,
                involvedUID: involved["uid"]?.string, reason: reason, type: type, message: body["message"]?.string,
                reportingComponent: body["reportingComponent"]?.string))
        return .json(body, status: 201)
    }
}
