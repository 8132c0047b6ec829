import RewindSpecs

/// A Kubernetes deployment's history and logs, as `kubectl` shows them: a cluster has no dashboard URL Rewind
/// could know. A deployment is a revision object: a Deployment's ReplicaSet (`<deployment>-<pod-template-hash>`,
/// so its pods are the ones labelled with that hash) or a StatefulSet's or DaemonSet's ControllerRevision.
public enum KubernetesLinks {
    public static func links(_ spec: KubernetesProviderSpec, deploymentID: String) -> [PlatformLink] {
        let namespace = ["--namespace", spec.namespace]
        let revisionKind = spec.kind == .deployment ? "replicaset" : "controllerrevision"
        let workload = spec.kind.reference(spec.workload)
        var links = [
            // TYPE/NAME: an id that starts with '-' is still a name, never an option.
            PlatformLink(
                .deployment, command: ["kubectl"] + namespace + ["describe", "\(revisionKind)/\(deploymentID)"]),
            PlatformLink(.history, command: ["kubectl"] + namespace + ["rollout", "history", workload]),
        ]
        let prefix = spec.workload + "-"
        if spec.kind == .deployment, deploymentID.hasPrefix(prefix), deploymentID.count > prefix.count {
            let hash = String(deploymentID.dropFirst(prefix.count))
            links.append(
                PlatformLink(
                    .logs,
                    command: ["kubectl"] + namespace + [
                        "logs", "--selector", "pod-template-hash=\(hash)", "--all-containers", "--prefix",
                    ]))
        } else {
            links.append(
                PlatformLink(.logs, command: ["kubectl"] + namespace + ["logs", workload, "--all-containers"]))
        }
        return links
    }
}
