/// The guide's validation phases after a rollback, beyond the health checks.
public enum ValidationPhaseKind: String, Sendable, Codable, Hashable, CaseIterable {
    /// 5 minutes: P95 < 2 s, P99 < 5 s, error rate < 1 %, throughput > 90 % of baseline, resources
    /// < 80 %; success means response time improved by > 20 %, error rate reduced by > 50 %,
    /// throughput recovered above 90 %.
    case performance
    /// 15 minutes: satisfaction > 90 % of baseline, conversion > 95 % of baseline, error rate
    /// < 50 % of what it was, engagement stable.
    case business

    /// The signal categories a phase looks at.
    public var categories: Set<SignalCategory> {
        switch self {
        case .performance: [.performance, .throughput, .infrastructure]
        case .business: [.business]
        }
    }
}

/// Whether a validation phase runs, and how long Rewind waits before judging it.
public struct ValidationPhasePolicy: Sendable, Equatable {
    public var enabled: Bool
    public var duration: Duration

    public init(enabled: Bool = true, duration: Duration) {
        self.enabled = enabled
        self.duration = duration
    }
}

extension Defaults {
    public static let performanceValidation = Duration.seconds(300)
    public static let businessValidation = Duration.seconds(900)
}

/// One signal at the end of a validation phase.
public struct PhaseReading: Sendable, Equatable {
    public var signal: MetricSignalPolicy
    /// The value now; nil when the source had no data.
    public var value: Double?
    /// The value when the trigger fired (the last violating evaluation), if this signal fired.
    public var atTrigger: Double?
    /// The signal's baseline (rolling or last week), if known.
    public var baseline: Double?

    public init(signal: MetricSignalPolicy, value: Double?, atTrigger: Double? = nil, baseline: Double? = nil) {
        self.signal = signal
        self.value = value
        self.atTrigger = atTrigger
        self.baseline = baseline
    }
}

/// One criterion of a phase, with the numbers behind it.
public struct PhaseCheck: Sendable, Equatable, Codable {
    public enum Outcome: String, Sendable, Codable {
        case passed, failed
        /// Could not be checked (no data, no baseline); does not fail the phase.
        case skipped
    }

    public var name: String
    public var outcome: Outcome
    public var detail: String

    public init(name: String, outcome: Outcome, detail: String) {
        self.name = name
        self.outcome = outcome
        self.detail = detail
    }
}

/// The judgement of one validation phase: its criteria, passed when none failed.
public struct PhaseResult: Sendable, Equatable, Codable {
    public var kind: ValidationPhaseKind
    public var checks: [PhaseCheck]

    public init(kind: ValidationPhaseKind, checks: [PhaseCheck]) {
        self.kind = kind
        self.checks = checks
    }

    public var passed: Bool { !checks.contains { $0.outcome == .failed } }
    public var summary: String {
        let failed = checks.filter { $0.outcome == .failed }
        if checks.allSatisfy({ $0.outcome == .skipped }) { return "\(kind.rawValue) validation: nothing to check" }
        return failed.isEmpty
            ? "\(kind.rawValue) validation passed (\(checks.filter { $0.outcome == .passed }.count) checks)"
            : "\(kind.rawValue) validation failed: " + failed.map(\.detail).joined(separator: "; ")
    }
}
