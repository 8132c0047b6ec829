/// Which of a service's deployments Rewind keeps: in the store after pruning, in what the engine
/// loads at start, and in the supervisor's ``DeploymentBook``. One rule for all three, so that the
/// book never needs what the store dropped.
///
/// Kept: the `newest` most recent deployments (by `deployedAt`), the live one, and the deployments
/// a rollback of the live one would go to (``RollbackTarget/select(current:from:)`` and
/// ``RollbackTarget/previous(current:from:)``), and the newest known-good one. Everything else is
/// history that no decision reads.
public enum DeploymentRetention {
    /// The ids to keep among `deployments` (one service's, any order).
    public static func kept(_ deployments: [Deployment], liveID: String?, newest: Int) -> Set<String> {
        let ordered = deployments.enumerated()
            .sorted { ($0.element.deployedAt, $0.offset) < ($1.element.deployedAt, $1.offset) }
            .map(\.element)
        var kept = Set(ordered.suffix(max(newest, 0)).map(\.id))
        if let newestKnownGood = ordered.last(where: { $0.trust == .knownGood }) { kept.insert(newestKnownGood.id) }
        if let liveID, let live = ordered.first(where: { $0.id == liveID }) {
            kept.insert(liveID)
            if let target = RollbackTarget.select(current: live, from: ordered) { kept.insert(target.id) }
            if let previous = RollbackTarget.previous(current: live, from: ordered) { kept.insert(previous.id) }
        }
        return kept
    }

    /// `deployments` without those the rule drops, in their order.
    public static func retained(_ deployments: [Deployment], liveID: String?, newest: Int) -> [Deployment] {
        let kept = kept(deployments, liveID: liveID, newest: newest)
        return deployments.filter { kept.contains($0.id) }
    }
}
