import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RewindCore
import RewindPorts
import RewindSandbox
import RewindStoreSQLite
import RewindTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
    import RewindPorts
#endif

/// The `rewind` executable built beside this test bundle (or `REWIND_BINARY`).
func rewindBinary() throws -> String {
    if let explicit = ProcessInfo.processInfo.environment["REWIND_BINARY"] { return explicit }
    var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = directory.appendingPathComponent("rewind").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        directory = directory.deletingLastPathComponent()
    }
    throw IntegrationError(
        "the rewind executable was not found next to the test bundle; run `swift build` first or set REWIND_BINARY")
}

struct IntegrationError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs a command to completion and returns its exit status and output.
@discardableResult
func runRewind(
    _ arguments: [String], environment: [String: String] = [:]
) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try rewindBinary())
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
}

/// A `rewind serve` child process.
final class DaemonProcess {
    let process = Process()
    let log: String

    /// `environment` is added to the test process's own: tests pass the variables their configuration reads this
    /// way, never with `setenv`, which races with every process another test starts meanwhile (Foundation's
    /// `Process.run` copies the environment; a `setenv` reallocating it at that moment crashes the test process).
    init(config: String, log: String, environment: [String: String] = [:]) throws {
        self.log = log
        process.executableURL = URL(fileURLWithPath: try rewindBinary())
        process.arguments = ["serve", "--config", config]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    var pid: Int32 { process.processIdentifier }

    func kill(_ signal: Int32) { _ = Glibc.kill(pid, signal) }

    func waitForExit() -> Int32 {
        process.waitUntilExit()
        return process.terminationStatus
    }

    var output: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
}

/// Minimal JSON client for the daemon's API.
struct API {
    let client: HTTPClient
    let base: String
    var token: String?

    func call(
        _ method: HTTPMethod, _ path: String, json: String? = nil, token: String? = nil
    ) async throws -> (status: Int, body: String) {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let token = token ?? self.token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        }
        let response = try await client.execute(request, timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 4 * 1024 * 1024)
        return (Int(response.status.code), String(buffer: body))
    }

    func object(_ path: String) async throws -> [String: Any] {
        let (_, body) = try await call(.GET, path)
        return (try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]) ?? [:]
    }

    func isUp() async -> Bool {
        (try? await call(.GET, "/healthz").status) == 200
    }
}

/// Re-evaluates `condition` until it holds or `seconds` of real time pass. Every condition in
/// these tests asks the daemon over HTTP, so each try waits on a real answer, not on a sleep;
/// the deadline only turns a broken daemon into a failed test instead of a hang.
func eventually(_ what: String, within seconds: Double, _ condition: () async throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if (try? await condition()) == true { return }
        await Task.yield()
    }
    throw IntegrationError("timed out after \(seconds) s waiting for: \(what)")
}

/// A sandbox with frontend, backend and worker on v1, running for the duration of `body`.
func withSandbox<T: Sendable>(
    rollbackDuration: Duration = .milliseconds(200),
    _ body: @Sendable (SandboxWorld, SandboxEndpoints) async throws -> T
) async throws -> T {
    let world = SandboxWorld(
        services: [
            "frontend": [SandboxDeployment(id: "fe-v1", version: "v1")],
            "backend": [SandboxDeployment(id: "be-v1", version: "v1")],
            "worker": [SandboxDeployment(id: "wk-v1", version: "v1")],
        ],
        live: ["frontend": "fe-v1", "backend": "be-v1", "worker": "wk-v1"])
    world.rollbackDuration = rollbackDuration
    return try await withSandbox(world) { endpoints in try await body(world, endpoints) }
}

/// A policy file for a daemon watching the sandbox, with short intervals. A check may take 5 s: the sandbox
/// answers from the test process, which the whole run's tests share, so a slow answer is load, not a failure
/// (the tests' failures are 500s, which are immediate).
func daemonConfig(endpoints: SandboxEndpoints, port: Int, token: String? = nil, extra: String = "") -> String {
    func provider() -> String {
        """
            provider:
              type: http
              rollback:
                url: \(endpoints.platform)/v1/services/{{service}}/rollback
                body: { deployment: "{{target.id}}" }
                expect: [202]
              current: { url: "\(endpoints.platform)/v1/services/{{service}}/current", field: id }
              status:
                url: \(endpoints.platform)/v1/operations/{{operation.id}}
                field: status
                succeeded: [succeeded]
                failed: [failed]
        """
    }
    return """
        state: state.db
        server:
          listen: 127.0.0.1:\(port)
        \(token != nil ? "  token: ${IT_TOKEN}" : "")
        health: { interval: 500ms, timeout: 5s, confirm_interval: 100ms }
        strategies: { immediate: { timeout: 20s, freeze: 1h }, fast: { timeout: 20s } }
        verification: { interval: 300ms, timeout: 1s }
        notifications: { console: true, file: notifications.jsonl }
        \(extra)
        services:
          backend:
            checks:
              - { name: health, url: "\(endpoints.services["backend"]!)/health" }
        \(provider())
          worker:
            checks:
              - { name: health, url: "\(endpoints.services["worker"]!)/health", severity: non-critical }
        \(provider())

        """
}

/// Seeds v1 of backend and worker as live and known good.
func seedKnownGood(statePath: String) async throws {
    try await seedKnownGood(try SQLiteStore(path: statePath))
}

/// Seeds v1 of backend and worker as live and known good in `store`.
func seedKnownGood(_ store: any RewindStore) async throws {
    let now = Timestamp(millisecondsSinceEpoch: Int64(Date().timeIntervalSince1970 * 1000))
    for (service, id) in [("backend", "be-v1"), ("worker", "wk-v1")] {
        try await store.recordDeployment(
            Deployment(
                service: ServiceName(service), id: id, version: "v1", deployedAt: now - .seconds(7200),
                trust: .knownGood, knownGoodAt: now - .seconds(3600)),
            makeLive: true)
    }
}

/// `runRewind` without blocking a thread of the cooperative pool while the child runs: the
/// sandbox and the emulators answer it from this very process, and on a two-core machine two
/// blocked waits would leave them no thread to answer with. Output goes through files, the exit
/// is awaited through the termination handler.
func runRewindAwaiting(
    _ arguments: [String], environment: [String: String] = [:]
) async throws
    -> (status: Int32, stdout: String, stderr: String)
{
    let scratch = try TemporaryDirectory("it")
    defer { scratch.remove() }
    FileManager.default.createFile(atPath: scratch.file("stdout"), contents: nil)
    FileManager.default.createFile(atPath: scratch.file("stderr"), contents: nil)
    let out = try FileHandle(forWritingTo: URL(fileURLWithPath: scratch.file("stdout")))
    let err = try FileHandle(forWritingTo: URL(fileURLWithPath: scratch.file("stderr")))
    defer {
        try? out.close()
        try? err.close()
    }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: try rewindBinary())
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    process.standardOutput = out
    process.standardError = err
    let status: Int32 = try await withCheckedThrowingContinuation { continuation in
        process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
        do {
            try process.run()
        } catch {
            process.terminationHandler = nil
            continuation.resume(throwing: error)
        }
    }
    let stdout = (try? String(contentsOfFile: scratch.file("stdout"), encoding: .utf8)) ?? ""
    let stderr = (try? String(contentsOfFile: scratch.file("stderr"), encoding: .utf8)) ?? ""
    return (status, stdout, stderr)
}
