import RewindCore
import RewindSpecs

/// `traffic: {type: kubernetes | flagd, …}`: the replica ratio between two Deployments, or a flag's percentage
/// rollout. (`type: cloudflare` is in ConfigReader+Cloudflare.swift, which dispatches on the type.)
extension ConfigReader {
    static let kubernetesTrafficKeys = [
        "type", "namespace", "deployment", "canary", "kubeconfig", "context", "in_cluster", "api_url",
        "token",
        "ca_file", "insecure_skip_tls_verify", "timeout",
    ]
    static let argoRolloutTrafficKeys = [
        "type", "namespace", "rollout", "kubeconfig", "context", "in_cluster", "api_url", "token", "ca_file",
        "insecure_skip_tls_verify", "timeout",
    ]
    static let flagRolloutKeys = ["type", "file", "flag", "new_variant", "stable_variant"]
    /// Flag services whose percentage rollout platform-apis.md does not document: refused with a hint.
    static let undocumentedRolloutTypes = ["unleash", "launchdarkly"]

    /// `traffic: {type: kubernetes, namespace, deployment, canary, <cluster keys>}`. Every problem is reported; the
    /// spec comes back only when there was none.
    mutating func kubernetesTraffic(_ at: Located) -> KubernetesTrafficSpec? {
        let problemsBefore = problems.count
        guard let fields = mapping(at, allowed: Self.kubernetesTrafficKeys) else { return nil }
        let namespace = require(
            fields,
            "namespace",
            hint: "the namespace of both Deployments, e.g. namespace: shop"
        )
        .flatMap { kubernetesName($0, what: "namespace", allowDots: false) }
        let stable = require(
            fields,
            "deployment",
            hint: "the stable version's Deployment, e.g. deployment: web"
        )
        .flatMap { kubernetesName($0, what: "Deployment name", allowDots: true) }
        let canary = require(
            fields,
            "canary",
            hint: "the Deployment that runs the new version next to it, e.g. canary: web-canary"
        )
        .flatMap { kubernetesName($0, what: "Deployment name", allowDots: true) }
        if let stable, stable == canary, let at = fields["canary"] {
            report(at, "the canary must be a second Deployment, not '\(stable)' itself")
        }
        let cluster = kubernetesCluster(fields)
        let timeout = fields["timeout"].flatMap { duration($0, .timeout) }
        guard let namespace, let stable, let canary, let cluster, problems.count == problemsBefore
        else { return nil }
        return KubernetesTrafficSpec(
            namespace: namespace,
            stable: stable,
            canary: canary,
            cluster: cluster,
            timeout: timeout ?? KubernetesTrafficSpec.defaultTimeout
        )
    }

    /// `traffic: {type: argo_rollouts, namespace, rollout, <cluster keys>}`. Every problem is reported; the spec comes
    /// back only when there was none.
    mutating func argoRolloutTraffic(_ at: Located) -> ArgoRolloutTrafficSpec? {
        let problemsBefore = problems.count
        guard let fields = mapping(at, allowed: Self.argoRolloutTrafficKeys) else { return nil }
        let namespace = require(fields, "namespace", hint: "the Rollout's namespace, e.g. namespace: shop")
            .flatMap { kubernetesName($0, what: "namespace", allowDots: false) }
        let rollout = require(fields, "rollout", hint: "the Argo Rollout's name, e.g. rollout: web")
            .flatMap { kubernetesName($0, what: "Rollout name", allowDots: true) }
        let cluster = kubernetesCluster(fields)
        let timeout = fields["timeout"].flatMap { duration($0, .timeout) }
        guard let namespace, let rollout, let cluster, problems.count == problemsBefore else { return nil }
        return ArgoRolloutTrafficSpec(
            namespace: namespace, rollout: rollout, cluster: cluster,
            timeout: timeout ?? ArgoRolloutTrafficSpec.defaultTimeout)
    }

    /// `traffic: {type: flagd, file, flag, new_variant, stable_variant}`. Every problem is reported; the spec comes
    /// back only when there was none.
    mutating func flagRollout(_ at: Located) -> FlagRolloutSpec? {
        let problemsBefore = problems.count
        guard let fields = mapping(at, allowed: Self.flagRolloutKeys) else { return nil }
        let path = require(
            fields,
            "file",
            hint: "the flag file flagd reads, e.g. file: /etc/flagd/flags.json"
        )
        .flatMap { filePath($0) }
        let flag = require(
            fields,
            "flag",
            hint: "the flag whose rollout splits the traffic, e.g. flag: checkout-v2"
        )
        .flatMap { name($0) }
        var newVariant = FlagRolloutSpec.defaultNewVariant
        if let at = fields["new_variant"], let value = name(at) { newVariant = value }
        var stableVariant = FlagRolloutSpec.defaultStableVariant
        if let at = fields["stable_variant"], let value = name(at) { stableVariant = value }
        if newVariant == stableVariant {
            report(
                fields["stable_variant"] ?? fields["new_variant"] ?? at,
                "the stable variant must differ from the new variant '\(newVariant)': name the variant that serves "
                    + "the stable version, e.g. stable_variant: \"off\""
            )
        }
        guard let path, let flag, problems.count == problemsBefore else { return nil }
        return FlagRolloutSpec(
            backend: .flagd(path: path),
            flag: flag,
            newVariant: newVariant,
            stableVariant: stableVariant
        )
    }

    /// The problem for `type: unleash` / `type: launchdarkly` under `traffic:`.
    mutating func reportUndocumentedRollout(_ typeAt: Located, type: String) {
        report(
            typeAt,
            "a percentage rollout in \(type) cannot move traffic yet (only its on/off switch is supported): use "
                + "\(Suggestion.list(Self.trafficTypes)) here, and flags: {type: \(type), …} to turn its flags off"
        )
    }
}
