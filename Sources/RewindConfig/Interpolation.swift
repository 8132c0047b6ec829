/// The `${NAME}` and `${file:/path}` references a configuration string may hold, each optionally marked
/// `${secret:NAME}` / `${secret:file:/path}` to be treated as a secret wherever it is used.
///
/// `$${` writes a literal `${`. Anything else with a `$` is literal text, so `$HOME` in an argument
/// stays `$HOME`: commands never go through a shell.
enum Interpolation {
    enum Part: Equatable {
        case literal(String)
        /// `${NAME}`: the value of an environment variable.
        case environment(String)
        /// `${file:path}`: the content of a file, trailing newlines trimmed.
        case file(String)
    }

    /// Splits `text` into literal text and references, or returns a message saying what is malformed.
    /// A `${secret:…}` mark is dropped; ``markedParts(of:)`` keeps it.
    static func parts(of text: String) -> Result<[Part], InterpolationError> {
        markedParts(of: text).map { $0.map(\.part) }
    }

    /// Splits `text` like ``parts(of:)``, telling for each part whether it was written `${secret:…}`.
    static func markedParts(of text: String) -> Result<[(part: Part, marked: Bool)], InterpolationError> {
        var parts: [(part: Part, marked: Bool)] = []
        var literal = ""
        var rest = Substring(text)
        while let dollar = rest.firstIndex(of: "$") {
            literal += rest[..<dollar]
            let afterDollar = rest[rest.index(after: dollar)...]
            if afterDollar.hasPrefix("${") {
                literal += "${"
                rest = afterDollar.dropFirst(2)
                continue
            }
            guard afterDollar.hasPrefix("{") else {
                literal += "$"
                rest = afterDollar
                continue
            }
            let inside = afterDollar.dropFirst()
            guard let close = inside.firstIndex(of: "}") else { return .failure(.unclosed) }
            var reference = Substring(inside[..<close])
            rest = inside[inside.index(after: close)...]
            if !literal.isEmpty {
                parts.append((.literal(literal), false))
                literal = ""
            }
            let marked = reference.hasPrefix(secretMark)
            if marked { reference = reference.dropFirst(secretMark.count) }
            if reference.hasPrefix("file:") {
                let path = String(reference.dropFirst("file:".count))
                guard !path.isEmpty else { return .failure(.emptyFilePath) }
                parts.append((.file(path), marked))
            } else {
                guard isVariableName(String(reference)) else { return .failure(.invalidName(String(reference))) }
                parts.append((.environment(String(reference)), marked))
            }
        }
        literal += rest
        if !literal.isEmpty { parts.append((.literal(literal), false)) }
        return .success(parts)
    }

    /// `${secret:NAME}`, `${secret:file:/path}`.
    static let secretMark = "secret:"

    static func isVariableName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || isASCIILetter(first) else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || isASCIILetter($0) || ("0"..."9").contains($0) }
    }

    private static func isASCIILetter(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
    }
}

enum InterpolationError: Error, Equatable {
    case unclosed
    case emptyFilePath
    case invalidName(String)

    var message: String {
        switch self {
        case .unclosed:
            "'${' is not closed: write ${NAME} for an environment variable or ${file:/path} for a file"
        case .emptyFilePath:
            "${file:} needs a path, e.g. ${file:/run/secrets/rewind-token}"
        case .invalidName(let name):
            "'${\(name)}' is not a valid reference: write ${NAME} (letters, digits, _) or ${file:/path}, "
                + "marked ${secret:NAME} to keep it out of every message"
        }
    }
}
