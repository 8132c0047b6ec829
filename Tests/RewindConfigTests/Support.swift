import Foundation
import RewindConfig
import RewindCore
import RewindSpecs
import Testing

/// Parses `yaml` as `/etc/rewind/rewind.yaml` and returns the configuration, or nil with the problems.
func parse(
    _ yaml: String,
    environment: [String: String] = [:],
    path: String = "/etc/rewind/rewind.yaml"
)
    -> (configuration: RewindConfiguration?, problems: [ConfigProblem])
{
    switch ConfigLoader.parse(yaml: yaml, path: path, environment: environment) {
    case .success(let configuration):
        // Every file the reader accepts in these tests, the published schema accepts too.
        let violations = (try? ConfigSchemaTests.check.violations(ofYAML: yaml)) ?? ["the YAML did not compose"]
        if !violations.isEmpty { Issue.record("the schema refuses a file the reader accepts: \(violations)\n\(yaml)") }
        return (configuration, [])
    case .failure(let errors):
        return (nil, errors.problems)
    }
}

/// The problems of `yaml`, as `line path: message` strings that read well in a failed expectation.
func problems(_ yaml: String, environment: [String: String] = [:]) -> [ConfigProblem] {
    parse(yaml, environment: environment).problems
}

/// A valid `services:` section, for tests about the rest of the file.
let minimalServices = """
    services:
      backend:
        checks:
          - name: health
            url: https://api.example.com/health
        provider:
          type: command
          rollback: [railway, rollback, --service, backend]
    """

/// A value for each variable the starter configuration reads.
let starterEnvironment = Dictionary(
    uniqueKeysWithValues: StarterConfig.variables.map { ($0.name, "starter-\($0.name.lowercased())-value") })

/// A fresh temporary folder, removed by the caller.
func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("rewind-config-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// One service with one check that has `checkLine` added (e.g. `interval: 30s`).
func serviceWithCheck(_ checkLine: String) -> String {
    """
    services:
      backend:
        checks:
          - name: health
            url: https://api.example.com/health
            \(checkLine)
        provider:
          type: command
          rollback: [railway, rollback, --service, backend]
    """
}

extension RewindConfiguration {
    /// How the first service of the file reaches its platform, traffic, flags and migration (most fixtures
    /// have one service).
    var firstServiceSpecs: PlatformSpecs? { policy.services.first.flatMap { platforms[$0.name] } }
}
