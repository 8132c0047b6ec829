/// What Rewind does when a deployment goes live while deployments are frozen (`freeze.enforce`).
/// Either way the incident records it as "deployed during the freeze" and people are told.
public enum FreezeEnforcement: String, Sendable, Equatable, CaseIterable {
    /// Tell people; the deployment stays (the default: a freeze is a request to people first).
    case notify
    /// Roll it back to the newest known-good deployment, as a fast rollback (cooldown and the
    /// storm cap apply).
    case rollback
}
