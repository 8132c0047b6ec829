import Foundation
import RewindSandbox
import Synchronization

extension SinkKind {
    /// Opsgenie's Alert API (``OpsgenieSink``).
    public static let opsgenie = SinkKind(rawValue: "opsgenie")
}

/// An alert as the Opsgenie emulator holds it.
public struct OpsgenieAlertRecord: Sendable, Equatable {
    public var alias: String
    public var message: String
    public var priority: String
    public var tags: [String]
    public var isOpen: Bool
    /// Create requests folded into this alert (one open alert per alias).
    public var createCount: Int
    public var closeNote: String?
}

/// The Opsgenie Alert API, as documented in `reference/platform-apis.md` §9.1. Every call needs
/// `Authorization: GenieKey <key>` (→ 401 `{"message":"Could not authenticate",…}` otherwise).
///
/// - `POST /opsgenie/v2/alerts`: `message` required, at most 130 characters (→ 422 with `errors`
///   otherwise); one open alert per `alias` (a second create folds into it) → 202
///   `{"result":"Request will be processed","took","requestId"}`.
/// - `POST /opsgenie/v2/alerts/{identifier}/close?identifierType=id|alias|tiny` (optional body
///   `{source, user, note}`) → 202; closes the open alert with that alias.
public final class OpsgenieSink: Sendable {
    private struct State {
        var key: String?
        var alerts: [OpsgenieAlertRecord] = []
    }

    private let state = Mutex(State())

    public init() {}

    /// When set, every call requires `Authorization: GenieKey <this>`; when nil any GenieKey is accepted.
    public var key: String? {
        get { state.withLock { $0.key } }
        set { state.withLock { $0.key = newValue } }
    }

    /// Every alert, oldest first; a create after a close opens a new one.
    public var alerts: [OpsgenieAlertRecord] {
        state.withLock { $0.alerts }
    }

    /// `POST /opsgenie/v2/alerts` and `POST /opsgenie/v2/alerts/{identifier}/close`, for a ``NotificationSinksServer``.
    public var routes: [SinkRoute] {
        [
            SinkRoute("opsgenie/v2/alerts", .opsgenie, create),
            SinkRoute("opsgenie/v2/alerts/:id/close", .opsgenie, close),
        ]
    }

    func create(_ request: SinkRequest) -> SinkAnswer {
        if let refusal = opsgenieRefusal(request) { return refusal }
        guard let alert = request.json, alert.object != nil else {
            return Self.unprocessable(["body": "Request body is not a JSON object."])
        }
        let message = alert["message"]?.string ?? ""
        if message.isEmpty { return Self.unprocessable(["message": "Message can not be empty."]) }
        if message.count > 130 { return Self.unprocessable(["message": "Message can not be longer than 130."]) }
        let alias = alert["alias"]?.string ?? UUID().uuidString.lowercased()
        state.withLock { state in
            if let index = state.alerts.lastIndex(where: { $0.alias == alias && $0.isOpen }) {
                state.alerts[index].createCount += 1
            } else {
                state.alerts.append(
                    OpsgenieAlertRecord(
                        alias: alias,
                        message: message,
                        priority: alert["priority"]?.string ?? "P3",
                        tags: alert["tags"]?.array?.compactMap(\.string) ?? [],
                        isOpen: true,
                        createCount: 1,
                        closeNote: nil
                    )
                )
            }
        }
        return Self.accepted()
    }

    func close(_ request: SinkRequest) -> SinkAnswer {
        if let refusal = opsgenieRefusal(request) { return refusal }
        let identifierType = request.queryValue("identifierType") ?? "id"
        guard ["id", "alias", "tiny"].contains(identifierType) else {
            return Self.unprocessable(["identifierType": "Identifier type must be one of id, alias, tiny."])
        }
        if !request.body.isEmpty, request.json?.object == nil {
            return Self.unprocessable(["body": "Request body is not a JSON object."])
        }
        let identifier = (request.parameter ?? "").removingPercentEncoding ?? ""
        if identifierType == "alias" {
            state.withLock { state in
                guard let index = state.alerts.lastIndex(where: { $0.alias == identifier && $0.isOpen })
                else { return }  // Opsgenie accepts the request and fails it later, asynchronously
                state.alerts[index].isOpen = false
                state.alerts[index].closeNote = request.json?["note"]?.string
            }
        }
        return Self.accepted()
    }

    private func opsgenieRefusal(_ request: SinkRequest) -> SinkAnswer? {
        let expected = key
        guard let authorization = request.header("authorization"), authorization.hasPrefix("GenieKey "),
            authorization.count > "GenieKey ".count,
            expected.map({ authorization.dropFirst("GenieKey ".count) == $0 }) ?? true
        else {
            return .json(["message": "Could not authenticate", "took": 0.001, "requestId": requestID()], status: 401)
        }
        return nil
    }

    private func requestID() -> String { UUID().uuidString.lowercased() }

    private static func accepted() -> SinkAnswer {
        .json(
            ["result": "Request will be processed", "took": 0.107, "requestId": UUID().uuidString.lowercased()],
            status: 202
        )
    }

    private static func unprocessable(_ errors: [String: String]) -> SinkAnswer {
        .json(
            [
                "message": "Request body is not processable. Please check the errors.", "errors": errors,
                "took": 0.002, "requestId": UUID().uuidString.lowercased(),
            ] as [String: Any],
            status: 422
        )
    }
}
