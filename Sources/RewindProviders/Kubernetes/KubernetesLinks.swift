import RewindSpecs

/// A Kubernetes deployment's history and logs, as `kubectl` shows them: a cluster has no dashboard URL Rewind
/// could know. A deployment is a revision object: a Deployment's or Argo Rollout's ReplicaSet
/// (`<workload>-<hash>`, so its pods are the ones labelled with that hash) or a StatefulSet's or DaemonSet's
/// ControllerRevision.
public enum KubernetesLinks {
    public static func links(_ spec: KubernetesProviderSpec, deploymentID: String) -> [PlatformLink] {
        let namespace = ["--namespace", spec.namespace]
        let revisionKind = spec.kind.revisionResource == "replicasets" ? "replicaset" : "controllerrevision"
        let workload = spec.kind.reference(spec.workload)
        // An Argo Rollout's history is shown by its own plugin (`kubectl rollout` knows only apps/v1 kinds).
        let history =
            spec.kind == .rollout
            ? ["argo", "rollouts", "get", "rollout", "--", spec.workload] : ["rollout", "history", workload]
        var links = [
            // TYPE/NAME: an id that starts with '-' is still a name, never an option.
            PlatformLink(
                .deployment, command: ["kubectl"] + namespace + ["describe", "\(revisionKind)/\(deploymentID)"]),
            PlatformLink(.history, command: ["kubectl"] + namespace + history),
        ]
        let prefix = spec.workload + "-"
        let hashLabel = spec.kind == .rollout ? KubeArgoRollout.hashLabel : KubernetesRollout.hashLabel
        if spec.kind.revisionResource == "replicasets", deploymentID.hasPrefix(prefix),
            deploymentID.count > prefix.count
        {
            let hash = String(deploymentID.dropFirst(prefix.count))
            links.append(
                PlatformLink(
                    .logs,
                    command: ["kubectl"] + namespace + [
                        "logs", "--selector", "\(hashLabel)=\(hash)", "--all-containers", "--prefix",
                    ]))
        } else {
            links.append(
                PlatformLink(.logs, command: ["kubectl"] + namespace + ["logs", workload, "--all-containers"]))
        }
        return links
    }
}
