/// When a health check runs next.
///
/// The rule: while a check passes it runs every `interval`. After a failure it runs again after
/// `confirmInterval` (default 100 ms), until the rule fires (the failure run reaches the threshold
/// and has lasted the rule's minimum duration) or a check passes. Detection then costs about half an interval (the wait for the first failing check) plus
/// `(threshold − 1) × confirmInterval`, instead of `threshold × interval`.
///
/// Weighed against flapping: confirmation never lowers the threshold. Consecutive still means
/// consecutive, so an endpoint that flaps (any success between failures) never fires, however
/// fast Rewind looks. A blip is what the rule's `min_duration` (2 s by default) is for: the run must
/// last that long before it fires, so detection of a hard down is about `min_duration` after the
/// first failing check, and a shorter outage never fires. Setting `confirm_interval` equal to
/// `interval` turns confirmation off.
public enum ProbeSchedule {
    public static func nextCheck(
        after result: CheckResult, at: Timestamp, interval: Duration, confirmInterval: Duration,
        isFiring: Bool
    ) -> Timestamp {
        if result.isSuccess || isFiring {
            return at + interval
        }
        return at + min(confirmInterval, interval)
    }
}
