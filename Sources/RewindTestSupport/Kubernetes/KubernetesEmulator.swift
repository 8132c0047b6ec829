import Foundation
import Synchronization

/// A loopback emulator of the Kubernetes API a rollback needs (apps/v1 Deployments and ReplicaSets, the scale
/// subresource, StatefulSets, DaemonSets and their ControllerRevisions (`KubernetesEmulator+Workloads.swift`),
/// SelfSubjectAccessReview), served by ``KubernetesEmulatorServer``. Thread-safe.
///
/// It behaves like an API server with a deployment controller:
/// - bearer token check (401 `Status`) — a client certificate verified by ``KubernetesEmulatorServer``'s mutual
///   TLS authenticates too —, RBAC from an allow-list (403 `Status`), 404 `Status` for unknown objects;
/// - `PATCH` with `application/json-patch+json` (a failed `test` op answers 422), `merge-patch+json` and
///   `strategic-merge-patch+json` (a stale `metadata.resourceVersion` answers 409 Conflict); other types 415;
/// - a spec change bumps `metadata.generation`; the controller then advances one step on each `GET` of that
///   Deployment: observe the generation and pick (or reuse) the ReplicaSet of the new template, giving it the
///   next revision → update all replicas (old ones still terminating) → all available
///   (`NewReplicaSetAvailable`). ``failNextRollout(namespace:name:)`` makes the next rollout end with
///   `ProgressDeadlineExceeded` instead;
/// - ReplicaSet lists honour `labelSelector`, `limit` and `continue` (page size ``replicaSetPageSize``);
/// - faults: ``failNext(_:status:retryAfter:method:path:)``, ``delayNext(_:by:)``, ``malformedNext(_:)``.
///
/// ```swift
/// let kube = KubernetesEmulator(token: "t0ken")
/// kube.addDeployment(namespace: "shop", name: "web", images: ["web:1.40", "web:1.41", "web:1.42"])
/// kube.permissions = ["get deployments", "list replicasets"]      // patch is now forbidden
/// …
/// kube.deployment(namespace: "shop", name: "web")?.image           // "web:1.41" after a rollback
/// ```
public final class KubernetesEmulator: Sendable {
    let state: Mutex<KubernetesEmulatorState>
    private let delays = KubernetesDelayedRequests()

    /// - Parameter token: the bearer token every request must carry; nil accepts any request.
    public init(token: String? = "sandbox-token") {
        state = Mutex(KubernetesEmulatorState(token: token))
    }

    // MARK: Configuration

    /// The bearer token requests must carry (`Authorization: Bearer …`); nil accepts any request.
    public var token: String? {
        get { state.withLock { $0.token } }
        set { state.withLock { $0.token = newValue } }
    }

    /// What the token may do, as `"<verb> <resource>"` (`"patch deployments"`, `"list replicasets"`,
    /// `"patch deployments/scale"`); nil allows everything. SelfSubjectAccessReviews answer from it.
    public var permissions: Set<String>? {
        get { state.withLock { $0.permissions } }
        set { state.withLock { $0.permissions = newValue } }
    }

    /// The user named in 403 messages and access reviews.
    public var user: String {
        get { state.withLock { $0.user } }
        set { state.withLock { $0.user = newValue } }
    }

    /// The most ReplicaSets one list answer holds, whatever `limit` asks; more come with a `continue` token.
    public var replicaSetPageSize: Int {
        get { state.withLock { $0.replicaSetPageSize } }
        set { state.withLock { $0.replicaSetPageSize = max(1, newValue) } }
    }

    // MARK: Seeding

    /// A Deployment whose history is `images`, oldest first: one ReplicaSet per image with revisions 1…n, the
    /// last one live and fully rolled out. Its pods run one container (named after the Deployment) and carry
    /// `labels` (default `app: <name>`), which are also its selector.
    public func addDeployment(
        namespace: String = "default", name: String, images: [String], replicas: Int = 3,
        labels: [String: String]? = nil
    ) {
        state.withLock { state in
            state.addDeployment(
                namespace: namespace, name: name, images: images, replicas: replicas,
                labels: labels ?? ["app": name]
            )
        }
    }

    /// Starts a new rollout of `image` (as `kubectl set image` would): the template changes, the generation is
    /// bumped, and the controller rolls it out over the next reads.
    public func deploy(namespace: String = "default", name: String, image: String) {
        state.withLock { state in state.setImage(namespace: namespace, name: name, image: image) }
    }

    /// Pauses or resumes a Deployment (`spec.paused`).
    public func setPaused(_ paused: Bool, namespace: String = "default", name: String) {
        state.withLock { state in state.update(namespace: namespace, name: name) { $0.paused = paused } }
    }

    /// Sets `spec.revisionHistoryLimit`: the next rollout deletes the old ReplicaSets beyond it.
    public func setRevisionHistoryLimit(_ limit: Int, namespace: String = "default", name: String) {
        state.withLock { state in state.update(namespace: namespace, name: name) { $0.revisionHistoryLimit = limit } }
    }

    /// Sets a Deployment's `spec.replicas` (a scale), as the owner of the cluster would.
    public func setReplicas(_ replicas: Int, namespace: String = "default", name: String) {
        state.withLock { state in
            state.update(namespace: namespace, name: name) { deployment in
                deployment.replicas = replicas
                deployment.generation += 1
            }
        }
    }

    /// A ReplicaSet that matches the Deployment's selector but is owned by something else (it must be ignored).
    public func addForeignReplicaSet(
        namespace: String = "default", name: String, labels: [String: String], image: String, revision: Int
    ) {
        state.withLock { state in
            state.addForeignReplicaSet(
                namespace: namespace, name: name, labels: labels, image: image, revision: revision)
        }
    }

    /// The next rollout of the Deployment ends with `Progressing=False`, reason `ProgressDeadlineExceeded`.
    public func failNextRollout(namespace: String = "default", name: String) {
        state.withLock { state in state.update(namespace: namespace, name: name) { $0.failNextRollout = true } }
    }

    // MARK: Faults

    /// The next `count` requests (those with `method` and a path containing `path`, when given) answer `status`
    /// with a `Status` body, and `Retry-After: retryAfter` when given (delta-seconds or an HTTP date).
    public func failNext(
        _ count: Int, status: Int, retryAfter: String? = nil, method: String? = nil, path: String? = nil
    ) {
        state.withLock {
            $0.faults.append(
                KubernetesFault(
                    remaining: count, kind: .status(status, retryAfter: retryAfter), method: method, path: path)
            )
        }
    }

    /// The next `count` requests answer 200 with a truncated JSON body.
    public func malformedNext(_ count: Int, method: String? = nil, path: String? = nil) {
        state.withLock {
            $0.faults.append(KubernetesFault(remaining: count, kind: .malformed, method: method, path: path))
        }
    }

    /// The next `count` requests are answered only after `duration`, or when ``releaseDelayedRequests()`` is
    /// called, whichever comes first (a client's deadline fires meanwhile).
    public func delayNext(_ count: Int, by duration: Duration = .seconds(30)) {
        state.withLock { $0.delays.append(contentsOf: Array(repeating: duration, count: count)) }
    }

    /// Answers every delayed request now and stops delaying later ones (call it before stopping the server).
    public func releaseDelayedRequests() {
        delays.releaseAll()
    }

    // MARK: Inspection

    /// Every request received, oldest first (faults and rejections included).
    public var requests: [KubernetesReceivedRequest] {
        state.withLock { $0.received }
    }

    /// The PATCH requests that changed something, oldest first.
    public var acceptedPatches: [KubernetesReceivedRequest] {
        state.withLock { $0.received.filter { $0.method == "PATCH" && (200...299).contains($0.status) } }
    }

    public func deployment(namespace: String = "default", name: String) -> KubernetesDeploymentSnapshot? {
        state.withLock { state in state.deployments[KubernetesKey(namespace, name)].map { state.snapshot(of: $0) } }
    }

    /// The Deployment's own ReplicaSets, newest revision first.
    public func replicaSets(namespace: String = "default", deployment: String) -> [KubernetesReplicaSetSnapshot] {
        state.withLock { state in
            guard let owner = state.deployments[KubernetesKey(namespace, deployment)] else { return [] }
            return state.owned(by: owner).map(\.snapshot)
        }
    }

    /// Forgets the received requests and pending faults; keeps the objects.
    public func resetRequests() {
        state.withLock {
            $0.received.removeAll()
            $0.faults.removeAll()
            $0.delays.removeAll()
        }
    }

    // MARK: Serving

    /// Waits as long as an injected delay says (if one is pending), then answers.
    func answer(_ request: KubernetesRequest) async -> KubernetesAnswer {
        if let delay = state.withLock({ $0.delays.isEmpty ? nil : $0.delays.removeFirst() }) {
            await delays.wait(atMost: delay)
        }
        return state.withLock { state in state.answer(request) }
    }
}

/// A Deployment as the emulator holds it.
public struct KubernetesDeploymentSnapshot: Sendable, Equatable {
    public var namespace: String
    public var name: String
    /// The first container's image in `spec.template`.
    public var image: String?
    /// `metadata.annotations["deployment.kubernetes.io/revision"]`.
    public var revision: Int?
    public var annotations: [String: String]
    public var templateLabels: [String: String]
    public var generation: Int
    public var observedGeneration: Int
    public var replicas: Int
    public var updatedReplicas: Int
    public var availableReplicas: Int
    public var paused: Bool
    /// True once the controller finished the last rollout.
    public var rolledOut: Bool
}

/// A ReplicaSet as the emulator holds it.
public struct KubernetesReplicaSetSnapshot: Sendable, Equatable {
    public var name: String
    public var revision: Int?
    /// Earlier revisions of this ReplicaSet (`deployment.kubernetes.io/revision-history`).
    public var revisionHistory: [Int]
    public var image: String?
    public var replicas: Int
}

/// One request the emulator received and what it answered.
public struct KubernetesReceivedRequest: Sendable {
    public var method: String
    /// The path without the query.
    public var path: String
    /// The query parameters, percent-decoded.
    public var query: [String: String]
    public var contentType: String?
    /// The bearer token sent, if any.
    public var bearerToken: String?
    /// True when the request came over TLS from a client whose certificate the server verified (mutual TLS).
    public var clientCertificate: Bool
    public var body: String
    public var json: KubernetesJSON?
    public var status: Int
}

/// Delayed requests: each waits for its duration or a release, whichever comes first.
private final class KubernetesDelayedRequests: Sendable {
    private struct Waiters {
        var next: UInt64 = 0
        var released = false
        var continuations: [UInt64: CheckedContinuation<Void, Never>] = [:]
    }

    private let waiters = Mutex(Waiters())

    func wait(atMost duration: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: duration) }
            group.addTask { await self.waitForRelease() }
            await group.next()
            group.cancelAll()
        }
    }

    func releaseAll() {
        let all = waiters.withLock { waiters in
            waiters.released = true
            defer { waiters.continuations.removeAll() }
            return Array(waiters.continuations.values)
        }
        for continuation in all { continuation.resume() }
    }

    private func waitForRelease() async {
        let id = waiters.withLock { waiters in
            waiters.next += 1
            return waiters.next
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = waiters.withLock { waiters -> Bool in
                    if Task.isCancelled || waiters.released { return true }
                    waiters.continuations[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            waiters.withLock { $0.continuations.removeValue(forKey: id) }?.resume()
        }
    }
}
