import Foundation
import RewindCore
import Yams

/// Checks a YAML document against the JSON Schema `rewind config schema` emits, for the keywords it
/// uses (type, enum, const, pattern, minLength, minimum, maximum, properties, additionalProperties,
/// required, propertyNames, items, minItems, anyOf, allOf with if/then). `deploy/check` validates the
/// same files with check-jsonschema; this lets the unit tests do it without Python. Returns the
/// violations as `path: what`.
struct SchemaCheck {
    let schema: JSONValue

    func violations(ofYAML yaml: String) throws -> [String] {
        let node = try Yams.compose(yaml: yaml)
        var found: [String] = []
        check(node.map(Self.json) ?? .null, against: schema, at: "$", into: &found)
        return found
    }

    /// YAML as JSON: plain scalars typed as YAML 1.2 core resolves them (the reader's view).
    static func json(_ node: Node) -> JSONValue {
        switch node {
        case .scalar(let scalar):
            if node.tag.rawValue == Tag.Name.null.rawValue { return .null }
            if node.tag.rawValue == Tag.Name.bool.rawValue, let value = Bool.construct(from: scalar) {
                return .bool(value)
            }
            if node.tag.rawValue == Tag.Name.int.rawValue, let value = Int.construct(from: scalar) {
                return .number(Double(value))
            }
            if node.tag.rawValue == Tag.Name.float.rawValue, let value = Double.construct(from: scalar) {
                return .number(value)
            }
            return .string(scalar.string)
        case .mapping(let mapping):
            var object: [String: JSONValue] = [:]
            for (key, value) in mapping { object[key.string ?? ""] = json(value) }
            return .object(object)
        case .sequence(let sequence):
            return .array(sequence.map(json))
        case .alias:
            return .null
        }
    }

    private func check(_ value: JSONValue, against schema: JSONValue, at path: String, into found: inout [String]) {
        guard case .object(let rules) = schema else { return }
        if case .string(let type)? = rules["type"], !Self.has(type: type, value) {
            found.append("\(path): expected \(type)")
            return
        }
        if case .array(let types)? = rules["type"],
            !types.contains(where: { if case .string(let type) = $0 { Self.has(type: type, value) } else { false } })
        {
            found.append("\(path): expected one of \(types)")
            return
        }
        if case .array(let options)? = rules["enum"], !options.contains(value) {
            found.append("\(path): \(value) is not one of \(options)")
        }
        if let constant = rules["const"], constant != value { found.append("\(path): expected \(constant)") }
        if case .string(let text) = value {
            if case .string(let pattern)? = rules["pattern"],
                text.range(of: pattern, options: .regularExpression) == nil
            {
                found.append("\(path): '\(text)' does not match \(pattern)")
            }
            if case .number(let minimum)? = rules["minLength"], Double(text.count) < minimum {
                found.append("\(path): shorter than \(Int(minimum))")
            }
        }
        if case .number(let number) = value {
            if case .number(let minimum)? = rules["minimum"], number < minimum {
                found.append("\(path): below \(minimum)")
            }
            if case .number(let maximum)? = rules["maximum"], number > maximum {
                found.append("\(path): above \(maximum)")
            }
        }
        if case .object(let object) = value {
            let properties: [String: JSONValue]
            if case .object(let declared)? = rules["properties"] { properties = declared } else { properties = [:] }
            if case .array(let required)? = rules["required"] {
                for case .string(let key) in required where object[key] == nil {
                    found.append("\(path): missing required key \(key)")
                }
            }
            for (key, child) in object.sorted(by: { $0.key < $1.key }) {
                if case .object(let names)? = rules["propertyNames"], case .array(let allowed)? = names["enum"],
                    !allowed.contains(.string(key))
                {
                    found.append("\(path): key \(key) is not one of \(allowed)")
                }
                if let declared = properties[key] {
                    check(child, against: declared, at: "\(path).\(key)", into: &found)
                } else if rules["additionalProperties"] == .bool(false) {
                    found.append("\(path): unknown key \(key)")
                } else if let additional = rules["additionalProperties"], additional != .bool(true) {
                    check(child, against: additional, at: "\(path).\(key)", into: &found)
                }
            }
        }
        if case .array(let elements) = value {
            if case .number(let minimum)? = rules["minItems"], Double(elements.count) < minimum {
                found.append("\(path): fewer than \(Int(minimum)) items")
            }
            if let items = rules["items"] {
                for (index, element) in elements.enumerated() {
                    check(element, against: items, at: "\(path)[\(index)]", into: &found)
                }
            }
        }
        if case .array(let options)? = rules["anyOf"] {
            let fits = options.contains { option in
                var nested: [String] = []
                check(value, against: option, at: path, into: &nested)
                return nested.isEmpty
            }
            if !fits { found.append("\(path): matches none of its \(options.count) forms") }
        }
        if case .array(let conditions)? = rules["allOf"] {
            for case .object(let condition) in conditions {
                if let test = condition["if"] {
                    var failed: [String] = []
                    check(value, against: test, at: path, into: &failed)
                    if failed.isEmpty, let then = condition["then"] {
                        check(value, against: then, at: path, into: &found)
                    }
                } else {
                    check(value, against: .object(condition), at: path, into: &found)
                }
            }
        }
    }

    private static func has(type: String, _ value: JSONValue) -> Bool {
        switch (type, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null),
            ("number", .number):
            true
        case ("integer", .number(let number)): number == number.rounded()
        default: false
        }
    }
}
