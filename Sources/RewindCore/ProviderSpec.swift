/// A text from the configuration that may hold secrets. `value` is what is sent;
/// `description` never shows it.
public struct ConfigText: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var value: String
    /// True when any part came from `${ENV}` or `${file:…}`.
    public var isSecret: Bool

    public init(_ value: String, isSecret: Bool = false) {
        self.value = value
        self.isSecret = isSecret
    }

    public var description: String { isSecret ? "<redacted>" : value }
}

/// How a service's platform is reached. Later platforms (Vercel, Railway, Kubernetes, …) add cases.
public enum ProviderSpec: Sendable, Equatable {
    case command(CommandProviderSpec)
    case http(HTTPProviderSpec)
    case git(GitProviderSpec)
    case railway(RailwayProviderSpec)
    case kubernetes(KubernetesProviderSpec)
    case vercel(VercelProviderSpec)

    public var kind: String {
        switch self {
        case .command: "command"
        case .http: "http"
        case .git: "git"
        case .railway: "railway"
        case .kubernetes: "kubernetes"
        case .vercel: "vercel"
        }
    }
}

/// A provider driven by local programs. Every command is an argument vector, never a shell line;
/// `{{service}}`, `{{target.id}}`, `{{target.version}}`, `{{current.id}}` are replaced inside single
/// arguments, so a value can never become a second argument or a shell word.
public struct CommandProviderSpec: Sendable, Equatable {
    public var rollback: [String]
    /// Prints the live deployment id on stdout (first line). Optional.
    public var current: [String]?
    public var environment: [String: ConfigText]
    public var timeout: Duration?
    public var workingDirectory: String?

    public init(
        rollback: [String], current: [String]? = nil, environment: [String: ConfigText] = [:], timeout: Duration? = nil,
        workingDirectory: String? = nil
    ) {
        self.rollback = rollback
        self.current = current
        self.environment = environment
        self.timeout = timeout
        self.workingDirectory = workingDirectory
    }
}

/// One HTTP request of the `http` provider. `url` and string leaves of `body` take the same
/// `{{…}}` placeholders as commands; values are URL-encoded in the URL and JSON-escaped in the body.
public struct HTTPRequestSpec: Sendable, Equatable {
    public var method: String
    public var url: String
    public var headers: [String: ConfigText]
    public var body: JSONValue?
    public var expectedStatuses: [Int]

    public init(
        method: String = "GET", url: String, headers: [String: ConfigText] = [:], body: JSONValue? = nil,
        expectedStatuses: [Int] = []
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.expectedStatuses = expectedStatuses
    }

    public func accepts(_ status: Int) -> Bool {
        expectedStatuses.isEmpty ? (200...299).contains(status) : expectedStatuses.contains(status)
    }
}

/// A provider driven by a platform's HTTP API.
public struct HTTPProviderSpec: Sendable, Equatable {
    public var rollback: HTTPRequestSpec
    /// Reads the live deployment: the response's JSON field at `currentField` (dotted path) is its id.
    public var current: HTTPRequestSpec?
    public var currentField: String
    /// Polls an asynchronous rollback: `operationField` is read from the rollback response and
    /// fills `{{operation.id}}`; `statusField` of the status response is compared with the lists.
    public var status: HTTPRequestSpec?
    public var operationField: String
    public var statusField: String
    public var succeededValues: [String]
    public var failedValues: [String]
    public var timeout: Duration?

    public init(
        rollback: HTTPRequestSpec, current: HTTPRequestSpec? = nil, currentField: String = "id",
        status: HTTPRequestSpec? = nil, operationField: String = "id", statusField: String = "status",
        succeededValues: [String] = ["succeeded", "success", "done", "ready"],
        failedValues: [String] = ["failed", "error", "canceled"], timeout: Duration? = nil
    ) {
        self.rollback = rollback
        self.current = current
        self.currentField = currentField
        self.status = status
        self.operationField = operationField
        self.statusField = statusField
        self.succeededValues = succeededValues
        self.failedValues = failedValues
        self.timeout = timeout
    }
}

/// A JSON value, as written in the configuration and stored in evidence.
public enum JSONValue: Sendable, Equatable, Hashable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let n = try? c.decode(Double.self) {
            self = .number(n)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([JSONValue].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n): try c.encode(n)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    /// Reads a dotted path such as `deployment.id`.
    public func value(at path: String) -> JSONValue? {
        var node: JSONValue? = self
        for key in path.split(separator: ".") {
            guard case .object(let object)? = node else { return nil }
            node = object[String(key)]
        }
        return node
    }

    public var stringValue: String? {
        switch self {
        case .string(let s): s
        case .number(let n): n == n.rounded() && abs(n) < 1e15 ? String(Int64(n)) : String(n)
        case .bool(let b): String(b)
        default: nil
        }
    }

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

/// `{{name}}` substitution for argument vectors, URLs and bodies. Unknown names are left empty.
/// The caller decides the escaping: `render` inserts plain text, an encoder is applied by the caller.
public enum Template {
    public static func render(_ template: String, _ values: [String: String], escape: (String) -> String = { $0 })
        -> String
    {
        var output = ""
        var rest = Substring(template)
        while let open = rest.range(of: "{{") {
            output += rest[..<open.lowerBound]
            let afterOpen = rest[open.upperBound...]
            guard let close = afterOpen.range(of: "}}") else {
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
        while let open = rest.range(of: "{{"), let close = rest[open.upperBound...].range(of: "}}") {
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
