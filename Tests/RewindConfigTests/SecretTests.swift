import Foundation
import RewindConfig
import RewindCore
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
        guard case .http(let spec) = configuration.policy.services.first?.provider else {
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
                "/etc/rewind/rewind.yaml:3: server.token: environment variable MISSING is not set; "
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
                == "cannot read /nonexistent/rewind-token for ${file:…}; check that the file exists and is readable"
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
            configuration.policy.services.first?.provider
                == .command(CommandProviderSpec(rollback: ["deploy", "${NOT_A_VARIABLE}", "$HOME", "cost$5"]))
        )
        #expect(configuration.redactor.secrets.isEmpty)
    }

    @Test("secret values never appear in problem messages, even when the problem is about them")
    func secretsNeverPrinted() {
        let environment = [
            "CHECK_URL": "ftp://very-secret-host.example.com/health",
            "TEMPLATE": "https://x.example.com/{{secret-placeholder-name}}",
        ]
        let yaml = """
            services:
              api:
                checks: [{ name: h, url: "${CHECK_URL}" }]
                provider:
                  type: http
                  rollback: { url: "${TEMPLATE}" }
            """
        let found = problems(yaml, environment: environment)
        #expect(found.map(\.path) == ["services.api.checks[0].url", "services.api.provider.rollback.url"])
        let printed = ConfigErrors(problems: found).message
        #expect(!printed.contains("very-secret-host"))
        #expect(!printed.contains("secret-placeholder-name"))
        #expect(found[0].message == "the value (not shown: it holds a secret) is not an http:// or https:// URL")
    }
}
