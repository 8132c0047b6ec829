import Hummingbird
import NIOCore

/// The API's contract: `GET /openapi.json`, no token needed (it holds no state). The document is
/// `openapi.json` beside this file, compiled into the binary; `docs/openapi.json` links to it, and
/// a test checks it names exactly the routes the router has, so the two cannot drift.
extension APIServer {
    /// The OpenAPI 3.1 document, as served.
    public static var openAPIDocument: [UInt8] { PackageResources.openapi_json }

    func addOpenAPIRoute(to router: Router<BasicRequestContext>) {
        router.get("/openapi.json") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: Self.openAPIDocument)))
        }
    }
}
