import Foundation
import Testing

/// The CLI without a daemon: init, validate, freeze gates and their exit codes.
struct CLITests {
    @Test func initWritesAPolicyThatValidates() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let starter = try runRewind(["init"])
        #expect(starter.status == 0)
        try starter.stdout.write(toFile: scratch.file("rewind.yaml"), atomically: true, encoding: .utf8)
        let valid = try runRewind(["config", "validate", scratch.file("rewind.yaml")])
        #expect(valid.status == 0, "\(valid.stdout)\(valid.stderr)")
    }

    @Test func validateReportsEveryProblemWithFileLineAndPathAndExits78() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
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
        let result = try runRewind(["config", "validate", file])
        #expect(result.status == 78)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("\(file):2: bake:") && $0.contains("30s") })
        #expect(lines.contains { $0.hasPrefix("\(file):8: services.backend.checks[0].intervall:") && $0.contains("did you mean 'interval'") })
        #expect(lines.contains { $0.hasPrefix("\(file):12:") && $0.contains("REWIND_IT_MISSING_VARIABLE") })
    }

    @Test func freezeStatusGatesPipelines() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let config = scratch.file("rewind.yaml")
        let port = try freePort()
        try """
            state: state.db
            server: { listen: 127.0.0.1:\(port) }
            services:
              backend:
                checks: [{ name: health, url: "http://127.0.0.1:1/health" }]
                provider: { type: command, rollback: [true] }

            """.write(toFile: config, atomically: true, encoding: .utf8)
        #expect(try runRewind(["freeze", "status", "--config", config]).status == 0)
        let frozen = try runRewind(["freeze", "--for", "1h", "--reason", "incident review", "--config", config])
        #expect(frozen.status == 0, "\(frozen.stderr)")
        let gate = try runRewind(["freeze", "status", "--config", config])
        #expect(gate.status == 3)
        #expect(gate.stdout.contains("incident review"))
        #expect(try runRewind(["freeze", "--for", "5 minutes", "--reason", "x", "--config", config]).status == 64)
        #expect(try runRewind(["unfreeze", "--config", config]).status == 0)
        #expect(try runRewind(["freeze", "status", "--config", config]).status == 0)
    }

    @Test func serveRefusesToListenBeyondLoopbackWithoutAToken() throws {
        let scratch = try Scratch()
        defer { scratch.cleanUp() }
        let config = scratch.file("rewind.yaml")
        try """
            state: state.db
            server: { listen: "0.0.0.0:\(try freePort())" }
            services:
              backend:
                checks: [{ name: health, url: "http://127.0.0.1:1/health" }]
                provider: { type: command, rollback: [true] }

            """.write(toFile: config, atomically: true, encoding: .utf8)
        let result = try runRewind(["serve", "--config", config])
        #expect(result.status == 78)
        #expect(result.stderr.contains("server.token"))
    }
}
