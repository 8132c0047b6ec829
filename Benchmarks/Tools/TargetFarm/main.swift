import Foundation
import Hummingbird

/// The scale benchmark's target farm: one loopback HTTP server standing in for thousands of
/// services. `GET /s/NAME/health` answers 200 for any NAME (one URL per health check), and
/// `GET /v1/services/NAME/current` answers the platform's current deployment of that service, so
/// that a daemon watching every one of them has something to probe and something to track.
///
///     target-farm PORT        (0: any free port; the port is printed on the first line of stdout)
let port = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 0
let router = Router()
router.get("s/:name/health") { _, _ -> HTTPResponse.Status in .ok }
router.get("v1/services/:name/current") { _, context -> Response in
    let name = context.parameters.get("name") ?? "unknown"
    var headers = HTTPFields()
    headers[.contentType] = "application/json"
    let body = #"{"id":"\#(name)-v1","version":"v1"}"#
    return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
}
let app = Application(
    router: router,
    configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "target-farm"),
    onServerRunning: { channel in
        // The first line of stdout, read by the script that started the farm.
        FileHandle.standardOutput.write(Data("\(channel.localAddress?.port ?? 0)\n".utf8))
    })
try await app.runService()
