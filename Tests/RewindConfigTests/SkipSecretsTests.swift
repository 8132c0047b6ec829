import Foundation
import RewindConfig
import RewindCore
import RewindSpecs
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `rewind config validate --skip-secrets`: a file checked in CI, without its secrets.
@Suite("Validating without the secrets")
struct SkipSecretsTests {
    private func validate(
        _ yaml: String, environment: [String: String] = [:], folder: URL? = nil
    )
        -> Result<ConfigValidation, ConfigErrors>
    {
        let path = folder?.appendingPathComponent("rewind.yaml").path ?? "/etc/rewind/rewind.yaml"
        return ConfigLoader.parse(yaml: yaml, path: path, environment: environment, skippingAbsentSecrets: true)
    }

    static let channels = """
        notifications:
          channels:
            slack-critical: { type: slack_webhook, url: "${SLACK_CRITICAL_WEBHOOK_URL}" }
            pagerduty: { type: pagerduty, routing_key: "${file:/nonexistent/pagerduty-key}" }
          routes:
            initiated: [slack-critical, pagerduty]
        """

    @Test("an unset variable and a missing file are listed as not checked, and the file is valid")
    func absentSecretsAreNotChecked() throws {
        let validation = try validate(Self.channels + "\n" + minimalServices).get()
        #expect(
            validation.notChecked.map(\.description) == [
                "/etc/rewind/rewind.yaml:3: notifications.channels.slack-critical.url: not checked: environment "
                    + "variable SLACK_CRITICAL_WEBHOOK_URL (the webhook URL) is not set",
                "/etc/rewind/rewind.yaml:4: notifications.channels.pagerduty.routing_key: not checked: "
                    + "/nonexistent/pagerduty-key (the routing key) for ${file:…} cannot be read",
            ])
        #expect(validation.configuration.redactor.secrets.isEmpty)
    }

    @Test("everything else is still validated")
    func restIsValidated() {
        let yaml =
            Self.channels + "\n  audiences: { oncall: [pagerduty, pagr] }\n" + """
                services:
                  backend:
                    checks: [{ name: health, url: "https://api.example.com/health", interval: 5ms }]
                    provider: { type: command, rollback: [deploy], env: { TOKEN: "${DEPLOY_TOKEN}" } }
                """
        guard case .failure(let errors) = validate(yaml) else {
            Issue.record("a file with problems was accepted")
            return
        }
        #expect(
            errors.problems.map(\.path) == ["notifications.audiences.oncall[1]", "services.backend.checks[0].interval"])
    }

    @Test("a value whose secret is set is checked as usual; an inline credential is still refused")
    func presentSecretsAreChecked() {
        let yaml = """
            notifications:
              channels:
                slack: { type: slack_webhook, url: "${SLACK_URL}" }
                pd: { type: pagerduty, routing_key: inline-routing-key }
            """ + "\n" + minimalServices
        guard case .failure(let errors) = validate(yaml, environment: ["SLACK_URL": "ftp://hooks.example.com/x"]) else {
            Issue.record("a file with problems was accepted")
            return
        }
        #expect(
            errors.problems.map(\.path) == [
                "notifications.channels.slack.url", "notifications.channels.pd.routing_key",
            ])
    }

    @Test("a FIFO is still a problem: it is there, and it is not a secret file", .timeLimit(.minutes(1)))
    func fifoIsAProblem() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(mkfifo(folder.appendingPathComponent("pipe").path, 0o600) == 0)
        guard
            case .failure(let errors) = validate(
                "server: { token: \"${file:pipe}\" }\n" + minimalServices, folder: folder)
        else {
            Issue.record("a FIFO was accepted")
            return
        }
        #expect(errors.problems.first?.message.contains("is a FIFO (named pipe)") == true)
    }

    @Test("the values that depend on an unchecked one are not reported against its placeholder")
    func placeholdersRaiseNothing() throws {
        let yaml = """
            services:
              backend:
                checks: [{ name: health, url: "${BACKEND_HEALTH_URL}" }]
                provider:
                  type: kubernetes
                  namespace: ${K8S_NAMESPACE}
                  deployment: web
                  canary: ${K8S_NAMESPACE}
                  api_url: ${K8S_API_URL}
                  token: ${K8S_TOKEN}
            """
        let validation = try validate(yaml).get()
        #expect(validation.notChecked.count == 5)
    }

    @Test("without --skip-secrets each missing variable is named with what it is for")
    func withoutSkipping() {
        let found = problems(Self.channels + "\n" + minimalServices)
        #expect(
            found.map(\.message) == [
                "environment variable SLACK_CRITICAL_WEBHOOK_URL (the webhook URL) is not set; "
                    + "export it or use ${file:/path/to/file}",
                "cannot read /nonexistent/pagerduty-key for ${file:…}: no such file; create it or fix the path",
            ])
    }
}
