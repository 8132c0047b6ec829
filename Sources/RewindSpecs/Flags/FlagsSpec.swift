import RewindCore

/// The guide's feature-flag kill switch (`flags:` in a service): "disable all features" turns off the
/// configured set of flags, e.g. `all_features`, `gradual_rollout`, `a_b_testing`.
///
/// ```yaml
/// flags:
///   type: unleash                # unleash | launchdarkly | flagd | http
///   url: https://unleash.example.com
///   token: ${UNLEASH_TOKEN}
///   environment: production
///   disable: [all_features, gradual_rollout, a_b_testing]
/// ```
public struct FeatureFlagsSpec: Sendable, Equatable {
    public static let defaultTimeout: Duration = Defaults.flagsTimeout

    public var backend: FlagBackendSpec
    /// The flags the kill switch turns off, in order. Never empty.
    public var disable: [String]
    /// The deadline of every request (unused by flagd, which writes a local file).
    public var timeout: Duration

    public init(backend: FlagBackendSpec, disable: [String], timeout: Duration = FeatureFlagsSpec.defaultTimeout) {
        self.backend = backend
        self.disable = disable
        self.timeout = timeout
    }

    /// What a plan needs of the kill switch: the flags to turn off and the step's timeout.
    public var step: FlagsStep { FlagsStep(names: disable, timeout: timeout) }
}

/// The flag service that holds the flags.
public enum FlagBackendSpec: Sendable, Equatable {
    case unleash(UnleashFlagsSpec)
    case launchDarkly(LaunchDarklyFlagsSpec)
    case flagd(FlagdFlagsSpec)
    case http(HTTPFlagsSpec)

    /// The `type:` word of the configuration.
    public var kind: String {
        switch self {
        case .unleash: "unleash"
        case .launchDarkly: "launchdarkly"
        case .flagd: "flagd"
        case .http: "http"
        }
    }
}

/// Unleash's Admin API: `POST {url}/api/admin/projects/{project}/features/{flag}/environments/{environment}/off`,
/// the raw token in `Authorization` (no `Bearer`).
public struct UnleashFlagsSpec: Sendable, Equatable {
    /// The Unleash server, e.g. `https://unleash.example.com` (the `/api/admin` paths are appended).
    public var url: String
    /// An admin token or personal access token with `UPDATE_FEATURE_ENVIRONMENT`.
    public var token: ConfigText
    /// What to call the token in messages: its environment variable or its file.
    public var tokenSource: String
    public var project: String
    public var environment: String
    /// Turn several flags off with one bulk request (falls back to one request per flag when the instance
    /// has bulk toggling disabled).
    public var bulk: Bool

    public init(
        url: String, token: ConfigText, tokenSource: String, project: String = "default", environment: String,
        bulk: Bool = true
    ) {
        self.url = url
        self.token = token
        self.tokenSource = tokenSource
        self.project = project
        self.environment = environment
        self.bulk = bulk
    }
}

/// LaunchDarkly's semantic patch `turnFlagOff` on `PATCH {apiURL}/flags/{project}/{flag}`.
public struct LaunchDarklyFlagsSpec: Sendable, Equatable {
    public static let defaultAPIURL = "https://app.launchdarkly.com/api/v2"

    public var apiURL: String
    /// An API access token with a writer role, sent raw in `Authorization`.
    public var token: ConfigText
    /// What to call the token in messages: its environment variable or its file.
    public var tokenSource: String
    public var project: String
    public var environment: String
    /// Adds `ignoreConflicts=true`, so that a pending scheduled change or approval request does not block the
    /// kill switch.
    public var ignoreConflicts: Bool
    /// Sent as `LD-API-Version` when set (e.g. `20240415`); otherwise the token's pinned version applies.
    public var apiVersion: String?

    public init(
        apiURL: String = LaunchDarklyFlagsSpec.defaultAPIURL, token: ConfigText, tokenSource: String,
        project: String = "default", environment: String, ignoreConflicts: Bool = false, apiVersion: String? = nil
    ) {
        self.apiURL = apiURL
        self.token = token
        self.tokenSource = tokenSource
        self.project = project
        self.environment = environment
        self.ignoreConflicts = ignoreConflicts
        self.apiVersion = apiVersion
    }
}

/// OpenFeature flagd reading a JSON flag file. flagd has no write API: Rewind rewrites the file atomically
/// (a temporary file in the same folder, then a rename) and flagd re-reads it.
public struct FlagdFlagsSpec: Sendable, Equatable {
    /// How a flag is killed.
    public enum Kill: Sendable, Equatable {
        /// `defaultVariant` becomes the named safe variant and `targeting` becomes `{}`: every evaluation
        /// answers that variant (reason `STATIC`). The default, since it never depends on callers' defaults.
        case defaultVariant(String)
        /// `"state": "DISABLED"`: evaluations fail with `FLAG_DISABLED` and callers fall back to their own
        /// default value.
        case disabledState
    }

    /// Absolute path of the flag file.
    public var path: String
    public var kill: Kill

    public init(path: String, kill: Kill = .defaultVariant("off")) {
        self.path = path
        self.kill = kill
    }
}

/// A flag service described in the configuration. `{{flag}}`, `{{service}}` and `{{incident.id}}` are
/// replaced in the URL and the body.
public struct HTTPFlagsSpec: Sendable, Equatable {
    /// The placeholders a flag request may use.
    public static let placeholders: Set<String> = ["flag", "service", "incident.id"]

    /// Turns one flag off.
    public var disable: HTTPRequestSpec
    /// Reads one flag; `stateField` (a dotted path) of its JSON answer is true while the flag is on.
    public var state: HTTPRequestSpec?
    public var stateField: String

    public init(disable: HTTPRequestSpec, state: HTTPRequestSpec? = nil, stateField: String = "enabled") {
        self.disable = disable
        self.state = state
        self.stateField = stateField
    }
}
