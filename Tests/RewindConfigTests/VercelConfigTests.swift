import Foundation
import RewindConfig
import RewindCore
import RewindSpecs
import Testing

@Suite("Vercel provider configuration")
struct VercelConfigTests {
    static let token = "vercel-secret-token-9d2f"
    static let environment = ["VERCEL_TOKEN": token]

    /// One service whose provider (and fallback) are the given YAML lines, indented under `provider:`.
    static func service(provider: String, fallback: String? = nil) -> String {
        var yaml = """
            services:
              frontend:
                checks:
                  - name: health
                    url: https://shop.example.com/api/health
                provider:
            \(provider.indented(6))
            """
        if let fallback { yaml += "\n    fallback:\n\(fallback.indented(6))" }
        return yaml
    }

    func expectProblems(
        _ yaml: String,
        _ expected: [(line: Int, path: String, message: String)],
        environment: [String: String] = Self.environment,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let found = problems(yaml, environment: environment)
        #expect(
            found.count == expected.count,
            "\(found.map(\.description).joined(separator: "\n"))",
            sourceLocation: sourceLocation
        )
        for (problem, (line, path, message)) in zip(found, expected) {
            #expect(problem.line == line, "\(problem)", sourceLocation: sourceLocation)
            #expect(problem.path == path, "\(problem)", sourceLocation: sourceLocation)
            #expect(problem.message == message, "\(problem)", sourceLocation: sourceLocation)
            #expect(!problem.message.contains(Self.token), sourceLocation: sourceLocation)
        }
    }

    @Test("every key maps to the spec; the fallback promotes")
    func fullConfiguration() throws {
        let yaml = Self.service(
            provider: """
                type: vercel
                token: ${VERCEL_TOKEN}
                project: shop-web
                team_id: team_x9
                api_url: http://127.0.0.1:8080/
                target: production
                timeout: 5s
                mode: rollback
                """,
            fallback: """
                type: vercel
                mode: promote
                token: ${VERCEL_TOKEN}
                project: prj_A1b2C3
                """
        )
        let parsed = parse(yaml, environment: Self.environment)
        #expect(parsed.problems.isEmpty, "\(parsed.problems)")
        let service = try #require(parsed.configuration?.firstServiceSpecs)
        #expect(
            service.provider
                == .vercel(
                    VercelProviderSpec(
                        token: ConfigText(Self.token, isSecret: true),
                        tokenSource: "VERCEL_TOKEN",
                        project: "shop-web",
                        teamID: "team_x9",
                        apiURL: "http://127.0.0.1:8080",
                        target: "production",
                        timeout: .seconds(5),
                        mode: .rollback
                    )
                )
        )
        #expect(
            service.fallback
                == .vercel(
                    VercelProviderSpec(
                        token: ConfigText(Self.token, isSecret: true),
                        tokenSource: "VERCEL_TOKEN",
                        project: "prj_A1b2C3",
                        mode: .promote
                    )
                )
        )
        #expect(service.provider?.kind == "vercel")
        #expect(parsed.configuration?.redactor.redact("Bearer \(Self.token)") == "Bearer <redacted>")
    }

    @Test("defaults: the public API, production, 10 s per request, instant rollback, no team")
    func defaults() throws {
        let yaml = Self.service(provider: "type: vercel\ntoken: ${VERCEL_TOKEN}\nproject: shop-web")
        let parsed = parse(yaml, environment: Self.environment)
        guard case .vercel(let spec)? = parsed.configuration?.firstServiceSpecs?.provider else {
            Issue.record("expected a vercel provider: \(parsed.problems)")
            return
        }
        #expect(spec.apiURL == "https://api.vercel.com")
        #expect(spec.target == "production")
        #expect(spec.timeout == .seconds(10))
        #expect(spec.mode == .rollback)
        #expect(spec.teamID == nil)
    }

    @Test("a token from a file names the file, never its content")
    func tokenFromFile() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("vercel-token")
        try Data("\(Self.token)\n".utf8).write(to: file)
        let yaml = Self.service(provider: "type: vercel\ntoken: ${file:\(file.path)}\nproject: shop-web")
        guard case .vercel(let spec)? = parse(yaml).configuration?.firstServiceSpecs?.provider else {
            Issue.record("expected a vercel provider: \(parse(yaml).problems)")
            return
        }
        #expect(spec.token == ConfigText(Self.token, isSecret: true))
        #expect(spec.tokenSource == "${file:\(file.path)}")
    }

    @Test("an inline token is refused without being shown")
    func inlineToken() {
        expectProblems(
            Self.service(provider: "type: vercel\ntoken: \(Self.token)\nproject: shop-web"),
            [
                (
                    8, "services.frontend.provider.token",
                    "put the token in an environment variable: token: ${VERCEL_TOKEN} (an inline token is refused)"
                )
            ]
        )
    }

    @Test("missing token and project are reported on the provider, with what to write")
    func missingKeys() {
        expectProblems(
            Self.service(provider: "type: vercel"),
            [
                (
                    6, "services.frontend.provider",
                    "missing required key 'token'; put the token in an environment variable: token: ${VERCEL_TOKEN}"
                ),
                (
                    6, "services.frontend.provider",
                    "missing required key 'project'; the project's id (prj_…) or name, e.g. project: shop-web"
                ),
            ]
        )
    }

    @Test("each mistake is reported at its own line and path")
    func mistakes() {
        expectProblems(
            Self.service(
                provider: """
                    type: vercel
                    token: ${VERCEL_TOKEN}
                    projcet: shop-web
                    team_id: ""
                    api_url: ftp://api.vercel.com
                    timeout: soon
                    mode: revert
                    """
            ),
            [
                (
                    6, "services.frontend.provider",
                    "missing required key 'project'; the project's id (prj_…) or name, e.g. project: shop-web"
                ),
                (9, "services.frontend.provider.projcet", "unknown key 'projcet'; did you mean 'project'?"),
                (10, "services.frontend.provider.team_id", "the team id is empty"),
                (11, "services.frontend.provider.api_url", "'ftp://api.vercel.com' is not an http:// or https:// URL"),
                (
                    12, "services.frontend.provider.timeout",
                    "invalid duration 'soon': use \(Duration.acceptedForms)"
                ),
                (
                    13, "services.frontend.provider.mode",
                    "'revert' is not one of 'rollback' or 'promote'"
                ),
            ].sorted { $0.0 < $1.0 }
        )
    }

    @Test("a token variable that is not set is a problem naming the variable")
    func unsetVariable() {
        expectProblems(
            Self.service(provider: "type: vercel\ntoken: ${VERCEL_TOKEN}\nproject: shop-web"),
            [
                (
                    8, "services.frontend.provider.token",
                    "environment variable VERCEL_TOKEN (the Vercel token) is not set; export it or use ${file:/path/to/file}"
                )
            ],
            environment: [:]
        )
    }

    @Test("a project with a slash or a space is refused")
    func badProject() {
        expectProblems(
            Self.service(provider: "type: vercel\ntoken: ${VERCEL_TOKEN}\nproject: acme/shop web"),
            [
                (
                    9, "services.frontend.provider.project",
                    "'acme/shop web' is not a valid project: no spaces, '/', '?' or '#'"
                )
            ]
        )
    }
}

extension String {
    /// Every line indented by `spaces`.
    fileprivate func indented(_ spaces: Int) -> String {
        split(separator: "\n", omittingEmptySubsequences: false)
            .map { String(repeating: " ", count: spaces) + $0 }
            .joined(separator: "\n")
    }
}
