import AsyncHTTPClient
import Foundation
import RewindCore
import RewindPorts
import RewindProviders
import RewindSpecs
import RewindTestSupport
import Testing

/// `traffic: {type: flagd}` built by the factory, rewriting a real flag file in a temporary folder.
@Suite("Traffic: flagd fractional rollout")
struct FlagdRolloutTests {
    /// `checkout-v2` splits 50/50 behind an email rule, with a bucketing expression; `banner` has no targeting.
    static let flagFile = """
        {
          "$schema": "https://flagd.dev/schema/v0/flags.json",
          "flags": {
            "checkout-v2": {
              "state": "ENABLED", "variants": { "on": true, "off": false }, "defaultVariant": "off",
              "targeting": { "if": [ { "in": ["@example.com", { "var": "email" }] }, "on",
                { "fractional": [ { "var": "targetingKey" }, ["on", 50], ["off", 50] ] } ] }
            },
            "banner": { "state": "ENABLED", "variants": { "new": "#00ff00", "old": "#ff0000" },
                        "defaultVariant": "old", "metadata": { "owner": "web" } }
          }
        }
        """

    static func withFlagFile(
        _ content: String = flagFile,
        _ body: (URL) async throws -> Void
    )
        async throws
    {
        let folder = try TemporaryDirectory("rollout")
        defer { folder.remove() }
        let file = folder.url.appendingPathComponent("flags.json")
        try Data(content.utf8).write(to: file)
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: file.path)
        try await body(file)
    }

    static func rollout(
        _ file: URL,
        flag: String = "checkout-v2",
        new: String = "on",
        stable: String = "off"
    ) throws -> any TrafficController & AccessCheckable {
        let spec = FlagRolloutSpec(
            backend: .flagd(path: file.path),
            flag: flag,
            newVariant: new,
            stableVariant: stable
        )
        return try TrafficControllerFactory.make(
            .flagRollout(spec),
            client: .shared,
            redactor: Redactor()
        )
    }

    static func flag(_ file: URL, _ name: String = "checkout-v2") throws -> [String: Any] {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any]
        let flags = try #require(json?["flags"] as? [String: Any])
        return try #require(flags[name] as? [String: Any])
    }

    /// The `[variant, weight]` pairs of the flag's fractional rule, as written.
    static func weights(_ targeting: Any?) -> [String: Int] {
        if let object = targeting as? [String: Any] {
            if let arguments = object["fractional"] as? [Any] {
                var weights: [String: Int] = [:]
                for case let pair as [Any] in arguments {
                    if let variant = pair.first as? String, let weight = pair.last as? NSNumber {
                        weights[variant] = weight.intValue
                    }
                }
                return weights
            }
            return object.values.reduce(into: [:]) { $0.merge(weights($1)) { a, _ in a } }
        }
        if let array = targeting as? [Any] {
            return array.reduce(into: [:]) { $0.merge(weights($1)) { a, _ in a } }
        }
        return [:]
    }

    @Test(
        "reads the fractional split, halves it, stops it, keeping the rule's shape and the other flags"
    )
    func gradualThenCanary() async throws {
        try await Self.withFlagFile { file in
            let rollout = try Self.rollout(file)
            #expect(rollout.kind == "flagd-rollout")
            #expect(try await rollout.newVersionShare(service: "frontend") == 0.5)

            try await rollout.setNewVersionShare(0.25, service: "frontend")
            #expect(try await rollout.newVersionShare(service: "frontend") == 0.25)
            var flag = try Self.flag(file)
            #expect(Self.weights(flag["targeting"]) == ["on": 25, "off": 75])
            let targeting = try #require(flag["targeting"] as? [String: Any])
            let branches = try #require(targeting["if"] as? [Any])
            let fractional = try #require((branches.last as? [String: Any])?["fractional"] as? [Any])
            #expect(
                (fractional.first as? [String: Any])?["var"] as? String == "targetingKey",
                "bucketing kept"
            )
            #expect(branches.count == 3, "the email rule is kept")

            try await rollout.setNewVersionShare(0, service: "frontend")
            #expect(try await rollout.newVersionShare(service: "frontend") == 0)
            flag = try Self.flag(file)
            #expect(Self.weights(flag["targeting"]) == ["on": 0, "off": 100])
            #expect(flag["defaultVariant"] as? String == "off")
            #expect(try Self.flag(file, "banner")["metadata"] as? [String: String] == ["owner": "web"])
            let permissions = try FileManager.default.attributesOfItem(atPath: file.path)[
                .posixPermissions
            ]
            #expect((permissions as? NSNumber)?.intValue == 0o640)
            let leftovers = try FileManager.default.contentsOfDirectory(
                atPath: file.deletingLastPathComponent().path
            )
            #expect(leftovers == ["flags.json"], "the temporary file was renamed over the original")
        }
    }

    @Test("idempotent: setting the share the file gives does not rewrite it")
    func idempotent() async throws {
        try await Self.withFlagFile { file in
            let rollout = try Self.rollout(file)
            try await rollout.setNewVersionShare(0.5, service: "frontend")
            #expect(try String(contentsOf: file, encoding: .utf8) == Self.flagFile, "not rewritten")
            try await rollout.setNewVersionShare(0, service: "frontend")
            let written = try Data(contentsOf: file)
            let modified =
                try FileManager.default.attributesOfItem(atPath: file.path)[.modificationDate] as? Date
            try await rollout.setNewVersionShare(0, service: "frontend")
            #expect(try Data(contentsOf: file) == written)
            #expect(
                try FileManager.default.attributesOfItem(atPath: file.path)[.modificationDate] as? Date
                    == modified
            )
        }
    }

    @Test("a flag without targeting: share from its default variant; a split adds a fractional rule")
    func noTargeting() async throws {
        try await Self.withFlagFile { file in
            let rollout = try Self.rollout(file, flag: "banner", new: "new", stable: "old")
            #expect(try await rollout.newVersionShare(service: "frontend") == 0)
            try await rollout.setNewVersionShare(0, service: "frontend")
            #expect(
                try String(contentsOf: file, encoding: .utf8) == Self.flagFile,
                "already 0: nothing written"
            )
            try await rollout.setNewVersionShare(0.125, service: "frontend")
            #expect(Self.weights(try Self.flag(file, "banner")["targeting"]) == ["new": 12, "old": 88])
            #expect(
                try await rollout.newVersionShare(service: "frontend") == 0.12,
                "never more than asked"
            )
        }
    }

    @Test("relative weights and a weightless bucket are read as flagd reads them")
    func relativeWeights() async throws {
        let file = """
            {"flags": {"f": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
              "targeting": {"fractional": [["on", 1], ["off", 3]]}},
             "g": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
              "targeting": {"fractional": [["on"], ["off"]]}},
             "d": {"state": "DISABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on"}}}
            """
        try await Self.withFlagFile(file) { file in
            #expect(try await Self.rollout(file, flag: "f").newVersionShare(service: "frontend") == 0.25)
            #expect(try await Self.rollout(file, flag: "g").newVersionShare(service: "frontend") == 0.5)
            let disabled = try Self.rollout(file, flag: "d")
            #expect(try await disabled.newVersionShare(service: "frontend") == 0)
            try await disabled.setNewVersionShare(0, service: "frontend")
            let error = await #expect(throws: ProviderError.self) {
                try await disabled.setNewVersionShare(0.5, service: "frontend")
            }
            #expect(error?.kind == .rejected)
            #expect(error?.message.contains("DISABLED") == true)
        }
    }

    /// Found by fuzzing (Fuzz/findings/flagd-duplicate-variant): the weight went to every bucket of the variant,
    /// so 37 % was written as 37 + 37 and read back as 54 %.
    @Test("a variant listed in several buckets gets exactly the share asked for")
    func variantInSeveralBuckets() async throws {
        let file = """
            {"flags": {"f": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
              "targeting": {"fractional": [["on", 50], ["off", 25], ["on", 25]]}}}}
            """
        try await Self.withFlagFile(file) { file in
            let rollout = try Self.rollout(file, flag: "f")
            #expect(try await rollout.newVersionShare(service: "frontend") == 0.75)
            try await rollout.setNewVersionShare(0.37, service: "frontend")
            #expect(try await rollout.newVersionShare(service: "frontend") == 0.37)
        }
    }

    @Test("what Rewind cannot move is refused with the reason")
    func refusals() async throws {
        let file = """
            {"flags": {
              "rules": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
                "targeting": {"if": [{"in": ["@example.com", {"var": "email"}]}, "on", "off"]}},
              "three": {"state": "ENABLED", "variants": {"on": true, "off": false, "beta": true},
                "defaultVariant": "off", "targeting": {"fractional": [["on", 10], ["off", 80], ["beta", 10]]}}}}
            """
        try await Self.withFlagFile(file) { file in
            let rules = await #expect(throws: ProviderError.self) {
                try await Self.rollout(file, flag: "rules").newVersionShare(service: "f")
            }
            #expect(rules?.kind == .unsupported)
            #expect(rules?.message.contains("no fractional rule") == true)
            let three = await #expect(throws: ProviderError.self) {
                try await Self.rollout(file, flag: "three").setNewVersionShare(0, service: "f")
            }
            #expect(three?.kind == .unsupported)
            #expect(three?.message.contains("'beta'") == true)
            let variant = await #expect(throws: ProviderError.self) {
                try await Self.rollout(file, flag: "three", new: "green").newVersionShare(service: "f")
            }
            #expect(variant?.kind == .rejected)
            #expect(variant?.message.contains("no variant 'green'") == true)
            let missing = await #expect(throws: ProviderError.self) {
                try await Self.rollout(file, flag: "nope").newVersionShare(service: "f")
            }
            #expect(missing?.kind == .notFound)
            #expect(missing?.message.contains("flags in it: rules, three") == true)
        }
    }

    @Test("a share outside 0…1 is refused; a malformed or missing file is reported")
    func badInput() async throws {
        try await Self.withFlagFile { file in
            let rollout = try Self.rollout(file)
            for share in [1.01, -0.5, Double.infinity] {
                let error = await #expect(throws: ProviderError.self) {
                    try await rollout.setNewVersionShare(share, service: "frontend")
                }
                #expect(error?.kind == .rejected)
            }
            #expect(try String(contentsOf: file, encoding: .utf8) == Self.flagFile)
            try Data("{\"flags\": [".utf8).write(to: file)
            let malformed = await #expect(throws: ProviderError.self) {
                try await rollout.newVersionShare(service: "frontend")
            }
            #expect(malformed?.kind == .badResponse)
            try FileManager.default.removeItem(at: file)
            let missing = await #expect(throws: ProviderError.self) {
                try await rollout.setNewVersionShare(0, service: "frontend")
            }
            #expect(missing?.kind == .notFound)
        }
    }

    @Test("access check: reads the split and checks that the file can be replaced")
    func access() async throws {
        try await Self.withFlagFile { file in
            let checks = try await Self.rollout(file).checkAccess(service: "frontend")
            #expect(checks.map(\.passed) == [true, true])
            #expect(checks.first?.detail.contains("50%") == true)
            let missing = try await Self.rollout(file, flag: "nope").checkAccess(service: "frontend")
            #expect(missing.first?.passed == false)
        }
    }
}
