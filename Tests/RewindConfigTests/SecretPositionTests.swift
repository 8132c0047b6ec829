import Foundation
import RewindConfig
import RewindCore
import RewindSpecs
import Testing

/// Only values in secret positions, or marked secret, are redacted; the others are shown as written.
@Suite("Which values are secrets")
struct SecretPositionTests {
    static let environment = [
        "K8S_NAMESPACE": "Shop_Prod", "K8S_TOKEN": "kube-token-value-123", "DEPLOY_TOKEN": "deploy-token-value-456",
        "REGION": "eu-west-1-region", "OPAQUE": "opaque-value-789",
        "HOOK": "https://user:pw-secret@hooks.example.com/x",
        "CHECK_HOST": "api.example.com",
    ]

    static let kubernetes = """
        services:
          backend:
            checks: [{ name: health, url: "https://${CHECK_HOST}/health" }]
            provider:
              type: kubernetes
              namespace: ${K8S_NAMESPACE}
              deployment: web
              api_url: https://k8s.example.com
              token: ${K8S_TOKEN}
        """

    @Test("a namespace from ${…} appears in the problem about it; the token from ${…} does not and is redacted")
    func namespaceShownTokenHidden() {
        let found = problems(Self.kubernetes, environment: Self.environment)
        #expect(found.map(\.path) == ["services.backend.provider.namespace"])
        #expect(found.first?.message.hasPrefix("'Shop_Prod' is not a valid Kubernetes namespace") == true, "\(found)")
        let printed = ConfigErrors(problems: found).message
        #expect(!printed.contains("kube-token-value-123"))
    }

    @Test("the redactor holds the token, not the namespace, the check's host or a plain value")
    func redactorHoldsOnlySecrets() throws {
        let valid = Self.kubernetes.replacingOccurrences(of: "${K8S_NAMESPACE}", with: "${K8S_NAMESPACE_OK}")
        var environment = Self.environment
        environment["K8S_NAMESPACE_OK"] = "shop-prod"
        let configuration = try #require(parse(valid, environment: environment).configuration)
        #expect(configuration.redactor.secrets == ["kube-token-value-123"])
        #expect(configuration.redactor.redact("shop-prod at api.example.com") == "shop-prod at api.example.com")
        #expect(configuration.policy.services.first?.checks.first?.url == "https://api.example.com/health")
    }

    @Test("a variable named like a credential is a secret anywhere; ${secret:…} marks any other one")
    func namesAndMarks() throws {
        let yaml = """
            services:
              backend:
                checks: [{ name: health, url: "https://api.example.com/health" }]
                provider:
                  type: command
                  rollback: [deploy, --token, "${DEPLOY_TOKEN}", --region, "${REGION}", --key, "${secret:OPAQUE}", --hook, "${TEAM_WEBHOOK_URL}"]
            """
        var environment = Self.environment
        // Found by fuzzing: a webhook URL's variable used outside a channel's `url:` was shown in a problem.
        environment["TEAM_WEBHOOK_URL"] = "https://hooks.example.com/services/T0/B0/team-hook-secret"
        let configuration = try #require(parse(yaml, environment: environment).configuration)
        #expect(
            Set(configuration.redactor.secrets)
                == [
                    "deploy-token-value-456", "opaque-value-789",
                    "https://hooks.example.com/services/T0/B0/team-hook-secret",
                ])
        #expect(configuration.redactor.redact("eu-west-1-region") == "eu-west-1-region")
    }

    @Test("header and env: values from ${…} are secrets whatever the variable is called")
    func headersAndEnvironment() throws {
        let yaml = """
            services:
              backend:
                checks: [{ name: health, url: "https://api.example.com/health" }]
                provider:
                  type: http
                  rollback: { url: "https://platform.example.com/rollback", headers: { X-Auth: "${REGION}" } }
              worker:
                checks: [{ name: health, url: "https://worker.example.com/health" }]
                provider: { type: command, rollback: [deploy], env: { SETTING: "${OPAQUE}", PLAIN: inline-value } }
            """
        let configuration = try #require(parse(yaml, environment: Self.environment).configuration)
        #expect(Set(configuration.redactor.secrets) == ["eu-west-1-region", "opaque-value-789"])
        guard case .command(let spec) = configuration.platforms["worker"]?.provider else {
            Issue.record("expected a command provider")
            return
        }
        #expect(spec.environment["SETTING"] == ConfigText("opaque-value-789", isSecret: true))
        #expect(spec.environment["PLAIN"] == ConfigText("inline-value"))
    }

    @Test("a URL with credentials from ${…} is a secret in any position; one without is shown")
    func credentialURLs() {
        let yaml = """
            services:
              backend:
                checks: [{ name: health, url: "${HOOK}" }, { name: plain, url: "ftp://${CHECK_HOST}/x" }]
                provider: { type: command, rollback: [deploy] }
            """
        let found = problems(yaml, environment: Self.environment)
        #expect(found.map(\.message) == ["'ftp://api.example.com/x' is not an http:// or https:// URL"])
        let configuration = parse(yaml.replacingOccurrences(of: "ftp:", with: "https:"), environment: Self.environment)
            .configuration
        #expect(configuration?.redactor.secrets == ["https://user:pw-secret@hooks.example.com/x"])
    }

    @Test("a file is judged by its own name: a namespace file is shown, a token file is a secret")
    func fileNames() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let secrets = folder.appendingPathComponent("secrets")
        try FileManager.default.createDirectory(at: secrets, withIntermediateDirectories: true)
        try "Bad_Namespace\n".write(to: secrets.appendingPathComponent("namespace"), atomically: true, encoding: .utf8)
        try "file-token-value-1\n".write(to: secrets.appendingPathComponent("token"), atomically: true, encoding: .utf8)
        let yaml = """
            services:
              backend:
                checks: [{ name: health, url: "https://api.example.com/health" }]
                provider:
                  type: kubernetes
                  namespace: ${file:secrets/namespace}
                  deployment: web
                  api_url: https://k8s.example.com
                  token: ${file:secrets/token}
            """
        let found = parse(yaml, path: folder.appendingPathComponent("rewind.yaml").path).problems
        #expect(
            found.first?.message.hasPrefix("'Bad_Namespace' is not a valid Kubernetes namespace") == true, "\(found)")
    }
}
