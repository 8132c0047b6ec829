import Foundation
import Hummingbird

/// Builds the JSON answers of the sandbox servers.
enum JSONResponse {
    static func make(_ value: some Encodable, status: Int = 200, headers: HTTPFields = [:]) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(
            status: HTTPResponse.Status(code: status),
            headers: fields,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data))
        )
    }

    static func error(_ message: String, status: Int, headers: HTTPFields = [:]) -> Response {
        make(["error": message], status: status, headers: headers)
    }
}
