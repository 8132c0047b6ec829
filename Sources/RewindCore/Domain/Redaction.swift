/// Removes secret values from any text before it is logged, stored or sent.
///
/// Built from every secret the configuration resolved (`${ENV}`, `${file:…}`), so that output
/// captured from commands or error bodies echoed by an API cannot leak one.
public struct Redactor: Sendable, Equatable {
    public private(set) var secrets: [String]

    public init(secrets: [String] = []) {
        // Longest first, so that a secret containing another is replaced whole.
        self.secrets = Array(Set(secrets.filter { $0.count >= 4 })).sorted { $0.count > $1.count }
    }

    public func redact(_ text: String) -> String {
        var result = text
        for secret in secrets where result.contains(secret) {
            result = result.replacingAll(secret, with: "<redacted>")
        }
        return result
    }

    /// A URL without its query string and user info, safe for logs.
    public static func safeURL(_ url: String) -> String {
        var result = url
        if let query = result.firstIndex(where: { $0 == "?" || $0 == "#" }) { result = String(result[..<query]) }
        if let scheme = Substring(result).range(of: "://"), let at = result[scheme.upperBound...].firstIndex(of: "@"),
            !result[scheme.upperBound..<at].contains("/")
        {
            result = String(result[..<scheme.upperBound]) + result[result.index(after: at)...]
        }
        return result
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var output = ""
        var rest = Substring(self)
        while let range = rest.range(of: target) {
            output += rest[..<range.lowerBound]
            output += replacement
            rest = rest[range.upperBound...]
        }
        return output + rest
    }
}

extension Substring {
    func range(of target: String) -> Range<Substring.Index>? {
        guard !target.isEmpty, count >= target.count else { return nil }
        var index = startIndex
        while index < endIndex {
            if self[index...].hasPrefix(target) {
                return index..<self.index(index, offsetBy: target.count)
            }
            index = self.index(after: index)
        }
        return nil
    }
}
