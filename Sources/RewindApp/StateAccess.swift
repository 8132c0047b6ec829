import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RewindConfig
import RewindCore
import RewindEngine
import RewindPorts
import RewindServer
import RewindStoreSQLite

/// How the CLI reads and changes state: through the daemon's API when it runs, otherwise from the
/// database (reads) or through a one-shot engine (rollbacks) — never around the engine.
///
/// Two ways to reach it:
/// - **With a policy** (`--config`): the daemon at `server.listen`, and the state database when no
///   daemon answers.
/// - **With a server only** (`--server URL` or `REWIND_SERVER`, and `REWIND_TOKEN`): the daemon at
///   that URL and nothing else — no policy, no secrets, no database; when it does not answer, the
///   command fails saying so.
///
/// The daemon is called by a client that follows no redirect by itself, so the token never goes anywhere
/// else: the one redirect the CLI follows is a standby's 307 to another replica the user listed in
/// `--server` / `REWIND_SERVER` (``ReplicaRedirect`` says the rule); any other 3xx is an error naming its
/// `Location`. The token is `REWIND_TOKEN` when set,
/// otherwise the first configured token with the scope the call needs (`read` for reads, `operate`
/// for changes).
public struct StateAccess: Sendable {
    /// The policy, when the CLI was given one.
    private let policy: RewindConfiguration?
    /// For what a one-shot engine calls (providers, channels); never for the daemon.
    let client: HTTPClient
    let baseURL: String
    /// `REWIND_TOKEN`: sent instead of the configured tokens.
    let presentedToken: String?
    /// Which redirects are followed: only to the replica addresses listed.
    let redirects: ReplicaRedirect

    public init(
        configuration: RewindConfiguration, client: HTTPClient,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.policy = configuration
        self.client = client
        let host =
            configuration.server.host == "0.0.0.0"
            ? "127.0.0.1" : (configuration.server.host == "::" ? "::1" : configuration.server.host)
        self.baseURL = "http://\(host.contains(":") ? "[\(host)]" : host):\(configuration.server.port)"
        self.presentedToken = environment["REWIND_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        self.redirects = ReplicaRedirect(allowed: ReplicaRedirect.origin(of: baseURL).map { [$0] } ?? [])
    }

    /// A daemon at `server` (`http://host:port` or `https://…`), with no policy. `server` may list the addresses
    /// of several replicas, comma-separated: the CLI calls the first and follows a standby's 307 to any other.
    public init(
        server: String, client: HTTPClient, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws {
        let addresses = server.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        var origins: [String] = []
        for (index, address) in addresses.enumerated() {
            guard let url = URLComponents(string: address), let scheme = url.scheme?.lowercased(),
                scheme == "http" || scheme == "https", let host = url.host, !host.isEmpty,
                url.user == nil, url.password == nil, url.query == nil, url.fragment == nil,
                url.path.isEmpty || url.path == "/", let origin = ReplicaRedirect.origin(of: address)
            else {
                throw AppError.usage(
                    "--server / REWIND_SERVER: \(addresses.count > 1 ? "address \(index + 1) of \(addresses.count)" : "the address") "
                        + "is not a daemon's address; expected one like "
                        + "http://rewind.internal:8480, or several replicas' comma-separated (no path, no credentials: "
                        + "the token goes in REWIND_TOKEN)")
            }
            origins.append(origin)
        }
        guard let first = addresses.first, addresses.count <= 16 else {
            throw AppError.usage("--server / REWIND_SERVER: list between 1 and 16 replica addresses")
        }
        self.policy = nil
        self.client = client
        self.baseURL = first.hasSuffix("/") ? String(first.dropLast()) : first
        self.presentedToken = environment["REWIND_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        self.redirects = ReplicaRedirect(allowed: origins)
    }

    /// The policy the CLI was given; without one (`--server`), what needs it fails saying that the daemon did
    /// not answer.
    public var configuration: RewindConfiguration {
        get throws {
            guard let policy else {
                throw AppError.unavailable(
                    "the daemon at \(baseURL) did not answer, and without a policy (--config) the CLI reads no state "
                        + "database itself; check the address and that rewind serve runs there")
            }
            return policy
        }
    }

    /// The client for the daemon's API: redirects are never followed.
    static let daemonClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// True when a daemon answers `/healthz` at the configured address.
    public func daemonIsRunning() async -> Bool {
        await probe("/healthz") == .ok
    }

    /// A daemon runs and can act (`/readyz`); throws when one answers but cannot act, so that a
    /// change is neither sent to a standby nor made around it. False: no daemon answers.
    func daemonCanAct() async throws -> Bool {
        guard await daemonIsRunning() else { return false }
        if await probe("/readyz") == .ok { return true }
        throw AppError.unavailable(
            "the daemon at \(baseURL) runs but cannot act now (see \(baseURL)/readyz: it waits for the writer lease or cannot write); try again, or ask the replica that leads"
        )
    }

    /// A busy daemon is still the daemon: the CLI waits up to 5 s for a probe before it goes
    /// to the database instead (no listener answers at once).
    private func probe(_ path: String) async -> HTTPResponseStatus? {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .GET
        return try? await Self.daemonClient.execute(request, timeout: .seconds(5)).status
    }

    /// The state, when no daemon answers: the PostgreSQL database, or the SQLite file, which must
    /// exist (the CLI never creates one).
    func store() async throws -> any RewindStore {
        let configuration = try configuration
        if configuration.stateDatabaseURL != nil { return try await Composition.openStore(configuration) }
        do {
            return try SQLiteStore.openExisting(path: configuration.statePath)
        } catch {
            throw AppError.unavailable(
                "no daemon answers at \(baseURL) and there is no state at \(configuration.statePath) yet; start one with: rewind serve --config \(configuration.sourcePath)"
            )
        }
    }

    // MARK: Reads

    public func status() async throws -> StatusReport {
        if await daemonIsRunning() { return try await get("/api/v1/status") }
        return try await StateQueries.status(
            store: try await store(), policy: try configuration.policy, checks: [], daemon: false, now: systemNow())
    }

    public func history(limit: Int) async throws -> [Incident] {
        if await daemonIsRunning() { return try await get("/api/v1/history?limit=\(limit)") }
        return try await store().incidents(limit: limit)
    }

    public func incident(_ id: Int64) async throws -> IncidentDossier {
        if await daemonIsRunning() { return try await get("/api/v1/incidents/\(id)") }
        guard let detail = try await StateQueries.incident(store: try await store(), id: id) else {
            throw AppError.other("there is no incident #\(id)")
        }
        return detail
    }

    public func tasks(_ id: Int64) async throws -> [IncidentTask] {
        if await daemonIsRunning() { return try await get("/api/v1/incidents/\(id)/tasks") }
        return try await store().tasks(incidentID: id)
    }

    /// Whether deployments are frozen, failing closed: when neither a daemon nor the state
    /// database can say, this throws ``AppError/cannotTell(_:)`` (exit 4) instead of answering
    /// "allowed". Never creates a missing state file.
    public func freezeState() async throws -> FreezeState {
        if await daemonIsRunning() {
            do {
                return try await get("/api/v1/freeze")
            } catch let error as AppError {
                throw AppError.cannotTell("cannot tell whether deployments are frozen: \(error.message)")
            }
        }
        let configuration: RewindConfiguration
        do {
            configuration = try self.configuration
        } catch let error as AppError {
            throw AppError.cannotTell("cannot tell whether deployments are frozen: \(error.message)")
        }
        guard configuration.stateDatabaseURL != nil || FileManager.default.fileExists(atPath: configuration.statePath)
        else {
            throw AppError.cannotTell(
                "cannot tell whether deployments are frozen: no daemon answers at \(baseURL) and there is no state database at \(configuration.statePath); start the daemon (rewind serve --config \(configuration.sourcePath)) or point state: at its database"
            )
        }
        do {
            let now = systemNow()
            let freeze = try await store().currentFreeze().flatMap { $0.isActive(at: now) ? $0 : nil }
            return FreezeState(frozen: freeze != nil, freeze: freeze)
        } catch {
            throw AppError.cannotTell(
                "cannot tell whether deployments are frozen: no daemon answers at \(baseURL) and \(configuration.stateDescription) cannot be read: \(error)"
            )
        }
    }

    // MARK: HTTP

    func get<T: Decodable>(_ path: String) async throws -> T {
        try await send(path, method: .GET, body: nil as [String: String]?)
    }

    /// The token sent for a call that needs `scope`.
    func token(for scope: APIScope) -> String? {
        presentedToken ?? policy?.server.token(for: scope)?.token.value
    }

    func send<T: Decodable, B: Encodable>(
        _ path: String, method: HTTPMethod, body: B?, timeout: TimeAmount = .seconds(30)
    ) async throws -> T {
        let encoded = try body.map { try JSONEncoder().encode($0) }
        var url = baseURL + path
        var followed = 0
        while true {
            var request = HTTPClientRequest(url: url)
            request.method = method
            if let token = token(for: method == .GET ? .read : .operate) {
                request.headers.add(name: "Authorization", value: "Bearer \(token)")
            }
            if let encoded {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(bytes: encoded))
            }
            let answeredBy = followed == 0 ? baseURL : ReplicaRedirect.origin(of: url) ?? url
            let response: HTTPClientResponse
            do {
                response = try await Self.daemonClient.execute(request, timeout: timeout)
            } catch {
                throw AppError.unavailable("the daemon at \(answeredBy) did not answer: \(error)")
            }
            if (300..<400).contains(Int(response.status.code)) {
                switch redirects.decide(
                    status: Int(response.status.code), location: response.headers.first(name: "Location"),
                    answeredBy: answeredBy, path: path, redirectsSoFar: followed)
                {
                case .follow(let leader):
                    url = leader
                    followed += 1
                    continue
                case .refuse(let reason):
                    throw AppError.unavailable(reason)
                }
            }
            return try await decodeAnswer(response)
        }
    }

    private func decodeAnswer<T: Decodable>(_ response: HTTPClientResponse) async throws -> T {
        let bytes = try await response.body.collect(upTo: 16 * 1024 * 1024)
        let data = Data(bytes.readableBytesView)
        guard (200..<300).contains(Int(response.status.code)) else {
            let answered = try? JSONDecoder().decode(DaemonProblem.self, from: data)
            let message = answered?.detail ?? answered?.error ?? "HTTP \(response.status.code)"
            // A standby that knows no leader's address (or a takeover under way) cannot act now.
            if response.status == .serviceUnavailable { throw AppError.unavailable(message) }
            throw AppError.other(message)
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw AppError.other(
                "the daemon answered something this CLI does not understand (\(error)); are both the same version?")
        }
    }
}

/// The wall clock as a `Timestamp`, for commands that act now.
public func systemNow() -> Timestamp {
    Timestamp(millisecondsSinceEpoch: Int64((Date().timeIntervalSince1970 * 1000).rounded()))
}

/// A refusal from the daemon: problem details (RFC 9457) say why in `detail`; a daemon before 0.2 said `error`.
private struct DaemonProblem: Decodable {
    var detail: String?
    var error: String?
}
