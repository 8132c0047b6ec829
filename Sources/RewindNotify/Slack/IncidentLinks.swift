/// What a channel's messages offer beyond their text: a link to the incident on Rewind's dashboard
/// (`server.public_url`), and Slack buttons when the channel's app can send its clicks back signed.
public struct IncidentLinks: Sendable, Equatable {
    /// `server.public_url` without a trailing slash; nil: no link.
    public var publicURL: String?
    /// Slack buttons (acknowledge; roll back now for an observed incident): only with the app's signing secret.
    public var buttons: Bool

    public init(publicURL: String? = nil, buttons: Bool = false) {
        self.publicURL = publicURL
        self.buttons = buttons
    }

    /// The incident on the dashboard, like `https://rewind.example.com/#incident-7`.
    public func incident(_ id: Int64) -> String? {
        publicURL.map { "\($0)/#incident-\(id)" }
    }
}
