import Foundation
import RewindApp
import RewindTestSupport
import Testing

/// Shell completion: the scripts argument-parser generates, and the service names `rewind` offers for a SERVICE.
struct CompletionTests {
    static let scenarios = RewindApp.Demo.Scenario.allCases.map(\.rawValue)

    /// How each shell's script spells a `.list` completion of the scenarios.
    static let scenarioLists = [
        "bash": "'" + scenarios.joined(separator: "'$'\\n''") + "'",
        "zsh": "(" + scenarios.map { "'\($0)'" }.joined(separator: " ") + ")",
        "fish": "'" + scenarios.joined(separator: " ") + "'",
    ]

    @Test(arguments: ["bash", "zsh", "fish"])
    func scriptsCompleteTheDemoScenariosAndAskForServices(shell: String) async throws {
        let script = try await rewind(["--generate-completion-script", shell])
        #expect(script.status == 0, "\(script.stderr)")
        #expect(script.stdout.contains(try #require(Self.scenarioLists[shell])), "\(shell) lists the scenarios")
        for command in ["rollback", "promote", "drill", "diff", "deployments record"] {
            #expect(script.stdout.contains("---completion \(command) -- positional@0"), "\(shell) \(command)")
        }
    }

    @Test func anUnknownScenarioNamesTheKnownOnes() async throws {
        let answer = try await rewind(["demo", "--scenario", "nope"])
        #expect(answer.status == 64)
        #expect(
            answer.stderr.contains("unknown scenario 'nope'; choose one of: \(Self.scenarios.joined(separator: ", "))"))
    }

    /// What the shells run to complete `rewind rollback` (or `deployments record`) with `options` before the
    /// service being typed: `rewind ---completion SUBCOMMANDS -- positional@0 WORD-INDEX CURSOR WORDS…`.
    private func services(
        _ options: [String], in subcommands: [String] = ["rollback"]
    ) async throws -> (status: Int32, stdout: String, stderr: String) {
        let words = ["rewind"] + subcommands + options + [""]
        return try await rewind(
            ["---completion"] + subcommands + ["--", "positional@0", "\(words.count - 1)", "0"] + words)
    }

    @Test func serviceArgumentsCompleteTheServicesOfTheNamedPolicy() async throws {
        let scratch = try TemporaryDirectory("completion")
        defer { scratch.remove() }
        let config = scratch.file("policy.yaml")
        try """
        notifications:
          channels:
            pager: { type: pagerduty, routing_key: "${COMPLETION_TEST_UNSET_KEY}" }
        services:
          backend: { provider: { type: command, rollback: [true] } }
          worker: { provider: { type: command, rollback: [true] } }

        """.write(toFile: config, atomically: true, encoding: .utf8)

        for (subcommands, options) in [
            (["rollback"], ["-c", config]), (["rollback"], ["--config=\(config)", "--reason", "x"]),
            (["deployments", "record"], ["--config", config]),
        ] {
            let answer = try await services(options, in: subcommands)
            #expect(answer.status == 0, "\(answer.stderr)")
            #expect(answer.stdout.split(separator: "\n") == ["backend", "worker"], "\(subcommands) \(options)")
            #expect(answer.stderr.isEmpty)
        }
    }

    @Test func aMissingOrBrokenPolicyOffersNoServices() async throws {
        let scratch = try TemporaryDirectory("completion")
        defer { scratch.remove() }
        let broken = scratch.file("broken.yaml")
        try "services: { backend: [\n".write(toFile: broken, atomically: true, encoding: .utf8)
        for config in [broken, scratch.file("missing.yaml"), scratch.path] {
            let answer = try await services(["-c", config])
            #expect(answer.status == 0, "\(config): \(answer.stderr)")
            #expect(answer.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(config)")
            #expect(answer.stderr.isEmpty, "\(config)")
        }
    }
}
