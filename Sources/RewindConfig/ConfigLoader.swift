import Foundation
import RewindCore
import Yams

/// Reads `rewind.yaml` into a ``RewindConfiguration``, or reports every problem in it at once.
///
/// The YAML is composed into nodes (not decoded with Codable) so that each problem names the line of
/// the offending key or value and its dotted path. `${NAME}` and `${file:…}` references are resolved
/// from `environment` and from files; a resolved value that is a secret (see ``Secrecy``) lands in the
/// configuration's ``Redactor`` and never in a problem message.
public enum ConfigLoader {
    /// Reads and parses the file at `path`. Throws ``ConfigErrors``, also when the file cannot be read.
    public static func load(path: String, environment: [String: String]) throws -> RewindConfiguration {
        try parse(yaml: try text(of: path), path: path, environment: environment).get()
    }

    /// What `rewind config validate` reports: the configuration, and with `skippingAbsentSecrets` the values
    /// it could not check because their secret is absent here (a variable not set, a `${file:…}` that does
    /// not exist or cannot be read). Everything else is validated as ``load(path:environment:)`` does.
    /// The configuration holds placeholders for unchecked values: check with it, never run it.
    public static func validate(
        path: String,
        environment: [String: String],
        skippingAbsentSecrets: Bool
    ) throws -> ConfigValidation {
        try parse(
            yaml: try text(of: path), path: path, environment: environment, skippingAbsentSecrets: skippingAbsentSecrets
        ).get()
    }

    /// Parses `yaml` as if read from `path`: relative paths in it resolve against `path`'s folder.
    public static func parse(
        yaml: String,
        path: String,
        environment: [String: String]
    )
        -> Result<RewindConfiguration, ConfigErrors>
    {
        parse(yaml: yaml, path: path, environment: environment, skippingAbsentSecrets: false).map(\.configuration)
    }

    /// ``parse(yaml:path:environment:)``, optionally noting absent secrets instead of reporting them.
    ///
    /// `overrides` (`rewind replay --sweep`) are set over the file before it is read, and validated as if written
    /// in it; one that names no setting of the file is a problem of its own (file `--sweep`).
    public static func parse(
        yaml: String,
        path: String,
        environment: [String: String],
        skippingAbsentSecrets: Bool,
        overrides: [ConfigOverride] = []
    )
        -> Result<ConfigValidation, ConfigErrors>
    {
        let sourcePath = URL(fileURLWithPath: path).standardizedFileURL.path
        let folder = URL(fileURLWithPath: sourcePath).deletingLastPathComponent().path
        var reader = ConfigReader(
            file: path, folder: folder, environment: environment, skipsAbsentSecrets: skippingAbsentSecrets)
        var root: Node
        do {
            guard let composed = try Yams.compose(yaml: yaml) else {
                return .failure(emptyFile(path))
            }
            root = composed
            let refused = overrides.compactMap { override in
                override.apply(to: &root).map {
                    ConfigProblem(file: "--sweep", line: 0, path: override.key, message: $0)
                }
            }
            if !refused.isEmpty { return .failure(ConfigErrors(problems: refused)) }
        } catch {
            return .failure(ConfigErrors(problems: [syntaxProblem(error, file: path)]))
        }
        let located = Located(node: root, path: "", line: root.mark?.line ?? 1)
        var configuration = reader.configuration(located, sourcePath: sourcePath)
        let warnings = redacted(reader.warnings, by: configuration.redactor)
        let problems = reader.checkedProblems
        guard problems.isEmpty else {
            return .failure(ConfigErrors(problems: redacted(problems, by: configuration.redactor), warnings: warnings))
        }
        configuration.warnings = warnings
        return .success(ConfigValidation(configuration: configuration, notChecked: reader.notChecked))
    }

    /// The text of the configuration file, or a problem saying why there is none.
    /// The text of the file at `path`, as ``load(path:environment:)`` reads it; throws ``ConfigErrors``
    /// naming why it cannot be read. With ``parse(yaml:path:environment:)``, one read gives both the
    /// configuration and the bytes it came from (`rewind serve` hashes them on SIGHUP).
    public static func read(path: String) throws -> String {
        try text(of: path)
    }

    /// The keys of the `services:` mapping of the file at `path`, in file order, and nothing else of it: no
    /// `${…}` reference is resolved, so no secret is read and the rest of the file need not be valid (shell
    /// completion offers them). Throws ``ConfigErrors`` when the file cannot be read, a Yams error when it is
    /// not YAML; a file without a `services:` mapping has none.
    public static func serviceNames(path: String) throws -> [String] {
        guard let services = try Yams.compose(yaml: try text(of: path))?["services"]?.mapping else {
            return []
        }
        return services.keys.compactMap(\.string)
    }

    private static func text(of path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            var isFolder: ObjCBool = false
            let message =
                if !FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) {
                    "no such file; create one with: rewind init > \(path)"
                } else if isFolder.boolValue {
                    "this is a folder; name the configuration file, e.g. \(path)/rewind.yaml"
                } else {
                    "the file cannot be read; check its permissions"
                }
            throw ConfigErrors(problems: [ConfigProblem(file: path, line: 0, path: "", message: message)])
        }
        guard let yaml = String(data: data, encoding: .utf8) else {
            throw ConfigErrors(problems: [
                ConfigProblem(file: path, line: 0, path: "", message: "the file is not UTF-8 text")
            ])
        }
        return yaml
    }

    private static func emptyFile(_ path: String) -> ConfigErrors {
        ConfigErrors(problems: [
            ConfigProblem(
                file: path,
                line: 0,
                path: "",
                message: "the file is empty; start from: rewind init > \(path)"
            )
        ])
    }

    /// One problem for YAML that does not parse, at the parser's line.
    static func syntaxProblem(_ error: any Error, file: String) -> ConfigProblem {
        func problem(_ mark: Mark, _ context: YamlError.Context?, _ text: String) -> ConfigProblem {
            let parsing = context.map { "\($0.text): " } ?? ""
            return ConfigProblem(file: file, line: mark.line, path: "", message: "invalid YAML: \(parsing)\(text)")
        }
        guard let yamlError = error as? YamlError else {
            return ConfigProblem(file: file, line: 0, path: "", message: "invalid YAML")
        }
        switch yamlError {
        case .scanner(let context, let text, let mark, _), .parser(let context, let text, let mark, _),
            .composer(let context, let text, let mark, _):
            return problem(mark, context, text)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return ConfigProblem(
                file: file,
                line: context.mark.line,
                path: "",
                message: "invalid YAML: \(keys) appears more than once in the same mapping; keep one"
            )
        case .reader(let text, _, _, _):
            return ConfigProblem(file: file, line: 0, path: "", message: "invalid YAML: \(text)")
        default:
            return ConfigProblem(file: file, line: 0, path: "", message: "invalid YAML")
        }
    }

    /// Belt and braces: no problem message may carry a resolved secret, whatever produced it.
    private static func redacted(_ problems: [ConfigProblem], by redactor: Redactor) -> [ConfigProblem] {
        problems.enumerated()
            .sorted { ($0.element.line, $0.offset) < ($1.element.line, $1.offset) }
            .map { entry in
                var problem = entry.element
                problem.message = redactor.redact(problem.message)
                return problem
            }
    }
}

/// A configuration checked by `rewind config validate`, with the values left unchecked.
public struct ConfigValidation: Sendable {
    /// The configuration; with values not checked, it holds placeholders for them (do not run it).
    public var configuration: RewindConfiguration
    /// One note per value whose secret was absent, as `FILE:LINE: path: not checked: …`.
    public var notChecked: [ConfigProblem]
}
