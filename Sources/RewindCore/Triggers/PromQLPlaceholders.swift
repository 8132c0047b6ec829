/// Where `{{…}}` placeholders may appear in a PromQL query template: only inside a double-quoted
/// string (a label matcher's value, `{service="{{service}}"}`), where Rewind inserts the value
/// escaped, so that a service or label value can never change the shape of the query.
public enum PromQLPlaceholders {
    public static let knownNames: Set<String> = ["service"]
    /// A canary judge's cohort query may also say which track it reads: `{track="{{track}}"}`.
    public static let cohortNames: Set<String> = ["service", "track"]

    /// Problems with the template, in words; empty when it is fine.
    public static func problems(in template: String, known: Set<String> = PromQLPlaceholders.knownNames) -> [String] {
        scan(template, known: known).problems
    }

    /// The placeholder names the template uses, wherever they are.
    public static func names(in template: String) -> Set<String> {
        Set(scan(template, known: []).names)
    }

    private static func scan(_ template: String, known knownNames: Set<String>) -> (names: [String], problems: [String])
    {
        var names: [String] = []
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
                names.append(name)
                if !knownNames.contains(name) {
                    let known = knownNames.sorted().map { "{{\($0)}}" }.joined(separator: ", ")
                    problems.append("unknown placeholder {{\(name)}} in the query; known: \(known)")
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
        return (names, problems)
    }
}
