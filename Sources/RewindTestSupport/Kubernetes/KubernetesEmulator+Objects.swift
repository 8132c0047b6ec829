import Foundation

/// `namespace/name`.
struct KubernetesKey: Hashable, Sendable {
    var namespace: String
    var name: String

    init(_ namespace: String, _ name: String) {
        self.namespace = namespace
        self.name = name
    }
}

/// A Deployment: its spec, the status the controller writes, and the emulator's rollout bookkeeping.
struct EmulatedDeployment: Sendable {
    /// Where the controller is in a rollout; one step per read of the Deployment.
    enum Rollout: Sendable {
        /// Observed, new ReplicaSet scaled up, no pod updated yet.
        case started
        /// All pods updated, old ones still terminating.
        case updated
        /// `ProgressDeadlineExceeded`; stays until the next spec change.
        case failed
    }

    var namespace: String
    var name: String
    var uid: String
    var created: String
    var labels: [String: String]
    var selector: [String: String]
    var annotations: [String: String]
    /// `spec.template`, without a `pod-template-hash` label.
    var template: KubernetesJSON
    var replicas: Int
    var paused = false
    var revisionHistoryLimit = 10
    var generation = 1
    var observedGeneration = 1
    var resourceVersion = 1
    var statusReplicas: Int
    var updatedReplicas: Int
    var availableReplicas: Int
    var rollout: Rollout?
    var failNextRollout = false
    var progressing = (status: "True", reason: "NewReplicaSetAvailable", message: "")

    var key: KubernetesKey { KubernetesKey(namespace, name) }

    var revision: Int? { annotations[KubernetesEmulatorState.revisionAnnotation].flatMap { Int($0) } }

    func json() -> KubernetesJSON {
        let conditions: [KubernetesJSON] = [
            .object([
                "type": .string("Available"),
                "status": .string(availableReplicas >= replicas ? "True" : "False"),
                "reason": .string(
                    availableReplicas >= replicas ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable"),
            ]),
            .object([
                "type": .string("Progressing"), "status": .string(progressing.status),
                "reason": .string(progressing.reason), "message": .string(progressing.message),
            ]),
        ]
        return .object([
            "apiVersion": .string("apps/v1"),
            "kind": .string("Deployment"),
            "metadata": .object([
                "name": .string(name), "namespace": .string(namespace), "uid": .string(uid),
                "resourceVersion": .string(String(resourceVersion)), "generation": .number(Double(generation)),
                "creationTimestamp": .string(created), "labels": .strings(labels), "annotations": .strings(annotations),
            ]),
            "spec": .object([
                "replicas": .number(Double(replicas)),
                "selector": .object(["matchLabels": .strings(selector)]),
                "template": template,
                "paused": .bool(paused),
                "revisionHistoryLimit": .number(Double(revisionHistoryLimit)),
                "progressDeadlineSeconds": .number(600),
            ]),
            "status": .object([
                "observedGeneration": .number(Double(observedGeneration)),
                "replicas": .number(Double(statusReplicas)),
                "updatedReplicas": .number(Double(updatedReplicas)),
                "readyReplicas": .number(Double(availableReplicas)),
                "availableReplicas": .number(Double(availableReplicas)),
                "unavailableReplicas": .number(Double(max(0, statusReplicas - availableReplicas))),
                "conditions": .array(conditions),
            ]),
        ])
    }

    func scaleJSON() -> KubernetesJSON {
        .object([
            "apiVersion": .string("autoscaling/v1"),
            "kind": .string("Scale"),
            "metadata": .object([
                "name": .string(name), "namespace": .string(namespace), "uid": .string(uid),
                "resourceVersion": .string(String(resourceVersion)),
            ]),
            "spec": .object(["replicas": .number(Double(replicas))]),
            "status": .object([
                "replicas": .number(Double(statusReplicas)),
                "selector": .string(
                    selector.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")),
            ]),
        ])
    }
}

/// A ReplicaSet: one pod template of a Deployment's history.
struct EmulatedReplicaSet: Sendable {
    var namespace: String
    var name: String
    var uid: String
    var created: String
    /// The owning Deployment's uid (`ownerReferences[].controller: true`); nil for a foreign one.
    var ownerUID: String?
    var ownerName: String?
    var labels: [String: String]
    var annotations: [String: String]
    /// `spec.template`, with its `pod-template-hash` label.
    var template: KubernetesJSON
    var replicas: Int
    var resourceVersion: Int
    /// The owner's kind, as its `ownerReferences` name it.
    var ownerKind = "Deployment"
    var ownerAPIVersion = "apps/v1"

    var revision: Int? { annotations[KubernetesEmulatorState.revisionAnnotation].flatMap { Int($0) } }

    var snapshot: KubernetesReplicaSetSnapshot {
        let history =
            annotations[KubernetesEmulatorState.revisionHistoryAnnotation]?
            .split(separator: ",").compactMap { Int($0) } ?? []
        return KubernetesReplicaSetSnapshot(
            name: name, revision: revision, revisionHistory: history,
            image: KubernetesEmulatorState.firstImage(of: template), replicas: replicas
        )
    }

    func json() -> KubernetesJSON {
        var metadata: [String: KubernetesJSON] = [
            "name": .string(name), "namespace": .string(namespace), "uid": .string(uid),
            "resourceVersion": .string(String(resourceVersion)), "creationTimestamp": .string(created),
            "labels": .strings(labels), "annotations": .strings(annotations), "generation": .number(1),
        ]
        if let ownerUID, let ownerName {
            metadata["ownerReferences"] = .array([
                .object([
                    "apiVersion": .string(ownerAPIVersion), "kind": .string(ownerKind), "name": .string(ownerName),
                    "uid": .string(ownerUID), "controller": .bool(true), "blockOwnerDeletion": .bool(true),
                ])
            ])
        }
        return .object([
            "apiVersion": .string("apps/v1"),
            "kind": .string("ReplicaSet"),
            "metadata": .object(metadata),
            "spec": .object([
                "replicas": .number(Double(replicas)),
                "selector": .object(["matchLabels": .strings(labels)]),
                "template": template,
            ]),
            "status": .object(["replicas": .number(Double(replicas)), "observedGeneration": .number(1)]),
        ])
    }
}

/// One injected fault.
struct KubernetesFault: Sendable {
    enum Kind: Sendable {
        case status(Int, retryAfter: String?)
        case malformed
        /// Not an answer: the workload is changed by someone else, then the request is answered as usual.
        case interference(EmulatedWorkloadKey)
    }

    var remaining: Int
    var kind: Kind
    var method: String?
    var path: String?

    func matches(_ request: KubernetesRequest) -> Bool {
        (method.map { $0.uppercased() == request.method } ?? true) && (path.map { request.path.contains($0) } ?? true)
    }
}

/// One request as the server hands it to the emulator.
struct KubernetesRequest: Sendable {
    var method: String
    var path: String
    var query: [String: String]
    /// Header names lowercased.
    var headers: [String: String]
    var body: Data
    /// The server verified the client's certificate (mutual TLS): the request is authenticated without a token.
    var clientCertificate = false

    var bearerToken: String? {
        guard let authorization = headers["authorization"], authorization.lowercased().hasPrefix("bearer ") else {
            return nil
        }
        return String(authorization.dropFirst("bearer ".count)).trimmingCharacters(in: .whitespaces)
    }

    /// The media type without parameters, lowercased.
    var contentType: String? {
        headers["content-type"].map { $0.split(separator: ";")[0].trimmingCharacters(in: .whitespaces).lowercased() }
    }
}

/// What the emulator answers.
struct KubernetesAnswer: Sendable {
    var status: Int
    var headers: [String: String] = [:]
    var body: Data

    static func json(_ value: KubernetesJSON, status: Int = 200) -> KubernetesAnswer {
        KubernetesAnswer(status: status, headers: ["Content-Type": "application/json"], body: value.encoded)
    }

    /// A `Status` object, as the API server answers errors.
    static func failure(
        _ code: Int, reason: String, message: String, headers: [String: String] = [:]
    )
        -> KubernetesAnswer
    {
        var answer = json(
            .object([
                "kind": .string("Status"), "apiVersion": .string("v1"), "metadata": .object([:]),
                "status": .string("Failure"), "message": .string(message), "reason": .string(reason),
                "code": .number(Double(code)),
            ]),
            status: code
        )
        answer.headers.merge(headers) { _, new in new }
        return answer
    }

    static func reason(for status: Int) -> String {
        switch status {
        case 400: "BadRequest"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "NotFound"
        case 405: "MethodNotAllowed"
        case 409: "Conflict"
        case 415: "UnsupportedMediaType"
        case 422: "Invalid"
        case 429: "TooManyRequests"
        case 503: "ServiceUnavailable"
        case 504: "Timeout"
        default: status >= 500 ? "InternalError" : "BadRequest"
        }
    }
}
