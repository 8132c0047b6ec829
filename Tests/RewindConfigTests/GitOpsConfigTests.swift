import Foundation
import RewindConfig
import RewindCore
import RewindSpecs
import Testing

@Suite("Config: gitops (Argo CD, Flux)")
struct GitOpsConfigTests {
    static let argo = """
        services:
          web:
            checks: [{ name: health, url: "https://shop.example.com/health" }]
            gitops:
              type: argocd
              url: https://argocd.example.com/
              application: shop-web
              app_namespace: apps
              token: ${ARGOCD_TOKEN}
              prune: true
              timeout: 20s
        """

    static let flux = """
        services:
          web:
            checks: [{ name: health, url: "https://shop.example.com/health" }]
            provider: { type: kubernetes, namespace: shop, deployment: web, in_cluster: true }
            gitops:
              type: flux
              kind: HelmRelease
              name: shop-web
              namespace: flux-system
              in_cluster: true
              git: { working_copy: /srv/rewind/fleet, paths: [apps/shop/web] }
        """

    static func found(_ yaml: String, environment: [String: String] = [:]) -> [String] {
        parse(yaml, environment: environment).problems.map { "\($0.line) \($0.path): \($0.message)" }
    }

    @Test("Argo CD replaces provider: and keeps its token a secret")
    func argoCD() throws {
        let parsed = parse(Self.argo, environment: ["ARGOCD_TOKEN": "argo-token-value"])
        let configuration = try #require(parsed.configuration, "\(parsed.problems)")
        let specs = try #require(configuration.firstServiceSpecs)
        #expect(specs.provider == nil)
        guard case .argoCD(let argo)? = specs.gitops else {
            Issue.record("expected Argo CD")
            return
        }
        #expect(argo.url == "https://argocd.example.com")
        #expect(argo.application == "shop-web")
        #expect(argo.appNamespace == "apps")
        #expect(argo.token.isSecret)
        #expect(argo.tokenSource == "ARGOCD_TOKEN")
        #expect(argo.prune)
        #expect(argo.timeout == .seconds(20))
        #expect(configuration.redactor.redact("argo-token-value") != "argo-token-value")
    }

    @Test("Flux wraps the service's provider and reads its cluster and git keys")
    func flux() throws {
        let parsed = parse(Self.flux)
        let configuration = try #require(parsed.configuration, "\(parsed.problems)")
        let specs = try #require(configuration.firstServiceSpecs)
        guard case .flux(let flux)? = specs.gitops, case .kubernetes? = specs.provider else {
            Issue.record("expected Flux around a kubernetes provider")
            return
        }
        #expect(flux.kind == .helmRelease)
        #expect(flux.name == "shop-web")
        #expect(flux.namespace == "flux-system")
        #expect(flux.cluster.server == .inCluster)
        #expect(flux.git?.workingCopy == "/srv/rewind/fleet")
        #expect(flux.git?.paths == ["apps/shop/web"])
        #expect(flux.resumeCommand == "flux resume helmrelease shop-web -n flux-system")
    }

    @Test("provider: with Argo CD, no provider: with Flux, and a git provider under Flux are problems with the fix")
    func providerRules() {
        let both = Self.found(
            Self.argo.replacingOccurrences(
                of: "    gitops:", with: "    provider: { type: command, rollback: [true] }\n    gitops:"),
            environment: ["ARGOCD_TOKEN": "t"])
        #expect(both.count == 1)
        #expect(both.first?.hasPrefix("4 services.web.provider: with gitops: {type: argocd}") == true, "\(both)")
        let none = Self.found(
            Self.flux.replacingOccurrences(
                of: "    provider: { type: kubernetes, namespace: shop, deployment: web, in_cluster: true }\n", with: ""
            ))
        #expect(none.count == 1)
        #expect(none.first?.contains("missing required key 'provider'; with gitops: {type: flux}") == true, "\(none)")
        let git = Self.found(
            Self.flux.replacingOccurrences(
                of: "{ type: kubernetes, namespace: shop, deployment: web, in_cluster: true }",
                with: "{ type: git, working_copy: /srv/fleet }"))
        #expect(git.count == 1)
        #expect(
            git.first?.hasPrefix("4 services.web.provider: with gitops: {type: flux}, provider: acts in the cluster")
                == true, "\(git)")
    }

    @Test("an inline Argo CD token, a bad kind and a missing type are located problems")
    func badValues() {
        let inline = Self.found(Self.argo.replacingOccurrences(of: "${ARGOCD_TOKEN}", with: "plain-token"))
        #expect(inline.count == 1)
        #expect(inline.first?.hasPrefix("9 services.web.gitops.token: the token is a credential") == true, "\(inline)")
        let kind = Self.found(Self.flux.replacingOccurrences(of: "HelmRelease", with: "GitRepository"))
        #expect(kind.count == 1)
        #expect(kind.first?.hasPrefix("7 services.web.gitops.kind:") == true, "\(kind)")
        let untyped = Self.found(Self.flux.replacingOccurrences(of: "      type: flux\n", with: ""))
        #expect(untyped.first?.contains("missing required key 'type'; use one of") == true, "\(untyped)")
    }
}
