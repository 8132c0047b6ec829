import Foundation
import RewindCore
import RewindPorts
import RewindSpecs

/// An ``HTTPRequestSpec`` with its placeholders filled: values are percent-encoded in the URL
/// (safe as a path segment or a query value; a value that is `.` or `..` is refused, since a path
/// segment made of it climbs — `%2E%2E` is encoded again, so it stays text), inserted raw in header
/// values (minus line breaks, by Unicode scalar: ``HTTPHeaderValue``), and JSON-escaped in the body by
/// encoding it.
struct RenderedRequest: Sendable {
    /// A URL value that is a whole dot segment.
    struct DotSegment: Error, Equatable {
        var placeholder: String
        var message: String { "the value of {{\(placeholder)}} in a URL is '.' or '..', which would climb the path" }
    }

    var method: String
    var url: String
    var headers: [(name: String, value: String)]
    var body: Data?
    /// The URL without query string or user info: what messages may show.
    var safeURL: String
    /// The header that most likely carries the credentials, for messages (never its value).
    var credentialHeader: String?

    init(_ spec: HTTPRequestSpec, values: [String: String]) throws {
        method = spec.method.uppercased()
        if let climbing = Template.names(in: spec.url).first(where: { values[$0] == "." || values[$0] == ".." }) {
            throw DotSegment(placeholder: climbing)
        }
        url = Template.render(spec.url, values, escape: Self.percentEncode)
        safeURL = Redactor.safeURL(url)
        headers = spec.headers.sorted { $0.key < $1.key }.map { name, value in
            (name, HTTPHeaderValue.withoutLineBreaks(Template.render(value.value, values)))
        }
        if let body = spec.body {
            self.body = try JSONEncoder().encode(body.substituting(values))
            if !headers.contains(where: { $0.name.lowercased() == "content-type" }) {
                headers.append(("Content-Type", "application/json"))
            }
        }
        credentialHeader = Self.credentialHeader(in: spec.headers)
    }

    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
    )

    static func percentEncode(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }

    private static func credentialHeader(in headers: [String: ConfigText]) -> String? {
        let names = headers.keys.sorted()
        return names.first { $0.lowercased() == "authorization" }
            ?? names.first { name in ["token", "key", "auth", "secret"].contains { name.lowercased().contains($0) } }
            ?? names.first { headers[$0]?.isSecret == true }
    }
}
