import Foundation
import RewindCore
import RewindPorts
import RewindProcess
import RewindProviders
import RewindSpecs
import RewindTestSupport
import Testing

@Suite("Command provider")
struct CommandProviderTests {
    static let target = Deployment(
        service: "api", id: "rel/v1:2026", version: "1.0+beta", deployedAt: Timestamp(millisecondsSinceEpoch: 0)
    )
    static let context = ActionContext(
        incidentID: 42,
        current: Deployment(service: "api", id: "v2", version: "2.0", deployedAt: .init(millisecondsSinceEpoch: 0))
    )

    static func provider(_ spec: CommandProviderSpec, secrets: [String] = []) -> CommandProvider {
        CommandProvider(spec: spec, redactor: Redactor(secrets: secrets), service: "api")
    }

    static func rollback(_ spec: CommandProviderSpec, secrets: [String] = []) async throws -> RollbackOperation {
        try await provider(spec, secrets: secrets).rollback(service: "api", to: target, context: context)
    }

    @Test("each template stays one argument, whatever the value holds")
    func argumentVector() async throws {
        let spec = CommandProviderSpec(rollback: [
            "printf", "%s\\n", "{{target.id}}", "--version={{target.version}}", "{{service}}@{{current.id}}",
            "incident {{incident.id}}",
        ])
        let operation = try await Self.rollback(spec)
        #expect(operation.finished)
        let output = try #require(operation.output)
        #expect(output.exitCode == 0)
        #expect(output.stdout == "rel/v1:2026\n--version=1.0+beta\napi@v2\nincident 42\n")
        #expect(output.command == ["printf", "%s\\n", "rel/v1:2026", "--version=1.0+beta", "api@v2", "incident 42"])
        #expect(try await Self.provider(spec).status(of: operation, service: "api", target: Self.target) == .succeeded)
    }

    @Test("the environment is passed and a secret never reaches the captured output")
    func environmentAndRedaction() async throws {
        let secret = "tok-3f9d2c7a1b"
        let spec = CommandProviderSpec(
            rollback: ["printenv", "REWIND_PLAIN", "DEPLOY_TOKEN"],
            environment: ["REWIND_PLAIN": ConfigText("hello"), "DEPLOY_TOKEN": ConfigText(secret, isSecret: true)]
        )
        let output = try #require(try await Self.rollback(spec, secrets: [secret]).output)
        #expect(output.stdout == "hello\n<redacted>\n")
        #expect(!output.stdout.contains(secret))
    }

    /// Anyone with the API token can record a deployment with any id or version and then roll back to
    /// it: a value starting with `-` would reach the command as an option.
    @Test(
        "a target id or version that breaks the deployment id rule is refused before anything runs",
        arguments: [
            ("-rf", "v1"), ("--output=/etc/passwd", "v1"), ("v1", "--force"), ("v1", "../../etc/passwd"),
            ("v1; rm -rf /", "v1"), ("v1", "1.0 beta"), ("v1", "1.0\n--force"),
        ])
    func refusesUnsafeTargets(id: String, version: String) async throws {
        let directory = try TemporaryDirectory("command-refused")
        defer { directory.remove() }
        let spec = CommandProviderSpec(
            rollback: ["touch", "ran", "{{target.id}}", "{{target.version}}"], workingDirectory: directory.path)
        let target = Deployment(service: "api", id: id, version: version, deployedAt: .init(millisecondsSinceEpoch: 0))
        let error = try await #require(throws: ProviderError.self) {
            try await Self.provider(spec).rollback(service: "api", to: target, context: Self.context)
        }
        #expect(error.kind == .rejected)
        #expect(error.message.contains(DeploymentIdentifier.rule), "\(error.message)")
        #expect(error.output == nil)
        #expect(
            !FileManager.default.fileExists(atPath: directory.url.appendingPathComponent("ran").path), "nothing ran")
    }

    @Test("the command gets a minimal environment plus its env:, never the daemon's other variables")
    func minimalEnvironment() async throws {
        daemonVariable("REWIND_TEST_DAEMON_VENDOR_TOKEN", "daemon-only-7c1e")
        let spec = CommandProviderSpec(rollback: ["env"], environment: ["DEPLOY_REGION": ConfigText("eu-west-1")])
        let output = try #require(try await Self.rollback(spec).output)
        let names = Set(
            output.stdout.split(separator: "\n").compactMap { $0.split(separator: "=").first.map(String.init) })
        #expect(!names.contains("REWIND_TEST_DAEMON_VENDOR_TOKEN"), "a daemon variable leaked: \(names.sorted())")
        #expect(!output.stdout.contains("daemon-only-7c1e"))
        #expect(names.contains("PATH"))
        #expect(output.stdout.contains("DEPLOY_REGION=eu-west-1"))
        #expect(names.allSatisfy { ChildEnvironment.minimalKeeps($0) || $0 == "DEPLOY_REGION" }, "\(names.sorted())")
    }

    @Test("a non-zero exit is commandFailed with the status and the output")
    func nonZeroExit() async throws {
        let spec = CommandProviderSpec(rollback: ["sh", "-c", "echo rolled; echo 'no such release' >&2; exit 3"])
        let error = try await #require(throws: ProviderError.self) { try await Self.rollback(spec) }
        #expect(error.kind == .commandFailed)
        #expect(!error.isTransient)
        #expect(error.message.contains("status 3"))
        #expect(error.message.contains("no such release"))
        #expect(error.output?.exitCode == 3)
        #expect(error.output?.stdout == "rolled\n")
        #expect(error.output?.stderr == "no such release\n")
    }

    @Test("a command that outlives its timeout is stopped, with what it started")
    func timeout() async throws {
        let spec = CommandProviderSpec(
            rollback: ["sh", "-c", "echo started; sleep 30; echo never"], timeout: .milliseconds(300)
        )
        let error = try await #require(throws: ProviderError.self) { try await Self.rollback(spec) }
        #expect(error.kind == .timeout)
        #expect(error.output?.stdout == "started\n")
    }

    @Test("a missing executable is commandFailed naming the program, not its arguments")
    func missingExecutable() async throws {
        let spec = CommandProviderSpec(rollback: ["rewind-no-such-tool", "--token=abc123xyz"])
        let error = try await #require(throws: ProviderError.self) { try await Self.rollback(spec) }
        #expect(error.kind == .commandFailed)
        #expect(error.message.contains("rewind-no-such-tool"))
        #expect(!error.message.contains("abc123xyz"))
    }

    @Test("large output on both streams neither blocks nor grows past the cap")
    func largeOutput() async throws {
        let spec = CommandProviderSpec(rollback: [
            "sh", "-c", "head -c 300000 /dev/zero | tr '\\0' a; head -c 300000 /dev/zero | tr '\\0' b >&2",
        ])
        let output = try #require(try await Self.rollback(spec).output)
        #expect(output.stdout.hasSuffix("…truncated (300000 bytes in all)"))
        #expect(output.stderr.hasSuffix("…truncated (300000 bytes in all)"))
        #expect(output.stdout.utf8.count < 64 * 1024 + 100)
    }

    @Test("current runs its command in the working directory; the first non-empty line is the id")
    func currentDeployment() async throws {
        let directory = try TemporaryDirectory("command")
        defer { directory.remove() }
        let file = directory.url.appendingPathComponent("live.txt")
        try "\n  dpl_42  \nother\n".write(to: file, atomically: true, encoding: .utf8)

        let spec = CommandProviderSpec(
            rollback: ["true"], current: ["cat", "live.txt"], workingDirectory: directory.path
        )
        #expect(try await Self.provider(spec).currentDeployment(service: "api") == PlatformDeployment(id: "dpl_42"))
        let withoutCurrent = Self.provider(CommandProviderSpec(rollback: ["true"]))
        #expect(try await withoutCurrent.currentDeployment(service: "api") == nil)
        #expect(try await Self.provider(spec).listDeployments(service: "api") == [])
    }

    @Test("a program given by path, absolute or relative to the working directory, runs")
    func programByPath() async throws {
        let absolute = CommandProviderSpec(rollback: ["/usr/bin/printf", "[%s]", "{{target.id}}"])
        #expect(try await Self.rollback(absolute).output?.stdout == "[rel/v1:2026]")
        let relative = CommandProviderSpec(rollback: ["./printf", "%s", "{{service}}"], workingDirectory: "/usr/bin")
        #expect(try await Self.rollback(relative).output?.stdout == "api")
    }

    @Test("a missing working directory is commandFailed")
    func missingWorkingDirectory() async throws {
        let spec = CommandProviderSpec(rollback: ["true"], workingDirectory: "/nonexistent/rewind-test")
        let error = try await #require(throws: ProviderError.self) { try await Self.rollback(spec) }
        #expect(error.kind == .commandFailed)
        #expect(error.message.contains("/nonexistent/rewind-test"))
    }

    @Test("a file that cannot be executed is commandFailed")
    func unlaunchable() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("rewind-\(UUID().uuidString).bin")
        try Data([0, 1, 2, 3]).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file.path)
        let error = try await #require(throws: ProviderError.self) {
            try await Self.rollback(CommandProviderSpec(rollback: [file.path]))
        }
        #expect(error.kind == .commandFailed)
    }
}
