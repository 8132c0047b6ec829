/// One service to roll back, and why this target.
public struct RollbackChoice: Sendable, Equatable, Codable {
    public var service: ServiceName
    public var from: Deployment
    public var to: Deployment
    public var reason: String

    public init(service: ServiceName, from: Deployment, to: Deployment, reason: String) {
        self.service = service
        self.from = from
        self.to = to
        self.reason = reason
    }
}
