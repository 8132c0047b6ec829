import RewindCore

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
