import RewindSandbox

extension SinkKind {
    /// A Teams Workflows webhook (``TeamsSink``).
    public static let teams = SinkKind(rawValue: "teams")
}

/// A Microsoft Teams Workflows webhook, as documented in `reference/platform-apis.md` §9.2:
/// `POST /teams/{id}` with `{"type":"message","attachments":[{"contentType":
/// "application/vnd.microsoft.card.adaptive","content":{"type":"AdaptiveCard","body":[…]}}]}` → 202 with an
/// empty body; anything else → 400 with a plain-text reason.
public enum TeamsSink {
    static let adaptiveCardType = "application/vnd.microsoft.card.adaptive"

    /// `POST /teams/{id}`, for a ``NotificationSinksServer``.
    public static var routes: [SinkRoute] { [SinkRoute("teams/:id", .teams, answer)] }

    static func answer(_ request: SinkRequest) -> SinkAnswer {
        guard let message = request.json, message.object != nil else {
            return .text("Bad Request: the body is not a JSON object", status: 400)
        }
        guard message["type"]?.string == "message" else {
            return .text("Bad Request: `type` must be `message`", status: 400)
        }
        guard let attachment = message["attachments"]?[0] else {
            return .text("Bad Request: `attachments` must hold an Adaptive Card", status: 400)
        }
        guard attachment["contentType"]?.string == Self.adaptiveCardType else {
            return .text("Bad Request: `contentType` must be \(Self.adaptiveCardType)", status: 400)
        }
        guard attachment["content"]?["type"]?.string == "AdaptiveCard", attachment["content"]?["body"]?.array != nil
        else { return .text("Bad Request: `content` must be an AdaptiveCard with a body", status: 400) }
        return .empty(status: 202)
    }
}
