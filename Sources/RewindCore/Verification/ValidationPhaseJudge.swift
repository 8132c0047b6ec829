/// The pure judgement of a validation phase from the signals' values at its end.
public enum ValidationPhaseJudge {
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
                ? [
                    PhaseCheck(
                        name: signal.name, outcome: .failed, detail: "\(signal.name): no traffic after the rollback")
                ]
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
                check(
                    "\(signal.name) improvement", value <= before * 0.8,
                    "\(signal.name) improved \(improvement(before, value)) (needs > 20 %): \(unit.format(before)) → \(unit.format(value))"
                )
            }
        case .errorRate:
            check(signal.name, value < 0.01, "\(signal.name) \(unit.format(value)) (needs < 1 %)")
            if let before = reading.atTrigger, before >= 0.01 {
                check(
                    "\(signal.name) reduction", value <= before * 0.5,
                    "\(signal.name) reduced \(improvement(before, value)) (needs > 50 %): \(unit.format(before)) → \(unit.format(value))"
                )
            }
        case .requestRate:
            if let baseline = reading.baseline, baseline > 0 {
                check(
                    signal.name, value > baseline * 0.9,
                    "\(signal.name) \(unit.format(value)) is \(MetricUnit.ratio.format(value / baseline)) of baseline \(unit.format(baseline)) (needs > 90 %)"
                )
            } else {
                checks.append(
                    PhaseCheck(
                        name: signal.name, outcome: .skipped, detail: "\(signal.name): no baseline to compare with"))
            }
        case .cpuUsage, .memoryUsage, .diskUsage, .databaseConnections:
            check(signal.name, value < 0.8, "\(signal.name) \(unit.format(value)) (needs < 80 %)")
        default:
            // Other signals of these categories: back under their own threshold.
            if let violated = signal.threshold.isViolated(by: value, baseline: reading.baseline) {
                check(
                    signal.name, !violated, "\(signal.name) \(unit.format(value)) (\(signal.threshold.describe(unit)))")
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
                return [
                    PhaseCheck(
                        name: signal.name, outcome: .skipped, detail: "\(signal.name): no \(label) to compare with")
                ]
            }
            let ok = above ? value > reference * fraction : value < reference * fraction
            let needs =
                "\(above ? ">" : "<") \(MetricUnit.ratio.format(fraction)) of \(label) \(unit.format(reference))"
            return [
                PhaseCheck(
                    name: signal.name, outcome: ok ? .passed : .failed,
                    detail: "\(signal.name) \(unit.format(value)) (needs \(needs))")
            ]
        }
        switch signal.measure {
        case .userSatisfaction: return versus(0.90, of: reading.baseline, label: "baseline", above: true)
        case .conversionRate: return versus(0.95, of: reading.baseline, label: "baseline", above: true)
        case .businessErrorRate:
            return versus(0.50, of: reading.atTrigger, label: "the rate at the trigger", above: false)
        case .sessionDuration: return versus(0.75, of: reading.baseline, label: "baseline", above: true)
        default:
            guard let violated = signal.threshold.isViolated(by: value, baseline: reading.baseline) else {
                return [
                    PhaseCheck(
                        name: signal.name, outcome: .skipped, detail: "\(signal.name): no baseline to compare with")
                ]
            }
            return [
                PhaseCheck(
                    name: signal.name, outcome: violated ? .failed : .passed,
                    detail: "\(signal.name) \(unit.format(value)) (\(signal.threshold.describe(unit)))")
            ]
        }
    }

    private static func improvement(_ before: Double, _ after: Double) -> String {
        MetricUnit.ratio.format((before - after) / before)
    }
}
