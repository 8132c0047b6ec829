/// A routing rule: notices that match `when` go to `to`. Each condition left out matches anything,
/// so `{when: {event: initiated, strategy: immediate}, to: [pagerduty]}` pages on-call for an
/// immediate rollback while `{when: {event: initiated, strategy: fast}, to: [slack-high]}` tells
/// devops about a fast one — which routing by event alone cannot say.
public struct RouteRule: Sendable, Equatable {
    public var event: NoticeKind?
    public var strategy: Strategy?
    public var severity: Severity?
    /// The channels' names.
    public var to: [String]

    public init(event: NoticeKind? = nil, strategy: Strategy? = nil, severity: Severity? = nil, to: [String]) {
        self.event = event
        self.strategy = strategy
        self.severity = severity
        self.to = to
    }

    public func matches(_ notice: Notice) -> Bool {
        (event.map { $0 == notice.kind } ?? true)
            && (strategy.map { $0 == notice.strategy } ?? true)
            && (severity.map { $0 == notice.severity } ?? true)
    }
}
