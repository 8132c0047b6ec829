import RewindCore

/// The `vercel` platform: rolls a Vercel project's production back through the REST API
/// (`type: vercel` in the configuration).
///
/// ```yaml
/// provider:
///   type: vercel
///   token: ${VERCEL_TOKEN}
///   project: shop-web          # id (prj_…) or name
///   team_id: team_x9           # optional: team scope, sent as ?teamId= on every call
/// fallback:
///   type: vercel
///   mode: promote              # the documented alternative when an instant rollback fails
///   token: ${VERCEL_TOKEN}
///   project: shop-web
/// ```
public struct VercelProviderSpec: Sendable, Equatable {
    /// How the provider moves production to the target deployment.
    public enum Mode: String, Sendable, Equatable, CaseIterable {
        /// Instant rollback (`POST /v1/projects/{id}/rollback/{deployment}`): production domains
        /// point at an existing build again, no rebuild.
        case rollback
        /// Promote (`POST /v10/projects/{id}/promote/{deployment}`): the documented alternative when
        /// a rollback fails, and the way to undo one.
        case promote
    }

    public static let defaultAPIURL = "https://api.vercel.com"
    public static let defaultTarget = "production"
    /// The deadline of each request.
    public static let defaultTimeout: Duration = .seconds(10)

    /// The access token, sent as `Authorization: Bearer …`. Always from `${ENV}` or `${file:…}`.
    public var token: ConfigText
    /// Where the token comes from, for messages that say what to fix: the variable name
    /// (`VERCEL_TOKEN`) or `${file:/path}`. Never the value.
    public var tokenSource: String
    /// The project's id (`prj_…`) or name.
    public var project: String
    /// The team (`team_…`) that owns the project; nil for a personal account. Sent as `teamId=`
    /// on every call.
    public var teamID: String?
    /// The API's base URL, without a trailing slash (tests point it at the emulator).
    public var apiURL: String
    /// The environment whose deployments are listed and rolled back.
    public var target: String
    /// The deadline of each request.
    public var timeout: Duration
    public var mode: Mode

    public init(
        token: ConfigText,
        tokenSource: String = "the Vercel token",
        project: String,
        teamID: String? = nil,
        apiURL: String = VercelProviderSpec.defaultAPIURL,
        target: String = VercelProviderSpec.defaultTarget,
        timeout: Duration = VercelProviderSpec.defaultTimeout,
        mode: Mode = .rollback
    ) {
        self.token = token
        self.tokenSource = tokenSource
        self.project = project
        self.teamID = teamID
        self.apiURL = apiURL
        self.target = target
        self.timeout = timeout
        self.mode = mode
    }
}
