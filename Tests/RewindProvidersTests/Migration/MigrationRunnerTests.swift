import Foundation
import RewindCore
import RewindPorts
import RewindProviders
import Testing

@Suite("Migration runner")
struct MigrationRunnerTests {
    static let target = Deployment(
        service: "backend",
        id: "dpl_1; rm -rf /",
        version: "1.4 stable",
        deployedAt: Timestamp(millisecondsSinceEpoch: 0)
    )
    static let current = Deployment(
        service: "backend",
        id: "dpl 2",
        version: "1.5",
        deployedAt: Timestamp(millisecondsSinceEpoch: 0)
    )
    static let context = ActionContext(incidentID: 12, current: nil)

    /// A temporary folder with `migrate.sh`, a down-migration that records its arguments, one per line.
    static func withMigrationScript<T>(_ script: String, _ body: (URL) async throws -> T) async throws -> T {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "rewind-migration-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("migrate.sh")
        try ("#!/bin/sh\n" + script + "\n").write(to: file, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: file.path)
        return try await body(folder)
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
            #expect(output.stdout == "schema at 1.4 stable\n")
            #expect(output.command == ["/bin/sh", "./migrate.sh", "1.4 stable", "dpl_1; rm -rf /", "backend@dpl 2", "#12"])
            let applied = try String(contentsOf: folder.appendingPathComponent("applied.txt"), encoding: .utf8)
            #expect(applied == "1.4 stable\ndpl_1; rm -rf /\nbackend@dpl 2\n#12\n")
        }
    }

    @Test("current.id falls back to the context's current deployment")
    func currentFromContext() async throws {
        let spec = MigrationSpec(rollback: ["printf", "%s", "{{current.id}}"])
        let runner = MigrationRunner(spec: spec, redactor: Redactor())
        let context = ActionContext(incidentID: 1, current: Self.current)
        let output = try await runner.rollBack(service: "backend", from: nil, to: Self.target, context: context)
        #expect(output.stdout == "dpl 2")
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
