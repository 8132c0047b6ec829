/// Something the platform itself says is wrong with the pods of a deployment, read from its API: a container in
/// `CrashLoopBackOff`, a rollout past its progress deadline. Text is bounded where it is read (``bounded(_:)``).
public struct WorkloadProblem: Sendable, Equatable, Hashable, Codable {
    /// What the problem is on: `pod web-7d4f8b-x2x9z`, `Deployment shop/web`.
    public var object: String
    /// The platform's reason word: `CrashLoopBackOff`, `ProgressDeadlineExceeded`.
    public var reason: String
    /// How often the container restarted, when the problem is a container's.
    public var restarts: Int?
    /// What the platform said, bounded.
    public var message: String?

    public init(object: String, reason: String, restarts: Int? = nil, message: String? = nil) {
        self.object = Self.bounded(object)
        self.reason = Self.bounded(reason)
        self.restarts = restarts.map { max(0, $0) }
        self.message = message.map(Self.bounded)
    }

    /// `pod web-7d4f8b-x2x9z: CrashLoopBackOff, 5 restarts: back-off 5m0s restarting failed container`.
    public var summary: String {
        let restarts = restarts.map { ", \($0) restart\($0 == 1 ? "" : "s")" } ?? ""
        let message = message.map { ": \($0)" } ?? ""
        return "\(object): \(reason)\(restarts)\(message)"
    }

    /// Text from outside cut to 300 characters, on one line.
    public static func bounded(_ text: String) -> String {
        let line = String(text.map { $0.isNewline ? " " : $0 })
        return line.count > 300 ? String(line.prefix(300)) + "…" : line
    }
}

/// One look at a workload's own health (``WorkloadProblem``s), or none.
public enum WorkloadReading: Sendable, Equatable {
    /// Not looked at: the live deployment is known good (or there is none), so nothing is suspect.
    case skipped
    /// Looked at `at`: these problems (none: healthy).
    case problems([WorkloadProblem], at: Timestamp)
    /// The platform could not be asked; never a violation on its own.
    case unavailable(String)
}

/// The platform's own word on a suspect deployment as a trigger: the first reading with a problem fires a critical
/// health violation at once, with each problem as evidence (no consecutive run to wait for: a container in
/// `CrashLoopBackOff` has already failed several times, a progress deadline is minutes long). One clean reading
/// recovers it. Readings of a known-good deployment are skipped and change nothing.
public struct WorkloadHealthState: Sendable, Equatable {
    /// The name evidence and the trigger source carry.
    public static let checkName = "kubernetes-workload"
    /// At most this many problems become evidence.
    public static let maxEvidence = 5

    public let service: ServiceName
    public private(set) var isFiring = false

    public init(service: ServiceName) {
        self.service = service
    }

    public static func violation(service: ServiceName, problems: [WorkloadProblem], at: Timestamp) -> Violation {
        let reasons = Set(problems.map(\.reason)).sorted().joined(separator: ", ")
        return Violation(
            service: service, trigger: .healthCritical, severity: .critical, at: at,
            rule: "platform: the suspect deployment's workload reports \(reasons)",
            evidence: problems.prefix(maxEvidence).map {
                Evidence(at: at, check: checkName, result: $0.summary, latencyMs: 0)
            })
    }
}

extension WorkloadHealthState: TriggerState {
    public var runLength: Int { isFiring ? 1 : 0 }

    public mutating func feed(_ reading: WorkloadReading) -> TriggerEvent {
        switch reading {
        case .skipped:
            return .none
        case .unavailable(let reason):
            return .inconclusive(reason)
        case .problems(let problems, _) where problems.isEmpty:
            guard isFiring else { return .none }
            isFiring = false
            return .recovered
        case .problems(let problems, let at):
            guard !isFiring else { return .none }
            isFiring = true
            return .fired(Self.violation(service: service, problems: problems, at: at))
        }
    }

    public mutating func reset() {
        isFiring = false
    }
}
