import ArgumentParser
import RewindApp
import RewindConfig

/// What the shells complete beyond the commands and the enumerated options (`rewind --generate-completion-script
/// bash|zsh|fish` writes the scripts; argument-parser asks the functions here through `rewind ---completion …`).
enum Completions {
    /// Policy files (`--config`).
    static let policyFiles = CompletionKind.file(extensions: ["yaml", "yml"])

    /// The demo scenarios.
    static let scenarios = CompletionKind.list(RewindApp.Demo.Scenario.allCases.map(\.rawValue))

    /// The services of the policy that the command line being completed reads (``configPath(in:)``), from its
    /// `services:` keys only: no secret is needed, and a missing, unreadable or broken file offers nothing.
    static let services = CompletionKind.custom { words, _, _ in
        (try? ConfigLoader.serviceNames(path: configPath(in: words))) ?? []
    }

    /// The policy file `words` name with `-c FILE`, `--config FILE` or `--config=FILE` (the last one wins, as when
    /// parsing), else ``ConfigOption/defaultPath``.
    static func configPath(in words: [String]) -> String {
        var path = ConfigOption.defaultPath
        for (index, word) in words.enumerated() {
            if word.hasPrefix("--config=") {
                path = String(word.dropFirst("--config=".count))
            } else if word == "-c" || word == "--config", words.indices.contains(index + 1) {
                path = words[index + 1]
            }
        }
        return path
    }
}
