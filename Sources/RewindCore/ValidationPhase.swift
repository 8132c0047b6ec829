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
}

public struct PhaseResult: Sendable, Equatable, Codable {
    public var kind: ValidationPhaseKind
    public var checks: [PhaseCheck]

    public var passed: Bool { !checks.contains { $0.outcome == .failed } }
    public var summary: String {
        let failed = checks.filter { $0.outcome == .failed }
        if checks.allSatisfy({ $0.outcome == .skipped }) { return "\(kind.rawValue) validation: nothing to check" }
        return failed.isEmpty
            ? "\(kind.rawValue) validation passed (\(checks.filter { $0.outcome == .passed }.count) checks)"
            : "\(kind.rawValue) validation failed: " + failed.map(\.detail).joined(separator: "; ")
    }
}

/// The pure judgement of a validation phase from the signals' values at its end.
public enum PhaseValidation {
    public static func judge(_ kind: ValidationPhaseKind, _ readings: [PhaseReading]) -> PhaseResult {
        let relevant = readings.filter { kind.categories.contains($0.signal.category) }
        let checks = relevant.flatMap { kind == .performance ? performanceChecks($0) : businessChecks($0) }
        return PhaseResult(kind: kind, checks: checks)
    }

    static func performanceChecks(_ reading: PhaseReading) -> [PhaseCheck] {
        let signal = reading.signal
        let unit = signal.unit
        guard let value = reading.value else {
            // Traffic that vanished after a rollback is a failure; other signals without data are not judged.
            return signal.measure == .requestRate
                ? [PhaseCheck(name: signal.name, outcome: .failed, detail: "\(signal.name): no traffic after the rollback")]
                : [PhaseCheck(name: signal.name, outcome: .skipped, detail: "\(signal.name): no data")]
        }
        var checks: [PhaseCheck] = []
        func check(_ name: String, _ ok: Bool, _ detail: String) {
            checks.append(PhaseCheck(name: name, outcome: ok ? .passed : .failed, detail: detail))
        }
        switch signal.measure {
        case .latencyP95, .latencyP99:
            if let limit = signal.threshold.limit(baseline: reading.baseline) {
                check(signal.name, value <= limit, "\(signal.name) \(unit.format(value)) (limit \(unit.format(limit)))")
            }
            if let before = reading.atTrigger, before > 0 {
                check("\(signal.name) improvement", value <= before * 0.8,
                      "\(signal.name) improved \(improvement(before, value)) (needs > 20 %): \(unit.format(before)) → \(unit.format(value))")
            }
        case .errorRate:
            check(signal.name, value < 0.01, "\(signal.name) \(unit.format(value)) (needs < 1 %)")
            if let before = reading.atTrigger, before >= 0.01 {
                check("\(signal.name) reduction", value <= before * 0.5,
                      "\(signal.name) reduced \(improvement(before, value)) (needs > 50 %): \(unit.format(before)) → \(unit.format(value))")
            }
        case .requestRate:
            if let baseline = reading.baseline, baseline > 0 {
                check(signal.name, value > baseline * 0.9,
                      "\(signal.name) \(unit.format(value)) is \(MetricUnit.ratio.format(value / baseline)) of baseline \(unit.format(baseline)) (needs > 90 %)")
            } else {
                checks.append(PhaseCheck(name: signal.name, outcome: .skipped, detail: "\(signal.name): no baseline to compare with"))
            }
        case .cpuUsage, .memoryUsage, .diskUsage, .databaseConnections:
            check(signal.name, value < 0.8, "\(signal.name) \(unit.format(value)) (needs < 80 %)")
        default:
            // Other signals of these categories: back under their own threshold.
            if let violated = signal.threshold.isViolated(by: value, baseline: reading.baseline) {
                check(signal.name, !violated, "\(signal.name) \(unit.format(value)) (\(signal.threshold.describe(unit)))")
            }
        }
        return checks
    }

    static func businessChecks(_ reading: PhaseReading) -> [PhaseCheck] {
        let signal = reading.signal
        let unit = signal.unit
        guard let value = reading.value else {
            return [PhaseCheck(name: signal.name, outcome: .skipped, detail: "\(signal.name): no data")]
        }
        func versus(_ fraction: Double, of reference: Double?, label: String, above: Bool) -> [PhaseCheck] {
            guard let reference, reference > 0 else {
                return [PhaseCheck(name: signal.name, outcome: .skipped, detail: "\(signal.name): no \(label) to compare with")]
            }
            let ok = above ? value > reference * fraction : value < reference * fraction
            let needs = "\(above ? ">" : "<") \(MetricUnit.ratio.format(fraction)) of \(label) \(unit.format(reference))"
            return [PhaseCheck(name: signal.name, outcome: ok ? .passed : .failed,
                               detail: "\(signal.name) \(unit.format(value)) (needs \(needs))")]
        }
        switch signal.measure {
        case .userSatisfaction: return versus(0.90, of: reading.baseline, label: "baseline", above: true)
        case .conversionRate: return versus(0.95, of: reading.baseline, label: "baseline", above: true)
        case .businessErrorRate: return versus(0.50, of: reading.atTrigger, label: "the rate at the trigger", above: false)
        case .sessionDuration: return versus(0.75, of: reading.baseline, label: "baseline", above: true)
        default:
            guard let violated = signal.threshold.isViolated(by: value, baseline: reading.baseline) else {
                return [PhaseCheck(name: signal.name, outcome: .skipped, detail: "\(signal.name): no baseline to compare with")]
            }
            return [PhaseCheck(name: signal.name, outcome: violated ? .failed : .passed,
                               detail: "\(signal.name) \(unit.format(value)) (\(signal.threshold.describe(unit)))")]
        }
    }

    private static func improvement(_ before: Double, _ after: Double) -> String {
        MetricUnit.ratio.format((before - after) / before)
    }
}
