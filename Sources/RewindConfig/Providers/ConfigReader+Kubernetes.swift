import Foundation
import RewindCore
import Yams

/// `type: kubernetes`: a Deployment rolled back through the API server (see ``KubernetesProviderSpec``).
///
/// The cluster is reached one of three ways, and the kubeconfig is read here, once, because the providers
/// cannot parse YAML:
/// - `kubeconfig: PATH` (+ `context:`): the context's server, CA and bearer token (or token file);
/// - `in_cluster: true`: the pod's ServiceAccount, resolved when the provider runs;
/// - `api_url:` + `token: ${KUBE_TOKEN}`.
///
/// `api_url`, `token`, `ca_file` and `insecure_skip_tls_verify` override what the kubeconfig or the pod says.
extension ConfigReader {
    static let kubernetesKeys = [
        "type", "namespace", "deployment", "canary", "method", "kubeconfig", "context", "in_cluster", "api_url",
        "token", "ca_file", "insecure_skip_tls_verify", "timeout",
    ]
    static let kubernetesConnectionHint =
        "say how to reach the cluster: kubeconfig: ~/.kube/config (with context: NAME to pick one), "
        + "in_cluster: true when Rewind runs in a pod, or api_url: https://… with token: ${KUBE_TOKEN}"

    /// Every problem of the provider is reported; the spec comes back only when there was none.
    mutating func kubernetesProvider(_ at: Located) -> KubernetesProviderSpec? {
        let problemsBefore = problems.count
        guard let fields = mapping(at, allowed: Self.kubernetesKeys) else { return nil }
        let namespace = require(fields, "namespace", hint: "the Deployment's namespace, e.g. namespace: shop")
            .flatMap { kubernetesName($0, what: "namespace", allowDots: false) }
        let deployment = require(fields, "deployment", hint: "the Deployment's name, e.g. deployment: web")
            .flatMap { kubernetesName($0, what: "Deployment name", allowDots: true) }
        let cluster = kubernetesCluster(fields)
        var canary: String?
        if let at = fields["canary"], let name = kubernetesName(at, what: "Deployment name", allowDots: true) {
            if name == deployment {
                report(at, "the canary must be a second Deployment, not '\(name)' itself")
            } else {
                canary = name
            }
        }
        let timeout = fields["timeout"].flatMap { duration($0) }
        let methods = KubernetesProviderSpec.Method.allCases.map { ($0.rawValue, $0) }
        let method = fields["method"].flatMap { choice($0, methods) }
        guard let namespace, let deployment, let cluster, problems.count == problemsBefore else { return nil }
        return KubernetesProviderSpec(
            namespace: namespace, deployment: deployment, cluster: cluster,
            timeout: timeout ?? KubernetesProviderSpec.defaultTimeout, method: method ?? .rolloutUndo,
            canaryDeployment: canary
        )
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
        guard let token = resolve(written, at: at) else { return nil }
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
        let where_ = "kubeconfig \(path) (context '\(contextName)')"
        var cluster = KubernetesClusterSpec(
            server: .inCluster, credential: .token(ConfigText("", isSecret: true)), authority: .systemRoots,
            credentialName: ""
        )
        var complete = true
        if needsServer {
            guard let server = kubeconfigServer(context, kubeconfig, where_, at: at) else { return nil }
            cluster.server = .url(server.url)
            cluster.authority = server.authority
        } else if let clusterName = context["cluster"] as? String,
            let entry = kubeconfig.entry("clusters", named: clusterName, field: "cluster"),
            let authority = kubeconfigAuthority(entry, kubeconfig, where_, at: at)
        {
            cluster.authority = authority
        }
        if needsCredential {
            if let credential = kubeconfigCredential(context, kubeconfig, where_, at: at) {
                cluster.credential = credential.credential
                cluster.credentialName = credential.name
            } else {
                complete = false
            }
        }
        return complete ? cluster : nil
    }

    private mutating func kubeconfigServer(
        _ context: [String: Any], _ kubeconfig: Kubeconfig, _ where_: String, at: Located
    ) -> (url: String, authority: KubernetesClusterSpec.Authority)? {
        guard let clusterName = context["cluster"] as? String, !clusterName.isEmpty else {
            report(at, "\(where_) names no cluster")
            return nil
        }
        guard let entry = kubeconfig.entry("clusters", named: clusterName, field: "cluster") else {
            report(at, "\(where_) names cluster '\(clusterName)', which is not in its clusters")
            return nil
        }
        guard let server = entry["server"] as? String, !server.isEmpty else {
            report(at, "cluster '\(clusterName)' in \(where_) has no server URL; add one or set api_url:")
            return nil
        }
        guard isHTTPURL(server, shown: "the server '\(server)' of \(where_)", at: at, example: "https://10.0.0.1:6443")
        else { return nil }
        guard let authority = kubeconfigAuthority(entry, kubeconfig, where_, at: at) else { return nil }
        return (Self.kubernetesTrimmedURL(server), authority)
    }

    private mutating func kubeconfigAuthority(
        _ cluster: [String: Any], _ kubeconfig: Kubeconfig, _ where_: String, at: Located
    ) -> KubernetesClusterSpec.Authority? {
        if cluster["insecure-skip-tls-verify"] as? Bool == true { return .insecureSkipVerify }
        if let data = cluster["certificate-authority-data"] as? String {
            guard let decoded = Data(base64Encoded: data, options: .ignoreUnknownCharacters),
                let pem = String(data: decoded, encoding: .utf8), pem.contains("-----BEGIN CERTIFICATE-----")
            else {
                report(at, "the certificate-authority-data of \(where_) is not a base64-encoded PEM certificate")
                return nil
            }
            return .pem(pem)
        }
        if let file = cluster["certificate-authority"] as? String, !file.isEmpty {
            let path = kubeconfig.absolutePath(file)
            guard Self.kubernetesReadText(path) != nil else {
                report(at, "cannot read the certificate-authority \(path) of \(where_)")
                return nil
            }
            return .file(path)
        }
        return .systemRoots
    }

    private mutating func kubeconfigCredential(
        _ context: [String: Any], _ kubeconfig: Kubeconfig, _ where_: String, at: Located
    ) -> (credential: KubernetesClusterSpec.Credential, name: String)? {
        guard let userName = context["user"] as? String, !userName.isEmpty else {
            report(at, "\(where_) names no user; add one with a token, or set token: ${KUBE_TOKEN}")
            return nil
        }
        guard let user = kubeconfig.entry("users", named: userName, field: "user") else {
            report(at, "\(where_) names user '\(userName)', which is not in its users")
            return nil
        }
        let userIn = "user '\(userName)' in \(where_)"
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
        let instead =
            "give Rewind a bearer token instead: a ServiceAccount token (kubectl create token NAME) "
            + "in the user's token, or token: ${KUBE_TOKEN}"
        if ["client-certificate", "client-certificate-data", "client-key", "client-key-data"]
            .contains(where: { user[$0] != nil })
        {
            report(at, "\(userIn) signs in with a client certificate, which Rewind does not support; \(instead)")
        } else if let exec = user["exec"] as? [String: Any] {
            let command = (exec["command"] as? String).map { " (\($0))" } ?? ""
            report(at, "\(userIn) uses an exec credential plugin\(command), which Rewind does not run; \(instead)")
        } else if let provider = user["auth-provider"] as? [String: Any] {
            let name = (provider["name"] as? String).map { " (\($0))" } ?? ""
            report(at, "\(userIn) uses an auth-provider\(name), which Rewind does not support; \(instead)")
        } else if user["username"] != nil || user["password"] != nil {
            report(at, "\(userIn) uses a username and password, which Rewind does not support; \(instead)")
        } else {
            report(at, "\(userIn) has no token; \(instead)")
        }
        return nil
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
        FileManager.default.contents(atPath: path).flatMap { String(data: $0, encoding: .utf8) }
    }
}

/// A kubeconfig file, read with Yams (named lists of clusters, contexts and users).
private struct Kubeconfig {
    struct Problem: Error {
        var message: String
    }

    let path: String
    let root: [String: Any]

    static func load(_ path: String) -> Result<Kubeconfig, Problem> {
        guard let text = ConfigReader.kubernetesReadText(path) else {
            return .failure(
                Problem(message: "cannot read kubeconfig \(path); check that the file exists and is readable"))
        }
        let loaded: Any?
        do {
            loaded = try Yams.load(yaml: text)
        } catch {
            let line = (error as? YamlError).flatMap(Self.line).map { " at line \($0)" } ?? ""
            return .failure(Problem(message: "kubeconfig \(path) is not valid YAML\(line)"))
        }
        guard let root = loaded as? [String: Any] else {
            return .failure(
                Problem(message: "kubeconfig \(path) is not a kubeconfig (expected clusters, contexts, users)"))
        }
        return .success(Kubeconfig(path: path, root: root))
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
