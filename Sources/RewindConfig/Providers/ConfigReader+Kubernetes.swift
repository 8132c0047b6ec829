import Foundation
import RewindCore
import RewindSpecs
import Yams

/// `type: kubernetes`: a Deployment, StatefulSet, DaemonSet or Argo Rollout rolled back through the API server (see
/// ``KubernetesProviderSpec``). A Deployment is named by `deployment: NAME`; another kind by `kind:` and `name:`
/// (`kind: Deployment` with `name:` is the same as `deployment:`).
///
/// The cluster is reached one of three ways, and the kubeconfig is read here, once, because the providers
/// cannot parse YAML:
/// - `kubeconfig: PATH` (+ `context:`): the context's server, CA and user: a bearer token (or token file), a client
///   certificate, or an `exec` credential plugin (EKS, GKE, AKS);
/// - `in_cluster: true`: the pod's ServiceAccount, resolved when the provider runs;
/// - `api_url:` + `token: ${KUBE_TOKEN}`.
///
/// `api_url`, `token`, `ca_file` and `insecure_skip_tls_verify` override what the kubeconfig or the pod says.
extension ConfigReader {
    static let kubernetesKeys = [
        "type", "namespace", "deployment", "kind", "name", "canary", "method", "kubeconfig", "context", "in_cluster",
        "api_url", "token", "ca_file", "insecure_skip_tls_verify", "timeout", "events", "watch_pods",
    ]
    static let kubernetesConnectionHint =
        "say how to reach the cluster: kubeconfig: ~/.kube/config (with context: NAME to pick one), "
        + "in_cluster: true when Rewind runs in a pod, or api_url: https://… with token: ${KUBE_TOKEN}"

    /// Every problem of the provider is reported; the spec comes back only when there was none.
    mutating func kubernetesProvider(_ at: Located) -> KubernetesProviderSpec? {
        let problemsBefore = problems.count
        guard let fields = mapping(at, allowed: Self.kubernetesKeys) else { return nil }
        let kinds = KubernetesWorkloadKind.allCases.map { ($0.rawValue, $0) }
        // Nil when `kind:` names no kind (reported).
        let kind = fields["kind"].map { choice($0, kinds) } ?? KubernetesWorkloadKind.deployment
        let namespace = require(
            fields, "namespace", hint: "the \(kind?.rawValue ?? "workload")'s namespace, e.g. namespace: shop"
        ).flatMap { kubernetesName($0, what: "namespace", allowDots: false) }
        let workload = kind.flatMap { kubernetesWorkloadName(fields, kind: $0) }
        let cluster = kubernetesCluster(fields)
        var canary: String?
        if let at = fields["canary"], let name = kubernetesName(at, what: "Deployment name", allowDots: true) {
            if let kind, kind != .deployment {
                report(at, "a canary is a second Deployment next to a Deployment; a \(kind.rawValue) has none")
            } else if name == workload {
                report(at, "the canary must be a second Deployment, not '\(name)' itself")
            } else {
                canary = name
            }
        }
        let timeout = fields["timeout"].flatMap { duration($0, .timeout) }
        let methods = KubernetesProviderSpec.Method.allCases.map { ($0.rawValue, $0) }
        let method = fields["method"].flatMap { choice($0, methods) }
        if method == .setImage, kind == .rollout, let at = fields["method"] {
            // A Rollout is a custom resource: no strategic merge patch, and Argo's own CLI rolls back by undo.
            report(
                at,
                "a Rollout is rolled back by undo (method: rollout_undo, the default); set_image is for "
                    + "Deployments, StatefulSets and DaemonSets")
        }
        let events = fields["events"].flatMap { bool($0) }
        let watchPods = fields["watch_pods"].flatMap { bool($0) }
        guard let namespace, let kind, let workload, let cluster, problems.count == problemsBefore else { return nil }
        return KubernetesProviderSpec(
            namespace: namespace, kind: kind, workload: workload, cluster: cluster,
            timeout: timeout ?? KubernetesProviderSpec.defaultTimeout, method: method ?? .rolloutUndo,
            canaryDeployment: canary, events: events ?? true, watchPods: watchPods ?? true
        )
    }

    /// The workload's name: `deployment:` for a Deployment, `name:` for any kind (exactly one of them).
    private mutating func kubernetesWorkloadName(_ fields: Fields, kind: KubernetesWorkloadKind) -> String? {
        let what = "\(kind.rawValue) name"
        switch (fields["deployment"], fields["name"]) {
        case (let at?, nil) where kind == .deployment:
            return kubernetesName(at, what: what, allowDots: true)
        case (let at?, nil):
            report(at, "deployment: names a Deployment; name the \(kind.rawValue) with name: instead")
            return nil
        case (nil, let at?):
            return kubernetesName(at, what: what, allowDots: true)
        case (_?, let at?):
            report(at, "choose one: deployment: NAME (a Deployment) or kind: with name: NAME")
            return nil
        case (nil, nil) where kind == .deployment:
            report(fields.owner, "missing required key 'deployment'; the Deployment's name, e.g. deployment: web")
            return nil
        case (nil, nil):
            report(fields.owner, "missing required key 'name'; the \(kind.rawValue)'s name, e.g. name: db")
            return nil
        }
    }

    // MARK: - Connection

    /// The cluster connection keys (`kubeconfig`, `context`, `in_cluster`, `api_url`, `token`, `ca_file`,
    /// `insecure_skip_tls_verify`); shared with `traffic: {type: kubernetes}`.
    mutating func kubernetesCluster(_ fields: Fields) -> KubernetesClusterSpec? {
        let apiURL = fields["api_url"].flatMap { httpURL($0) }.map { Self.kubernetesTrimmedURL($0.value) }
        let token = fields["token"].flatMap { kubernetesToken($0) }
        let caFile = fields["ca_file"].flatMap { kubernetesCAFile($0) }
        var insecure = false
        if let at = fields["insecure_skip_tls_verify"], let value = bool(at) {
            insecure = value
            if value, fields["ca_file"] != nil {
                report(at, "choose one: ca_file trusts that certificate authority, insecure_skip_tls_verify trusts any")
            }
        }
        var inCluster = false
        if let at = fields["in_cluster"], let value = bool(at) {
            inCluster = value
            if value, fields["kubeconfig"] != nil {
                report(at, "choose one: in_cluster: true (the pod's ServiceAccount) or kubeconfig: PATH")
            }
        }
        if let at = fields["context"], fields["kubeconfig"] == nil {
            report(at, "context picks a context of a kubeconfig; add kubeconfig: ~/.kube/config")
        }

        var cluster: KubernetesClusterSpec?
        if let at = fields["kubeconfig"] {
            cluster = kubeconfigCluster(
                at, context: fields["context"], needsServer: apiURL == nil, needsCredential: token == nil
            )
        } else if inCluster {
            cluster = .inCluster(apiURL: apiURL)
        } else if let apiURL, let token {
            cluster = KubernetesClusterSpec(
                server: .url(apiURL), credential: .token(token.value), authority: .systemRoots,
                credentialName: token.source
            )
        } else if let at = fields["api_url"], fields["token"] == nil {
            report(
                at, "api_url needs a token: token: ${KUBE_TOKEN} (a ServiceAccount token, e.g. kubectl create token)")
        } else if fields["token"] != nil, fields["api_url"] == nil {
            report(fields.owner, "token needs the API server: api_url: https://… (or use kubeconfig:)")
        } else if fields["api_url"] == nil, fields["token"] == nil {
            report(fields.owner, Self.kubernetesConnectionHint)
        }

        guard var cluster else { return nil }
        if let apiURL { cluster.server = .url(apiURL) }
        if let token {
            cluster.credential = .token(token.value)
            cluster.credentialName = token.source
        }
        if let caFile { cluster.authority = .file(caFile) }
        if insecure { cluster.authority = .insecureSkipVerify }
        return cluster
    }

    /// The token: it must come from `${NAME}` or `${file:…}`; an inline one is refused without being shown.
    private mutating func kubernetesToken(_ at: Located) -> (value: ConfigText, source: String)? {
        guard let written = word(at, expected: "${KUBE_TOKEN}") else { return nil }
        guard let token = resolve(written, at: at, secret: "Kubernetes token") else { return nil }
        guard token.isSecret else {
            report(at, "put the token in an environment variable: token: ${KUBE_TOKEN} (an inline token is refused)")
            return nil
        }
        let source = Self.kubernetesTokenSource(written)
        guard !token.value.isEmpty else {
            report(at, "the token is empty; set \(source) to a ServiceAccount token (kubectl create token NAME)")
            return nil
        }
        return (token, source)
    }

    /// A PEM file that exists now (it is read again on every request, so a rotated CA is picked up).
    private mutating func kubernetesCAFile(_ at: Located) -> String? {
        guard let path = filePath(at) else { return nil }
        guard let text = Self.kubernetesReadText(path) else {
            report(at, "cannot read the CA file \(path); check that it exists and is readable")
            return nil
        }
        guard text.contains("-----BEGIN CERTIFICATE-----") else {
            report(at, "\(path) holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
            return nil
        }
        return path
    }

    /// A namespace (DNS-1123 label) or an object name (DNS-1123 subdomain).
    mutating func kubernetesName(_ at: Located, what: String, allowDots: Bool) -> String? {
        guard let text = text(at) else { return nil }
        let value = text.value
        let maxLength = allowDots ? 253 : 63
        let labels = value.split(separator: ".", omittingEmptySubsequences: false)
        let valid =
            !value.isEmpty && value.count <= maxLength && (allowDots || labels.count == 1)
            && labels.allSatisfy { label in
                guard let first = label.first, let last = label.last, label.count <= 63 else { return false }
                return first.isKubernetesAlphanumeric && last.isKubernetesAlphanumeric
                    && label.allSatisfy { $0.isKubernetesAlphanumeric || $0 == "-" }
            }
        guard valid else {
            let allowed = allowDots ? "lowercase letters, digits, '-' and '.'" : "lowercase letters, digits and '-'"
            report(
                at,
                "\(Self.shown(text)) is not a valid Kubernetes \(what): use at most \(maxLength) \(allowed), "
                    + "starting and ending with a letter or digit"
            )
            return nil
        }
        return value
    }

    // MARK: - Kubeconfig

    /// The connection of the kubeconfig's context. Problems are reported at the `kubeconfig:` key (or `context:`)
    /// and name the kubeconfig file.
    private mutating func kubeconfigCluster(
        _ at: Located, context contextAt: Located?, needsServer: Bool, needsCredential: Bool
    ) -> KubernetesClusterSpec? {
        guard let path = filePath(at) else { return nil }
        let kubeconfig: Kubeconfig
        switch Kubeconfig.load(path) {
        case .success(let loaded): kubeconfig = loaded
        case .failure(let problem):
            report(at, problem.message)
            return nil
        }
        let contextName: String
        if let contextAt {
            guard let name = name(contextAt) else { return nil }
            contextName = name
        } else {
            guard let current = kubeconfig.currentContext else {
                report(
                    at,
                    "kubeconfig \(path) has no current-context; name one with context: NAME "
                        + "(contexts in it: \(Suggestion.list(kubeconfig.names("contexts"))))"
                )
                return nil
            }
            contextName = current
        }
        guard let context = kubeconfig.entry("contexts", named: contextName, field: "context") else {
            var message = "kubeconfig \(path) has no context '\(contextName)'"
            let contexts = kubeconfig.names("contexts")
            if let suggestion = Suggestion.closest(to: contextName, among: contexts) {
                message += "; did you mean '\(suggestion)'?"
            } else {
                message +=
                    contexts.isEmpty ? "; it lists no contexts" : "; contexts in it: \(Suggestion.list(contexts))"
            }
            report(contextAt ?? at, message)
            return nil
        }
        let location = "kubeconfig \(path) (context '\(contextName)')"
        var cluster = KubernetesClusterSpec(
            server: .inCluster, credential: .token(ConfigText("", isSecret: true)), authority: .systemRoots,
            credentialName: ""
        )
        var complete = true
        if needsServer {
            guard let server = kubeconfigServer(context, kubeconfig, location, at: at) else { return nil }
            cluster.server = .url(server.url)
            cluster.authority = server.authority
        } else if let clusterName = context["cluster"] as? String,
            let entry = kubeconfig.entry("clusters", named: clusterName, field: "cluster"),
            let authority = kubeconfigAuthority(entry, kubeconfig, location, at: at)
        {
            cluster.authority = authority
        }
        if needsCredential {
            if let credential = kubeconfigCredential(context, kubeconfig, location, at: at) {
                cluster.credential = credential.credential
                cluster.credentialName = credential.name
            } else {
                complete = false
            }
        }
        return complete ? cluster : nil
    }

    private mutating func kubeconfigServer(
        _ context: [String: Any], _ kubeconfig: Kubeconfig, _ location: String, at: Located
    ) -> (url: String, authority: KubernetesClusterSpec.Authority)? {
        guard let clusterName = context["cluster"] as? String, !clusterName.isEmpty else {
            report(at, "\(location) names no cluster")
            return nil
        }
        guard let entry = kubeconfig.entry("clusters", named: clusterName, field: "cluster") else {
            report(at, "\(location) names cluster '\(clusterName)', which is not in its clusters")
            return nil
        }
        guard let server = entry["server"] as? String, !server.isEmpty else {
            report(at, "cluster '\(clusterName)' in \(location) has no server URL; add one or set api_url:")
            return nil
        }
        guard
            isHTTPURL(server, shown: "the server '\(server)' of \(location)", at: at, example: "https://10.0.0.1:6443")
        else { return nil }
        guard let authority = kubeconfigAuthority(entry, kubeconfig, location, at: at) else { return nil }
        return (Self.kubernetesTrimmedURL(server), authority)
    }

    private mutating func kubeconfigAuthority(
        _ cluster: [String: Any], _ kubeconfig: Kubeconfig, _ location: String, at: Located
    ) -> KubernetesClusterSpec.Authority? {
        if cluster["insecure-skip-tls-verify"] as? Bool == true { return .insecureSkipVerify }
        if let data = cluster["certificate-authority-data"] as? String {
            guard let decoded = Data(base64Encoded: data, options: .ignoreUnknownCharacters),
                let pem = String(data: decoded, encoding: .utf8), pem.contains("-----BEGIN CERTIFICATE-----")
            else {
                report(at, "the certificate-authority-data of \(location) is not a base64-encoded PEM certificate")
                return nil
            }
            return .pem(pem)
        }
        if let file = cluster["certificate-authority"] as? String, !file.isEmpty {
            let path = kubeconfig.absolutePath(file)
            guard Self.kubernetesReadText(path) != nil else {
                report(at, "cannot read the certificate-authority \(path) of \(location)")
                return nil
            }
            return .file(path)
        }
        return .systemRoots
    }

    private mutating func kubeconfigCredential(
        _ context: [String: Any], _ kubeconfig: Kubeconfig, _ location: String, at: Located
    ) -> (credential: KubernetesClusterSpec.Credential, name: String)? {
        guard let userName = context["user"] as? String, !userName.isEmpty else {
            report(at, "\(location) names no user; add one with a token, or set token: ${KUBE_TOKEN}")
            return nil
        }
        guard let entry = kubeconfig.entry("users", named: userName, field: "user") else {
            report(at, "\(location) names user '\(userName)', which is not in its users")
            return nil
        }
        // `env: null`, `client-key: null`…: what aws, gcloud and kubelogin write for "none".
        let user = entry.filter { !($0.value is NSNull) }
        let userIn = "user '\(userName)' in \(location)"
        if let token = user["token"] as? String, !token.isEmpty {
            return (.token(ConfigText(token, isSecret: true)), "the token of \(userIn)")
        }
        if let file = user["tokenFile"] as? String, !file.isEmpty {
            let path = kubeconfig.absolutePath(file)
            guard Self.kubernetesReadText(path) != nil else {
                report(at, "cannot read the tokenFile \(path) of \(userIn)")
                return nil
            }
            return (.tokenFile(path), "the token file \(path) (\(userIn))")
        }
        if Self.kubernetesCertificateKeys.contains(where: { user[$0] != nil }) {
            guard let certificate = kubeconfigClientCertificate(user, kubeconfig, userIn, at: at) else { return nil }
            return (.clientCertificate(certificate), "the client certificate of \(userIn)")
        }
        if let exec = user["exec"] {
            guard let exec = exec as? [String: Any] else {
                report(at, "the exec of \(userIn) is not a mapping (apiVersion, command, args, env, interactiveMode)")
                return nil
            }
            guard let plugin = kubeconfigExec(exec, kubeconfig, userIn, at: at) else { return nil }
            return (.exec(plugin), "the exec plugin \(plugin.programName) of \(userIn)")
        }
        let instead =
            "give Rewind a bearer token, a client certificate or an exec plugin instead, or token: ${KUBE_TOKEN}"
        if let provider = user["auth-provider"] as? [String: Any] {
            let name = (provider["name"] as? String).map { " (\($0))" } ?? ""
            report(
                at,
                "\(userIn) uses an auth-provider\(name), which Kubernetes removed in 1.26 and Rewind does not "
                    + "support; use the provider's exec plugin (gke-gcloud-auth-plugin, kubelogin), or \(instead)")
        } else if user["username"] != nil || user["password"] != nil {
            report(at, "\(userIn) uses a username and password, which Rewind does not support; \(instead)")
        } else {
            report(at, "\(userIn) has no token; \(instead)")
        }
        return nil
    }

    static let kubernetesCertificateKeys = [
        "client-certificate", "client-certificate-data", "client-key", "client-key-data",
    ]

    /// `client-certificate(-data)` and `client-key(-data)`: both halves, each PEM (inline data is base64).
    /// Messages never show the key.
    private mutating func kubeconfigClientCertificate(
        _ user: [String: Any], _ kubeconfig: Kubeconfig, _ userIn: String, at: Located
    ) -> KubernetesClientCertificate? {
        let certificate = kubeconfigPEM(
            user, dataKey: "client-certificate-data", fileKey: "client-certificate", marker: "CERTIFICATE-----",
            kubeconfig, userIn, at: at
        )
        let key = kubeconfigPEM(
            user, dataKey: "client-key-data", fileKey: "client-key", marker: "PRIVATE KEY-----", kubeconfig, userIn,
            at: at
        )
        switch (certificate, key) {
        case (.found(let certificate), .found(let key)):
            return KubernetesClientCertificate(certificate: certificate, key: key)
        case (.missing, .found), (.missing, .bad):
            report(
                at,
                "\(userIn) has a client key but no client-certificate-data (or client-certificate file); "
                    + "mutual TLS needs both")
        case (.found, .missing), (.bad, .missing):
            report(
                at,
                "\(userIn) has a client certificate but no client-key-data (or client-key file); mutual TLS needs both"
            )
        default:
            break
        }
        return nil
    }

    private enum KubeconfigPEM {
        case found(KubernetesClientCertificate.Source)
        case missing
        /// Reported already.
        case bad
    }

    private mutating func kubeconfigPEM(
        _ user: [String: Any], dataKey: String, fileKey: String, marker: String, _ kubeconfig: Kubeconfig,
        _ userIn: String, at: Located
    ) -> KubeconfigPEM {
        if let data = user[dataKey] {
            guard let text = data as? String,
                let decoded = Data(base64Encoded: text, options: .ignoreUnknownCharacters),
                let pem = String(data: decoded, encoding: .utf8), pem.contains(marker)
            else {
                report(at, "the \(dataKey) of \(userIn) is not base64-encoded PEM (-----BEGIN …\(marker))")
                return .bad
            }
            return .found(.pem(pem))
        }
        if let file = user[fileKey] {
            guard let name = file as? String, !name.isEmpty else {
                report(at, "the \(fileKey) of \(userIn) is not a file name")
                return .bad
            }
            let path = kubeconfig.absolutePath(name)
            guard let text = Self.kubernetesReadText(path) else {
                report(at, "cannot read the \(fileKey) \(path) of \(userIn); check that it exists and is readable")
                return .bad
            }
            guard text.contains(marker) else {
                report(at, "the \(fileKey) \(path) of \(userIn) holds no PEM (-----BEGIN …\(marker))")
                return .bad
            }
            return .found(.file(path))
        }
        return .missing
    }

    /// An `exec:` credential plugin, checked as `kubectl` checks it: a known apiVersion, a command, string args,
    /// `env` as name/value pairs, and an `interactiveMode` (required by v1) that a daemon can honour.
    private mutating func kubeconfigExec(
        _ written: [String: Any], _ kubeconfig: Kubeconfig, _ userIn: String, at: Located
    ) -> KubernetesExecPlugin? {
        let exec = written.filter { !($0.value is NSNull) }
        let problemsBefore = problems.count
        let execOf = "the exec plugin of \(userIn)"
        let versions = KubernetesExecPlugin.APIVersion.allCases.map(\.rawValue).joined(separator: " or ")
        var apiVersion: KubernetesExecPlugin.APIVersion?
        if let written = exec["apiVersion"] as? String {
            apiVersion = KubernetesExecPlugin.APIVersion(rawValue: written)
            if apiVersion == nil {
                report(at, "\(execOf) asks for apiVersion '\(written)', which Rewind does not speak; use \(versions)")
            }
        } else {
            report(at, "\(execOf) has no apiVersion; add apiVersion: \(KubernetesExecPlugin.APIVersion.v1.rawValue)")
        }
        var command = ""
        if let written = exec["command"] as? String, !written.isEmpty {
            // As kubectl: a path with a slash is relative to the kubeconfig's folder; a bare name is found on PATH.
            command = written.contains("/") ? kubeconfig.absolutePath(written) : written
        } else {
            report(at, "\(execOf) has no command; name the plugin, e.g. command: aws")
        }
        var arguments: [String] = []
        if let args = exec["args"] {
            if let list = args as? [Any], let strings = Self.kubeconfigScalars(list) {
                arguments = strings
            } else {
                report(at, "the args of \(execOf) must be a list of strings")
            }
        }
        var environment: [String: String] = [:]
        if let env = exec["env"] {
            let pairs = (env as? [Any])?.map { entry -> (String, String)? in
                guard let entry = entry as? [String: Any], let name = entry["name"] as? String, !name.isEmpty,
                    !name.contains("="), let value = Self.kubeconfigScalars([entry["value"] ?? ""])?.first
                else { return nil }
                return (name, value)
            }
            if let pairs, pairs.allSatisfy({ $0 != nil }) {
                environment = Dictionary(pairs.compactMap { $0 }, uniquingKeysWith: { $1 })
            } else {
                report(at, "the env of \(execOf) must be a list of {name: NAME, value: VALUE}")
            }
        }
        var interactiveMode = KubernetesExecPlugin.InteractiveMode.ifAvailable
        if let written = exec["interactiveMode"] as? String {
            switch KubernetesExecPlugin.InteractiveMode(rawValue: written) {
            case .always?:
                report(
                    at,
                    "\(execOf) has interactiveMode: Always, but Rewind runs as a daemon without a terminal; configure "
                        + "the plugin to sign in without prompting and set interactiveMode: Never")
            case let mode?:
                interactiveMode = mode
            case nil:
                report(at, "\(execOf) has interactiveMode '\(written)'; use Never or IfAvailable")
            }
        } else if exec["interactiveMode"] != nil {
            report(at, "\(execOf) has an interactiveMode that is not Never, IfAvailable or Always")
        } else if apiVersion == .v1 {
            report(at, "\(execOf) uses apiVersion v1, which needs interactiveMode: add interactiveMode: Never")
        }
        var provideClusterInfo = false
        if let written = exec["provideClusterInfo"] {
            if let flag = written as? Bool {
                provideClusterInfo = flag
            } else {
                report(at, "the provideClusterInfo of \(execOf) must be true or false")
            }
        }
        let installHint = (exec["installHint"] as? String).flatMap { $0.isEmpty ? nil : $0 }
        guard let apiVersion, !command.isEmpty, problems.count == problemsBefore else { return nil }
        return KubernetesExecPlugin(
            apiVersion: apiVersion, command: command, arguments: arguments, environment: environment,
            interactiveMode: interactiveMode, provideClusterInfo: provideClusterInfo, installHint: installHint
        )
    }

    /// Scalars as text (`- 443` is a number to YAML, a string to the plugin); nil when one is a list or mapping.
    private static func kubeconfigScalars(_ values: [Any]) -> [String]? {
        var strings: [String] = []
        for value in values {
            switch value {
            case let text as String: strings.append(text)
            case let flag as Bool: strings.append(flag ? "true" : "false")
            case let number as Int: strings.append(String(number))
            case let number as Double: strings.append(String(number))
            default: return nil
            }
        }
        return strings
    }

    // MARK: - Helpers

    /// The variable (or file) a written `${…}` value names, e.g. `KUBE_TOKEN` or `the file /run/secrets/kube`.
    static func kubernetesTokenSource(_ written: String) -> String {
        guard case .success(let parts) = Interpolation.parts(of: written) else { return "the Kubernetes token" }
        let sources = parts.compactMap { part -> String? in
            switch part {
            case .environment(let name): name
            case .file(let path): "the file \(path)"
            case .literal: nil
            }
        }
        return sources.isEmpty ? "the Kubernetes token" : sources.joined(separator: " and ")
    }

    static func kubernetesTrimmedURL(_ url: String) -> String {
        var url = Substring(url)
        while url.hasSuffix("/") { url = url.dropLast() }
        return String(url)
    }

    static func kubernetesReadText(_ path: String) -> String? {
        try? LimitedFile.read(path, maxBytes: Kubeconfig.maxBytes).get()
    }
}

/// A kubeconfig file, read with Yams (named lists of clusters, contexts and users): a regular file of at
/// most ``maxBytes``, whose aliases expand to at most ``maxExpandedNodes`` values.
private struct Kubeconfig {
    struct Problem: Error {
        var message: String
    }

    let path: String
    let root: [String: Any]

    /// A kubeconfig is read whole: at most this many bytes.
    static let maxBytes = 4 * 1024 * 1024
    /// At most this many nodes once aliases are expanded; a real kubeconfig has a few thousand. Aliases
    /// nested a few levels deep expand exponentially (a "billion laughs"), so the expansion is counted
    /// before anything is built from it.
    static let maxExpandedNodes = 100_000

    static func load(_ path: String) -> Result<Kubeconfig, Problem> {
        let text: String
        switch LimitedFile.read(path, maxBytes: maxBytes) {
        case .success(let read): text = read
        case .failure(.notRegularFile):
            return .failure(
                Problem(message: "kubeconfig \(path) is not a regular file; name the kubeconfig file itself"))
        case .failure(.tooLarge):
            return .failure(
                Problem(
                    message: "kubeconfig \(path) is larger than \(maxBytes / 1024 / 1024) MiB; is it the right file?"))
        case .failure(.unreadable):
            return .failure(
                Problem(message: "cannot read kubeconfig \(path); check that the file exists and is readable"))
        }
        let loaded: Any?
        do {
            guard let node = try Yams.compose(yaml: text) else { return .failure(notKubeconfig(path)) }
            guard expandedSize(of: node, budget: maxExpandedNodes) <= maxExpandedNodes else {
                return .failure(
                    Problem(
                        message: "kubeconfig \(path) uses aliases that expand to more than \(maxExpandedNodes) "
                            + "values; write it out without anchors and aliases"))
            }
            loaded = node.any
        } catch {
            let line = (error as? YamlError).flatMap(Self.line).map { " at line \($0)" } ?? ""
            return .failure(Problem(message: "kubeconfig \(path) is not valid YAML\(line)"))
        }
        guard let root = loaded as? [String: Any] else { return .failure(notKubeconfig(path)) }
        return .success(Kubeconfig(path: path, root: root))
    }

    private static func notKubeconfig(_ path: String) -> Problem {
        Problem(message: "kubeconfig \(path) is not a kubeconfig (expected clusters, contexts, users)")
    }

    /// How many nodes `node` holds with its aliases expanded, counting no further than just past `budget`.
    static func expandedSize(of node: Node, budget: Int) -> Int {
        var count = 0
        var pending = [node]
        while let next = pending.popLast(), count <= budget {
            count += 1
            switch next {
            case .scalar, .alias: break
            case .sequence(let sequence): pending.append(contentsOf: sequence)
            case .mapping(let mapping):
                for (key, value) in mapping {
                    pending.append(key)
                    pending.append(value)
                }
            }
        }
        return count
    }

    var currentContext: String? {
        (root["current-context"] as? String).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The names in one of the named lists (`clusters`, `contexts`, `users`).
    func names(_ list: String) -> [String] {
        ((root[list] as? [Any]) ?? []).compactMap { ($0 as? [String: Any])?["name"] as? String }
    }

    /// `field` of the element of `list` called `name`, e.g. the `context` mapping of context `prod`.
    func entry(_ list: String, named name: String, field: String) -> [String: Any]? {
        let element = ((root[list] as? [Any]) ?? []).lazy.compactMap { $0 as? [String: Any] }
            .first { $0["name"] as? String == name }
        return element?[field] as? [String: Any]
    }

    /// Paths in a kubeconfig are relative to its folder.
    func absolutePath(_ file: String) -> String {
        if file.hasPrefix("/") { return URL(fileURLWithPath: file).standardizedFileURL.path }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        return folder.appendingPathComponent(file).standardizedFileURL.path
    }

    private static func line(_ error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): mark.line
        default: nil
        }
    }
}

extension Character {
    fileprivate var isKubernetesAlphanumeric: Bool {
        ("a"..."z").contains(self) || ("0"..."9").contains(self)
    }
}
