import RewindCore

/// `{{name}}` substitution for argument vectors, URLs and bodies. Unknown names are left empty.
/// The caller decides the escaping: `render` inserts plain text, an encoder is applied by the caller.
public enum Template {
    public static func render(
        _ template: String, _ values: [String: String], escape: (String) -> String = { $0 }
    )
        -> String
    {
        var output = ""
        var rest = Substring(template)
        while let open = rest.firstRange(of: "{{") {
            output += rest[..<open.lowerBound]
            let afterOpen = rest[open.upperBound...]
            guard let close = afterOpen.firstRange(of: "}}") else {
                output += rest[open.lowerBound...]
                return output
            }
            let name = afterOpen[..<close.lowerBound].trimmingSpaces
            output += escape(values[name] ?? "")
            rest = afterOpen[close.upperBound...]
        }
        output += rest
        return output
    }

    /// The placeholder names a template uses.
    public static func names(in template: String) -> [String] {
        var names: [String] = []
        var rest = Substring(template)
        while let open = rest.firstRange(of: "{{"), let close = rest[open.upperBound...].firstRange(of: "}}") {
            names.append(rest[open.upperBound..<close.lowerBound].trimmingSpaces)
            rest = rest[close.upperBound...]
        }
        return names
    }

    public static let knownNames: Set<String> = [
        "service", "target.id", "target.version", "current.id", "operation.id", "incident.id",
    ]
}

extension Substring {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}

extension JSONValue {
    /// Replaces `{{name}}` placeholders in every string leaf; values are inserted as plain text
    /// (JSON escaping happens when the value is encoded).
    public func substituting(_ values: [String: String]) -> JSONValue {
        switch self {
        case .string(let s): .string(Template.render(s, values))
        case .array(let a): .array(a.map { $0.substituting(values) })
        case .object(let o): .object(o.mapValues { $0.substituting(values) })
        default: self
        }
    }
}
