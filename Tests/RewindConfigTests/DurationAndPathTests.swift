import Foundation
import RewindConfig
import RewindCore
import RewindSpecs
import Testing

@Suite("Durations and paths")
struct DurationAndPathTests {
    @Test(
        "accepted duration forms",
        arguments: [
            ("30s", Duration.seconds(30)), ("2m", .seconds(120)), ("1h", .seconds(3600)), ("59m30s", .seconds(3570)),
            ("250ms", .milliseconds(250)), ("1m30s", .seconds(90)),
        ]
    )
    func accepted(text: String, expected: Duration) throws {
        let configuration = try #require(parse(serviceWithCheck("interval: \(text)")).configuration)
        #expect(configuration.policy.services.first?.checks.first?.interval == expected)
    }

    @Test("rejected duration forms", arguments: ["5 minutes", "90", "1.5h", "30 s", "2M", "30s1m", "-5s", "\"\""])
    func rejected(text: String) throws {
        let found = problems(serviceWithCheck("interval: \(text)"))
        #expect(found.count == 1)
        let problem = try #require(found.first)
        #expect(problem.line == 6)
        #expect(problem.path == "services.backend.checks[0].interval")
        #expect(problem.message.hasPrefix("invalid duration '"))
        #expect(problem.message.hasSuffix("': use \(Duration.acceptedForms)"))
    }

    @Test("the guide's example of a bad duration reads as the guide wants")
    func fiveMinutes() {
        #expect(
            problems("bake: 5 minutes\n" + minimalServices).map(\.message) == [
                "invalid duration '5 minutes': use 30s, 2m, 1h, 1h30m or 250ms"
            ]
        )
    }

    @Test("a zero timeout is refused; a zero bake or cooldown is allowed")
    func zeroDurations() {
        #expect(problems(serviceWithCheck("timeout: 0s")).map(\.message) == ["must be between 100ms and 1h, got 0s"])
        let configuration = parse("bake: 0s\nsafety: { cooldown: 0s }\n" + minimalServices).configuration
        #expect(configuration?.policy.bake == .zero)
        #expect(configuration?.policy.safety.cooldown == .zero)
    }

    @Test("relative state, notification file and working directory resolve against the config folder")
    func relativePaths() throws {
        let yaml = """
            state: ../var/rewind.db
            notifications: { file: out/notifications.jsonl }
            services:
              api:
                checks: [{ name: h, url: "https://api.example.com" }]
                provider:
                  type: command
                  rollback: [./rollback.sh]
                  working_directory: scripts/./deploy
            """
        let configuration = try #require(parse(yaml, path: "/srv/app/config/rewind.yaml").configuration)
        #expect(configuration.statePath == "/srv/app/var/rewind.db")
        #expect(configuration.notifications.file == "/srv/app/config/out/notifications.jsonl")
        guard case .command(let spec) = configuration.firstServiceSpecs?.provider else {
            Issue.record("expected a command provider")
            return
        }
        #expect(spec.workingDirectory == "/srv/app/config/scripts/deploy")
    }

    @Test("absolute paths stay; the state file defaults to rewind.db beside the config")
    func absoluteAndDefaultPaths() throws {
        let absolute = try #require(parse("state: /var/lib/rewind/state.db\n" + minimalServices).configuration)
        #expect(absolute.statePath == "/var/lib/rewind/state.db")
        let defaulted = try #require(parse(minimalServices, path: "/opt/rewind/rewind.yaml").configuration)
        #expect(defaulted.statePath == "/opt/rewind/rewind.db")
        #expect(defaulted.sourcePath == "/opt/rewind/rewind.yaml")
    }

    @Test("a relative config path resolves against the current directory")
    func relativeConfigPath() throws {
        let configuration = try #require(parse(minimalServices, path: "rewind.yaml").configuration)
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).standardizedFileURL.path
        #expect(configuration.sourcePath == cwd + "/rewind.yaml")
        #expect(configuration.statePath == cwd + "/rewind.db")
    }
}

@Suite("Loading from disk")
struct LoadTests {
    @Test("load reads the file and parses it")
    func loadsFile() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("rewind.yaml").path
        try StarterConfig.yaml.write(toFile: path, atomically: true, encoding: .utf8)
        let configuration = try ConfigLoader.load(path: path, environment: starterEnvironment)
        #expect(configuration.policy.services.count == 3)
        #expect(configuration.policy.retention == RetentionPolicy())
        #expect(configuration.statePath == folder.standardizedFileURL.path + "/rewind.db")
    }

    @Test("an unreadable file is one problem with line 0 and an empty path")
    func missingFile() {
        #expect {
            try ConfigLoader.load(path: "/nonexistent/rewind.yaml", environment: [:])
        } throws: { error in
            guard let errors = error as? ConfigErrors else { return false }
            return errors.problems == [
                ConfigProblem(
                    file: "/nonexistent/rewind.yaml",
                    line: 0,
                    path: "",
                    message: "no such file; create one with: rewind init > /nonexistent/rewind.yaml"
                )
            ]
        }
    }

    @Test("problems of a file on disk are thrown as ConfigErrors")
    func invalidFile() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("rewind.yaml").path
        try "mode: fast\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: ConfigErrors.self) { try ConfigLoader.load(path: path, environment: [:]) }
    }
}
