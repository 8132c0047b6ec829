/// What the supervisor knows of every service's deployments: each deployment with its trust, the
/// live one, and the completion times of recent automatic rollbacks (for cooldown and the storm cap).
///
/// The book is the supervisor's memory; the store is its record. The engine loads the book from the
/// store at start and the supervisor changes it only when a change it asked for was stored
/// (``SupervisorEvent/recorded(_:)``), or when a runner reports a rollback it stored itself
/// (``SupervisorEvent/rolledBack(service:from:to:automatic:at:)``). So the book never holds what the
/// store does not.
public struct DeploymentBook: Sendable, Equatable {
    /// One service's page of the book.
    public struct Page: Sendable, Equatable {
        public var deployments: [String: Deployment] = [:]
        public var liveID: String?
        /// When the live deployment went live (its bake counts from there).
        public var liveSince: Timestamp?
        /// Completion times of automatic rollbacks, oldest first, pruned to what cooldown and the
        /// storm cap still look at.
        public var automaticRollbacks: [Timestamp] = []

        public init(
            deployments: [Deployment] = [], liveID: String? = nil, liveSince: Timestamp? = nil,
            automaticRollbacks: [Timestamp] = []
        ) {
            self.deployments = Dictionary(deployments.map { ($0.id, $0) }, uniquingKeysWith: { _, latest in latest })
            self.liveID = liveID
            self.liveSince = liveSince ?? liveID.flatMap { id in deployments.first { $0.id == id }?.deployedAt }
            self.automaticRollbacks = automaticRollbacks.sorted()
        }

        public var live: Deployment? { liveID.flatMap { deployments[$0] } }
    }

    public private(set) var pages: [ServiceName: Page]

    public init(pages: [ServiceName: Page] = [:]) {
        self.pages = pages
    }

    public func live(_ service: ServiceName) -> Deployment? { pages[service]?.live }

    /// A page for a service the book did not hold yet (a service added by a reloaded policy).
    public mutating func add(_ service: ServiceName, _ page: Page) {
        if pages[service] == nil { pages[service] = page }
    }

    /// When the service's live deployment went live.
    public func liveSince(_ service: ServiceName) -> Timestamp? { pages[service]?.liveSince }

    public func deployments(of service: ServiceName) -> [Deployment] {
        pages[service].map { Array($0.deployments.values) } ?? []
    }

    public func deployment(_ service: ServiceName, id: String) -> Deployment? { pages[service]?.deployments[id] }

    /// How many deployments of the service the book holds.
    public func deploymentCount(of service: ServiceName) -> Int { pages[service]?.deployments.count ?? 0 }

    public func automaticRollbacks(of service: ServiceName) -> [Timestamp] { pages[service]?.automaticRollbacks ?? [] }

    /// Applies one change stored at `now` (a deployment made live goes live then). Re-recording a
    /// deployment never lowers its trust (a known-good mark survives a re-listing), the same merge
    /// the store applies.
    public mutating func apply(_ change: LedgerChange, at now: Timestamp) {
        switch change {
        case .deployment(let deployment, let makeLive):
            var page = pages[deployment.service] ?? Page()
            page.deployments[deployment.id] =
                page.deployments[deployment.id].map {
                    DeploymentRecordMerge.merge(stored: $0, incoming: deployment)
                } ?? deployment
            if makeLive {
                page.liveID = deployment.id
                page.liveSince = now
            }
            pages[deployment.service] = page
        case .trust(let service, let id, let trust, let at):
            guard let deployment = pages[service]?.deployments[id] else { return }
            pages[service]?.deployments[id] = deployment.settingTrust(trust, at: at)
        case .freeze, .automation:
            break
        }
    }

    /// A runner rolled `service` back from `from` to `to` (and stored it): `to` is live, `from` is bad.
    public mutating func rolledBack(_ service: ServiceName, from: String, to: String, automatic: Bool, at: Timestamp) {
        var page = pages[service] ?? Page()
        page.liveID = to
        page.liveSince = at
        if let left = page.deployments[from] { page.deployments[from] = left.settingTrust(.bad, at: at) }
        if automatic { page.automaticRollbacks.append(at) }
        pages[service] = page
    }

    /// Forgets what ``DeploymentRetention`` drops from the service's page: the book stays as small
    /// as what the store keeps after pruning (and what the engine loads at start).
    public mutating func retain(_ service: ServiceName, newest: Int) {
        guard let page = pages[service], page.deployments.count > newest else { return }
        let kept = DeploymentRetention.kept(Array(page.deployments.values), liveID: page.liveID, newest: newest)
        pages[service]?.deployments = page.deployments.filter { kept.contains($0.key) }
    }

    /// With `newest` or more deployments on the service's page, the time of the oldest of the
    /// `newest` most recent: a listed deployment older than that is history retention drops, so it
    /// is not learnt (else every listing would record it again). Nil while the page has fewer.
    public func retentionFloor(_ service: ServiceName, newest: Int) -> Timestamp? {
        guard let page = pages[service], newest > 0, page.deployments.count >= newest else { return nil }
        return page.deployments.values.map(\.deployedAt).sorted(by: >)[newest - 1]
    }

    /// Forgets automatic rollbacks older than `keep` before `now`.
    public mutating func prune(now: Timestamp, keep: Duration) {
        for service in pages.keys {
            pages[service]?.automaticRollbacks.removeAll { now - $0 > keep }
        }
    }
}

/// A change of the deployment ledger (or the freeze) the supervisor asks the engine to store.
public enum LedgerChange: Sendable, Equatable {
    /// Inserts or updates a deployment and, when `makeLive`, makes it the service's live deployment.
    case deployment(Deployment, makeLive: Bool)
    case trust(service: ServiceName, deploymentID: String, DeploymentTrust, at: Timestamp)
    /// Sets (or with nil, lifts) the deployment freeze.
    case freeze(Freeze?)
    /// Pauses or resumes automation.
    case automation(AutomationChange)
}

/// How recording a deployment again (a platform listing seen after a restart, a deploy webhook
/// repeated) combines with what is already known. The store and the supervisor's book apply the
/// same rule, so the two never disagree.
///
/// Re-recording must never make Rewind forget what it learnt by watching:
/// - trust: a new `bad` always wins (a trigger fired); a known `bad` stays `bad` (a re-listed
///   rolled-back deployment must not become a rollback target again); otherwise the stronger of
///   the two, `knownGood` over `suspect`. Only an explicit trust change can lower trust.
/// - `knownGoodAt`: the known one if there is one, else the incoming one; cleared only if the
///   merged trust is `suspect`.
/// - `deployedAt`: the earlier of the two (the earliest time Rewind knows for it).
/// - `version`: the incoming one — except that a report never renames a deployment the platform
///   listed (its version is the platform's, e.g. the image a Kubernetes fallback may deploy);
///   `commit` and `author`: the incoming ones, unless missing.
/// - `wasLive` and `listed`: once set, never cleared.
public enum DeploymentRecordMerge {
    public static func merge(stored: Deployment, incoming: Deployment) -> Deployment {
        var merged = incoming
        merged.trust = mergedTrust(stored: stored.trust, incoming: incoming.trust)
        merged.knownGoodAt = merged.trust == .suspect ? nil : (stored.knownGoodAt ?? incoming.knownGoodAt)
        merged.deployedAt = min(stored.deployedAt, incoming.deployedAt)
        if stored.listed && !incoming.listed { merged.version = stored.version }
        merged.commit = incoming.commit ?? stored.commit
        merged.author = incoming.author ?? stored.author
        merged.wasLive = stored.wasLive || incoming.wasLive
        merged.listed = stored.listed || incoming.listed
        return merged
    }

    public static func mergedTrust(stored: DeploymentTrust, incoming: DeploymentTrust) -> DeploymentTrust {
        switch (stored, incoming) {
        case (_, .bad), (.bad, _): .bad
        case (.knownGood, _), (_, .knownGood): .knownGood
        case (.suspect, .suspect): .suspect
        }
    }
}

extension Deployment {
    /// An explicit trust change (any transition): `knownGood` stamps `knownGoodAt` with `at`,
    /// `suspect` clears it, `bad` keeps it as history.
    public func settingTrust(_ trust: DeploymentTrust, at: Timestamp) -> Deployment {
        var changed = self
        changed.trust = trust
        switch trust {
        case .knownGood: changed.knownGoodAt = at
        case .suspect: changed.knownGoodAt = nil
        case .bad: break
        }
        return changed
    }
}
