/// What one plan step does.
public enum StepAction: Sendable, Equatable, Codable {
    /// Roll the service back on its platform (provider, then fallback), then verify it.
    case rollback
    /// Set the new version's share of traffic (canary: 0, all traffic to stable).
    case setTraffic(share: Double)
    /// Cut the new version's share of traffic by this fraction of what it has (gradual: 0.5).
    case reduceTraffic(by: Double)
    /// Watch the trigger that opened the incident for this long: `improved` when it recovered,
    /// `noImprovement` when it did not (the gradual strategy then rolls back).
    case watch(durationMs: Int64)
    /// Turn the service's kill-switch flags off (`flags:`).
    case disableFlags([String])
    /// Run the service's down-migration (`migration:`); an irreversible one fails at once.
    case migrate(irreversible: Bool)
    /// Keep the canary's data for analysis: its signals, evidence and deployment are recorded on
    /// the incident, and "analyze canary data" is due within this window.
    case preserveCanaryData(windowMs: Int64)
    /// Purge the CDN cache in front of the service (`traffic.purge`), so that people get the
    /// rolled-back version's assets, not stale ones.
    case purgeCache
}

/// One step of a rollback plan.
public struct PlanStep: Sendable, Equatable, Codable, Identifiable {
    public var id: String
    public var service: ServiceName
    public var from: Deployment
    public var to: Deployment
    public var action: StepAction
    /// How long the step may take; a rollback's fallback gets as long again.
    public var timeoutMs: Int64
    /// Steps that must have succeeded first; if one did not, this step is skipped.
    public var dependsOn: [String]
    /// Steps that must have finished first, in any outcome (ordering only).
    public var after: [String]
    /// The id of a watch step: this step runs only if that watch saw no improvement, and is not
    /// needed when it did (the gradual strategy's "roll back if no improvement").
    public var unlessImproved: String?

    public init(
        id: String, service: ServiceName, from: Deployment, to: Deployment, action: StepAction = .rollback,
        timeout: Duration,
        dependsOn: [String], after: [String] = [], unlessImproved: String? = nil
    ) {
        self.id = id
        self.service = service
        self.from = from
        self.to = to
        self.action = action
        self.timeoutMs = timeout.milliseconds
        self.dependsOn = dependsOn
        self.after = after
        self.unlessImproved = unlessImproved
    }

    public var timeout: Duration { .milliseconds(timeoutMs) }

    /// What the step does, in the words of a notice: "roll back backend v2 → v1".
    public func summary(wouldOnly: Bool = false) -> String {
        let verb = { (word: String) in wouldOnly ? "would \(word)" : word }
        switch action {
        case .rollback: return "\(verb("roll back")) \(service) \(from.label) → \(to.label)"
        case .setTraffic(let share):
            return share == 0
                ? "\(verb("route")) all of \(service)'s traffic to stable (new version \(from.label) at 0 %)"
                : "\(verb("set")) \(service)'s new version \(from.label) to \(Self.percent(share)) of traffic"
        case .reduceTraffic(let fraction):
            return "\(verb("cut")) traffic to \(service)'s new version \(from.label) by \(Self.percent(fraction))"
        case .watch(let ms):
            return
                "\(verb("watch")) \(service) for \(Duration.milliseconds(ms).rewindDescription); roll back if nothing improves"
        case .disableFlags(let flags): return "\(verb("turn off")) \(service)'s flags \(flags.joined(separator: ", "))"
        case .migrate(let irreversible):
            return irreversible
                ? "\(service)'s migration is irreversible: restore the database from a backup"
                : "\(verb("run")) \(service)'s down-migration to \(to.label)"
        case .preserveCanaryData(let ms):
            return
                "\(verb("keep")) \(service)'s canary data (\(from.label)) for analysis within \(Duration.milliseconds(ms).rewindDescription)"
        case .purgeCache:
            return "\(verb("purge")) the CDN cache in front of \(service)"
        }
    }

    /// A share of traffic as people read it ("50 %"), as every ratio is shown.
    public static func percent(_ fraction: Double) -> String {
        MetricUnit.ratio.format(fraction)
    }

    enum CodingKeys: String, CodingKey {
        case id, service, from, to, action, timeoutMs, dependsOn, after, unlessImproved
    }

    /// Plans journaled before steps had actions decode as rollbacks.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        service = try c.decode(ServiceName.self, forKey: .service)
        from = try c.decode(Deployment.self, forKey: .from)
        to = try c.decode(Deployment.self, forKey: .to)
        action = try c.decodeIfPresent(StepAction.self, forKey: .action) ?? .rollback
        timeoutMs = try c.decode(Int64.self, forKey: .timeoutMs)
        dependsOn = try c.decodeIfPresent([String].self, forKey: .dependsOn) ?? []
        after = try c.decodeIfPresent([String].self, forKey: .after) ?? []
        unlessImproved = try c.decodeIfPresent(String.self, forKey: .unlessImproved)
    }
}
