/// A feature flag's percentage rollout as the new version's share of traffic (`traffic: {type: flagd, …}`):
/// the share of evaluations that answer `newVariant` rather than `stableVariant`.
///
/// ```yaml
/// traffic:
///   type: flagd
///   file: /etc/flagd/flags.json    # the flag file flagd reads
///   flag: checkout-v2
///   new_variant: "on"              # optional, default "on"
///   stable_variant: "off"          # optional, default "off"
/// ```
///
/// Only flagd's `fractional` targeting is built: platform-apis.md documents no percentage-rollout calls for
/// Unleash (only on/off) or LaunchDarkly (only `turnFlagOff`). A later backend adds a case to ``Backend``.
public struct FlagRolloutSpec: Sendable, Equatable {
    public static let defaultNewVariant = "on"
    public static let defaultStableVariant = "off"

    /// Where the flag lives.
    public enum Backend: Sendable, Equatable {
        /// A flagd JSON flag file, rewritten atomically (absolute path).
        case flagd(path: String)

        /// The `type:` word of the configuration.
        public var kind: String {
            switch self {
            case .flagd: "flagd"
            }
        }
    }

    public var backend: Backend
    /// The flag key whose rollout splits the traffic.
    public var flag: String
    /// The variant that serves the new version.
    public var newVariant: String
    /// The variant that serves the stable version; gets what the new variant does not.
    public var stableVariant: String

    public init(
        backend: Backend,
        flag: String,
        newVariant: String = FlagRolloutSpec.defaultNewVariant,
        stableVariant: String = FlagRolloutSpec.defaultStableVariant
    ) {
        self.backend = backend
        self.flag = flag
        self.newVariant = newVariant
        self.stableVariant = stableVariant
    }
}
