/// The rollback target rule: the newest known-good deployment that went live before the current
/// one — never blindly "the previous one".
public enum RollbackTarget {
    public static func select(current: Deployment, from deployments: [Deployment]) -> Deployment? {
        deployments
            .filter { $0.id != current.id && $0.trust == .knownGood && $0.deployedAt <= current.deployedAt }
            .max { ($0.deployedAt, $0.knownGoodAt ?? $0.deployedAt) < ($1.deployedAt, $1.knownGoodAt ?? $1.deployedAt) }
    }

    /// What a forced rollback falls back to when nothing is known good: the newest deployment
    /// before the current one that is not marked bad.
    public static func previous(current: Deployment, from deployments: [Deployment]) -> Deployment? {
        deployments
            .filter { $0.id != current.id && $0.trust != .bad && $0.deployedAt <= current.deployedAt }
            .max { $0.deployedAt < $1.deployedAt }
    }
}
