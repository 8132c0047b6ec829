import Foundation

/// The part of GraphQL the Railway emulator understands: one or more operations (`query`/`mutation`,
/// optional name and variable definitions), fields with aliases, arguments (variables and literals) and
/// nested selection sets. Fragments, directives and subscriptions are refused with a GraphQL error.
enum RailwayGQL {
    enum OperationType: String, Sendable {
        case query, mutation
    }

    struct VariableDefinition: Sendable, Equatable {
        var name: String
        /// As written: `String!`, `[DeploymentStatus!]`.
        var type: String
        var hasDefault: Bool

        var isRequired: Bool { type.hasSuffix("!") && !hasDefault }
    }

    struct Operation: Sendable {
        var type: OperationType
        var name: String?
        var variables: [VariableDefinition]
        var selections: [Field]
    }

    struct Field: Sendable {
        var alias: String?
        var name: String
        var arguments: [(name: String, value: Value)]
        /// nil when the field has no selection set.
        var selections: [Field]?

        var responseKey: String { alias ?? name }
    }

    indirect enum Value: Sendable {
        case variable(String)
        case literal(RailwayJSON)
        /// An enum value such as `SUCCESS`.
        case enumValue(String)
        case list([Value])
        case object([(String, Value)])

        /// The value with variables replaced; enum values become strings. Undefined variables are null.
        func resolved(_ variables: [String: RailwayJSON]) -> RailwayJSON {
            switch self {
            case .variable(let name): variables[name] ?? .null
            case .literal(let value): value
            case .enumValue(let name): .string(name)
            case .list(let values): .array(values.map { $0.resolved(variables) })
            case .object(let pairs):
                .object(
                    Dictionary(pairs.map { ($0.0, $0.1.resolved(variables)) }, uniquingKeysWith: { _, last in last })
                )
            }
        }

        /// The variables this value uses.
        var variableNames: [String] {
            switch self {
            case .variable(let name): [name]
            case .literal, .enumValue: []
            case .list(let values): values.flatMap(\.variableNames)
            case .object(let pairs): pairs.flatMap(\.1.variableNames)
            }
        }
    }

    struct SyntaxError: Error, Sendable {
        var message: String
    }

    /// Parses a document into its operations.
    static func parse(_ text: String) throws(SyntaxError) -> [Operation] {
        var parser = Parser(tokens: try Lexer.tokens(text))
        return try parser.document()
    }

    // MARK: - Lexer

    enum Token: Sendable, Equatable {
        case punctuator(String)
        case name(String)
        case int(String)
        case float(String)
        case string(String)
        case end
    }

    enum Lexer {
        static func tokens(_ text: String) throws(SyntaxError) -> [Token] {
            var tokens: [Token] = []
            let scalars = Array(text.unicodeScalars)
            var index = 0
            while index < scalars.count {
                let scalar = scalars[index]
                switch scalar {
                case " ", "\t", "\n", "\r", ",", "\u{FEFF}":
                    index += 1
                case "#":
                    while index < scalars.count, scalars[index] != "\n", scalars[index] != "\r" { index += 1 }
                case "!", "$", "&", "(", ")", ":", "=", "@", "[", "]", "{", "|", "}":
                    tokens.append(.punctuator(String(scalar)))
                    index += 1
                case ".":
                    guard index + 2 < scalars.count, scalars[index + 1] == ".", scalars[index + 2] == "." else {
                        throw SyntaxError(message: "Syntax Error: Unexpected \".\".")
                    }
                    tokens.append(.punctuator("..."))
                    index += 3
                case "\"":
                    tokens.append(.string(try string(scalars, &index)))
                case "-", "0"..."9":
                    tokens.append(number(scalars, &index))
                default:
                    guard isNameStart(scalar) else {
                        throw SyntaxError(message: "Syntax Error: Unexpected character \"\(scalar)\".")
                    }
                    var name = ""
                    while index < scalars.count, isNameStart(scalars[index]) || ("0"..."9").contains(scalars[index]) {
                        name.unicodeScalars.append(scalars[index])
                        index += 1
                    }
                    tokens.append(.name(name))
                }
            }
            tokens.append(.end)
            return tokens
        }

        private static func isNameStart(_ scalar: Unicode.Scalar) -> Bool {
            scalar == "_" || ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
        }

        private static func number(_ scalars: [Unicode.Scalar], _ index: inout Int) -> Token {
            var text = ""
            var isFloat = false
            while index < scalars.count {
                let scalar = scalars[index]
                if ("0"..."9").contains(scalar) || scalar == "-" || scalar == "+" {
                    text.unicodeScalars.append(scalar)
                } else if scalar == "." || scalar == "e" || scalar == "E" {
                    isFloat = true
                    text.unicodeScalars.append(scalar)
                } else {
                    break
                }
                index += 1
            }
            return isFloat ? .float(text) : .int(text)
        }

        private static func string(_ scalars: [Unicode.Scalar], _ index: inout Int) throws(SyntaxError) -> String {
            index += 1
            var value = ""
            while index < scalars.count {
                let scalar = scalars[index]
                index += 1
                switch scalar {
                case "\"":
                    return value
                case "\\":
                    guard index < scalars.count else { break }
                    let escaped = scalars[index]
                    index += 1
                    switch escaped {
                    case "n": value += "\n"
                    case "t": value += "\t"
                    case "r": value += "\r"
                    case "b": value += "\u{8}"
                    case "f": value += "\u{C}"
                    case "u":
                        guard index + 4 <= scalars.count,
                            let code = UInt32(String(String.UnicodeScalarView(scalars[index..<index + 4])), radix: 16),
                            let unicode = Unicode.Scalar(code)
                        else { throw SyntaxError(message: "Syntax Error: Invalid Unicode escape sequence.") }
                        value.unicodeScalars.append(unicode)
                        index += 4
                    default: value.unicodeScalars.append(escaped)
                    }
                case "\n", "\r":
                    throw SyntaxError(message: "Syntax Error: Unterminated string.")
                default:
                    value.unicodeScalars.append(scalar)
                }
            }
            throw SyntaxError(message: "Syntax Error: Unterminated string.")
        }
    }

    // MARK: - Parser

    struct Parser {
        var tokens: [Token]
        var position = 0

        var current: Token { tokens[position] }

        mutating func document() throws(SyntaxError) -> [Operation] {
            var operations: [Operation] = []
            while current != .end { operations.append(try operation()) }
            guard !operations.isEmpty else { throw SyntaxError(message: "Syntax Error: Unexpected <EOF>.") }
            return operations
        }

        private mutating func operation() throws(SyntaxError) -> Operation {
            if current == .punctuator("{") {
                return Operation(type: .query, name: nil, variables: [], selections: try selectionSet())
            }
            guard case .name(let keyword) = current else { throw unexpected() }
            if keyword == "fragment" || keyword == "subscription" {
                throw SyntaxError(message: "the Railway emulator does not support \(keyword)s")
            }
            guard let type = OperationType(rawValue: keyword) else { throw unexpected() }
            position += 1
            var name: String?
            if case .name(let written) = current {
                name = written
                position += 1
            }
            var variables: [VariableDefinition] = []
            if current == .punctuator("(") {
                position += 1
                while current != .punctuator(")") { variables.append(try variableDefinition()) }
                position += 1
            }
            if current == .punctuator("@") {
                throw SyntaxError(message: "the Railway emulator does not support directives")
            }
            return Operation(type: type, name: name, variables: variables, selections: try selectionSet())
        }

        private mutating func variableDefinition() throws(SyntaxError) -> VariableDefinition {
            try expect("$")
            let name = try nameToken()
            try expect(":")
            let type = try typeReference()
            var hasDefault = false
            if current == .punctuator("=") {
                position += 1
                _ = try value()
                hasDefault = true
            }
            return VariableDefinition(name: name, type: type, hasDefault: hasDefault)
        }

        private mutating func typeReference() throws(SyntaxError) -> String {
            var type: String
            if current == .punctuator("[") {
                position += 1
                type = "[\(try typeReference())]"
                try expect("]")
            } else {
                type = try nameToken()
            }
            if current == .punctuator("!") {
                position += 1
                type += "!"
            }
            return type
        }

        private mutating func selectionSet() throws(SyntaxError) -> [Field] {
            try expect("{")
            var fields: [Field] = []
            while current != .punctuator("}") {
                if current == .punctuator("...") {
                    throw SyntaxError(message: "the Railway emulator does not support fragments")
                }
                fields.append(try field())
            }
            position += 1
            guard !fields.isEmpty else { throw SyntaxError(message: "Syntax Error: Expected Name, found \"}\".") }
            return fields
        }

        private mutating func field() throws(SyntaxError) -> Field {
            var alias: String?
            var name = try nameToken()
            if current == .punctuator(":") {
                position += 1
                alias = name
                name = try nameToken()
            }
            var arguments: [(name: String, value: Value)] = []
            if current == .punctuator("(") {
                position += 1
                while current != .punctuator(")") {
                    let argument = try nameToken()
                    try expect(":")
                    arguments.append((argument, try value()))
                }
                position += 1
            }
            if current == .punctuator("@") {
                throw SyntaxError(message: "the Railway emulator does not support directives")
            }
            let selections = current == .punctuator("{") ? try selectionSet() : nil
            return Field(alias: alias, name: name, arguments: arguments, selections: selections)
        }

        private mutating func value() throws(SyntaxError) -> Value {
            let token = current
            position += 1
            switch token {
            case .punctuator("$"): return .variable(try nameToken())
            case .int(let text), .float(let text):
                guard let number = Double(text) else {
                    throw SyntaxError(message: "Syntax Error: Invalid number \(text).")
                }
                return .literal(.number(number))
            case .string(let text): return .literal(.string(text))
            case .name("true"): return .literal(.bool(true))
            case .name("false"): return .literal(.bool(false))
            case .name("null"): return .literal(.null)
            case .name(let name): return .enumValue(name)
            case .punctuator("["):
                var values: [Value] = []
                while current != .punctuator("]") { values.append(try value()) }
                position += 1
                return .list(values)
            case .punctuator("{"):
                var pairs: [(String, Value)] = []
                while current != .punctuator("}") {
                    let key = try nameToken()
                    try expect(":")
                    pairs.append((key, try value()))
                }
                position += 1
                return .object(pairs)
            default:
                position -= 1
                throw unexpected()
            }
        }

        private mutating func nameToken() throws(SyntaxError) -> String {
            guard case .name(let name) = current else { throw unexpected(expected: "Name") }
            position += 1
            return name
        }

        private mutating func expect(_ punctuator: String) throws(SyntaxError) {
            guard current == .punctuator(punctuator) else { throw unexpected(expected: "\"\(punctuator)\"") }
            position += 1
        }

        private func unexpected(expected: String? = nil) -> SyntaxError {
            let found: String
            switch current {
            case .punctuator(let text): found = "\"\(text)\""
            case .name(let text): found = "Name \"\(text)\""
            case .int(let text), .float(let text): found = "\(text)"
            case .string(let text): found = "String \"\(text)\""
            case .end: found = "<EOF>"
            }
            if let expected { return SyntaxError(message: "Syntax Error: Expected \(expected), found \(found).") }
            return SyntaxError(message: "Syntax Error: Unexpected \(found).")
        }
    }
}
