import RewindCore
import RewindPorts
import RewindSpecs

/// The workload's own word on its live revision, without waiting on probes: its controller's `Progressing`
/// condition with reason `ProgressDeadlineExceeded`, and the pods of the live revision whose container waits in
/// `CrashLoopBackOff` (`status.containerStatuses[].state.waiting.reason`, with `restartCount` and the kubelet's
/// message). One page of at most ``maxPods`` pods is read (`GET /api/v1/namespaces/{ns}/pods?labelSelector=…`),
/// selected by the workload's selector and the live revision's hash label. RBAC: `list` on `pods`.
extension KubernetesProvider: WorkloadHealthReporting {
    /// The most pods one look reads.
    static let maxPods = 100
    /// The least time between two looks while a deployment is suspect.
    public static let podWatchInterval: Duration = .seconds(15)

    public var reportsWorkloadHealth: Bool { spec.watchPods }
    public var workloadHealthInterval: Duration { Self.podWatchInterval }

    public func workloadProblems(service: ServiceName) async throws -> [WorkloadProblem] {
        let purpose = "read the health of the pods of \(workloadLabel)"
        let (workload, history) = try await readHistoryForHealth(service: service, purpose: purpose)
        var problems: [WorkloadProblem] = []
        if let message = workload.deadlineExceeded {
            problems.append(
                WorkloadProblem(object: workloadLabel, reason: "ProgressDeadlineExceeded", message: message))
        }
        guard let selector = workload.selector?.queryValue, !selector.isEmpty,
            let revision = workload.podSelector(of: workload.current(in: history))
        else { return problems }
        let call = KubernetesCall.get(
            api.corePath("pods"),
            query: [("labelSelector", "\(selector),\(revision)"), ("limit", String(Self.maxPods))],
            verb: "list", resource: "pods", object: "Pod", purpose: purpose
        )
        let pods = try await api.object(KubeList<KubePod>.self, call, service: service).items ?? []
        for pod in pods.prefix(Self.maxPods) {
            problems += pod.crashLooping.map {
                WorkloadProblem(
                    object: "pod \(pod.metadata.name ?? "?") container \($0.name ?? "?")", reason: "CrashLoopBackOff",
                    restarts: $0.restartCount, message: $0.state?.waiting?.message)
            }
        }
        return problems
    }

    /// The workload, and its revisions when the kind needs them to find the live revision's pods.
    private func readHistoryForHealth(
        service: ServiceName, purpose: String
    ) async throws -> (any KubernetesWorkload, [any KubernetesRevision]) {
        let workload = try await readWorkload(service: service, purpose: purpose)
        switch spec.kind {
        case .rollout, .statefulSet: return (workload, [])
        case .deployment, .daemonSet:
            return (workload, try await history(of: workload, service: service, purpose: purpose))
        }
    }
}

/// `core/v1` Pod, the parts that say a container crash-loops.
struct KubePod: Decodable, Sendable {
    struct Status: Decodable, Sendable {
        var containerStatuses: [ContainerStatus]?
        var initContainerStatuses: [ContainerStatus]?
    }

    struct ContainerStatus: Decodable, Sendable {
        struct State: Decodable, Sendable {
            struct Waiting: Decodable, Sendable {
                var reason: String?
                var message: String?
            }

            var waiting: Waiting?
        }

        var name: String?
        var restartCount: Int?
        var state: State?
    }

    var metadata: KubeObjectMeta
    var status: Status?

    /// Its containers (init containers included) waiting in `CrashLoopBackOff`.
    var crashLooping: [ContainerStatus] {
        ((status?.initContainerStatuses ?? []) + (status?.containerStatuses ?? [])).filter {
            $0.state?.waiting?.reason == "CrashLoopBackOff"
        }
    }
}
