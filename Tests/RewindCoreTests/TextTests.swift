import Foundation
import RewindCore
import Testing

@Suite("Redactor")
struct RedactorTests {
    @Test("every occurrence of every secret is replaced")
    func everywhere() {
        let redactor = Redactor(secrets: ["s3cr3t-token", "hunter22"])
        #expect(
            redactor.redact("Authorization: Bearer s3cr3t-token; retry with s3cr3t-token (password hunter22)")
                == "Authorization: Bearer <redacted>; retry with <redacted> (password <redacted>)")
        #expect(redactor.redact("nothing secret here") == "nothing secret here")
    }

    @Test("a secret containing another is replaced whole (longest first)")
    func longestFirst() {
        let redactor = Redactor(secrets: ["token-1234", "token-1234-extended"])
        #expect(redactor.secrets == ["token-1234-extended", "token-1234"])
        #expect(redactor.redact("a=token-1234-extended b=token-1234") == "a=<redacted> b=<redacted>")
    }

    @Test("secrets shorter than 4 characters are ignored; duplicates are kept once")
    func shortSecrets() {
        let redactor = Redactor(secrets: ["abc", "", "abcd", "abcd"])
        #expect(redactor.secrets == ["abcd"])
        #expect(redactor.redact("abc abcd abcde") == "abc <redacted> <redacted>e")
        #expect(Redactor().redact("abc") == "abc")
    }

    @Test(
        "safeURL strips the query, the fragment and the user info",
        arguments: [
            ("https://user:pass@example.com/path?token=abc#frag", "https://example.com/path"),
            ("https://example.com/hook?key=secret", "https://example.com/hook"),
            ("https://example.com/a#section", "https://example.com/a"),
            ("https://token@hooks.example.com/x", "https://hooks.example.com/x"),
            ("https://example.com/users/@me", "https://example.com/users/@me"),  // an @ in the path is not user info
            ("http://127.0.0.1:8080/health", "http://127.0.0.1:8080/health"),
            ("example.com/x?y=1", "example.com/x"),
        ])
    func safeURL(url: String, expected: String) {
        #expect(Redactor.safeURL(url) == expected)
    }
}

@Suite("JSONValue")
struct JSONValueTests {
    static let document = JSONValue.object([
        "deployment": .object([
            "id": .string("dpl_123"),
            "meta": .object(["replicas": .number(3), "ready": .bool(true)]),
            "tags": .array([.string("a")]),
        ]),
        "status": .string("ready"),
    ])

    @Test("value(at:) follows dotted paths")
    func dottedPaths() {
        #expect(Self.document.value(at: "status") == .string("ready"))
        #expect(Self.document.value(at: "deployment.id") == .string("dpl_123"))
        #expect(Self.document.value(at: "deployment.meta.replicas") == .number(3))
        #expect(Self.document.value(at: "deployment.missing") == nil)
        #expect(Self.document.value(at: "deployment.id.deeper") == nil)
        #expect(Self.document.value(at: "deployment.tags.0") == nil)
        #expect(Self.document.value(at: "deployment.meta.replicas")?.stringValue == "3")
        #expect(Self.document.value(at: "deployment.meta.ready")?.stringValue == "true")
        #expect(JSONValue.number(2.5).stringValue == "2.5")
        #expect(JSONValue.null.stringValue == nil)
    }

    @Test("JSON round trip keeps the value types")
    func codable() throws {
        let json = #"{"a":true,"b":1.5,"c":"x","d":[1,null],"e":{"f":false}}"#
        let decoded = try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8))
        #expect(
            decoded
                == .object([
                    "a": .bool(true), "b": .number(1.5), "c": .string("x"), "d": .array([.number(1), .null]),
                    "e": .object(["f": .bool(false)]),
                ]))
        let again = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(decoded))
        #expect(again == decoded)
    }
}
