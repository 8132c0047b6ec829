import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RewindSandbox

/// A world with one service, `api`: `v1` (old, healthy) and `v2` (new, failing with 500, live).
func twoVersionWorld(token: String? = nil, v2: SandboxBehavior = .failing(status: 500)) -> SandboxWorld {
    let now = Date()
    return SandboxWorld(
        services: [
            "api": [
                SandboxDeployment(id: "dpl_1", version: "1.0.0", createdAt: now.addingTimeInterval(-3600)),
                SandboxDeployment(id: "dpl_2", version: "2.0.0", behavior: v2, createdAt: now),
            ]
        ],
        live: ["api": "dpl_2"],
        platformToken: token
    )
}

struct SimpleResponse: Sendable {
    var status: Int
    var headers: [String: String]
    var body: String

    var json: [String: String] {
        (try? JSONDecoder().decode([String: String].self, from: Data(body.utf8))) ?? [:]
    }
}

func get(_ url: String, headers: [String: String] = [:]) async throws -> SimpleResponse {
    try await call("GET", url, body: nil, headers: headers)
}

func post(_ url: String, body: String, headers: [String: String] = [:]) async throws -> SimpleResponse {
    try await call("POST", url, body: body, headers: headers)
}

/// A plain HTTP call on loopback (5 s deadline).
func call(_ method: String, _ url: String, body: String?, headers: [String: String]) async throws -> SimpleResponse {
    var request = HTTPClientRequest(url: url)
    request.method = .init(rawValue: method)
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    if let body { request.body = .bytes(ByteBuffer(string: body)) }
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
    let bytes = try await response.body.collect(upTo: 1 << 20)
    var fields: [String: String] = [:]
    for header in response.headers { fields[header.name.lowercased()] = header.value }
    return SimpleResponse(status: Int(response.status.code), headers: fields, body: String(buffer: bytes))
}

/// Polls `condition` until it holds, at most `attempts` times, yielding between attempts.
func eventually(attempts: Int = 10_000, _ condition: () async throws -> Bool) async rethrows -> Bool {
    for _ in 0..<attempts {
        if try await condition() { return true }
        await Task.yield()
    }
    return false
}
