/// The known-good rule: a suspect deployment that has been live for the bake period with no
/// trigger firing since it went live becomes known good.
///
/// The bake counts from when it went live (`liveSince`), never from when the platform built it: a
/// deployment created long ago and made live by a rollback or a redeploy bakes like a new one.
/// A deployment replaced before the next look is judged on the interval it was live
/// (`now` = when it was replaced).
public enum BakeRule {
    public static func becomesKnownGood(
        _ deployment: Deployment, liveSince: Timestamp, lastViolation: Timestamp?, bake: Duration, now: Timestamp
    ) -> Bool {
        guard deployment.trust == .suspect, now - liveSince >= bake else { return false }
        if let lastViolation, lastViolation >= liveSince { return false }
        return true
    }
}
