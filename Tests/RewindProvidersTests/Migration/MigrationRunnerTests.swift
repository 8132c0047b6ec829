import Foundation
import RewindCore
import RewindPorts
import RewindProviders
import RewindSpecs
import RewindTestSupport
import Testing

@Suite("Migration runner")
struct MigrationRunnerTests {
    static let target = Deployment(
        service: "backend",
        id: "dpl_1",
        version: "1.4-stable",
        deployedAt: Timestamp(millisecondsSinceEpoch: 0)
    )
    static let current = Deployment(
        service: "backend",
        id: "dpl_2",
        version: "1.5",
        deployedAt: Timestamp(millisecondsSinceEpoch: 0)
    )
    static let context = ActionContext(incidentID: 12, current: nil)

    /// A temporary folder with `migrate.sh`, a down-migration that records its arguments, one per line.
    static func withMigrationScript<T>(_ script: String, _ body: (URL) async throws -> T) async throws -> T {
        let folder = try TemporaryDirectory("migration")
        defer { folder.remove() }
        let file = folder.url.appendingPathComponent("migrate.sh")
        try ("#!/bin/sh\n" + script + "\n").write(to: file, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file.path)
        return try await body(folder.url)
    }

    @Test("the down-migration runs in its folder and each placeholder stays one argument")
    func runsWithPlaceholders() async throws {
        try await Self.withMigrationScript(#"printf '%s\n' "$@" > applied.txt; echo "schema at $1""#) { folder in
            let spec = MigrationSpec(
                rollback: [
                    // Through /bin/sh: executing a file just written can fail with "Text file busy" when a
                    // concurrent test forks while the file is still open for writing.
                    "/bin/sh", "./migrate.sh", "{{target.version}}", "{{target.id}}", "{{service}}@{{current.id}}",
                    "#{{incident.id}}",
                ],
                workingDirectory: folder.path
            )
            let runner = ProviderFactory.makeMigrationRunner(spec, redactor: Redactor())
            #expect(!runner.runsBeforeApp)
            let output = try await runner.rollBack(
                service: "backend",
                from: Self.current,
                to: Self.target,
                context: Self.context
            )
            #expect(output.exitCode == 0)
            #expect(output.stdout == "schema at 1.4-stable\n")
            #expect(output.command == ["/bin/sh", "./migrate.sh", "1.4-stable", "dpl_1", "backend@dpl_2", "#12"])
            let applied = try String(contentsOf: folder.appendingPathComponent("applied.txt"), encoding: .utf8)
            #expect(applied == "1.4-stable\ndpl_1\nbackend@dpl_2\n#12\n")
        }
    }

    @Test("current.id falls back to the context's current deployment")
    func currentFromContext() async throws {
        let spec = MigrationSpec(rollback: ["printf", "%s", "{{current.id}}"])
        let runner = MigrationRunner(spec: spec, redactor: Redactor())
        let context = ActionContext(incidentID: 1, current: Self.current)
        let output = try await runner.rollBack(service: "backend", from: nil, to: Self.target, context: context)
        #expect(output.stdout == "dpl_2")
    }

    @Test(
        "a target or current deployment that breaks the deployment id rule is refused before anything runs",
        arguments: [
            ("-rf", "1.4", "dpl_2"), ("dpl_1", "--to=0", "dpl_2"), ("dpl_1", "1.4 stable", "dpl_2"),
            ("dpl_1", "1.4", "--drop-all"), ("dpl_1", "..", "dpl_2"),
        ])
    func refusesUnsafeValues(id: String, version: String, currentID: String) async throws {
        try await Self.withMigrationScript("touch ran.txt") { folder in
            let spec = MigrationSpec(
                rollback: ["/bin/sh", "./migrate.sh", "{{target.id}}", "{{target.version}}", "{{current.id}}"],
                workingDirectory: folder.path)
            let runner = MigrationRunner(spec: spec, redactor: Redactor())
            let target = Deployment(
                service: "backend", id: id, version: version, deployedAt: .init(millisecondsSinceEpoch: 0))
            let current = Deployment(
                service: "backend", id: currentID, version: "1.5", deployedAt: .init(millisecondsSinceEpoch: 0))
            let error = try await #require(throws: ProviderError.self) {
                try await runner.rollBack(service: "backend", from: current, to: target, context: Self.context)
            }
            #expect(error.kind == .rejected)
            #expect(error.message.contains(DeploymentIdentifier.rule), "\(error.message)")
            #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("ran.txt").path))
        }
    }

    @Test("the down-migration gets a minimal environment plus its env:, never the daemon's other variables")
    func minimalEnvironment() async throws {
        daemonVariable("REWIND_TEST_DAEMON_MIGRATION_SECRET", "daemon-only-91b4")
        let spec = MigrationSpec(rollback: ["env"], environment: ["DATABASE_URL": ConfigText("postgres://db/app")])
        let output = try await MigrationRunner(spec: spec, redactor: Redactor())
            .rollBack(service: "backend", from: Self.current, to: Self.target, context: Self.context)
        #expect(!output.stdout.contains("REWIND_TEST_DAEMON_MIGRATION_SECRET"))
        #expect(output.stdout.contains("DATABASE_URL=postgres://db/app"))
        #expect(output.stdout.contains("PATH="))
    }

    @Test("a failing down-migration is commandFailed with its output, and secrets are redacted")
    func failure() async throws {
        let secret = "postgres-password-7f3a"
        try await Self.withMigrationScript(
            #"""
            echo "connecting with $DATABASE_PASSWORD"
            echo "relation users is locked ($DATABASE_PASSWORD)" >&2
            exit 4
            """#
        ) { folder in
            let spec = MigrationSpec(
                rollback: ["/bin/sh", folder.appendingPathComponent("migrate.sh").path],
                environment: ["DATABASE_PASSWORD": ConfigText(secret, isSecret: true)]
            )
            let runner = MigrationRunner(spec: spec, redactor: Redactor(secrets: [secret]))
            let error = try await #require(throws: ProviderError.self) {
                try await runner.rollBack(
                    service: "backend",
                    from: Self.current,
                    to: Self.target,
                    context: Self.context
                )
            }
            #expect(error.kind == .commandFailed)
            #expect(!error.isTransient)
            #expect(error.message.contains("migration rollback of backend"))
            #expect(error.message.contains("status 4"))
            #expect(error.message.contains("relation users is locked (<redacted>)"))
            #expect(!error.message.contains(secret))
            #expect(error.output?.exitCode == 4)
            #expect(error.output?.stdout == "connecting with <redacted>\n")
        }
    }

    @Test("an irreversible migration runs nothing and says to restore from backup")
    func irreversible() async throws {
        try await Self.withMigrationScript("touch ran.txt") { folder in
            let spec = MigrationSpec(rollback: ["./migrate.sh"], irreversible: true, workingDirectory: folder.path)
            let runner = MigrationRunner(spec: spec, redactor: Redactor())
            let error = try await #require(throws: ProviderError.self) {
                try await runner.rollBack(
                    service: "backend",
                    from: Self.current,
                    to: Self.target,
                    context: Self.context
                )
            }
            #expect(error.kind == .unsupported)
            #expect(!error.isTransient)
            #expect(error.message == "migration of backend is marked irreversible: no down step; restore from backup")
            #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("ran.txt").path))
        }
    }

    @Test("a down-migration that outlives its timeout is stopped")
    func timeout() async throws {
        let spec = MigrationSpec(rollback: ["sh", "-c", "echo started; sleep 30"], timeout: .milliseconds(300))
        let runner = MigrationRunner(spec: spec, redactor: Redactor())
        let error = try await #require(throws: ProviderError.self) {
            try await runner.rollBack(service: "backend", from: nil, to: Self.target, context: Self.context)
        }
        #expect(error.kind == .timeout)
        #expect(error.output?.stdout == "started\n")
    }

    @Test("before_app is reported to the engine")
    func beforeApp() {
        let runner = MigrationRunner(spec: MigrationSpec(rollback: ["true"], beforeApp: true), redactor: Redactor())
        #expect(runner.runsBeforeApp)
    }
}
