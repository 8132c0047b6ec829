/// An operator's switch of automation to observe, without a restart (`rewind pause [SERVICE]`): while
/// it holds, a trigger that fires opens its incident in observe mode — decided, recorded and notified
/// as "would roll back", nothing done on the platform. Manual rollbacks still run. It lasts until
/// `rewind resume`; it is stored, so a restart or a takeover by another replica keeps it.
public struct AutomationPause: Sendable, Equatable, Codable {
    /// The service paused; nil pauses every service.
    public var service: ServiceName?
    public var reason: String
    public var setAt: Timestamp
    /// Who paused it: the API token's name (`token oncall`).
    public var setBy: String?

    enum CodingKeys: String, CodingKey {
        case service, reason
        case setAt = "set_at"
        case setBy = "set_by"
    }

    public init(service: ServiceName?, reason: String, setAt: Timestamp, setBy: String? = nil) {
        self.service = service
        self.reason = reason
        self.setAt = setAt
        self.setBy = setBy
    }

    /// The key a store keeps it under: the service's name, or `*` for every service (not a valid
    /// service name, so the two never meet).
    public var scope: String { service?.rawValue ?? Self.everyService }
    public static let everyService = "*"

    /// The pause as people read it.
    public var explanation: String {
        let what = service.map { "automation of \($0) is paused" } ?? "automation is paused for every service"
        return "\(what) since \(setAt.iso8601)" + (setBy.map { " by \($0)" } ?? "") + ": \(reason)"
    }
}

/// Pausing or resuming automation, as the supervisor asks the store to record it.
public enum AutomationChange: Sendable, Equatable {
    case pause(AutomationPause)
    /// Lifts the pause of `service`; nil lifts every pause (the global one and each service's).
    case resume(service: ServiceName?)
}

/// The pauses in force: at most one for every service and one per service.
public struct AutomationPauses: Sendable, Equatable {
    public private(set) var all: AutomationPause?
    public private(set) var services: [ServiceName: AutomationPause] = [:]

    public init(_ pauses: [AutomationPause] = []) {
        for pause in pauses { apply(.pause(pause)) }
    }

    /// Why `service`'s automation is paused (the pause of every service first), or nil when it acts.
    public func pause(of service: ServiceName) -> AutomationPause? { all ?? services[service] }

    /// Every pause, the global one first, then by service.
    public var list: [AutomationPause] {
        (all.map { [$0] } ?? []) + services.keys.sorted().compactMap { services[$0] }
    }

    public mutating func apply(_ change: AutomationChange) {
        switch change {
        case .pause(let pause):
            if let service = pause.service { services[service] = pause } else { all = pause }
        case .resume(let service?):
            services[service] = nil
        case .resume(nil):
            all = nil
            services = [:]
        }
    }
}
