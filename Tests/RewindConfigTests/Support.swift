import Foundation
import RewindConfig
import RewindCore

/// Parses `yaml` as `/etc/rewind/rewind.yaml` and returns the configuration, or nil with the problems.
func parse(
    _ yaml: String,
    environment: [String: String] = [:],
    path: String = "/etc/rewind/rewind.yaml"
)
    -> (configuration: RewindConfiguration?, problems: [ConfigProblem])
{
    switch ConfigLoader.parse(yaml: yaml, path: path, environment: environment) {
    case .success(let configuration): (configuration, [])
    case .failure(let errors): (nil, errors.problems)
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
