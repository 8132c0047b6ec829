import Foundation
import RewindConfig
import RewindCore
import RewindSpecs
import Testing

@Suite("Secrets from the environment and from files")
struct SecretTests {
    static let tokenValue = "s3cr3t-token-from-env"

    @Test("${NAME} resolves from the environment, is marked secret and lands in the redactor")
    func environmentSecret() throws {
        let yaml = "server:\n  token: ${REWIND_API_TOKEN}\n" + minimalServices
        let configuration = try #require(parse(yaml, environment: ["REWIND_API_TOKEN": Self.tokenValue]).configuration)
        #expect(configuration.server.token == ConfigText(Self.tokenValue, isSecret: true))
        #expect(configuration.server.token?.description == "<redacted>")
        #expect(configuration.redactor.secrets == [Self.tokenValue])
        #expect(configuration.redactor.redact("token=\(Self.tokenValue)") == "token=<redacted>")
    }

    @Test("${file:…} reads the file, trims the trailing newline, and resolves relative paths from the config folder")
    func fileSecret() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try "file-token-value\n".write(
            to: folder.appendingPathComponent("token.txt"),
            atomically: true,
            encoding: .utf8
        )
        try "header-secret-value\r\n".write(
            to: folder.appendingPathComponent("header.txt"),
            atomically: true,
            encoding: .utf8
        )
        let yaml = """
            server:
              token: ${file:token.txt}
            services:
              api:
                checks: [{ name: h, url: "https://api.example.com" }]
                provider:
                  type: http
                  rollback:
                    url: https://platform.example.com/rollback
                    headers: { Authorization: "Bearer ${file:\(folder.path)/header.txt}" }
            """
        let result = ConfigLoader.parse(
            yaml: yaml,
            path: folder.appendingPathComponent("rewind.yaml").path,
            environment: [:]
        )
        let configuration = try result.get()
        #expect(configuration.server.token == ConfigText("file-token-value", isSecret: true))
        guard case .http(let spec) = configuration.firstServiceSpecs?.provider else {
            Issue.record("expected an http provider")
            return
        }
        #expect(spec.rollback.headers["Authorization"] == ConfigText("Bearer header-secret-value", isSecret: true))
        #expect(Set(configuration.redactor.secrets) == ["file-token-value", "header-secret-value"])
    }

    @Test("a missing variable is a problem at its line and path")
    func missingVariable() {
        let yaml = "mode: enforce\nserver:\n  token: ${MISSING}\n" + minimalServices
        let found = problems(yaml)
        #expect(
            found.map(\.description) == [
                "/etc/rewind/rewind.yaml:3: server.token: environment variable MISSING (the API token) is not set; "
                    + "export it or use ${file:/path/to/file}"
            ]
        )
    }

    @Test("an unreadable secret file is a problem at its line and path")
    func missingFile() {
        let yaml = """
            services:
              backend:
                checks:
                  - name: health
                    url: https://api.example.com/health
                provider:
                  type: command
                  rollback: [deploy, rollback]
                  env:
                    TOKEN: ${file:/nonexistent/rewind-token}
            """
        let found = problems(yaml)
        #expect(found.count == 1)
        #expect(found.first?.path == "services.backend.provider.env.TOKEN")
        #expect(found.first?.line == 10)
        #expect(
            found.first?.message
                == "cannot read /nonexistent/rewind-token for ${file:…}: no such file; create it or fix the path"
        )
    }

    @Test("an inline token is refused without being printed")
    func inlineToken() {
        let found = problems("server:\n  token: hunter2-inline-token\n" + minimalServices)
        #expect(
            found.map(\.message) == ["put the token in an environment variable or a file: token: ${REWIND_API_TOKEN}"]
        )
        #expect(found.first?.line == 2)
        #expect(!found.map(\.description).joined().contains("hunter2-inline-token"))
    }

    @Test(
        "malformed references are problems",
        arguments: [
            ("${REWIND_TOKEN", "'${' is not closed"), ("${file:}", "${file:} needs a path"),
            ("${1BAD}", "'${1BAD}' is not a valid reference"),
        ]
    )
    func malformedReferences(reference: String, message: String) {
        let found = problems("server:\n  token: \"\(reference)\"\n" + minimalServices)
        #expect(found.count == 1)
        #expect(found.first?.message.hasPrefix(message) == true, "\(found)")
    }

    @Test("$${ is a literal ${ and a lone $ stays as written")
    func literalDollar() throws {
        let yaml = """
            services:
              api:
                checks: [{ name: h, url: "https://api.example.com" }]
                provider:
                  type: command
                  rollback: [deploy, "$${NOT_A_VARIABLE}", "$HOME", "cost$5"]
            """
        let configuration = try #require(parse(yaml).configuration)
        #expect(
            configuration.firstServiceSpecs?.provider
                == .command(CommandProviderSpec(rollback: ["deploy", "${NOT_A_VARIABLE}", "$HOME", "cost$5"]))
        )
        #expect(configuration.redactor.secrets.isEmpty)
    }

    @Test("values marked secret never appear in problem messages, even when the problem is about them")
    func secretsNeverPrinted() {
        let environment = [
            "CHECK_URL": "ftp://very-secret-host.example.com/health",
            "TEMPLATE": "https://x.example.com/{{secret-placeholder-name}}",
        ]
        let yaml = """
            services:
              api:
                checks: [{ name: h, url: "${secret:CHECK_URL}" }]
                provider:
                  type: http
                  rollback: { url: "${secret:TEMPLATE}" }
            """
        let found = problems(yaml, environment: environment)
        #expect(found.map(\.path) == ["services.api.checks[0].url", "services.api.provider.rollback.url"])
        let printed = ConfigErrors(problems: found).message
        #expect(!printed.contains("very-secret-host"))
        #expect(!printed.contains("secret-placeholder-name"))
        #expect(found[0].message == "the value (not shown: it holds a secret) is not an http:// or https:// URL")
    }

    /// A command line is visible to every user of the machine (`ps`): a secret passed as an argument leaks.
    @Test("a secret passed as a command argument is a warning (not an error) that suggests env:")
    func secretArgumentWarns() throws {
        let yaml = """
            services:
              backend:
                checks:
                  - name: health
                    url: https://api.example.com/health
                  - name: queue
                    url: https://api.example.com/queue
                signals:
                  - measure: queue_backlog
                    command: [redis-cli, -a, "${REDIS_PASSWORD}", llen, tasks]
                provider:
                  type: command
                  rollback: [deploy-tool, rollback, "--token=${DEPLOY_TOKEN}", "{{target.id}}"]
                  env: { REGION: eu }
                migration:
                  rollback: [./migrate, down, "${DATABASE_URL}"]
            """
        let environment = [
            "DEPLOY_TOKEN": "tok-arg-1a2b3c", "REDIS_PASSWORD": "redis-arg-4d5e",
            "DATABASE_URL": "postgres://u:p@db/app",
        ]
        let result = ConfigLoader.parse(yaml: yaml, path: "/etc/rewind/rewind.yaml", environment: environment)
        let configuration = try result.get()
        let warnings = configuration.warnings
        #expect(warnings.count == 3, "\(warnings.map(\.description))")
        #expect(warnings.allSatisfy { $0.severity == .warning })
        let provider = try #require(warnings.first { $0.path.hasPrefix("services.backend.provider.rollback") })
        #expect(provider.line == 13)
        #expect(provider.message.contains("DEPLOY_TOKEN"), "\(provider.message)")
        #expect(provider.message.contains("ps"), "\(provider.message)")
        #expect(provider.message.contains("env:"), "\(provider.message)")
        #expect(provider.description.contains("warning: "))
        #expect(
            warnings.contains {
                $0.path.hasPrefix("services.backend.signals[0].command") && $0.message.contains("REDIS_PASSWORD")
            })
        #expect(
            warnings.contains {
                $0.path.hasPrefix("services.backend.migration.rollback") && $0.message.contains("DATABASE_URL")
            })
        for warning in warnings {
            for secret in environment.values { #expect(!warning.message.contains(secret)) }
        }
        // Passed in env:, nothing to warn about.
        let quiet = minimalServices.replacingOccurrences(
            of: "rollback: [railway, rollback, --service, backend]",
            with: """
                rollback: [railway, rollback, --service, backend]
                      env: { RAILWAY_TOKEN: "${DEPLOY_TOKEN}" }
                """)
        #expect(
            try ConfigLoader.parse(yaml: quiet, path: "/etc/rewind/rewind.yaml", environment: environment).get()
                .warnings.isEmpty)
    }
}
