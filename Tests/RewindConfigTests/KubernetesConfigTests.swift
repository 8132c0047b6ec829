import Foundation
import RewindConfig
import RewindCore
import Testing

@Suite("Kubernetes provider configuration")
struct KubernetesConfigTests {
    static let token = "kube-env-token-1c4e9a"
    static let kubeconfigToken = "kube-ci-token-77b3d0e2"
    static let environment = ["KUBE_TOKEN": token]
    static let ca = """
        -----BEGIN CERTIFICATE-----
        MIIBnzCCAUWgAwIBAgIUTX2Cwk9FbFdZLiATDDM9DvBvrJ8wCgYIKoZIzj0EAwIw
        -----END CERTIFICATE-----

        """

    /// One service whose provider (and fallback) are the given YAML lines. The provider's keys start on line 7.
    static func service(provider: String, fallback: String? = nil) -> String {
        var yaml = """
            services:
              web:
                checks:
                  - name: health
                    url: https://shop.example.com/health
                provider:
            \(indent(provider))
            """
        if let fallback { yaml += "\n    fallback:\n\(indent(fallback))" }
        return yaml
    }

    private static func indent(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { "      " + $0 }.joined(separator: "\n")
    }

    /// A kubeconfig with four contexts: `prod` (token, CA data; current), `staging` (token file, insecure), `laptop`
    /// (client certificate) and `cloud` (exec plugin). Removed by the caller with its folder.
    static func kubeconfig() throws -> (folder: URL, path: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rewind-kube-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data("file-token-0042\n".utf8).write(to: folder.appendingPathComponent("token.txt"))
        try Data(ca.utf8).write(to: folder.appendingPathComponent("ca.crt"))
        let caData = Data(ca.utf8).base64EncodedString()
        let yaml = """
            apiVersion: v1
            kind: Config
            current-context: prod
            clusters:
            - name: prod-cluster
              cluster:
                server: https://10.0.0.1:6443/
                certificate-authority-data: \(caData)
            - name: staging-cluster
              cluster:
                server: https://10.0.0.2:6443
                insecure-skip-tls-verify: true
            contexts:
            - name: prod
              context: {cluster: prod-cluster, user: ci, namespace: shop}
            - name: staging
              context: {cluster: staging-cluster, user: files}
            - name: laptop
              context: {cluster: prod-cluster, user: alice}
            - name: cloud
              context: {cluster: prod-cluster, user: eks}
            users:
            - name: ci
              user: {token: \(kubeconfigToken)}
            - name: files
              user: {tokenFile: token.txt}
            - name: alice
              user: {client-certificate-data: Y2VydA==, client-key-data: a2V5}
            - name: eks
              user:
                exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: aws, args: [eks, get-token]}
            """
        let path = folder.appendingPathComponent("config").path
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: path))
        return (folder, path)
    }

    func expectProblems(
        _ yaml: String,
        _ expected: [(line: Int, path: String, message: String)],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let found = problems(yaml, environment: Self.environment)
        #expect(
            found.count == expected.count, "\(found.map(\.description).joined(separator: "\n"))",
            sourceLocation: sourceLocation
        )
        for (problem, (line, path, message)) in zip(found, expected) {
            #expect(problem.line == line, "\(problem)", sourceLocation: sourceLocation)
            #expect(problem.path == path, "\(problem)", sourceLocation: sourceLocation)
            #expect(problem.message == message, "\(problem)", sourceLocation: sourceLocation)
        }
        for problem in found {
            #expect(!problem.message.contains(Self.token), sourceLocation: sourceLocation)
            #expect(!problem.message.contains(Self.kubeconfigToken), sourceLocation: sourceLocation)
        }
    }

    private func spec(
        _ yaml: String, sourceLocation: SourceLocation = #_sourceLocation
    ) throws
        -> (provider: KubernetesProviderSpec, fallback: KubernetesProviderSpec?)
    {
        let parsed = parse(yaml, environment: Self.environment)
        #expect(parsed.problems.isEmpty, "\(parsed.problems)", sourceLocation: sourceLocation)
        let service = try #require(parsed.configuration?.policy.services.first, sourceLocation: sourceLocation)
        guard case .kubernetes(let provider)? = service.provider else {
            Issue.record("expected a kubernetes provider, got \(String(describing: service.provider))")
            throw CancellationError()
        }
        var fallback: KubernetesProviderSpec?
        if case .kubernetes(let spec)? = service.fallback { fallback = spec }
        return (provider, fallback)
    }

    // MARK: - Valid configurations

    @Test("kubeconfig: the current context's server, CA data and token; every other key")
    func kubeconfigCurrentContext() throws {
        let (folder, path) = try Self.kubeconfig()
        defer { try? FileManager.default.removeItem(at: folder) }
        let yaml = Self.service(
            provider: """
                type: kubernetes
                namespace: shop
                deployment: web
                kubeconfig: \(path)
                canary: web-canary
                timeout: 5s
                method: rollout_undo
                """,
            fallback: """
                type: kubernetes
                namespace: shop
                deployment: web
                kubeconfig: \(path)
                method: set_image
                """
        )
        let specs = try spec(yaml)
        let cluster = KubernetesClusterSpec(
            server: .url("https://10.0.0.1:6443"), credential: .token(ConfigText(Self.kubeconfigToken, isSecret: true)),
            authority: .pem(Self.ca), credentialName: "the token of user 'ci' in kubeconfig \(path) (context 'prod')"
        )
        #expect(
            specs.provider
                == KubernetesProviderSpec(
                    namespace: "shop", deployment: "web", cluster: cluster, timeout: .seconds(5), method: .rolloutUndo,
                    canaryDeployment: "web-canary"
                )
        )
        #expect(
            specs.fallback
                == KubernetesProviderSpec(namespace: "shop", deployment: "web", cluster: cluster, method: .setImage)
        )
        #expect(specs.provider.cluster.secrets == [Self.kubeconfigToken])
    }

    @Test("kubeconfig with context: a token file relative to the kubeconfig, insecure TLS")
    func kubeconfigNamedContext() throws {
        let (folder, path) = try Self.kubeconfig()
        defer { try? FileManager.default.removeItem(at: folder) }
        let yaml = Self.service(
            provider: """
                type: kubernetes
                namespace: shop
                deployment: web
                kubeconfig: \(path)
                context: staging
                """
        )
        let tokenFile = folder.appendingPathComponent("token.txt").standardizedFileURL.path
        let provider = try spec(yaml).provider
        #expect(provider.cluster.server == .url("https://10.0.0.2:6443"))
        #expect(provider.cluster.credential == .tokenFile(tokenFile))
        #expect(provider.cluster.authority == .insecureSkipVerify)
        #expect(
            provider.cluster.credentialName
                == "the token file \(tokenFile) (user 'files' in kubeconfig \(path) (context 'staging'))"
        )
        #expect(provider.timeout == KubernetesProviderSpec.defaultTimeout)
    }

    @Test("token, api_url and ca_file override the kubeconfig (a client-certificate user is then fine)")
    func kubeconfigOverrides() throws {
        let (folder, path) = try Self.kubeconfig()
        defer { try? FileManager.default.removeItem(at: folder) }
        let caFile = folder.appendingPathComponent("ca.crt").standardizedFileURL.path
        let yaml = Self.service(
            provider: """
                type: kubernetes
                namespace: shop
                deployment: web
                kubeconfig: \(path)
                context: laptop
                token: ${KUBE_TOKEN}
                api_url: https://k8s.example.com:6443/
                ca_file: \(caFile)
                """
        )
        let provider = try spec(yaml).provider
        #expect(
            provider.cluster
                == KubernetesClusterSpec(
                    server: .url("https://k8s.example.com:6443"),
                    credential: .token(ConfigText(Self.token, isSecret: true)),
                    authority: .file(caFile), credentialName: "KUBE_TOKEN"
                )
        )
    }

    @Test("in_cluster: the pod's ServiceAccount, resolved when the provider runs")
    func inCluster() throws {
        let yaml = Self.service(
            provider: """
                type: kubernetes
                namespace: shop
                deployment: web
                in_cluster: true
                """
        )
        let provider = try spec(yaml).provider
        #expect(provider.cluster == .inCluster())
        #expect(provider.cluster.server == .inCluster)
        #expect(provider.cluster.credential == .tokenFile("/var/run/secrets/kubernetes.io/serviceaccount/token"))
        #expect(provider.cluster.authority == .file("/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"))
    }

    @Test("api_url with token: the system's trust store; the credential is named by its variable")
    func apiURLAndToken() throws {
        let yaml = Self.service(
            provider: """
                type: kubernetes
                namespace: shop
                deployment: web.v2
                api_url: https://k8s.example.com
                token: ${KUBE_TOKEN}
                """
        )
        let provider = try spec(yaml).provider
        #expect(provider.deployment == "web.v2")
        #expect(
            provider.cluster
                == KubernetesClusterSpec(
                    server: .url("https://k8s.example.com"), credential: .token(ConfigText(Self.token, isSecret: true)),
                    authority: .systemRoots, credentialName: "KUBE_TOKEN"
                )
        )
    }

    // MARK: - Problems

    @Test("an inline token is refused without being shown")
    func inlineToken() {
        expectProblems(
            Self.service(
                provider: """
                    type: kubernetes
                    namespace: shop
                    deployment: web
                    api_url: https://k8s.example.com
                    token: kube-inline-token-abc123
                    """
            ),
            [
                (
                    11, "services.web.provider.token",
                    "put the token in an environment variable: token: ${KUBE_TOKEN} (an inline token is refused)"
                )
            ]
        )
        #expect(
            !problems(Self.service(provider: "type: kubernetes\ntoken: kube-inline-token-abc123"))
                .contains { $0.message.contains("kube-inline-token-abc123") })
    }

    @Test("missing namespace, deployment and connection: each reported at the provider")
    func missingKeys() {
        expectProblems(
            Self.service(provider: "type: kubernetes"),
            [
                (
                    6, "services.web.provider",
                    "missing required key 'namespace'; the Deployment's namespace, e.g. namespace: shop"
                ),
                (
                    6, "services.web.provider",
                    "missing required key 'deployment'; the Deployment's name, e.g. deployment: web"
                ),
                (
                    6, "services.web.provider",
                    "say how to reach the cluster: kubeconfig: ~/.kube/config (with context: NAME to pick one), "
                        + "in_cluster: true when Rewind runs in a pod, or api_url: https://… with token: ${KUBE_TOKEN}"
                ),
            ]
        )
    }

    @Test("invalid names, an unknown key, a canary that is the Deployment, an unknown method")
    func invalidValues() {
        expectProblems(
            Self.service(
                provider: """
                    type: kubernetes
                    namespace: Shop_1
                    deployment: web
                    namespcae: shop
                    in_cluster: true
                    canary: web
                    method: undo
                    """
            ),
            [
                (
                    8, "services.web.provider.namespace",
                    "'Shop_1' is not a valid Kubernetes namespace: use at most 63 lowercase letters, digits and '-', "
                        + "starting and ending with a letter or digit"
                ),
                (10, "services.web.provider.namespcae", "unknown key 'namespcae'; did you mean 'namespace'?"),
                (12, "services.web.provider.canary", "the canary must be a second Deployment, not 'web' itself"),
                (13, "services.web.provider.method", "'undo' is not one of 'rollout_undo' or 'set_image'"),
            ]
        )
    }

    @Test(
        "conflicting connection keys: in_cluster with kubeconfig, context alone, ca_file with insecure, api_url alone")
    func conflictingConnection() throws {
        let (folder, path) = try Self.kubeconfig()
        defer { try? FileManager.default.removeItem(at: folder) }
        expectProblems(
            Self.service(
                provider: """
                    type: kubernetes
                    namespace: shop
                    deployment: web
                    kubeconfig: \(path)
                    in_cluster: true
                    """
            ),
            [
                (
                    11, "services.web.provider.in_cluster",
                    "choose one: in_cluster: true (the pod's ServiceAccount) or kubeconfig: PATH"
                )
            ]
        )
        expectProblems(
            Self.service(
                provider: """
                    type: kubernetes
                    namespace: shop
                    deployment: web
                    in_cluster: true
                    context: prod
                    insecure_skip_tls_verify: true
                    ca_file: \(folder.appendingPathComponent("ca.crt").path)
                    """
            ),
            [
                (
                    11, "services.web.provider.context",
                    "context picks a context of a kubeconfig; add kubeconfig: ~/.kube/config"
                ),
                (
                    12, "services.web.provider.insecure_skip_tls_verify",
                    "choose one: ca_file trusts that certificate authority, insecure_skip_tls_verify trusts any"
                ),
            ]
        )
        expectProblems(
            Self.service(
                provider: """
                    type: kubernetes
                    namespace: shop
                    deployment: web
                    api_url: https://k8s.example.com
                    """
            ),
            [
                (
                    10, "services.web.provider.api_url",
                    "api_url needs a token: token: ${KUBE_TOKEN} (a ServiceAccount token, e.g. kubectl create token)"
                )
            ]
        )
    }

    @Test("kubeconfig problems name the kubeconfig: missing file, unknown context, client certificates, exec")
    func kubeconfigProblems() throws {
        let (folder, path) = try Self.kubeconfig()
        defer { try? FileManager.default.removeItem(at: folder) }
        func provider(_ extra: String) -> String {
            Self.service(
                provider: "type: kubernetes\nnamespace: shop\ndeployment: web\nkubeconfig: \(path)\n\(extra)"
            )
        }
        let missing = folder.appendingPathComponent("nope").path
        expectProblems(
            Self.service(provider: "type: kubernetes\nnamespace: shop\ndeployment: web\nkubeconfig: \(missing)"),
            [
                (
                    10, "services.web.provider.kubeconfig",
                    "cannot read kubeconfig \(missing); check that the file exists and is readable"
                )
            ]
        )
        expectProblems(
            provider("context: prdo"),
            [(11, "services.web.provider.context", "kubeconfig \(path) has no context 'prdo'; did you mean 'prod'?")]
        )
        let instead =
            "give Rewind a bearer token instead: a ServiceAccount token (kubectl create token NAME) in the user's "
            + "token, or token: ${KUBE_TOKEN}"
        expectProblems(
            provider("context: laptop"),
            [
                (
                    10, "services.web.provider.kubeconfig",
                    "user 'alice' in kubeconfig \(path) (context 'laptop') signs in with a client certificate, which "
                        + "Rewind does not support; \(instead)"
                )
            ]
        )
        expectProblems(
            provider("context: cloud"),
            [
                (
                    10, "services.web.provider.kubeconfig",
                    "user 'eks' in kubeconfig \(path) (context 'cloud') uses an exec credential plugin (aws), which "
                        + "Rewind does not run; \(instead)"
                )
            ]
        )
    }

    @Test("a kubeconfig without current-context needs context:; one that is not YAML says so")
    func kubeconfigShape() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rewind-kube-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let noCurrent = folder.appendingPathComponent("no-current").path
        try Data("contexts:\n- name: a\n  context: {cluster: c, user: u}\n".utf8).write(
            to: URL(fileURLWithPath: noCurrent))
        let broken = folder.appendingPathComponent("broken").path
        try Data("clusters: [\n".utf8).write(to: URL(fileURLWithPath: broken))
        expectProblems(
            Self.service(provider: "type: kubernetes\nnamespace: shop\ndeployment: web\nkubeconfig: \(noCurrent)"),
            [
                (
                    10, "services.web.provider.kubeconfig",
                    "kubeconfig \(noCurrent) has no current-context; name one with context: NAME (contexts in it: 'a')"
                )
            ]
        )
        let found = problems(
            Self.service(provider: "type: kubernetes\nnamespace: shop\ndeployment: web\nkubeconfig: \(broken)")
        )
        #expect(found.count == 1)
        #expect(found.first?.message.hasPrefix("kubeconfig \(broken) is not valid YAML") == true)
    }
}
