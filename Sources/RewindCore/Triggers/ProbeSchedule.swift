/// When a health check runs next.
///
/// The rule: while a check passes it runs every `interval`, or every `suspectInterval` (default
/// 250 ms) while the service's live deployment is suspect and went live less than `suspectWindow`
/// ago (default 15 minutes): a deployment is most likely to be bad in its first minutes, so Rewind
/// watches hardest then. After a failure it runs again after `confirmInterval` (default 100 ms),
/// until the rule fires (the failure run reaches the threshold and has lasted the rule's minimum
/// duration) or a check passes. Detection then costs about half a cadence (the wait for the first
/// failing check) plus the longer of `(threshold − 1) × confirmInterval` and the rule's
/// `min_duration`, instead of `threshold × interval`.
///
/// Weighed against flapping: confirmation never lowers the threshold. Consecutive still means
/// consecutive, so an endpoint that flaps (any success between failures) never fires, however
/// fast Rewind looks. A blip is what the rule's `min_duration` (2 s by default) is for: the run must
/// last that long before it fires, so detection of a hard down is about `min_duration` after the
/// first failing check, and a shorter outage never fires. Setting `confirm_interval` equal to
/// `interval` turns confirmation off; `suspect_window: 0s` turns the suspect cadence off.
public enum ProbeSchedule {
    /// What the schedule needs to know of the service's live deployment.
    public struct LiveDeployment: Sendable, Equatable {
        public var trust: DeploymentTrust
        /// When it went live.
        public var since: Timestamp

        public init(trust: DeploymentTrust, since: Timestamp) {
            self.trust = trust
            self.since = since
        }
    }

    /// How often a passing check runs now: `suspectInterval` while `live` is suspect and inside
    /// the check's suspect window, `interval` otherwise (and never slower than `interval`).
    public static func cadence(of check: HealthCheckPolicy, live: LiveDeployment?, at now: Timestamp) -> Duration {
        guard let live, live.trust == .suspect, now - live.since < check.suspectWindow else { return check.interval }
        return min(check.suspectInterval, check.interval)
    }

    /// When the check that gave `result` at `at` runs next.
    public static func nextCheck(
        of check: HealthCheckPolicy, after result: CheckResult, at: Timestamp, live: LiveDeployment?, isFiring: Bool
    ) -> Timestamp {
        if isFiring {
            return at + check.interval
        }
        let cadence = cadence(of: check, live: live, at: at)
        if result.isSuccess {
            return at + cadence
        }
        return at + min(check.confirmInterval, cadence)
    }
}
