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
        /// Where its age counts from: when it went live, or when the platform created it if that was
        /// earlier (a deployment Rewind first sees when it starts, created long before, is not young).
        public var since: Timestamp
        /// It replaced another deployment Rewind knew of. The first deployment Rewind learns of a
        /// service (the one live when Rewind starts watching it) is not a new deployment, whatever
        /// its age.
        public var replacedAnother: Bool

        public init(trust: DeploymentTrust, since: Timestamp, replacedAnother: Bool = true) {
            self.trust = trust
            self.since = since
            self.replacedAnother = replacedAnother
        }

        public init(_ deployment: Deployment, liveSince: Timestamp?, replacedAnother: Bool) {
            self.init(
                trust: deployment.trust, since: min(liveSince ?? deployment.deployedAt, deployment.deployedAt),
                replacedAnother: replacedAnother)
        }

        /// Suspect, new, and younger than `window` at `now`.
        public func isYoung(at now: Timestamp, window: Duration) -> Bool {
            trust == .suspect && replacedAnother && now - since < window
        }
    }

    /// How often a passing check runs now: `suspectInterval` while `live` is suspect and inside
    /// the check's suspect window, `interval` otherwise (and never slower than `interval`).
    public static func cadence(of check: HealthCheckPolicy, live: LiveDeployment?, at now: Timestamp) -> Duration {
        guard let live, live.isYoung(at: now, window: check.suspectWindow) else { return check.interval }
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
