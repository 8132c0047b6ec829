import RewindCore

/// The `railway` platform: rolls a Railway service back through Railway's public GraphQL API
/// (`type: railway` in the configuration).
///
/// ```yaml
/// provider:
///   type: railway
///   token: ${RAILWAY_TOKEN}
///   token_type: account          # account (also team/workspace): Authorization: Bearer
///                                # project: Project-Access-Token (one environment of one project)
///   project_id: 1f6c…            # the Railway project
///   environment_id: 9a2e…        # e.g. production
///   service_id: 4b7d…            # or `services: { backend: 4b7d…, worker: 77c1… }`
/// fallback:
///   type: railway
///   mode: redeploy               # a new deployment of the target's code when a rollback is refused
///   token: ${RAILWAY_TOKEN}
///   project_id: 1f6c…
///   environment_id: 9a2e…
///   service_id: 4b7d…
/// ```
///
/// Configuration rollback (the guide's `railway variables set … --key DATABASE_URL --value $STABLE_DB_URL`),
/// typically the `fallback:` of a `type: git` rollback:
///
/// ```yaml
/// fallback:
///   type: railway
///   mode: variables
///   token: ${RAILWAY_TOKEN}
///   project_id: 1f6c…
///   environment_id: 9a2e…
///   service_id: 4b7d…
///   variables:                   # the stable values to set back
///     DATABASE_URL: ${STABLE_DB_URL}
///     FEATURE_CHECKOUT_V2: "false"
/// ```
public struct RailwayProviderSpec: Sendable, Equatable {
    /// Which header carries the token.
    public enum TokenKind: String, Sendable, Equatable, CaseIterable {
        /// An account, workspace (team) or OAuth token: `Authorization: Bearer <token>`.
        case account
        /// A project token, scoped to one environment of one project: `Project-Access-Token: <token>`
        /// and no Bearer header.
        case project

        /// The HTTP header the token is sent in.
        public var header: String {
            switch self {
            case .account: "Authorization"
            case .project: "Project-Access-Token"
            }
        }
    }

    /// How the provider brings the target deployment back.
    public enum Mode: String, Sendable, Equatable, CaseIterable {
        /// `deploymentRollback`: Railway redeploys the target's image with that deployment's variables.
        /// Only possible while the target has `canRollback` (inside the plan's image retention).
        case rollback
        /// `deploymentRedeploy`: a new deployment of the target's code with today's variables. The
        /// fallback when a rollback is refused.
        case redeploy
        /// `variableUpsert` of each variable in `variables` whose value differs; Railway redeploys the
        /// service with them. Configuration rollback.
        case variables
    }

    public static let defaultAPIURL = "https://backboard.railway.com/graphql/v2"
    /// The deadline of each request.
    public static let defaultTimeout: Duration = .seconds(10)

    /// The token. Always from `${ENV}` or `${file:…}`.
    public var token: ConfigText
    /// Where the token comes from, for messages that say what to fix: the variable name
    /// (`RAILWAY_TOKEN`) or `${file:/path}`. Never the value.
    public var tokenSource: String
    public var tokenKind: TokenKind
    public var projectID: String
    public var environmentID: String
    /// The Railway service id used for every Rewind service without an entry in `serviceIDs`.
    public var serviceID: String?
    /// Railway service ids by Rewind service name.
    public var serviceIDs: [ServiceName: String]
    /// The GraphQL endpoint (tests point it at the emulator).
    public var apiURL: String
    /// The deadline of each request.
    public var timeout: Duration
    public var mode: Mode
    /// `mode: variables`: the stable value of each variable, set back on a rollback. Values may be
    /// secrets (`${ENV}`, `${file:…}`): never shown.
    public var variables: [String: ConfigText]

    public init(
        token: ConfigText,
        tokenSource: String = "the Railway token",
        tokenKind: TokenKind = .account,
        projectID: String,
        environmentID: String,
        serviceID: String? = nil,
        serviceIDs: [ServiceName: String] = [:],
        apiURL: String = RailwayProviderSpec.defaultAPIURL,
        timeout: Duration = RailwayProviderSpec.defaultTimeout,
        mode: Mode = .rollback,
        variables: [String: ConfigText] = [:]
    ) {
        self.token = token
        self.tokenSource = tokenSource
        self.tokenKind = tokenKind
        self.projectID = projectID
        self.environmentID = environmentID
        self.serviceID = serviceID
        self.serviceIDs = serviceIDs
        self.apiURL = apiURL
        self.timeout = timeout
        self.mode = mode
        self.variables = variables
    }

    /// The Railway service id of `service`: its entry in `serviceIDs`, else `serviceID`.
    public func railwayServiceID(for service: ServiceName) -> String? {
        serviceIDs[service] ?? serviceID
    }
}
