import RewindCore
import Yams

/// `early_warning:` — policy-wide under `monitoring:`, and per signal (each key it names overrides the
/// policy-wide value). `true`/`false` turn it on or off; a mapping sets the numbers, every one range-checked.
extension ConfigReader {
    static let earlyWarningKeys = ["enabled", "threshold", "persistence", "weeks", "hours", "min_samples"]

    /// `early_warning:` read over `base` (the policy-wide settings, or the defaults).
    mutating func earlyWarning(_ at: Located, over base: EarlyWarningPolicy) -> EarlyWarningPolicy {
        var policy = base
        if case .scalar = at.node {
            if let enabled = bool(at) { policy.enabled = enabled }
            return policy
        }
        guard let fields = mapping(at, allowed: Self.earlyWarningKeys) else { return policy }
        if let at = fields["enabled"], let value = bool(at) { policy.enabled = value }
        if let at = fields["threshold"],
            let value = number(at, EarlyWarningPolicy.thresholdRange, what: "a robust z", percent: false)
        {
            policy.threshold = value
        }
        if let at = fields["persistence"], let value = count(at, EarlyWarningPolicy.persistenceRange) {
            policy.persistence = value
        }
        if let at = fields["weeks"], let value = count(at, EarlyWarningPolicy.weeksRange) { policy.weeks = value }
        if let at = fields["hours"], let value = count(at, EarlyWarningPolicy.hoursRange) { policy.hours = value }
        if let at = fields["min_samples"], let value = count(at, EarlyWarningPolicy.minSamplesRange) {
            policy.minSamples = value
        }
        return policy
    }
}
