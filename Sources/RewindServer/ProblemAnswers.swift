import HTTPTypes
import Hummingbird
import Logging
import Synchronization

/// Puts the router's own refusals in the API's one error shape (``ProblemDetails``): a path no
/// route has is a 404, a path a route has with another method a 405 with `Allow`, a body over a
/// limit a 413, and any other error Hummingbird answers keeps its status. Errors of Rewind's
/// handlers are already problems; a handler that throws anything else is a 500 that says only
/// that (the error itself goes to the log, its secrets redacted, never to the client).
struct ProblemAnswers<Context: RequestContext>: RouterMiddleware {
    /// Method and path pattern of every route, filled in once the router is built.
    let routes: RouteIndex
    /// Removes the configuration's secrets from what is logged.
    let redact: @Sendable (String) -> String

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as any HTTPResponseError {
            if error.status == .notFound {
                let allowed = routes.methods(for: request.uri.path)
                if !allowed.isEmpty {
                    let allow = allowed.map(\.rawValue).sorted().joined(separator: ", ")
                    return ProblemDetails(
                        .methodNotAllowed, detail: "\(request.method.rawValue) is not allowed here; use \(allow)"
                    ).response(headers: [.allow: allow])
                }
                return problem(.notFound, "no such route: see /openapi.json for the API's routes")
            }
            if error.status == .contentTooLarge {
                return refusal(.contentTooLarge, "the body is larger than this route takes")
            }
            // Hummingbird's own message (e.g. a path parameter that is not a number), bounded.
            let detail = (error as? HTTPError)?.body.map { String($0.prefix(300)) } ?? error.status.reasonPhrase
            return problem(error.status, detail)
        } catch {
            context.logger.error(
                "a request failed",
                metadata: ["rewind.error": "\(redact(String(String(describing: error).prefix(1000))))"])
            return problem(.internalServerError, "Rewind could not answer this request; its log says why")
        }
    }
}

/// The routes a router has, for answering 405 with the methods a path takes.
final class RouteIndex: Sendable {
    struct Route: Sendable, Hashable {
        var method: HTTPRequest.Method
        /// Segments; `:name` and `*` match any one segment.
        var segments: [String]
    }

    private let routes = Mutex<[Route]>([])

    /// Records the router's routes; called once, after the last route is added.
    func load<C>(from router: Router<C>) {
        let loaded = router.routes.map { route in
            Route(
                method: route.method,
                segments: route.path.description.split(separator: "/").map(String.init))
        }
        routes.withLock { $0 = loaded }
    }

    var all: [Route] { routes.withLock { $0 } }

    /// The methods routes take at `path` (empty when no route has the path).
    func methods(for path: String) -> Set<HTTPRequest.Method> {
        let segments = path.split(separator: "/").map(String.init)
        return Set(
            routes.withLock { $0 }.filter { route in
                route.segments.count == segments.count
                    && zip(route.segments, segments).allSatisfy { pattern, segment in
                        pattern.hasPrefix(":") || pattern == "*" || pattern == segment
                    }
            }.map(\.method))
    }
}
