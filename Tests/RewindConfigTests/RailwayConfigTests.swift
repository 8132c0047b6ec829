import Foundation
import RewindConfig
import RewindCore
import RewindSpecs
import Testing

@Suite("Railway provider configuration")
struct RailwayConfigTests {
    static let token = "railway-account-token-3f9c"
    static let environment = ["RAILWAY_TOKEN": token, "RAILWAY_PROJECT_ID": "p-from-env"]

    /// A one-service file whose `provider:` block is `provider` (indented for the block).
    static func yaml(_ provider: String, fallback: String? = nil) -> String {
        var text = """
            services:
              backend:
                checks: [{ name: health, url: "https://api.example.com/health" }]
                provider:

            """
        text += provider.split(separator: "\n", omittingEmptySubsequences: false).map { "      \($0)" }
            .joined(separator: "\n")
        if let fallback {
            text += "\n    fallback:\n"
            text += fallback.split(separator: "\n").map { "      \($0)" }.joined(separator: "\n")
        }
        return text + "\n"
    }

    static func railway(_ yaml: String, environment: [String: String] = environment) throws -> RailwayProviderSpec {
        let result = parse(yaml, environment: environment)
        #expect(result.problems.isEmpty, "\(result.problems)")
        let service = try #require(result.configuration?.firstServiceSpecs)
        guard case .railway(let spec)? = service.provider else {
            Issue.record("expected a railway provider, got \(String(describing: service.provider))")
            throw CancellationError()
        }
        return spec
    }

    @Test("every key maps to the spec: project token, ids, api_url, timeout, mode")
    func fullMapping() throws {
        let spec = try Self.railway(
            Self.yaml(
                """
                type: railway
                token: ${RAILWAY_TOKEN}
                token_type: project
                project_id: ${RAILWAY_PROJECT_ID}
                environment_id: e-22
                service_id: s-33
                api_url: http://127.0.0.1:8080/graphql/v2
                timeout: 4s
                mode: redeploy
                """
            )
        )
        #expect(spec.token == ConfigText(Self.token, isSecret: true))
        #expect(spec.tokenSource == "RAILWAY_TOKEN")
        #expect(spec.tokenKind == .project)
        #expect(spec.tokenKind.header == "Project-Access-Token")
        #expect(spec.projectID == "p-from-env")
        #expect(spec.environmentID == "e-22")
        #expect(spec.railwayServiceID(for: "backend") == "s-33")
        #expect(spec.apiURL == "http://127.0.0.1:8080/graphql/v2")
        #expect(spec.timeout == .seconds(4))
        #expect(spec.mode == .redeploy)
    }

    @Test("defaults: account token as Bearer, the public endpoint, 10 s, rollback")
    func defaults() throws {
        let spec = try Self.railway(
            Self.yaml(
                "type: railway\ntoken: ${RAILWAY_TOKEN}\nproject_id: p-11\nenvironment_id: e-22\nservice_id: s-33"
            )
        )
        #expect(spec.tokenKind == .account)
        #expect(spec.tokenKind.header == "Authorization")
        #expect(spec.apiURL == "https://backboard.railway.com/graphql/v2")
        #expect(spec.timeout == .seconds(10))
        #expect(spec.mode == .rollback)
    }

    @Test("team and workspace tokens are sent as Bearer like account tokens")
    func workspaceToken() throws {
        for word in ["team", "workspace"] {
            let spec = try Self.railway(
                Self.yaml(
                    "type: railway\ntoken: ${RAILWAY_TOKEN}\ntoken_type: \(word)\nproject_id: p\nenvironment_id: e\n"
                        + "service_id: s"
                )
            )
            #expect(spec.tokenKind == .account)
        }
    }

    @Test("services: maps Rewind service names to Railway service ids")
    func serviceMap() throws {
        let spec = try Self.railway(
            Self.yaml(
                """
                type: railway
                token: ${RAILWAY_TOKEN}
                project_id: p-11
                environment_id: e-22
                services: { backend: s-33, worker: s-44 }
                """
            )
        )
        #expect(spec.railwayServiceID(for: "backend") == "s-33")
        #expect(spec.railwayServiceID(for: "worker") == "s-44")
        #expect(spec.railwayServiceID(for: "frontend") == nil)
    }

    @Test("the fallback can be the redeploy mode of the same service")
    func redeployFallback() throws {
        let block = "type: railway\ntoken: ${RAILWAY_TOKEN}\nproject_id: p-11\nenvironment_id: e-22\nservice_id: s-33"
        let result = parse(Self.yaml(block, fallback: block + "\nmode: redeploy"), environment: Self.environment)
        #expect(result.problems.isEmpty, "\(result.problems)")
        let service = try #require(result.configuration?.firstServiceSpecs)
        guard case .railway(let fallback)? = service.fallback else {
            Issue.record("expected a railway fallback")
            return
        }
        #expect(fallback.mode == .redeploy)
        #expect(service.provider?.kind == "railway")
    }

    @Test("a token from a file names the file as its source")
    func fileToken() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("railway.txt").path
        try "file-railway-token\n".write(toFile: path, atomically: true, encoding: .utf8)
        let spec = try Self.railway(
            Self.yaml("type: railway\ntoken: ${file:\(path)}\nproject_id: p\nenvironment_id: e\nservice_id: s")
        )
        #expect(spec.token == ConfigText("file-railway-token", isSecret: true))
        #expect(spec.tokenSource == "${file:\(path)}")
    }

    @Test("an inline token is refused without being shown")
    func inlineToken() {
        let found = problems(
            Self.yaml("type: railway\ntoken: rw-inline-secret-value\nproject_id: p\nenvironment_id: e\nservice_id: s")
        )
        #expect(found.count == 1)
        let problem = found.first
        #expect(problem?.line == 6)
        #expect(problem?.path == "services.backend.provider.token")
        #expect(problem?.message.contains("token: ${RAILWAY_TOKEN}") == true)
        #expect(problem?.message.contains("rw-inline-secret-value") == false)
    }

    @Test("missing token, project, environment and service are each reported on the provider")
    func missingKeys() {
        let found = problems(Self.yaml("type: railway"))
        #expect(found.count == 4, "\(found)")
        #expect(found.allSatisfy { $0.line == 4 && $0.path == "services.backend.provider" })
        let messages = found.map(\.message).joined(separator: "\n")
        #expect(messages.contains("'token'; put the token in an environment variable: token: ${RAILWAY_TOKEN}"))
        #expect(messages.contains("'project_id'"))
        #expect(messages.contains("'environment_id'"))
        #expect(messages.contains("'service_id'"))
    }

    @Test("a services map without the owning service is reported on services:")
    func serviceMissingFromMap() {
        let found = problems(
            Self.yaml(
                "type: railway\ntoken: ${RAILWAY_TOKEN}\nproject_id: p\nenvironment_id: e\nservices: { worker: s-44 }"
            ),
            environment: Self.environment
        )
        #expect(found.count == 1)
        #expect(found.first?.line == 9)
        #expect(found.first?.path == "services.backend.provider.services")
        #expect(found.first?.message.contains("no Railway service id for backend") == true)
    }

    @Test("unknown keys, modes and token types get a did-you-mean; a bad api_url and timeout are reported")
    func wrongValues() {
        let found = problems(
            Self.yaml(
                """
                type: railway
                token: ${RAILWAY_TOKEN}
                project_id: p-11
                enviroment_id: e-22
                environment_id: e-22
                service_id: s-33
                token_type: projects
                mode: redeply
                api_url: ftp://backboard.railway.com
                timeout: soon
                """
            ),
            environment: Self.environment
        )
        let byPath = Dictionary(found.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        #expect(found.count == 5, "\(found)")
        #expect(
            byPath["services.backend.provider.enviroment_id"]?.message.contains("did you mean 'environment_id'?")
                == true
        )
        #expect(byPath["services.backend.provider.enviroment_id"]?.line == 8)
        #expect(byPath["services.backend.provider.token_type"]?.message.contains("did you mean 'project'?") == true)
        #expect(byPath["services.backend.provider.mode"]?.message.contains("did you mean 'redeploy'?") == true)
        #expect(byPath["services.backend.provider.api_url"]?.message.contains("http") == true)
        #expect(byPath["services.backend.provider.timeout"]?.line == 14)
    }

    @Test("ids must not be empty or hold spaces")
    func badIdentifiers() {
        let found = problems(
            Self.yaml("type: railway\ntoken: ${RAILWAY_TOKEN}\nproject_id: \"\"\nenvironment_id: e 22\nservice_id: s"),
            environment: Self.environment
        )
        #expect(
            found.map(\.path) == ["services.backend.provider.project_id", "services.backend.provider.environment_id"]
        )
        #expect(found.first?.message.contains("empty") == true)
        #expect(found.last?.message.contains("no spaces") == true)
    }

    @Test("an empty token variable is reported with its name")
    func emptyToken() {
        let found = problems(
            Self.yaml("type: railway\ntoken: ${RAILWAY_TOKEN}\nproject_id: p\nenvironment_id: e\nservice_id: s"),
            environment: ["RAILWAY_TOKEN": ""]
        )
        #expect(found.count == 1)
        #expect(found.first?.message.contains("set RAILWAY_TOKEN") == true)
    }
}

/// `mode: variables` (configuration rollback).
extension RailwayConfigTests {
    typealias C = RailwayConfigTests
    static let base = "type: railway\ntoken: ${RAILWAY_TOKEN}\nproject_id: p-11\nenvironment_id: e-22\nservice_id: s-33"

    @Test("mode: variables as the fallback of a git configuration rollback; secret values stay redacted")
    func variablesFallback() throws {
        let yaml = """
            services:
              backend:
                checks: [{ name: health, url: "https://api.example.com/health" }]
                provider:
                  type: git
                  working_copy: /srv/config
                fallback:
                  type: railway
                  mode: variables
                  token: ${RAILWAY_TOKEN}
                  project_id: p-11
                  environment_id: e-22
                  service_id: s-33
                  variables:
                    DATABASE_URL: ${STABLE_DB_URL}
                    FEATURE_CHECKOUT_V2: "false"

            """
        var environment = C.environment
        environment["STABLE_DB_URL"] = "postgres://stable-db-secret/app"
        let result = parse(yaml, environment: environment)
        #expect(result.problems.isEmpty, "\(result.problems)")
        let service = try #require(result.configuration?.firstServiceSpecs)
        guard case .railway(let fallback)? = service.fallback else {
            Issue.record("expected a railway fallback, got \(String(describing: service.fallback))")
            return
        }
        #expect(fallback.mode == .variables)
        #expect(
            fallback.variables == [
                "DATABASE_URL": ConfigText("postgres://stable-db-secret/app", isSecret: true),
                "FEATURE_CHECKOUT_V2": ConfigText("false"),
            ]
        )
        #expect(fallback.variables["DATABASE_URL"]?.description == "<redacted>")
        #expect(service.provider?.kind == "git")
    }

    @Test("mode: variables requires a non-empty variables: mapping with valid names")
    func variablesRequired() {
        let missing = problems(C.yaml(Self.base + "\nmode: variables"), environment: C.environment)
        #expect(missing.count == 1, "\(missing)")
        #expect(missing.first?.path == "services.backend.provider")
        #expect(missing.first?.message.contains("missing required key 'variables'") == true)

        let empty = problems(C.yaml(Self.base + "\nmode: variables\nvariables: {}"), environment: C.environment)
        #expect(empty.count == 1, "\(empty)")
        #expect(empty.first?.path == "services.backend.provider.variables")
        #expect(empty.first?.message.contains("at least one variable") == true)

        let badName = problems(
            C.yaml(Self.base + "\nmode: variables\nvariables: { \"BAD-NAME\": x, GOOD: y }"),
            environment: C.environment
        )
        #expect(badName.count == 1, "\(badName)")
        #expect(badName.first?.message.contains("'BAD-NAME' is not a valid environment variable name") == true)
    }

    @Test("variables: without mode: variables is a problem with a hint")
    func variablesWithoutMode() {
        let found = problems(
            C.yaml(Self.base + "\nmode: redeploy\nvariables: { DATABASE_URL: \"${RAILWAY_PROJECT_ID}\" }"),
            environment: C.environment
        )
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.path == "services.backend.provider.variables")
        #expect(found.first?.message.contains("add mode: variables") == true)
        #expect(found.first?.message.contains("p-from-env") == false)
    }
}
