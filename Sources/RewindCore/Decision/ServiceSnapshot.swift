/// What Rewind knows about one service when it decides.
public struct ServiceSnapshot: Sendable, Equatable {
    public var name: ServiceName
    /// The live deployment, if any is known.
    public var current: Deployment?
    /// Every known deployment of the service, any order.
    public var deployments: [Deployment]
    /// Completion times of automatic rollbacks, newest last.
    public var automaticRollbacks: [Timestamp]
    /// True while an incident is rolling this service back or verifying it.
    public var inIncident: Bool
    /// True when Rewind can move this service's traffic (Cloudflare weights, a flag rollout,
    /// a replica ratio): the gradual and canary strategies need it.
    public var hasTrafficControl: Bool
    /// True when new deployments of this service run as canaries beside stable (`rollout: canary`).
    public var runsCanaries: Bool

    public init(
        name: ServiceName, current: Deployment?, deployments: [Deployment] = [], automaticRollbacks: [Timestamp] = [],
        inIncident: Bool = false, hasTrafficControl: Bool = false, runsCanaries: Bool = false
    ) {
        self.hasTrafficControl = hasTrafficControl
        self.runsCanaries = runsCanaries
        self.name = name
        self.current = current
        self.deployments = deployments
        self.automaticRollbacks = automaticRollbacks
        self.inIncident = inIncident
    }

    /// Suspect: its live deployment is not yet known good.
    public var isSuspect: Bool {
        guard let current else { return false }
        return current.trust != .knownGood
    }
}
