/// Which rule fired. Bounded: safe as a metric label.
public enum TriggerKind: String, Sendable, Codable, Hashable, CaseIterable {
    case healthCritical = "health_critical"
    case healthNonCritical = "health_non_critical"
    case performance
    case throughput
    case business
    case infrastructure
    case security
    case manual
    /// Not a rollback trigger: a monitoring source failed, and people are told.
    case monitoring = "monitoring_failure"
    /// A deployment went live while deployments were frozen (`freeze.enforce` says what follows).
    case deployedDuringFreeze = "deployed_during_freeze"

    /// The guide's mapping from trigger to strategy. Critical infrastructure is immediate; business
    /// asks for gradual (which falls back to fast without traffic control, see ``Assessment``).
    public func strategy(severity: Severity) -> Strategy {
        switch self {
        case .healthCritical, .security: .immediate
        case .infrastructure: severity == .critical ? .immediate : .fast
        case .business: .gradual
        case .healthNonCritical, .performance, .throughput, .manual, .monitoring, .deployedDuringFreeze: .fast
        }
    }
}
