import Foundation
import RewindConfig
import RewindCore
import RewindSpecs
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

    /// Test PEM material for the client-certificate user (the configuration checks its markers, not its bytes).
    static let clientCertificate = "-----BEGIN CERTIFICATE-----\nMIIBc2VydA==\n-----END CERTIFICATE-----\n"
    static let clientKey = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIGtleQ==\n-----END EC PRIVATE KEY-----\n"

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
    static func kubeconfig(
        contexts extraContexts: String = "", users extraUsers: String = ""
    ) throws -> (
        folder: URL, path: String
    ) {
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
            \(extraContexts)
            users:
            - name: ci
              user: {token: \(kubeconfigToken)}
            - name: files
              user: {tokenFile: token.txt}
            - name: alice
              user: {client-certificate-data: \(Data(clientCertificate.utf8).base64EncodedString()), client-key-data: \(Data(clientKey.utf8).base64EncodedString())}
            - name: eks
              user:
                exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: aws, args: [eks, get-token]}
            \(extraUsers)
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
        let service = try #require(parsed.configuration?.firstServiceSpecs, sourceLocation: sourceLocation)
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
                    namespace: "shop", workload: "web", cluster: cluster, timeout: .seconds(5), method: .rolloutUndo,
                    canaryDeployment: "web-canary"
                )
        )
        #expect(
            specs.fallback
                == KubernetesProviderSpec(namespace: "shop", workload: "web", cluster: cluster, method: .setImage)
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
        #expect(provider.kind == .deployment && provider.workload == "web.v2")
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

    @Test("kind: StatefulSet or DaemonSet with name:; kind: Deployment with name: is deployment:")
    func workloadKinds() throws {
        for (kind, expected) in [
            ("StatefulSet", KubernetesWorkloadKind.statefulSet), ("DaemonSet", .daemonSet), ("Deployment", .deployment),
        ] {
            let yaml = Self.service(
                provider: """
                    type: kubernetes
                    namespace: shop
                    kind: \(kind)
                    name: postgres
                    in_cluster: true
                    method: set_image
                    """
            )
            let provider = try spec(yaml).provider
            #expect(provider.kind == expected && provider.workload == "postgres" && provider.method == .setImage)
        }
    }

    @Test("kind: Rollout; events and watch_pods default to true and can be turned off; set_image is refused")
    func argoRolloutAndSignals() throws {
        let provider = try spec(
            Self.service(provider: "type: kubernetes\nnamespace: shop\nkind: Rollout\nname: web\nin_cluster: true")
        ).provider
        #expect(provider.kind == .rollout && provider.workload == "web" && provider.events && provider.watchPods)
        let off = try spec(
            Self.service(
                provider: "type: kubernetes\nnamespace: shop\ndeployment: web\nin_cluster: true\nevents: false\n"
                    + "watch_pods: false")
        ).provider
        #expect(!off.events && !off.watchPods)
        expectProblems(
            Self.service(
                provider: "type: kubernetes\nnamespace: shop\nkind: Rollout\nname: web\nin_cluster: true\n"
                    + "method: set_image"),
            [
                (
                    12, "services.web.provider.method",
                    "a Rollout is rolled back by undo (method: rollout_undo, the default); set_image is for "
                        + "Deployments, StatefulSets and DaemonSets"
                )
            ]
        )
    }

    @Test("traffic: {type: argo_rollouts}: namespace, rollout and the cluster keys; missing rollout is reported")
    func argoRolloutTraffic() throws {
        let yaml =
            Self.service(provider: "type: kubernetes\nnamespace: shop\nkind: Rollout\nname: web\nin_cluster: true")
            + "\n    traffic:\n      type: argo_rollouts\n      namespace: shop\n      rollout: web\n"
            + "      in_cluster: true\n      timeout: 3s"
        let parsed = parse(yaml, environment: Self.environment)
        #expect(parsed.problems.isEmpty, "\(parsed.problems)")
        guard case .argoRollout(let traffic)? = parsed.configuration?.firstServiceSpecs?.traffic else {
            Issue.record("expected an argo_rollouts traffic controller")
            return
        }
        #expect(traffic.namespace == "shop" && traffic.rollout == "web" && traffic.timeout == .seconds(3))
        #expect(traffic.cluster == .inCluster())
        let missing =
            Self.service(provider: "type: kubernetes\nnamespace: shop\nkind: Rollout\nname: web\nin_cluster: true")
            + "\n    traffic:\n      type: argo_rollouts\n      namespace: shop\n      in_cluster: true"
        let problems = problems(missing, environment: Self.environment)
        #expect(
            problems.map(\.message) == ["missing required key 'rollout'; the Argo Rollout's name, e.g. rollout: web"])
    }

    @Test("an unknown kind, deployment: with another kind, both names, no name, a canary of a StatefulSet")
    func workloadKindProblems() {
        expectProblems(
            Self.service(
                provider: """
                    type: kubernetes
                    namespace: shop
                    kind: CronJob
                    name: nightly
                    in_cluster: true
                    """
            ),
            [
                (
                    9, "services.web.provider.kind",
                    "'CronJob' is not one of 'Deployment', 'StatefulSet', 'DaemonSet' or 'Rollout'"
                )
            ]
        )
        expectProblems(
            Self.service(
                provider: """
                    type: kubernetes
                    namespace: shop
                    kind: statefulset
                    name: db
                    in_cluster: true
                    """
            ),
            [
                (
                    9, "services.web.provider.kind",
                    "'statefulset' is not one of 'Deployment', 'StatefulSet', 'DaemonSet' or 'Rollout'; "
                        + "did you mean 'StatefulSet'?"
                )
            ]
        )
        expectProblems(
            Self.service(
                provider: """
                    type: kubernetes
                    namespace: shop
                    kind: StatefulSet
                    deployment: db
                    canary: db-canary
                    in_cluster: true
                    """
            ),
            [
                (
                    10, "services.web.provider.deployment",
                    "deployment: names a Deployment; name the StatefulSet with name: instead"
                ),
                (
                    11, "services.web.provider.canary",
                    "a canary is a second Deployment next to a Deployment; a StatefulSet has none"
                ),
            ]
        )
        expectProblems(
            Self.service(provider: "type: kubernetes\nnamespace: shop\ndeployment: web\nname: web\nin_cluster: true"),
            [(10, "services.web.provider.name", "choose one: deployment: NAME (a Deployment) or kind: with name: NAME")]
        )
        expectProblems(
            Self.service(provider: "type: kubernetes\nnamespace: shop\nkind: DaemonSet\nin_cluster: true"),
            [(6, "services.web.provider", "missing required key 'name'; the DaemonSet's name, e.g. name: db")]
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
    }

    // MARK: - Cloud kubeconfigs

    /// Contexts `c-<user>` for each user of `users` (YAML list entries at column 0).
    static func cloudKubeconfig(_ users: [(name: String, user: String)]) throws -> (folder: URL, path: String) {
        try kubeconfig(
            contexts: users.map { "- name: c-\($0.name)\n  context: {cluster: prod-cluster, user: \($0.name)}" }
                .joined(separator: "\n"),
            users: users.map { "- name: \($0.name)\n  user:\n\($0.user)" }.joined(separator: "\n")
        )
    }

    func provider(_ path: String, context: String) -> String {
        Self.service(
            provider: "type: kubernetes\nnamespace: shop\ndeployment: web\nkubeconfig: \(path)\ncontext: \(context)")
    }

    @Test("a client certificate: PEM data, or files relative to the kubeconfig; the inline key is a secret")
    func kubeconfigClientCertificate() throws {
        let (folder, path) = try Self.cloudKubeconfig([
            (name: "certfiles", user: "    client-certificate: pki/client.crt\n    client-key: pki/client.key")
        ])
        defer { try? FileManager.default.removeItem(at: folder) }
        let pki = folder.appendingPathComponent("pki")
        try FileManager.default.createDirectory(at: pki, withIntermediateDirectories: true)
        try Data(Self.clientCertificate.utf8).write(to: pki.appendingPathComponent("client.crt"))
        try Data(Self.clientKey.utf8).write(to: pki.appendingPathComponent("client.key"))

        let inline = try spec(provider(path, context: "laptop")).provider.cluster
        #expect(
            inline.credential
                == .clientCertificate(
                    KubernetesClientCertificate(certificate: .pem(Self.clientCertificate), key: .pem(Self.clientKey)))
        )
        #expect(
            inline.credentialName == "the client certificate of user 'alice' in kubeconfig \(path) (context 'laptop')")
        #expect(inline.secrets == [Self.clientKey])
        #expect(inline.mechanism.hasPrefix("a client certificate (the client certificate of user 'alice'"))

        let files = try spec(provider(path, context: "c-certfiles")).provider.cluster
        #expect(
            files.credential
                == .clientCertificate(
                    KubernetesClientCertificate(
                        certificate: .file(pki.appendingPathComponent("client.crt").standardizedFileURL.path),
                        key: .file(pki.appendingPathComponent("client.key").standardizedFileURL.path)))
        )
        #expect(files.secrets.isEmpty)
    }

    @Test("exec plugins: EKS (v1beta1), GKE (v1, env, provideClusterInfo), a relative command; defaults as kubectl")
    func kubeconfigExec() throws {
        let (folder, path) = try Self.cloudKubeconfig([
            (
                name: "gke",
                user: """
                    exec:
                      apiVersion: client.authentication.k8s.io/v1
                      command: gke-gcloud-auth-plugin
                      interactiveMode: Never
                      provideClusterInfo: true
                      installHint: Install gke-gcloud-auth-plugin for use with kubectl
                      env:
                      - {name: CLOUDSDK_CORE_PROJECT, value: shop-prod}
                      - {name: RETRIES, value: 3}
                """
            ),
            (
                name: "eks-cli",
                user: """
                    exec:
                      apiVersion: client.authentication.k8s.io/v1beta1
                      args: [--region, eu-west-1, eks, get-token, --cluster-name, prod, --output, json]
                      command: aws
                      env: null
                      installHint: null
                """
            ),
            (
                name: "local",
                user:
                    "    exec: {apiVersion: client.authentication.k8s.io/v1, command: ./bin/login, interactiveMode: IfAvailable}"
            ),
        ])
        defer { try? FileManager.default.removeItem(at: folder) }

        let eks = try spec(provider(path, context: "cloud")).provider.cluster
        #expect(
            eks.credential
                == .exec(KubernetesExecPlugin(apiVersion: .v1beta1, command: "aws", arguments: ["eks", "get-token"]))
        )
        #expect(eks.credentialName == "the exec plugin aws of user 'eks' in kubeconfig \(path) (context 'cloud')")
        #expect(eks.mechanism.hasPrefix("exec plugin aws ("))
        #expect(eks.secrets.isEmpty)

        let gke = try spec(provider(path, context: "c-gke")).provider.cluster
        #expect(
            gke.credential
                == .exec(
                    KubernetesExecPlugin(
                        apiVersion: .v1, command: "gke-gcloud-auth-plugin",
                        environment: ["CLOUDSDK_CORE_PROJECT": "shop-prod", "RETRIES": "3"], interactiveMode: .never,
                        provideClusterInfo: true, installHint: "Install gke-gcloud-auth-plugin for use with kubectl"
                    ))
        )

        let cli = try spec(provider(path, context: "c-eks-cli")).provider.cluster
        #expect(
            cli.credential
                == .exec(
                    KubernetesExecPlugin(
                        apiVersion: .v1beta1, command: "aws",
                        arguments: [
                            "--region", "eu-west-1", "eks", "get-token", "--cluster-name", "prod", "--output", "json",
                        ]
                    )),
            "what aws eks update-kubeconfig writes, env: null included"
        )

        let local = try spec(provider(path, context: "c-local")).provider.cluster
        guard case .exec(let plugin) = local.credential else {
            Issue.record("expected an exec plugin, got \(local.credential)")
            return
        }
        #expect(plugin.command == folder.appendingPathComponent("bin/login").standardizedFileURL.path)
        #expect(plugin.programName == "login")
        #expect(plugin.interactiveMode == .ifAvailable)
    }

    @Test("refused: interactiveMode Always, v1 without interactiveMode, v1alpha1, no command, half a certificate")
    func kubeconfigCloudProblems() throws {
        let (folder, path) = try Self.cloudKubeconfig([
            (
                name: "always",
                user:
                    "    exec: {apiVersion: client.authentication.k8s.io/v1, command: kubelogin, interactiveMode: Always}"
            ),
            (name: "nomode", user: "    exec: {apiVersion: client.authentication.k8s.io/v1, command: kubelogin}"),
            (name: "alpha", user: "    exec: {apiVersion: client.authentication.k8s.io/v1alpha1, command: aws}"),
            (name: "nocommand", user: "    exec: {apiVersion: client.authentication.k8s.io/v1beta1, args: [x]}"),
            (
                name: "badenv",
                user: "    exec: {apiVersion: client.authentication.k8s.io/v1beta1, command: aws, env: [{value: x}]}"
            ),
            (
                name: "half",
                user: "    client-certificate-data: \(Data(Self.clientCertificate.utf8).base64EncodedString())"
            ),
            (
                name: "notpem",
                user:
                    "    {client-certificate-data: Y2VydA==, client-key-data: \(Data(Self.clientKey.utf8).base64EncodedString())}"
            ),
            (name: "provider", user: "    auth-provider: {name: gcp}"),
        ])
        defer { try? FileManager.default.removeItem(at: folder) }
        func expect(_ context: String, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
            expectProblems(
                provider(path, context: context), [(10, "services.web.provider.kubeconfig", message)],
                sourceLocation: sourceLocation)
        }
        func user(_ name: String) -> String { "user '\(name)' in kubeconfig \(path) (context 'c-\(name)')" }
        expect(
            "c-always",
            "the exec plugin of \(user("always")) has interactiveMode: Always, but Rewind runs as a daemon without a "
                + "terminal; configure the plugin to sign in without prompting and set interactiveMode: Never")
        expect(
            "c-nomode",
            "the exec plugin of \(user("nomode")) uses apiVersion v1, which needs interactiveMode: add "
                + "interactiveMode: Never")
        expect(
            "c-alpha",
            "the exec plugin of \(user("alpha")) asks for apiVersion 'client.authentication.k8s.io/v1alpha1', which "
                + "Rewind does not speak; use client.authentication.k8s.io/v1 or client.authentication.k8s.io/v1beta1")
        expect(
            "c-nocommand", "the exec plugin of \(user("nocommand")) has no command; name the plugin, e.g. command: aws")
        expect(
            "c-badenv", "the env of the exec plugin of \(user("badenv")) must be a list of {name: NAME, value: VALUE}")
        expect(
            "c-half",
            "\(user("half")) has a client certificate but no client-key-data (or client-key file); mutual TLS needs both"
        )
        expect(
            "c-notpem",
            "the client-certificate-data of \(user("notpem")) is not base64-encoded PEM (-----BEGIN …CERTIFICATE-----)")
        expect(
            "c-provider",
            "\(user("provider")) uses an auth-provider (gcp), which Kubernetes removed in 1.26 and Rewind does not "
                + "support; use the provider's exec plugin (gke-gcloud-auth-plugin, kubelogin), or give Rewind a "
                + "bearer token, a client certificate or an exec plugin instead, or token: ${KUBE_TOKEN}")
        for problem in problems(provider(path, context: "c-notpem"), environment: Self.environment) {
            #expect(!problem.message.contains("MHcCAQEEIGtleQ"), "the key is never shown")
        }
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

    /// Aliases nested a few levels deep expand exponentially (a "billion laughs"): 9 levels of 9
    /// references is 387 million nodes. Reading such a kubeconfig must stop early with a problem.
    @Test("a kubeconfig whose aliases expand without bound is refused quickly, not expanded", .timeLimit(.minutes(1)))
    func kubeconfigAliasBomb() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var yaml = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for level in 1...9 {
            let references = Array(repeating: "*a\(level - 1)", count: 9).joined(separator: ", ")
            yaml += "a\(level): &a\(level) [\(references)]\n"
        }
        yaml += "current-context: prod\ncontexts: *a9\n"
        let bomb = folder.appendingPathComponent("bomb").path
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: bomb))
        let started = ContinuousClock.now
        let found = problems(
            Self.service(provider: "type: kubernetes\nnamespace: shop\ndeployment: web\nkubeconfig: \(bomb)"))
        #expect(ContinuousClock.now - started < .seconds(60), "refused at once, not expanded or waited for")
        #expect(found.count == 1)
        #expect(found.first?.message.contains("kubeconfig \(bomb)") == true, "\(found)")
        #expect(found.first?.message.contains("aliases") == true, "\(found)")

        // A handful of aliases, as people write them, is fine.
        let modest = folder.appendingPathComponent("modest").path
        try Data(
            """
            current-context: prod
            clusters:
            - name: c
              cluster: &cluster {server: "https://10.0.0.9:6443", insecure-skip-tls-verify: true}
            - name: c2
              cluster: *cluster
            contexts:
            - name: prod
              context: {cluster: c2, user: u}
            users:
            - name: u
              user: {token: abc-token-1}
            """.utf8
        ).write(to: URL(fileURLWithPath: modest))
        #expect(
            problems(
                Self.service(provider: "type: kubernetes\nnamespace: shop\ndeployment: web\nkubeconfig: \(modest)")
            ).isEmpty)
    }

    @Test("a kubeconfig larger than 4 MiB, or one that is not a regular file, is refused without reading it all")
    func kubeconfigSize() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let huge = folder.appendingPathComponent("huge").path
        try Data(repeating: UInt8(ascii: "#"), count: 4 * 1024 * 1024 + 1).write(to: URL(fileURLWithPath: huge))
        let found = problems(
            Self.service(provider: "type: kubernetes\nnamespace: shop\ndeployment: web\nkubeconfig: \(huge)"))
        #expect(found.first?.message.contains("larger than 4 MiB") == true, "\(found)")
        let fifo = folder.appendingPathComponent("fifo").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let started = ContinuousClock.now
        let blocked = problems(
            Self.service(provider: "type: kubernetes\nnamespace: shop\ndeployment: web\nkubeconfig: \(fifo)"))
        #expect(ContinuousClock.now - started < .seconds(60), "refused at once, not expanded or waited for")
        #expect(blocked.first?.message.contains("not a regular file") == true, "\(blocked)")
    }
}
