import Foundation
import RewindCore

/// A click on one of Rewind's buttons, as Slack's interactivity request sends it: a form body
/// `payload=<JSON>` whose JSON is a `block_actions` payload naming the user and the action
/// (`action_id` a ``NoticeAction``, `value` the incident's number).
struct SlackInteraction: Equatable {
    var action: NoticeAction
    var incidentID: Int64
    /// Who clicked, as the incident records it: `Slack user name (U0123ABC)`.
    var actor: String

    private struct Payload: Decodable {
        struct User: Decodable {
            var id: String
            var username: String?
            var name: String?
        }
        struct Action: Decodable {
            var actionID: String
            var value: String?
            enum CodingKeys: String, CodingKey {
                case value
                case actionID = "action_id"
            }
        }
        var type: String
        var user: User
        var actions: [Action]?
    }

    /// The click, or why the body is not one Rewind answers.
    static func parse(_ body: [UInt8]) -> Result<SlackInteraction, SlackInteractionProblem> {
        guard let form = String(bytes: body, encoding: .utf8),
            let field = form.split(separator: "&").first(where: { $0.hasPrefix("payload=") }),
            let json = String(field.dropFirst("payload=".count)).replacingOccurrences(of: "+", with: " ")
                .removingPercentEncoding
        else {
            return .failure(.init("expected a form body with payload=<JSON>, as Slack's interactivity requests are"))
        }
        let payload: Payload
        do {
            payload = try JSONDecoder().decode(Payload.self, from: Data(json.utf8))
        } catch {
            return .failure(.init("the payload is not a Slack interaction (type, user, actions)"))
        }
        guard payload.type == "block_actions", let clicked = payload.actions?.first else {
            return .failure(.init("only block_actions (button clicks) are answered, not \(payload.type.prefix(40))"))
        }
        guard let action = NoticeAction(rawValue: clicked.actionID) else {
            return .failure(.init("the action is not one of Rewind's buttons"))
        }
        guard let value = clicked.value, value.count <= 19, let id = Int64(value), id > 0 else {
            return .failure(.init("the button's value is not an incident number"))
        }
        return .success(SlackInteraction(action: action, incidentID: id, actor: actor(payload.user)))
    }

    /// `Slack user NAME (ID)`, from what Slack says; only letters, digits and `._-` are kept, bounded.
    private static func actor(_ user: Payload.User) -> String {
        func clean(_ text: String) -> String {
            var kept = String.UnicodeScalarView()
            for scalar in text.unicodeScalars.prefix(200)
            where scalar.isASCII
                && (CharacterSet.alphanumerics.contains(scalar) || "._-".unicodeScalars.contains(scalar))
            {
                kept.append(scalar)
            }
            return String(String(kept).prefix(40))
        }
        let name = clean(user.username ?? user.name ?? "")
        let id = clean(user.id)
        return name.isEmpty ? "Slack user \(id)" : "Slack user \(name) (\(id))"
    }
}

struct SlackInteractionProblem: Error, Equatable {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}
