import HTTPTypes
import Hummingbird

/// Every error the API answers, in one shape: RFC 9457 problem details as
/// `application/problem+json` — `type` (`about:blank`: the status says what kind of problem it
/// is), `title` (the status's phrase), `status`, and `detail`, the reason written for the person
/// who sent the request (what was wrong and what to send instead).
struct ProblemDetails: Codable, Equatable, Sendable {
    var type: String
    var title: String
    var status: Int
    var detail: String

    init(_ status: HTTPResponse.Status, detail: String) {
        self.type = "about:blank"
        self.title = status.reasonPhrase
        self.status = status.code
        self.detail = detail
    }

    static let contentType = "application/problem+json"

    func response(headers extra: HTTPFields = [:]) -> Response {
        var response = json(
            self, status: HTTPResponse.Status(code: status, reasonPhrase: title), contentType: Self.contentType)
        response.headers.append(contentsOf: extra)
        return response
    }
}

/// A problem answer (``ProblemDetails``) with `detail` as the reason.
func problem(_ status: HTTPResponse.Status, _ detail: String) -> Response {
    ProblemDetails(status, detail: detail).response()
}
