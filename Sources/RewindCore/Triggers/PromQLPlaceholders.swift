/// Where `{{…}}` placeholders may appear in a PromQL query template: only inside a double-quoted
/// string (a label matcher's value, `{service="{{service}}"}`), where Rewind inserts the value
/// escaped, so that a service or label value can never change the shape of the query.
public enum PromQLPlaceholders {
    public static let knownNames: Set<String> = ["service"]

    /// Problems with the template, in words; empty when it is fine.
    public static func problems(in template: String) -> [String] {
        var problems: [String] = []
        var inString = false
        var escaped = false
        var index = template.startIndex
        while index < template.endIndex {
            let character = template[index]
            if inString && escaped {
                escaped = false
            } else if inString && character == "\\" {
                escaped = true
            } else if character == "\"" {
                inString.toggle()
            } else if template[index...].hasPrefix("{{") {
                let rest = template[template.index(index, offsetBy: 2)...]
                guard let close = rest.range(of: "}}") else {
                    problems.append("'{{' is not closed; placeholders look like {{service}}")
                    break
                }
                let name = String(rest[..<close.lowerBound]).filter { $0 != " " }
                if !knownNames.contains(name) {
                    problems.append("unknown placeholder {{\(name)}} in the query; known: {{service}}")
                }
                if !inString {
                    problems.append(
                        "{{\(name)}} must be inside a quoted label value, e.g. {service=\"{{\(name)}}\"}, so that its value is escaped"
                    )
                }
                index = close.upperBound
                continue
            }
            index = template.index(after: index)
        }
        return problems
    }
}
