import Foundation
import Synchronization

/// One origin of an emulated pool (platform-apis.md 3.2).
public struct CloudflareEmulatedOrigin: Sendable, Equatable {
    public var name: String
    public var address: String
    public var enabled: Bool
    /// 0…1 in steps of 0.01.
    public var weight: Double
    public var port: Int?
    /// `{"Host": ["app.example.com"]}`.
    public var header: [String: [String]]?
    /// Read-only: set when the origin is disabled.
    public var disabledAt: String?

    public init(
        name: String, address: String, enabled: Bool = true, weight: Double = 1, port: Int? = nil,
        header: [String: [String]]? = nil, disabledAt: String? = nil
    ) {
        self.name = name
        self.address = address
        self.enabled = enabled
        self.weight = weight
        self.port = port
        self.header = header
        self.disabledAt = disabledAt
    }
}

/// An emulated load-balancing pool.
public struct CloudflareEmulatedPool: Sendable, Equatable {
    public var id: String
    public var name: String
    public var enabled: Bool
    public var minimumOrigins: Int
    /// Read-only health as the monitors see it; nil = no monitor.
    public var healthy: Bool?
    public var origins: [CloudflareEmulatedOrigin]
    public var description: String?
    public var createdOn: String
    public var modifiedOn: String

    public init(
        id: String, name: String, enabled: Bool = true, minimumOrigins: Int = 1, healthy: Bool? = true,
        origins: [CloudflareEmulatedOrigin], description: String? = nil
    ) {
        self.id = id
        self.name = name
        self.enabled = enabled
        self.minimumOrigins = minimumOrigins
        self.healthy = healthy
        self.origins = origins
        self.description = description
        createdOn = "2025-11-02T08:00:00Z"
        modifiedOn = "2025-11-02T08:00:00Z"
    }

    public func origin(named name: String) -> CloudflareEmulatedOrigin? {
        origins.first { $0.name == name }
    }
}

/// What an API token may do in the emulator.
public struct CloudflareTokenGrant: Sendable, Equatable {
    public enum PoolAccess: Sendable, Equatable { case none, read, write }

    public var pools: PoolAccess
    public var purge: Bool
    /// `active`, `disabled` or `expired`, as token verification reports it.
    public var status: String
    /// An account-owned token verifies at `/accounts/{id}/tokens/verify` only; a user token at `/user/tokens/verify`.
    public var ownerAccount: String?

    public init(pools: PoolAccess = .write, purge: Bool = true, status: String = "active", ownerAccount: String? = nil)
    {
        self.pools = pools
        self.purge = purge
        self.status = status
        self.ownerAccount = ownerAccount
    }
}

/// A PUT or PATCH of a pool the emulator accepted, with the body as sent.
public struct CloudflarePoolMutation: Sendable, Equatable {
    public var method: String
    public var account: String
    public var poolID: String
    public var body: String
    /// The top-level keys of the body.
    public var keys: [String]
}

/// A purge the emulator accepted.
public struct CloudflarePurgeRecord: Sendable, Equatable {
    public var zoneID: String
    public var everything: Bool
    public var files: [String]

    public init(zoneID: String, everything: Bool, files: [String]) {
        self.zoneID = zoneID
        self.everything = everything
        self.files = files
    }
}

/// A request the emulator received (no header values: they may hold the token).
public struct CloudflareReceivedRequest: Sendable, Equatable {
    public var method: String
    public var path: String
    public var contentType: String?
    public var hadBearerToken: Bool
}

/// The Cloudflare API's load-balancing pools, token verification and cache purge (platform-apis.md 3), for
/// tests and the demo. Serve it with ``CloudflareEmulatorServer``; the API base is `<endpoint>/client/v4`.
///
/// - Envelope `{"success", "errors": [{"code", "message"}], "messages", "result"}` on every answer.
/// - `Authorization: Bearer <token>`: an unknown token is 401 (code 10000), a token without the permission 403.
/// - Pools: GET (one, list with `result_info`), PUT (`name` and `origins` required), PATCH (overwrites the
///   supplied top-level properties; `origins` replaces the whole list). Weights must be 0…1 in 0.01 steps;
///   every origin needs `name` and `address`. Disabling an origin sets `disabled_at`.
/// - `POST /zones/{zone}/purge_cache` with exactly one of `purge_everything`, `files`, `tags`, `hosts`,
///   `prefixes`.
/// - Faults: ``failNext(_:status:retryAfter:)`` (429 carries `Ratelimit`, `Ratelimit-Policy` and, when
///   `retryAfter` is given, `retry-after`), ``malformedNext(_:)``, ``delayNext(_:by:)``.
public final class CloudflareEmulator: Sendable, LoopbackEmulator {
    public static let apiPrefix = "/client/v4"

    struct State {
        var pools: [String: [String: CloudflareEmulatedPool]] = [:]
        var tokens: [String: CloudflareTokenGrant] = [:]
        var zones: Set<String> = []
        var mutations: [CloudflarePoolMutation] = []
        var purges: [CloudflarePurgeRecord] = []
        var requests: [CloudflareReceivedRequest] = []
        var faults = LoopbackFaults()
    }

    let state = Mutex(State())

    public init() {}

    // MARK: - Seeding

    public func addToken(_ token: String, _ grant: CloudflareTokenGrant = CloudflareTokenGrant()) {
        state.withLock { $0.tokens[token] = grant }
    }

    public func addPool(account: String, _ pool: CloudflareEmulatedPool) {
        state.withLock { $0.pools[account, default: [:]][pool.id] = pool }
    }

    public func addZone(_ id: String) {
        _ = state.withLock { $0.zones.insert(id) }
    }

    /// Changes what the monitors report for a pool.
    public func setHealth(account: String, pool: String, healthy: Bool?) {
        state.withLock { $0.pools[account]?[pool]?.healthy = healthy }
    }

    /// Sets the weights of a pool's origins by name (others unchanged), as a deploy pipeline shifting
    /// traffic would. Unknown pools and origins are ignored.
    public func setOriginWeights(account: String, pool: String, _ weights: [String: Double]) {
        state.withLock { state in
            guard var current = state.pools[account]?[pool] else { return }
            for index in current.origins.indices {
                if let weight = weights[current.origins[index].name] { current.origins[index].weight = weight }
            }
            state.pools[account]?[pool] = current
        }
    }

    // MARK: - Faults

    /// The next `count` requests answer `status` with an error envelope (429s with rate-limit headers).
    public func failNext(_ count: Int, status: Int, retryAfter: Int? = nil) {
        state.withLock { $0.faults.failNext(count, status: status, retryAfter: retryAfter) }
    }

    /// The next `count` requests answer 200 with a body cut off halfway, without acting.
    public func malformedNext(_ count: Int) {
        state.withLock { $0.faults.malformedNext(count) }
    }

    /// The next `count` requests are answered after `delay` (or when the client gives up).
    public func delayNext(_ count: Int, by delay: Duration) {
        state.withLock { $0.faults.delayNext(count, by: delay) }
    }

    // MARK: - Inspection

    public func pool(account: String, id: String) -> CloudflareEmulatedPool? {
        state.withLock { $0.pools[account]?[id] }
    }

    public var mutations: [CloudflarePoolMutation] { state.withLock { $0.mutations } }
    public var purges: [CloudflarePurgeRecord] { state.withLock { $0.purges } }
    public var requests: [CloudflareReceivedRequest] { state.withLock { $0.requests } }

    // MARK: - Serving

    package func answer(_ request: LoopbackRequest) -> LoopbackAnswer {
        state.withLock { state in
            let bearer = Self.bearer(request)
            state.requests.append(
                CloudflareReceivedRequest(
                    method: request.method, path: request.path, contentType: request.header("content-type"),
                    hadBearerToken: bearer != nil
                )
            )
            if let fault = state.faults.take() {
                switch fault {
                case .fail(let status, let retryAfter): return Self.failure(status: status, retryAfter: retryAfter)
                case .malformed: return .malformed()
                case .delay(let delay):
                    var answer = CloudflareRoutes(request: request, bearer: bearer).answer(&state)
                    answer.delay = delay
                    return answer
                }
            }
            return CloudflareRoutes(request: request, bearer: bearer).answer(&state)
        }
    }

    private static func bearer(_ request: LoopbackRequest) -> String? {
        guard let authorization = request.header("authorization"), authorization.hasPrefix("Bearer ") else {
            return nil
        }
        return String(authorization.dropFirst("Bearer ".count))
    }

    static func failure(status: Int, retryAfter: Int?) -> LoopbackAnswer {
        switch status {
        case 429:
            var headers = [
                (name: "Ratelimit", value: "\"default\";r=0;t=\(retryAfter ?? 60)"),
                (name: "Ratelimit-Policy", value: "\"burst\";q=1200;w=300"),
            ]
            if let retryAfter { headers.append(("retry-after", String(retryAfter))) }
            return envelopeError(
                429, code: 971, "Please wait and consider throttling your request speed", headers: headers)
        case 500...599:
            return envelopeError(status, code: 10002, "An internal error occurred")
        default:
            return envelopeError(status, code: 10000, "Injected failure")
        }
    }

    static func envelope(_ result: Any, extra: [String: Any] = [:], status: Int = 200) -> LoopbackAnswer {
        var body: [String: Any] = ["success": true, "errors": [Any](), "messages": [Any](), "result": result]
        body.merge(extra) { $1 }
        return .json(body, status: status)
    }

    static func envelopeError(
        _ status: Int, code: Int, _ message: String, headers: [(name: String, value: String)] = []
    ) -> LoopbackAnswer {
        .json(
            [
                "success": false, "errors": [["code": code, "message": message]], "messages": [Any](),
                "result": NSNull(),
            ],
            status: status,
            headers: headers
        )
    }
}
