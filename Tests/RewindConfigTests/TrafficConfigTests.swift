import Foundation
import RewindCore
import RewindSpecs
import Testing
import Yams

@testable import RewindConfig

@Suite("Config: traffic controllers (kubernetes, flagd)")
struct TrafficConfigTests {
    static let environment = ["KUBE_TOKEN": "kube-secret-token-value"]

    /// Reads `yaml` as the body of `services.web.traffic`, with the configuration in /etc/rewind.
    static func read(
        _ yaml: String,
        environment: [String: String] = TrafficConfigTests.environment
    ) throws
        -> (spec: TrafficSpec?, problems: [String])
    {
        let root = try #require(try Yams.compose(yaml: yaml))
        var reader = ConfigReader(
            file: "/etc/rewind/rewind.yaml",
            folder: "/etc/rewind",
            environment: environment
        )
        let spec = reader.trafficController(Located(node: root, path: "services.web.traffic", line: 1))
        let problems = reader.problems.map { "\($0.line) \($0.path): \($0.message)" }
        #expect(!problems.joined().contains("kube-secret-token-value"))
        return (spec, problems)
    }

    // MARK: - kubernetes

    @Test("kubernetes: api_url + token map to the spec, with the default timeout")
    func kubernetesWithToken() throws {
        let read = try Self.read(
            """
            type: kubernetes
            namespace: shop
            deployment: web
            canary: web-canary
            api_url: https://10.0.0.1:6443/
            token: ${KUBE_TOKEN}
            """
        )
        #expect(read.problems == [])
        let cluster = KubernetesClusterSpec(
            server: .url("https://10.0.0.1:6443"),
            credential: .token(ConfigText("kube-secret-token-value", isSecret: true)),
            authority: .systemRoots,
            credentialName: "KUBE_TOKEN"
        )
        #expect(
            read.spec
                == .kubernetes(
                    KubernetesTrafficSpec(
                        namespace: "shop",
                        stable: "web",
                        canary: "web-canary",
                        cluster: cluster
                    )
                )
        )
        #expect(read.spec?.kind == "kubernetes")
        guard case .kubernetes(let spec)? = read.spec else { return }
        #expect(spec.timeout == .seconds(10))
    }

    @Test("kubernetes: in_cluster and a timeout")
    func kubernetesInCluster() throws {
        let read = try Self.read(
            """
            type: kubernetes
            namespace: shop
            deployment: web
            canary: web-canary
            in_cluster: true
            timeout: 3s
            """
        )
        #expect(read.problems == [])
        #expect(
            read.spec
                == .kubernetes(
                    KubernetesTrafficSpec(
                        namespace: "shop",
                        stable: "web",
                        canary: "web-canary",
                        cluster: .inCluster(),
                        timeout: .seconds(3)
                    )
                )
        )
    }

    @Test("kubernetes: a kubeconfig's context is read like the provider's")
    func kubernetesKubeconfig() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "rewind-traffic-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let kubeconfig = folder.appendingPathComponent("config")
        try Data(
            """
            apiVersion: v1
            kind: Config
            current-context: prod
            clusters:
              - name: prod
                cluster: {server: "https://k8s.example.com:6443", insecure-skip-tls-verify: true}
            users:
              - name: ci
                user: {token: kubeconfig-token-value}
            contexts:
              - name: prod
                context: {cluster: prod, user: ci}
            """.utf8
        ).write(to: kubeconfig)
        let read = try Self.read(
            """
            type: kubernetes
            namespace: shop
            deployment: web
            canary: web-canary
            kubeconfig: \(kubeconfig.path)
            """
        )
        #expect(read.problems == [])
        guard case .kubernetes(let spec)? = read.spec else {
            Issue.record("expected a kubernetes spec")
            return
        }
        #expect(spec.cluster.server == .url("https://k8s.example.com:6443"))
        #expect(spec.cluster.authority == .insecureSkipVerify)
        #expect(spec.cluster.credentialName.contains("user 'ci'"))
    }

    @Test("kubernetes: each mistake is located, with a hint")
    func kubernetesMistakes() throws {
        let missing = try Self.read(
            """
            type: kubernetes
            namespace: Shop
            deployment: web
            token: ${KUBE_TOKEN}
            replicas: 3
            """
        )
        #expect(missing.spec == nil)
        #expect(
            missing.problems == [
                "5 services.web.traffic.replicas: unknown key 'replicas'; allowed keys here: "
                    + ConfigReader.kubernetesTrafficKeys.joined(separator: ", "),
                "2 services.web.traffic.namespace: 'Shop' is not a valid Kubernetes namespace: use at most 63 "
                    + "lowercase letters, digits and '-', starting and ending with a letter or digit",
                "1 services.web.traffic: missing required key 'canary'; the Deployment that runs the new version "
                    + "next to it, e.g. canary: web-canary",
                "1 services.web.traffic: token needs the API server: api_url: https://… (or use kubeconfig:)",
            ]
        )

        let same = try Self.read(
            """
            type: kubernetes
            namespace: shop
            deployment: web
            canary: web
            in_cluster: true
            """
        )
        #expect(same.spec == nil)
        #expect(
            same.problems == [
                "4 services.web.traffic.canary: the canary must be a second Deployment, not 'web' itself"
            ]
        )

        let noCluster = try Self.read(
            "type: kubernetes\nnamespace: shop\ndeployment: web\ncanary: web-canary"
        )
        #expect(
            noCluster.problems == ["1 services.web.traffic: \(ConfigReader.kubernetesConnectionHint)"]
        )
    }

    @Test("kubernetes: an inline token is refused without being shown")
    func kubernetesInlineToken() throws {
        let read = try Self.read(
            """
            type: kubernetes
            namespace: shop
            deployment: web
            canary: web-canary
            api_url: https://10.0.0.1:6443
            token: inline-kube-token-9d2
            """
        )
        #expect(read.spec == nil)
        #expect(
            read.problems == [
                "6 services.web.traffic.token: put the token in an environment variable: token: ${KUBE_TOKEN} "
                    + "(an inline token is refused)"
            ]
        )
        #expect(!read.problems.joined().contains("inline-kube-token-9d2"))
    }

    // MARK: - flagd

    @Test("flagd: file and flag, default variants; the file is made absolute")
    func flagdDefaults() throws {
        let read = try Self.read(
            """
            type: flagd
            file: flags/flags.json
            flag: checkout-v2
            """
        )
        #expect(read.problems == [])
        #expect(
            read.spec
                == .flagRollout(
                    FlagRolloutSpec(
                        backend: .flagd(path: "/etc/rewind/flags/flags.json"),
                        flag: "checkout-v2"
                    )
                )
        )
        #expect(read.spec?.kind == "flagd")
        guard case .flagRollout(let spec)? = read.spec else { return }
        #expect(spec.newVariant == "on")
        #expect(spec.stableVariant == "off")
    }

    @Test("flagd: variants as written (YAML's on/off words stay words)")
    func flagdVariants() throws {
        let read = try Self.read(
            """
            type: flagd
            file: /etc/flagd/flags.json
            flag: banner
            new_variant: on
            stable_variant: legacy
            """
        )
        #expect(read.problems == [])
        #expect(
            read.spec
                == .flagRollout(
                    FlagRolloutSpec(
                        backend: .flagd(path: "/etc/flagd/flags.json"),
                        flag: "banner",
                        newVariant: "on",
                        stableVariant: "legacy"
                    )
                )
        )
    }

    @Test("flagd: each mistake is located, with a hint")
    func flagdMistakes() throws {
        let read = try Self.read(
            """
            type: flagd
            flag: checkout-v2
            new_variant: "on"
            stable_variant: "on"
            weight: 50
            """
        )
        #expect(read.spec == nil)
        #expect(
            read.problems == [
                "5 services.web.traffic.weight: unknown key 'weight'; allowed keys here: type, file, flag, "
                    + "new_variant, stable_variant",
                "1 services.web.traffic: missing required key 'file'; the flag file flagd reads, e.g. "
                    + "file: /etc/flagd/flags.json",
                "4 services.web.traffic.stable_variant: the stable variant must differ from the new variant 'on': name "
                    + "the variant that serves the stable version, e.g. stable_variant: \"off\"",
            ]
        )
        let noFlag = try Self.read("type: flagd\nfile: /etc/flagd/flags.json")
        #expect(
            noFlag.problems == [
                "1 services.web.traffic: missing required key 'flag'; the flag whose rollout splits the traffic, e.g. "
                    + "flag: checkout-v2"
            ]
        )
    }

    // MARK: - type

    @Test(
        "unleash and launchdarkly rollouts are refused with what to use instead; unknown types suggest one"
    )
    func types() throws {
        let unleash = try Self.read("type: unleash\nflag: checkout-v2\ntoken: inline-unleash-token")
        #expect(unleash.spec == nil)
        #expect(
            unleash.problems == [
                "1 services.web.traffic.type: a percentage rollout in unleash cannot move traffic yet (only its on/off "
                    + "switch is supported): use 'cloudflare', 'kubernetes', 'argo_rollouts' or 'flagd' here, and "
                    + "flags: {type: unleash, …} to turn its flags off"
            ]
        )
        let typo = try Self.read("type: kubernetis")
        #expect(
            typo.problems == [
                "1 services.web.traffic.type: 'kubernetis' is not one of 'cloudflare', 'kubernetes', 'argo_rollouts' or 'flagd'; "
                    + "did you mean 'kubernetes'?"
            ]
        )
        let none = try Self.read("flag: checkout-v2")
        #expect(
            none.problems == [
                "1 services.web.traffic: missing required key 'type'; use one of 'cloudflare', 'kubernetes', 'argo_rollouts' or 'flagd'"
            ]
        )
    }
}
