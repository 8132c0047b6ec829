import AsyncHTTPClient
import Foundation
import RewindCore
import RewindPorts
import RewindProviders
import RewindSpecs
import RewindTestSupport
import Testing

@Suite("flagd kill switch rewriting a flag file")
struct FlagdSwitchTests {
    static let flagFile = """
        {
          "$schema": "https://flagd.dev/schema/v0/flags.json",
          "flags": {
            "checkout-v2": {
              "state": "ENABLED", "variants": { "on": true, "off": false }, "defaultVariant": "on",
              "targeting": { "if": [ { "in": ["@example.com", { "var": "email" }] }, "on", "off" ] }
            },
            "search-rerank": { "state": "ENABLED", "variants": { "enabled": true, "disabled": false },
                               "defaultVariant": "enabled" },
            "banner-color": { "state": "ENABLED", "variants": { "red": "#ff0000", "blue": "#0000ff" },
                              "defaultVariant": "red", "metadata": { "owner": "web", "limit": 10 } }
          }
        }
        """

    /// A temporary folder holding `flags.json`, removed after `body`.
    static func withFlagFile(
        _ content: String = FlagdSwitchTests.flagFile, _ body: (URL) async throws -> Void
    ) async throws {
        let folder = try TemporaryDirectory("flagd")
        defer { folder.remove() }
        let file = folder.url.appendingPathComponent("flags.json")
        try Data(content.utf8).write(to: file)
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: file.path)
        try await body(file)
    }

    static func killSwitch(
        _ file: URL, kill: FlagdFlagsSpec.Kill = .defaultVariant("off"), flags: [String] = ["checkout-v2"]
    )
        -> any FlagKillSwitch
    {
        FlagSwitchFactory.make(
            FeatureFlagsSpec(backend: .flagd(FlagdFlagsSpec(path: file.path, kill: kill)), disable: flags),
            service: "frontend", client: .shared, redactor: Redactor()
        )
    }

    static func flags(_ file: URL) throws -> [String: Any] {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any]
        return try #require(json?["flags"] as? [String: Any])
    }

    @Test("default variant kill: the safe variant, no targeting, everything else kept; atomically replaced")
    func defaultVariant() async throws {
        try await Self.withFlagFile { file in
            let killSwitch = Self.killSwitch(file)
            #expect(killSwitch.kind == "flagd")
            let before = try await killSwitch.isEnabled(flag: "checkout-v2")
            #expect(before)
            let inodeBefore = try FileManager.default.attributesOfItem(atPath: file.path)[.systemFileNumber] as? Int

            try await killSwitch.disable(flag: "checkout-v2")

            let flags = try Self.flags(file)
            let checkout = try #require(flags["checkout-v2"] as? [String: Any])
            #expect(checkout["defaultVariant"] as? String == "off")
            #expect((checkout["targeting"] as? [String: Any])?.isEmpty == true)
            #expect(checkout["state"] as? String == "ENABLED")
            let banner = try #require(flags["banner-color"] as? [String: Any])
            #expect(banner["defaultVariant"] as? String == "red")
            #expect((banner["metadata"] as? [String: Any])?["limit"] as? Int == 10)
            let text = try String(contentsOf: file, encoding: .utf8)
            #expect(text.contains("\"$schema\" : \"https://flagd.dev/schema/v0/flags.json\""))

            let after = try await killSwitch.isEnabled(flag: "checkout-v2")
            #expect(!after)
            let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
            #expect((attributes[.posixPermissions] as? Int) == 0o640)
            #expect(
                (attributes[.systemFileNumber] as? Int) != inodeBefore, "replaced by a rename, not written in place")
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: file.deletingLastPathComponent().path)
            #expect(leftovers == ["flags.json"])
        }
    }

    @Test("disabled kill sets state DISABLED; killing again does not rewrite the file")
    func disabledState() async throws {
        try await Self.withFlagFile { file in
            let killSwitch = Self.killSwitch(file, kill: .disabledState)
            try await killSwitch.disable(flag: "search-rerank")
            let flags = try Self.flags(file)
            #expect((flags["search-rerank"] as? [String: Any])?["state"] as? String == "DISABLED")
            let inode = try FileManager.default.attributesOfItem(atPath: file.path)[.systemFileNumber] as? Int
            try await killSwitch.disable(flag: "search-rerank")
            let again = try FileManager.default.attributesOfItem(atPath: file.path)[.systemFileNumber] as? Int
            #expect(inode == again)
            let on = try await killSwitch.isEnabled(flag: "search-rerank")
            #expect(!on)
        }
    }

    @Test("disable all rewrites once; a missing flag or a flag without the safe variant fails alone")
    func disableAll() async throws {
        try await Self.withFlagFile { file in
            let killSwitch = Self.killSwitch(file, flags: ["checkout-v2", "missing", "search-rerank"])
            let outcomes = await killSwitch.disableConfigured()
            #expect(outcomes.map(\.flag) == ["checkout-v2", "missing", "search-rerank"])
            #expect(outcomes[0].succeeded)
            #expect(outcomes[1].error?.kind == .notFound)
            #expect(outcomes[1].error?.message.contains("has no flag missing") == true)
            #expect(outcomes[2].error?.kind == .rejected)
            #expect(outcomes[2].error?.message.contains("no variant 'off' (variants: disabled, enabled)") == true)
            let flags = try Self.flags(file)
            #expect((flags["checkout-v2"] as? [String: Any])?["defaultVariant"] as? String == "off")
        }
    }

    @Test("a missing file is not found; a file that is not a flag file is a bad response")
    func unreadable() async throws {
        try await Self.withFlagFile("{\"flags\": [1, 2]}") { file in
            let killSwitch = Self.killSwitch(file)
            let malformed = await #expect(throws: ProviderError.self) {
                try await killSwitch.disable(flag: "checkout-v2")
            }
            #expect(malformed?.kind == .badResponse)
            let missing = Self.killSwitch(file.deletingLastPathComponent().appendingPathComponent("nope.json"))
            let error = await #expect(throws: ProviderError.self) { try await missing.disable(flag: "checkout-v2") }
            #expect(error?.kind == .notFound)
        }
    }

    @Test("access check: the file is read, the flags found and the folder writable")
    func access() async throws {
        try await Self.withFlagFile { file in
            let checks = await Self.killSwitch(file, flags: ["checkout-v2", "search-rerank"]).checkAccess(
                service: "frontend")
            #expect(checks.map(\.passed) == [true], "\(checks)")
            let missing = await Self.killSwitch(file, flags: ["gone"]).checkAccess(service: "frontend")
            #expect(missing.map(\.passed) == [false])
            #expect(missing.first?.detail.contains("has no flag gone") == true)
        }
    }
}
