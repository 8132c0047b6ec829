import HTTPTypes
import Hummingbird

/// Runs before routing, for every request: a path not written exactly as a route is a 404 (so
/// `/hooks//alertmanager` or `/api/v1/status/` never reach a handler), and a `Host` that is not
/// an address of this server is a 421 (DNS rebinding). Neither is logged or counted: an
/// unauthenticated client must not be able to grow the log or `/metrics`.
struct RequestGate<Context: RequestContext>: RouterMiddleware {
    let access: APIAccess

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard Self.isExact(request.uri.path) else {
            return refusal(
                .notFound,
                "no such route: paths are written exactly, without empty segments, dot segments or a trailing slash")
        }
        guard access.allowsHost(request.head.authority) else {
            return refusal(
                HTTPResponse.Status(code: 421, reasonPhrase: "Misdirected Request"),
                "the Host header does not name this server (listening on \(access.listenHost)); a DNS name in front of Rewind goes in server.allowed_hosts"
            )
        }
        return try await next(request, context)
    }

    /// `/`, or `/` followed by non-empty segments other than `.` and `..`, without a trailing slash.
    static func isExact(_ path: String) -> Bool {
        if path == "/" { return true }
        guard path.hasPrefix("/") else { return false }
        return path.dropFirst().split(separator: "/", omittingEmptySubsequences: false).allSatisfy {
            !$0.isEmpty && $0 != "." && $0 != ".."
        }
    }
}

/// A 4xx answered before the request's body was read: the reason as JSON, and `Connection: close`
/// so that the server stops reading the connection once the answer is written
/// (``CloseAfterRefusal``) instead of draining whatever body the client still sends.
func refusal(_ status: HTTPResponse.Status, _ message: String) -> Response {
    var response = problem(status, message)
    response.headers[.connection] = "close"
    return response
}
