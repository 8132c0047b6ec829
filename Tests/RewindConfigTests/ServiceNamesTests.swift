import Foundation
import RewindConfig
import Testing

/// `ConfigLoader.serviceNames(path:)`: what shell completion offers for a SERVICE, without secrets.
@Suite("Service names for shell completion")
struct ServiceNamesTests {
    private func names(of yaml: String) throws -> [String] {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("rewind.yaml").path
        try yaml.write(toFile: file, atomically: true, encoding: .utf8)
        return try ConfigLoader.serviceNames(path: file)
    }

    @Test("the services: keys in file order, with secrets absent and the rest of the file invalid")
    func keysInFileOrder() throws {
        let yaml = """
            mode: not-a-mode
            notifications:
              channels:
                pager: { type: pagerduty, routing_key: "${NEVER_SET_ROUTING_KEY}" }
            services:
              worker: { checks: [] }
              backend: { provider: { token: "${file:/nonexistent/token}" } }
              api-gateway: {}
            """
        #expect(try names(of: yaml) == ["worker", "backend", "api-gateway"])
    }

    @Test("a file without a services: mapping has none")
    func noServices() throws {
        #expect(try names(of: "mode: enforce\n").isEmpty)
        #expect(try names(of: "services: [backend]\n").isEmpty)
        #expect(try names(of: "").isEmpty)
    }

    @Test("a missing file or one that is not YAML throws")
    func brokenFilesThrow() throws {
        #expect(throws: ConfigErrors.self) { try ConfigLoader.serviceNames(path: "/nonexistent/rewind.yaml") }
        #expect(throws: (any Error).self) { try names(of: "services: { backend: [\n") }
    }
}
