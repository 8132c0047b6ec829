import Foundation
import RewindConfig
import RewindCore
import Testing

/// `rewind config schema`: generated from the reader's keys, published as docs/rewind.schema.json.
struct ConfigSchemaTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func read(_ relative: String) throws -> String {
        try String(contentsOf: repository.appendingPathComponent(relative), encoding: .utf8)
    }

    static let check = SchemaCheck(schema: ConfigSchema.document())

    @Test func everyKeyTheReaderTakesHasADeclaredShape() {
        #expect(ConfigSchema.undeclared == [])
    }

    @Test func thePublishedSchemaIsTheGeneratedOne() throws {
        let published = try Self.read("docs/rewind.schema.json")
        #expect(
            published == ConfigSchema.json(),
            "docs/rewind.schema.json is stale: rewind config schema > docs/rewind.schema.json")
    }

    @Test func examplesAndTheStarterValidateAgainstTheSchema() throws {
        let examples = try FileManager.default.contentsOfDirectory(
            atPath: Self.repository.appendingPathComponent("examples").path
        ).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(examples.count >= 3)
        for example in examples {
            let yaml = try Self.read("examples/\(example)")
            #expect(try Self.check.violations(ofYAML: yaml) == [], "examples/\(example)")
            #expect(
                yaml.hasPrefix("# yaml-language-server: $schema=../docs/rewind.schema.json\n"),
                "examples/\(example) names the schema for editors")
        }
        #expect(try Self.check.violations(ofYAML: StarterConfig.yaml) == [])
        #expect(StarterConfig.yaml.hasPrefix("# yaml-language-server: $schema=rewind.schema.json\n"))
        let kubernetes = try Self.read("deploy/kubernetes/configmap.yaml")
        #expect(kubernetes.contains("rewind.yaml: |"))
    }

    /// The schema refuses what the reader refuses for the same reason: an unknown key (also deep in a
    /// provider chosen by its type), a word not in the list, a malformed duration, a missing required key.
    @Test func refusesTyposWordsAndDurationsTheReaderRefuses() throws {
        let cases: [(yaml: String, expected: String)] = [
            ("mode: enforce\nservcies: {}\n", "unknown key servcies"),
            ("mode: enforcing\n" + minimalServices, "$.mode"),
            ("bake: 1 hour\n" + minimalServices, "$.bake"),
            (
                minimalServices.replacingOccurrences(of: "type: command", with: "type: command\n      timout: 5s"),
                "unknown key timout"
            ),
            (
                minimalServices.replacingOccurrences(of: "url: https://api.example.com/health", with: ""),
                "missing required key url"
            ),
            ("mode: enforce\n", "missing required key services"),
        ]
        for (yaml, expected) in cases {
            let violations = try Self.check.violations(ofYAML: yaml)
            #expect(violations.contains { $0.contains(expected) }, "\(expected) in \(violations)")
            #expect(!problems(yaml).isEmpty, "the reader refuses it too: \(yaml)")
        }
        #expect(try Self.check.violations(ofYAML: minimalServices) == [])
        #expect(problems(minimalServices).isEmpty)
    }

    /// Each top-level key of the schema is one the reader takes (it may find the value wrong, never the key).
    @Test func topLevelKeysAreTheReaders() throws {
        guard case .object(let root) = ConfigSchema.document(), case .object(let properties)? = root["properties"]
        else {
            Issue.record("the schema is not an object with properties")
            return
        }
        #expect(root["additionalProperties"] == .bool(false))
        #expect(properties.count >= 16)
        for key in properties.keys where key != "services" {
            let found = problems("\(key): ~\n" + minimalServices)
            #expect(!found.contains { $0.message.hasPrefix("unknown key") }, "\(key): \(found)")
        }
        #expect(problems("made_up: ~\n" + minimalServices).contains { $0.message.hasPrefix("unknown key 'made_up'") })
    }
}
