import Foundation
import RewindCore
import RewindSandbox
import RewindTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The CLI without a daemon: init, validate, freeze gates and their exit codes.
struct CLITests {
    /// `rewind.yaml` in `scratch`: one backend rolled back by `true`, the API on a free loopback port.
    static func commandBackendConfig(in scratch: TemporaryDirectory) throws -> String {
        let config = scratch.file("rewind.yaml")
        let port = try freeLoopbackPort()
        try """
        state: state.db
        server: { listen: 127.0.0.1:\(port) }
        services:
          backend:
            checks: [{ name: health, url: "http://127.0.0.1:1/health" }]
            provider: { type: command, rollback: [true] }

        """.write(toFile: config, atomically: true, encoding: .utf8)
        return config
    }

    /// The starter's channels and routing are live: it validates in CI without the secrets, names every
    /// missing variable and what it is for without `--skip-secrets`, and validates once they are set.
    @Test func versionIsPrinted() async throws {
        let answer = try await rewind(["--version"])
        #expect(answer.status == 0)
        #expect(answer.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == RewindVersion.current)
    }

    @Test func initWritesAPolicyThatValidates() async throws {
        let scratch = try TemporaryDirectory("it")
        defer { scratch.remove() }
        let starter = try await rewind(["init", "--no-token-file"])
        #expect(starter.status == 0)
        for variable in Self.starterVariables { #expect(starter.stderr.contains(variable), "init names \(variable)") }
        let file = scratch.file("rewind.yaml")
        try starter.stdout.write(toFile: file, atomically: true, encoding: .utf8)
        let skipped = try await rewind(["config", "validate", "--skip-secrets", file])
        #expect(skipped.status == 0, "\(skipped.stdout)\(skipped.stderr)")
        #expect(skipped.stdout.contains("valid (3 services, mode enforce); 9 values not checked without their secrets"))
        #expect(
            skipped.stdout.contains(
                ": notifications.channels.pagerduty.routing_key: not checked: environment variable PAGERDUTY_ROUTING_KEY"
            ))

        let strict = try await rewind(["config", "validate", file])
        #expect(strict.status == 78)
        let problems = strict.stdout.split(separator: "\n")
        for variable in Self.starterVariables {
            #expect(
                problems.contains {
                    $0.contains("environment variable \(variable) (the ") && $0.contains("is not set")
                }, "\(strict.stdout)")
        }
        #expect(
            problems.contains {
                $0.hasPrefix("\(file):")
                    && $0.contains(
                        "notifications.channels.slack-critical.token: environment variable SLACK_BOT_TOKEN (the bot token) is not set"
                    )
            })

        let values = Dictionary(uniqueKeysWithValues: Self.starterVariables.map { ($0, "it-\($0.lowercased())-value") })
        let valid = try await rewind(["config", "validate", file], environment: values)
        #expect(valid.status == 0, "\(valid.stdout)\(valid.stderr)")
    }

    static let starterVariables = ["SLACK_BOT_TOKEN", "PAGERDUTY_ROUTING_KEY", "SMTP_USERNAME", "SMTP_PASSWORD"]

    /// `rewind init` writes a token file readable by its owner only, never prints the token, and
    /// the printed policy reads it; run again, it keeps the token a daemon may already use.
    @Test func initWritesAnOwnerOnlyTokenFileThatThePolicyReads() async throws {
        let scratch = try TemporaryDirectory("it")
        defer { scratch.remove() }
        let tokenFile = scratch.file("rewind-api-token")
        let starter = try await rewind(["init", "--token-file", tokenFile])
        #expect(starter.status == 0, "\(starter.stderr)")
        let token = try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .newlines)
        #expect(token.count == 64 && token.allSatisfy(\.isHexDigit))
        let permissions = try FileManager.default.attributesOfItem(atPath: tokenFile)[.posixPermissions] as? Int
        #expect(permissions == 0o600)
        #expect(!starter.stdout.contains(token) && !starter.stderr.contains(token), "the token was printed")
        #expect(starter.stdout.contains("  token: ${file:\(tokenFile)}"))
        #expect(starter.stderr.contains("wrote a new API token to \(tokenFile)"))
        try starter.stdout.write(toFile: scratch.file("rewind.yaml"), atomically: true, encoding: .utf8)
        let valid = try await rewind(["config", "validate", "--skip-secrets", scratch.file("rewind.yaml")])
        #expect(valid.status == 0, "\(valid.stdout)\(valid.stderr)")
        #expect(!valid.stdout.contains("rewind-api-token"), "the token file is read, not left unchecked")
        let again = try await rewind(["init", "--token-file", tokenFile])
        #expect(again.status == 0)
        #expect(again.stderr.contains("kept the API token"))
        #expect(try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .newlines) == token)
    }

    @Test func validateReportsEveryProblemWithFileLineAndPathAndExits78() async throws {
        let scratch = try TemporaryDirectory("it")
        defer { scratch.remove() }
        let file = scratch.file("bad.yaml")
        try """
        mode: enforce
        bake: 5 minutes
        services:
          backend:
            checks:
              - name: health
                url: http://127.0.0.1:1/health
                intervall: 10s
            provider:
              type: command
              rollback: [echo, rollback]
              env: { TOKEN: "${REWIND_IT_MISSING_VARIABLE}" }

        """.write(toFile: file, atomically: true, encoding: .utf8)
        let result = try await rewind(["config", "validate", file])
        #expect(result.status == 78)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("\(file):2: bake:") && $0.contains("30s") })
        #expect(
            lines.contains {
                $0.hasPrefix("\(file):8: services.backend.checks[0].intervall:")
                    && $0.contains("did you mean 'interval'")
            })
        #expect(lines.contains { $0.hasPrefix("\(file):12:") && $0.contains("REWIND_IT_MISSING_VARIABLE") })
    }

    @Test func validateWarnsAboutASecretPassedAsAnArgumentAndStaysValid() async throws {
        let scratch = try TemporaryDirectory("it")
        defer { scratch.remove() }
        let file = scratch.file("warn.yaml")
        try """
        services:
          backend:
            checks:
              - name: health
                url: http://127.0.0.1:1/health
            provider:
              type: command
              rollback: [deploy-tool, rollback, "--token=${REWIND_IT_DEPLOY_TOKEN}"]

        """.write(toFile: file, atomically: true, encoding: .utf8)
        let result = try await rewind(
            ["config", "validate", file], environment: ["REWIND_IT_DEPLOY_TOKEN": "it-arg-token-9f8e"])
        #expect(result.status == 0, "a warning does not make the file invalid: \(result.stdout)\(result.stderr)")
        #expect(
            result.stdout.contains("\(file):8: services.backend.provider.rollback[2]: warning: "), "\(result.stdout)")
        #expect(result.stdout.contains("REWIND_IT_DEPLOY_TOKEN"))
        #expect(!result.stdout.contains("it-arg-token-9f8e"))
        #expect(result.stdout.contains("valid"))
    }

    /// Anyone with the token (or the state file) can record a deployment: its id and version must be
    /// safe to hand to a provider's command line.
    @Test func recordingADeploymentRefusesIdsThatCommandsWouldReadAsOptions() async throws {
        let scratch = try TemporaryDirectory("it")
        defer { scratch.remove() }
        let config = try Self.commandBackendConfig(in: scratch)
        let option = try await rewind(["deployments", "record", "backend", "--config", config, "--", "-rf"])
        #expect(option.status == 64, "\(option.stdout)\(option.stderr)")
        #expect(option.stderr.contains("starts with '-'"), "\(option.stderr)")
        let climbing = try await rewind([
            "deployments", "record", "backend", "be-v3", "--version", "../../etc", "--config", config,
        ])
        #expect(climbing.status == 64, "\(climbing.stdout)\(climbing.stderr)")
        #expect(climbing.stderr.contains("'..'"), "\(climbing.stderr)")
        let fine = try await rewind([
            "deployments", "record", "backend", "be-v3", "--version", "v3.0.1", "--config", config,
        ])
        #expect(fine.status == 0, "\(fine.stdout)\(fine.stderr)")
    }

    @Test func freezeStatusGatesPipelines() async throws {
        let scratch = try TemporaryDirectory("it")
        defer { scratch.remove() }
        let config = scratch.file("rewind.yaml")
        let port = try freeLoopbackPort()
        try """
        state: state.db
        server: { listen: 127.0.0.1:\(port) }
        services:
          backend:
            checks: [{ name: health, url: "http://127.0.0.1:1/health" }]
            provider: { type: command, rollback: [true] }

        """.write(toFile: config, atomically: true, encoding: .utf8)
        // Neither a daemon nor a database: the gate cannot tell, says why, and creates nothing.
        let unknown = try await rewind(["freeze", "status", "--config", config])
        #expect(unknown.status == 4, "\(unknown.stdout)")
        #expect(unknown.stderr.contains("cannot tell whether deployments are frozen"))
        #expect(!unknown.stdout.contains("allowed"))
        #expect(
            !FileManager.default.fileExists(atPath: scratch.file("state.db")),
            "a reading command created the state file")
        #expect(try await rewind(["history", "--config", config]).status == 69)
        #expect(!FileManager.default.fileExists(atPath: scratch.file("state.db")))
        let frozen = try await rewind(["freeze", "--for", "1h", "--reason", "incident review", "--config", config])
        #expect(frozen.status == 0, "\(frozen.stderr)")
        let gate = try await rewind(["freeze", "status", "--config", config])
        #expect(gate.status == 3)
        #expect(gate.stdout.contains("incident review (set by cli user"))
        #expect(try await rewind(["freeze", "--for", "5 minutes", "--reason", "x", "--config", config]).status == 64)
        #expect(try await rewind(["unfreeze", "--config", config]).status == 0)
        #expect(try await rewind(["freeze", "status", "--config", config]).status == 0)
    }

    @Test func serveRefusesToListenBeyondLoopbackWithoutAToken() async throws {
        let scratch = try TemporaryDirectory("it")
        defer { scratch.remove() }
        let config = scratch.file("rewind.yaml")
        try """
        state: state.db
        server: { listen: "0.0.0.0:\(try freeLoopbackPort())" }
        services:
          backend:
            checks: [{ name: health, url: "http://127.0.0.1:1/health" }]
            provider: { type: command, rollback: [true] }

        """.write(toFile: config, atomically: true, encoding: .utf8)
        let result = try await rewind(["serve", "--config", config])
        #expect(result.status == 78)
        #expect(result.stderr.contains("server.token"))
    }
}
