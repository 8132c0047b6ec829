import Foundation
import RewindCore
import RewindSpecs
import Testing

@Suite("Template")
struct TemplateTests {
    static let values = ["service": "backend", "target.id": "dep-1", "target.version": "v1"]

    @Test(
        "render replaces placeholders; unknown names become empty; an unclosed one is kept",
        arguments: [
            ("rollback {{service}} to {{target.id}}", "rollback backend to dep-1"),
            ("{{ target.version }}", "v1"),
            ("--to={{target.id}}{{target.version}}", "--to=dep-1v1"),
            ("x{{unknown}}y", "xy"),
            ("no placeholders", "no placeholders"),
            ("{{service", "{{service"),
            ("a {{service}} {{target.id", "a backend {{target.id"),
            ("", ""),
        ])
    func render(template: String, expected: String) {
        #expect(Template.render(template, Self.values) == expected)
    }

    @Test("values are inserted once: a value that looks like a placeholder is not expanded")
    func noSecondExpansion() {
        #expect(Template.render("{{a}}", ["a": "{{b}}", "b": "x"]) == "{{b}}")
    }

    @Test("the escape applies to values only")
    func escape() {
        let rendered = Template.render("/v1/{{service}}?q={{target.id}}", ["service": "a b", "target.id": "x&y"]) {
            $0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        }
        #expect(rendered == "/v1/a%20b?q=x%26y")
    }

    @Test("names lists the placeholders in order, trimmed")
    func names() {
        #expect(
            Template.names(in: "{{service}} {{ target.id }} {{service}} {{open") == ["service", "target.id", "service"])
        #expect(Template.names(in: "plain") == [])
        #expect(Template.knownNames.contains("target.id"))
    }

    @Test("substituting replaces placeholders in every string leaf, never in keys or other values")
    func substituting() {
        let body = JSONValue.object([
            "deploymentId": .string("{{target.id}}"),
            "{{service}}": .number(1),
            "meta": .object([
                "note": .string("rollback of {{service}}"), "list": .array([.string("{{target.version}}"), .null]),
            ]),
            "dry": .bool(false),
        ])
        let expected = JSONValue.object([
            "deploymentId": .string("dep-1"),
            "{{service}}": .number(1),
            "meta": .object(["note": .string("rollback of backend"), "list": .array([.string("v1"), .null])]),
            "dry": .bool(false),
        ])
        #expect(body.substituting(Self.values) == expected)
    }
}
