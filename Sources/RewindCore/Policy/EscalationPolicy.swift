/// The guide's two escalation policies, as delays after the incident opens.
public struct EscalationPolicy: Sendable, Equatable {
    /// Rollback failure, security breach, critical service down: on-call now, management within 5 m.
    public var immediate: [Audience: Duration]
    /// Slow rollback progress, performance still bad, high business impact: devops within 15 m,
    /// product within 30 m.
    public var delayed: [Audience: Duration]
    /// A post-mortem is scheduled within this long (an action item with a due time).
    public var postMortemWithin: Duration
    /// An incident still rolling back after this long counts as slow progress: the delayed
    /// escalation (counted from detection) never pages before it.
    public var slowRollbackAfter: Duration

    public init(
        immediate: [Audience: Duration] = [.oncall: .zero, .management: .seconds(300)],
        delayed: [Audience: Duration] = [.devops: .seconds(900), .product: .seconds(1800)],
        postMortemWithin: Duration = .seconds(86_400), slowRollbackAfter: Duration = .seconds(300)
    ) {
        self.immediate = immediate
        self.delayed = delayed
        self.postMortemWithin = postMortemWithin
        self.slowRollbackAfter = slowRollbackAfter
    }
}
