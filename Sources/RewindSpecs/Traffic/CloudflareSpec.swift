import RewindCore

/// Cloudflare Load Balancing as the guide's "Load Balancer (Cloudflare)": weighted routing with
/// `stable_version_weight: 1.0`, `new_version_weight: 0.0`, healthy instances only, and a cache purge.
///
/// ```yaml
/// traffic:
///   type: cloudflare
///   token: ${CLOUDFLARE_API_TOKEN}
///   account_id: 0123abcd
///   pool: 9f8e7d                 # one pool with both versions as origins …
///   stable_origin: stable
///   new_origin: canary
///   # … or two pools: stable_pool: 1a2b, new_pool: 3c4d
///   zone_id: 77aa                # needed by purge
///   purge: everything            # or a list of URLs
/// ```
public struct CloudflareTrafficSpec: Sendable, Equatable {
    public static let defaultAPIURL = "https://api.cloudflare.com/client/v4"
    public static let defaultTimeout: Duration = .seconds(10)

    /// Where the two versions live.
    public enum Routing: Sendable, Equatable {
        /// Both versions are origins of one pool; the new version's share is its weight.
        case origins(pool: String, stable: String, new: String)
        /// Each version has its own pool; the new version gets all traffic while its pool is enabled and
        /// none once it is disabled (the load balancer fails over to the stable pool). No partial shares.
        case pools(stable: String, new: String)
    }

    /// What `purgeCache()` purges.
    public enum Purge: Sendable, Equatable {
        case everything
        /// Full URLs, e.g. `https://www.example.com/app.js`.
        case urls([String])
    }

    /// An API token (from `${…}`), sent as `Authorization: Bearer`.
    public var token: ConfigText
    /// What to call the token in messages: its environment variable (`CLOUDFLARE_API_TOKEN`) or its file.
    public var tokenSource: String
    public var accountID: String
    /// The zone whose cache `purge` clears; required when `purge` is set.
    public var zoneID: String?
    public var routing: Routing
    public var purge: Purge?
    /// The API's base URL, `https://api.cloudflare.com/client/v4` unless a test points it at the emulator.
    public var apiURL: String
    /// The deadline of every request.
    public var timeout: Duration

    public init(
        token: ConfigText, tokenSource: String, accountID: String, zoneID: String? = nil, routing: Routing,
        purge: Purge? = nil, apiURL: String = CloudflareTrafficSpec.defaultAPIURL,
        timeout: Duration = CloudflareTrafficSpec.defaultTimeout
    ) {
        self.token = token
        self.tokenSource = tokenSource
        self.accountID = accountID
        self.zoneID = zoneID
        self.routing = routing
        self.purge = purge
        self.apiURL = apiURL
        self.timeout = timeout
    }
}
