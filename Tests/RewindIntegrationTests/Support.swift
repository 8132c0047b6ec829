import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RewindCore
import RewindPorts
import RewindProcess
import RewindSandbox
import RewindStoreSQLite
import RewindTestSupport
import Subprocess
import Synchronization
import SystemPackage
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

/// Runs the `rewind` binary to completion through swift-subprocess (RewindProcess's ``CommandRunner``), with
/// `environment` added to this process's own, and returns its exit status (128 + the signal when killed) and
/// output. Never Foundation's `Process`: on Linux its `run()` can crash the test process (swift-corelibs-foundation
/// reads past a directory entry while listing /proc/self/fd; fixed upstream after Swift 6.3).
func rewind(
    _ arguments: [String], environment: [String: String] = [:]
) async throws -> (status: Int32, stdout: String, stderr: String) {
    let result = try await CommandRunner.run(
        CommandInvocation(
            arguments: [try rewindBinary()] + arguments,
            environment: ChildEnvironment(ProcessInfo.processInfo.environment.merging(environment) { $1 }),
            timeout: .seconds(300), shownBytes: 16 << 20))
    let status: Int32 =
        switch result.ending {
        case .exited(let status): status
        case .signalled(let signal): 128 + signal
        case .timedOut: throw IntegrationError("rewind \(arguments.joined(separator: " ")) ran past 300 s")
        }
    return (status, result.stdout, result.stderr)
}

/// A `rewind serve` child process, started through swift-subprocess (never Foundation's `Process`, see
/// ``rewind(_:environment:)``), its output appended to `log`.
final class DaemonProcess: Sendable {
    let log: String
    let pid: Int32
    private let run: Task<Int32, Never>
    /// Set once the daemon has exited: its id may then belong to another process, which ``kill(_:)`` must spare.
    private let exited = ExitFlag()

    /// `environment` is added to the test process's own: tests pass the variables their configuration reads this
    /// way, never with `setenv`, which races with every process another test starts meanwhile.
    init(config: String, log: String, environment: [String: String] = [:]) async throws {
        self.log = log
        let output = try FileDescriptor.open(
            FilePath(log), .writeOnly, options: [.create, .append], permissions: [.ownerReadWrite])
        let errors = try output.duplicate()
        let binary = try rewindBinary()
        var variables: [Subprocess.Environment.Key: String] = [:]
        for (name, value) in ProcessInfo.processInfo.environment.merging(environment, uniquingKeysWith: { $1 }) {
            if let key = Subprocess.Environment.Key(rawValue: name) { variables[key] = value }
        }
        let (started, reportStart) = AsyncStream.makeStream(of: Int32?.self)
        let exited = exited
        run = Task.detached {
            var status: Int32 = -1
            do {
                let outcome = try await Subprocess.run(
                    .path(FilePath(binary)), arguments: ["serve", "--config", config], environment: .custom(variables),
                    input: .none, output: .fileDescriptor(output, closeAfterSpawningProcess: true),
                    error: .fileDescriptor(errors, closeAfterSpawningProcess: true)
                ) { execution in
                    reportStart.yield(execution.processIdentifier.value)
                }
                status =
                    switch outcome.terminationStatus {
                    case .exited(let code): code
                    case .signaled(let signal): 128 + signal
                    }
            } catch {
                reportStart.yield(nil)
            }
            reportStart.finish()
            exited.value.withLock { $0 = true }
            return status
        }
        var starts = started.makeAsyncIterator()
        guard let pid = await starts.next() ?? nil else {
            throw IntegrationError("rewind serve could not be started (\(binary))")
        }
        self.pid = pid
    }

    func kill(_ signal: Int32) {
        exited.value.withLock { exited in
            if !exited { _ = Glibc.kill(pid, signal) }
        }
    }

    /// The exit status (128 + the signal when killed), once the daemon has exited.
    func waitForExit() async -> Int32 { await run.value }

    var output: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }
}

/// Whether a child has exited, shared with the task that waits for it.
private final class ExitFlag: Sendable {
    let value = Mutex(false)
}

/// Minimal JSON client for the daemon's API.
struct API {
    let client: HTTPClient
    let base: String
    var token: String?

    func call(
        _ method: HTTPMethod, _ path: String, json: String? = nil, token: String? = nil
    ) async throws -> (status: Int, body: String) {
        let (status, body, _) = try await exchange(method, path, json: json, token: token)
        return (status, body)
    }

    /// ``call(_:_:json:token:)`` with `headers` added to the request and the response's headers returned.
    func exchange(
        _ method: HTTPMethod, _ path: String, json: String? = nil, token: String? = nil,
        headers: [(String, String)] = []
    ) async throws -> (status: Int, body: String, headers: HTTPHeaders) {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        if let token = token ?? self.token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        }
        let response = try await client.execute(request, timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 4 * 1024 * 1024)
        return (Int(response.status.code), String(buffer: body), response.headers)
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
func daemonConfig(
    endpoints: SandboxEndpoints, port: Int, token: String? = nil, extra: String = "",
    notifications: String = "{ console: true, file: notifications.jsonl }"
) -> String {
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
        notifications: \(notifications)
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

/// ``rewind(_:environment:)``, by its older name.
func runRewindAwaiting(
    _ arguments: [String], environment: [String: String] = [:]
) async throws -> (status: Int32, stdout: String, stderr: String) {
    try await rewind(arguments, environment: environment)
}
