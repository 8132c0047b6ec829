import AsyncHTTPClient
import RewindCore
import RewindPorts
import RewindSpecs

/// A feature-flag service that turns flags off: the guide's "Feature Flags: disable all features".
///
/// `disable` is idempotent (turning off a flag that is off succeeds). Errors are ``ProviderError``s classified
/// like the platform providers': 429, 5xx, timeouts and connection failures are transient; 401/403 name the
/// token's variable and the permission it needs; an unknown flag is `.notFound`.
public protocol FlagKillSwitch: FeatureSwitch, AccessCheckable {
    /// The flags of `disable:` in the configuration, in order.
    var configuredFlags: [String] { get }
    /// Turns `flag` off. `incidentID`, when given, goes into the vendor's audit trail where it has one
    /// (LaunchDarkly's comment "Rewind incident 7").
    func disable(flag: String, incidentID: Int64?) async throws
    /// Turns every flag off and says how each one went; never throws.
    func disableAll(flags: [String], incidentID: Int64?) async -> [FlagOutcome]
}

extension FlagKillSwitch {
    public func disable(flag: String) async throws {
        try await disable(flag: flag, incidentID: nil)
    }

    /// One request per flag, in order.
    public func disableAll(flags: [String], incidentID: Int64?) async -> [FlagOutcome] {
        await disableOneByOne(flags, incidentID: incidentID)
    }

    /// Turns the flags off one request at a time, each with its own outcome.
    func disableOneByOne(_ flags: [String], incidentID: Int64?) async -> [FlagOutcome] {
        var outcomes: [FlagOutcome] = []
        for flag in flags {
            do {
                try await disable(flag: flag, incidentID: incidentID)
                outcomes.append(FlagOutcome(flag: flag))
            } catch let error as ProviderError {
                outcomes.append(FlagOutcome(flag: flag, error: error))
            } catch {
                outcomes.append(
                    FlagOutcome(flag: flag, error: ProviderError(.timeout, "turning \(flag) off was interrupted")))
            }
        }
        return outcomes
    }

    public func disableAll(flags: [String]) async -> [FlagOutcome] {
        await disableAll(flags: flags, incidentID: nil)
    }

    /// Turns off the configured flags (`disable:`): the kill switch itself.
    public func disableConfigured(incidentID: Int64? = nil) async -> [FlagOutcome] {
        await disableAll(flags: configuredFlags, incidentID: incidentID)
    }
}

/// How turning one flag off went.
public struct FlagOutcome: Sendable, Equatable {
    public var flag: String
    /// Nil when the flag is off now.
    public var error: ProviderError?

    public init(flag: String, error: ProviderError? = nil) {
        self.flag = flag
        self.error = error
    }

    public var succeeded: Bool { error == nil }
}

/// Builds the kill switch a service's `flags:` describes.
public enum FlagSwitchFactory {
    public static func make(
        _ spec: FeatureFlagsSpec, service: ServiceName, client: HTTPClient, redactor: Redactor
    )
        -> any FlagKillSwitch
    {
        switch spec.backend {
        case .unleash(let unleash):
            UnleashSwitch(
                spec: unleash, flags: spec.disable, service: service, client: client, timeout: spec.timeout,
                redactor: redactor
            )
        case .launchDarkly(let launchDarkly):
            LaunchDarklySwitch(
                spec: launchDarkly, flags: spec.disable, service: service, client: client, timeout: spec.timeout,
                redactor: redactor
            )
        case .flagd(let flagd):
            FlagdSwitch(spec: flagd, flags: spec.disable, service: service)
        case .http(let http):
            HTTPFlagSwitch(
                spec: http, flags: spec.disable, service: service, client: client, timeout: spec.timeout,
                redactor: redactor
            )
        }
    }
}

/// Reading a flag's on/off state from a vendor's JSON.
enum FlagValue {
    /// `true`/`false`, a number, or the words `"true"`, `"on"`, `"enabled"` and their opposites.
    static func isOn(_ value: JSONValue?) -> Bool? {
        switch value {
        case .bool(let flag)?: return flag
        case .number(let number)?: return number != 0
        case .string(let text)?:
            switch text.lowercased() {
            case "true", "on", "enabled", "1": return true
            case "false", "off", "disabled", "0": return false
            default: return nil
            }
        default: return nil
        }
    }
}
