import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RewindConfig
import RewindCore
import RewindEngine
import RewindServer
import RewindStoreSQLite

/// How the CLI reads and changes state: through the daemon's API when it runs, otherwise from the
/// database (reads) or through a one-shot engine (rollbacks) — never around the engine.
public struct StateAccess: Sendable {
    public let configuration: RewindConfiguration
    let client: HTTPClient
    let baseURL: String

    public init(configuration: RewindConfiguration, client: HTTPClient) {
        self.configuration = configuration
        self.client = client
        let host = configuration.server.host == "0.0.0.0" ? "127.0.0.1" : configuration.server.host
        self.baseURL = "http://\(host.contains(":") ? "[\(host)]" : host):\(configuration.server.port)"
    }

    /// True when a daemon answers `/healthz` at the configured address.
    public func daemonIsRunning() async -> Bool {
        var request = HTTPClientRequest(url: baseURL + "/healthz")
        request.method = .GET
        guard let response = try? await client.execute(request, timeout: .seconds(1)) else { return false }
        return response.status == .ok
    }

    func store() throws -> SQLiteStore {
        do {
            return try SQLiteStore.openExisting(path: configuration.statePath)
        } catch {
            throw AppError.unavailable("no daemon answers at \(baseURL) and there is no state at \(configuration.statePath) yet; start one with: rewind serve --config \(configuration.sourcePath)")
        }
    }

    // MARK: Reads

    public func status() async throws -> StatusReport {
        if await daemonIsRunning() { return try await get("/api/v1/status") }
        return try await StateQueries.status(store: try store(), policy: configuration.policy, checks: [], daemon: false, now: SystemClockNow())
    }

    public func history(limit: Int) async throws -> [Incident] {
        if await daemonIsRunning() { return try await get("/api/v1/history?limit=\(limit)") }
        return try await store().incidents(limit: limit)
    }

    public func incident(_ id: Int64) async throws -> IncidentDetail {
        if await daemonIsRunning() { return try await get("/api/v1/incidents/\(id)") }
        guard let detail = try await StateQueries.incident(store: try store(), id: id) else {
            throw AppError.other("there is no incident #\(id)")
        }
        return detail
    }

    public func tasks(_ id: Int64) async throws -> [IncidentTask] {
        if await daemonIsRunning() { return try await get("/api/v1/incidents/\(id)/tasks") }
        return try await store().tasks(incidentID: id)
    }

    public func freezeState() async throws -> FreezeState {
        if await daemonIsRunning() { return try await get("/api/v1/freeze") }
        guard FileManager.default.fileExists(atPath: configuration.statePath) else { return FreezeState(frozen: false, freeze: nil) }
        let freeze = try await store().currentFreeze().flatMap { $0.isActive(at: SystemClockNow()) ? $0 : nil }
        return FreezeState(frozen: freeze != nil, freeze: freeze)
    }

    // MARK: HTTP

    func get<T: Decodable>(_ path: String) async throws -> T {
        try await send(path, method: .GET, body: nil as [String: String]?)
    }

    func send<T: Decodable, B: Encodable>(_ path: String, method: HTTPMethod, body: B?, timeout: TimeAmount = .seconds(30)) async throws -> T {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let token = configuration.server.token?.value { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(body)))
        }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: timeout)
        } catch {
            throw AppError.unavailable("the daemon at \(baseURL) did not answer: \(error)")
        }
        let bytes = try await response.body.collect(upTo: 16 * 1024 * 1024)
        let data = Data(buffer: bytes)
        guard (200..<300).contains(Int(response.status.code)) else {
            let message = (try? JSONDecoder().decode([String: String].self, from: data))?["error"] ?? "HTTP \(response.status.code)"
            throw AppError.other(message)
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw AppError.other("the daemon answered something this CLI does not understand (\(error)); are both the same version?")
        }
    }
}

func SystemClockNow() -> Timestamp {
    Timestamp(millisecondsSinceEpoch: Int64((Date().timeIntervalSince1970 * 1000).rounded()))
}
