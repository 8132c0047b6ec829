import Foundation
import RewindConfig
import RewindCore
import RewindSpecs
import Testing

@Suite("Config: git provider")
struct GitConfigTests {
    /// A service whose provider is `lines` (indented under `provider:`).
    static func service(_ lines: String) -> String {
        let indented = lines.split(separator: "\n", omittingEmptySubsequences: false)
            .map { "      \($0)" }.joined(separator: "\n")
        return """
            services:
              backend:
                checks: [{ name: health, url: "https://api.example.com/health" }]
                provider:
            \(indented)
            """
    }

    static func spec(_ lines: String, environment: [String: String] = [:]) throws -> GitProviderSpec {
        let parsed = parse(service(lines), environment: environment)
        let configuration = try #require(parsed.configuration, "\(parsed.problems)")
        guard case .git(let spec) = configuration.firstServiceSpecs?.provider else {
            Issue.record("expected a git provider")
            throw FixtureFailure()
        }
        return spec
    }

    struct FixtureFailure: Error {}

    /// `(line, path, message)` of each problem.
    static func found(_ lines: String, environment: [String: String] = [:]) -> [String] {
        parse(service(lines), environment: environment).problems.map { "\($0.line) \($0.path): \($0.message)" }
    }

    @Test("the smallest git provider takes the documented defaults; relative paths start at the config's folder")
    func defaults() throws {
        let spec = try Self.spec("type: git\nworking_copy: repos/config")
        #expect(
            spec
                == GitProviderSpec(
                    workingCopy: "/etc/rewind/repos/config",
                    remote: "origin",
                    branch: "main",
                    paths: [],
                    authorName: "Rewind",
                    authorEmail: "rewind@localhost",
                    push: true,
                    mainline: nil,
                    timeout: nil,
                    environment: [:]
                )
        )
        #expect(ProviderSpec.git(spec).kind == "git")
    }

    @Test("every key maps to the spec; env values from ${…} are secrets")
    func everyKey() throws {
        let spec = try Self.spec(
            """
            type: git
            working_copy: /srv/rewind/config
            remote: upstream
            branch: release/2024
            paths: [services/backend, shared/limits.yaml]
            author: { name: Rewind Bot, email: rewind@example.com }
            push: false
            mainline: 1
            timeout: 45s
            env: { GIT_SSH_COMMAND: "ssh -i ${DEPLOY_KEY_PATH} -o BatchMode=yes", GIT_TRACE: "0" }
            """,
            environment: ["DEPLOY_KEY_PATH": "/etc/rewind/deploy_key"]
        )
        #expect(spec.workingCopy == "/srv/rewind/config")
        #expect(spec.remote == "upstream")
        #expect(spec.branch == "release/2024")
        #expect(spec.paths == ["services/backend", "shared/limits.yaml"])
        #expect(spec.authorName == "Rewind Bot")
        #expect(spec.authorEmail == "rewind@example.com")
        #expect(spec.push == false)
        #expect(spec.mainline == 1)
        #expect(spec.timeout == .seconds(45))
        #expect(
            spec.environment == [
                "GIT_SSH_COMMAND": ConfigText("ssh -i /etc/rewind/deploy_key -o BatchMode=yes", isSecret: true),
                "GIT_TRACE": ConfigText("0"),
            ]
        )
    }

    @Test("git is also a fallback")
    func asFallback() throws {
        let yaml = """
            services:
              backend:
                checks: [{ name: health, url: "https://api.example.com/health" }]
                provider: { type: command, rollback: [railway, rollback] }
                fallback: { type: git, working_copy: /srv/config }
            """
        let configuration = try #require(parse(yaml).configuration)
        #expect(configuration.firstServiceSpecs?.fallback?.kind == "git")
    }

    @Test("each mistake is reported at its line and path, all at once, in line order")
    func mistakes() {
        let found = Self.found(
            """
            type: git
            remote: "https://token@github.com/acme/config.git"
            branch: --force
            paths: [/etc/passwd, ""]
            author: { name: "Ro <bot>", email: not-an-address, phone: 1 }
            push: yes please
            mainline: 0
            timeout: soon
            working_cpy: /srv
            """
        )
        let at = "services.backend.provider"
        #expect(
            found == [
                "4 \(at): missing required key 'working_copy'; the clone Rewind commits in, "
                    + "e.g. working_copy: /srv/rewind/config-repo",
                "6 \(at).remote: the remote 'https://token@github.com/acme/config.git' is not a remote name; "
                    + "use the name from `git remote` (letters, digits, '.', '_', '-'), not a URL",
                "7 \(at).branch: the branch '--force' starts with '-' (git would read it as an option)",
                "8 \(at).paths[0]: '/etc/passwd' is not inside the working copy; write it relative, "
                    + "e.g. config/backend",
                "8 \(at).paths[1]: must not be empty",
                "9 \(at).author.phone: unknown key 'phone'; allowed keys here: name, email",
                "9 \(at).author.name: an author name cannot contain '<', '>' or a line break",
                "9 \(at).author.email: 'not-an-address' is not an e-mail address; write it like rewind@example.com",
                "10 \(at).push: expected true or false, got 'yes please'",
                "11 \(at).mainline: expected a whole number from 1 to 100, got the number 0",
                "12 \(at).timeout: invalid duration 'soon': use 30s, 2m, 1h, 1h30m or 250ms",
                "13 \(at).working_cpy: unknown key 'working_cpy'; did you mean 'working_copy'?",
            ]
        )
    }

    @Test("a credential written inline in env is refused without being shown")
    func inlineCredential() {
        let found = Self.found(
            """
            type: git
            working_copy: /srv/config
            env:
              GIT_TOKEN: ghp_inline_value_123
              GIT_ASKPASS_URL: "https://bot:hunter2@git.example.com"
              GIT_SSH_COMMAND: ssh -o BatchMode=yes
            """
        )
        let at = "services.backend.provider.env"
        #expect(
            found == [
                "8 \(at).GIT_TOKEN: GIT_TOKEN holds a credential: put it in an environment variable or a file, "
                    + "e.g. GIT_TOKEN: ${GIT_TOKEN}",
                "9 \(at).GIT_ASKPASS_URL: GIT_ASKPASS_URL holds a credential: put it in an environment variable "
                    + "or a file, e.g. GIT_ASKPASS_URL: ${GIT_ASKPASS_URL}",
            ]
        )
        #expect(!found.joined().contains("ghp_inline_value_123"))
        #expect(!found.joined().contains("hunter2"))
        #expect(
            Self.found(
                "type: git\nworking_copy: /srv/config\nenv: { GIT_TOKEN: \"${GIT_TOKEN}\" }",
                environment: ["GIT_TOKEN": "ghp_from_env"]
            ).isEmpty
        )
    }

    @Test("git is listed among the provider types")
    func unknownType() {
        let found = Self.found("type: gti\nworking_copy: /srv/config")
        #expect(found.count == 1)
        #expect(found.first?.contains("did you mean 'git'?") == true)
    }
}
