/// When a health check runs next.
///
/// The rule: while a check passes it runs every `interval`. After a failure it runs again after
/// `confirmInterval` (default 100 ms), until the failure run reaches the threshold or a check
/// passes. Detection then costs about half an interval (the wait for the first failing check) plus
/// `(threshold − 1) × confirmInterval`, instead of `threshold × interval`.
///
/// Weighed against flapping: confirmation never lowers the threshold. Consecutive still means
/// consecutive, so an endpoint that flaps (any success between failures) never fires, however
/// fast Rewind looks. What confirmation does change is that a blip must last at least
/// `(threshold − 1) × confirmInterval` (200 ms with the defaults) to fire a critical rule; a
/// policy that wants blips of a few seconds ignored raises `confirm_interval`, and setting it
/// equal to `interval` turns confirmation off.
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
