import RewindSpecs

/// A Kubernetes deployment's history and logs, as `kubectl` shows them: a cluster has no dashboard URL Rewind
/// could know. A deployment is a ReplicaSet (its id is the ReplicaSet's name, `<deployment>-<pod-template-hash>`),
/// so its pods are the ones labelled with that hash.
public enum KubernetesLinks {
    public static func links(_ spec: KubernetesProviderSpec, deploymentID: String) -> [PlatformLink] {
        let namespace = ["--namespace", spec.namespace]
        var links = [
            PlatformLink(.deployment, command: ["kubectl"] + namespace + ["describe", "replicaset", deploymentID]),
            PlatformLink(
                .history,
                command: ["kubectl"] + namespace + ["rollout", "history", "deployment/\(spec.deployment)"]),
        ]
        let prefix = spec.deployment + "-"
        if deploymentID.hasPrefix(prefix), deploymentID.count > prefix.count {
            let hash = String(deploymentID.dropFirst(prefix.count))
            links.append(
                PlatformLink(
                    .logs,
                    command: ["kubectl"] + namespace + [
                        "logs", "--selector", "pod-template-hash=\(hash)", "--all-containers", "--prefix",
                    ]))
        } else {
            links.append(
                PlatformLink(
                    .logs,
                    command: ["kubectl"] + namespace + ["logs", "deployment/\(spec.deployment)", "--all-containers"]))
        }
        return links
    }
}
