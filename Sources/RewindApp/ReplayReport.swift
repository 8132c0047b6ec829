import Foundation
import RewindCore
import RewindReplay

/// What `rewind replay` prints: the decisions, the deployments' verdicts, the score with labels and the sweep.
public struct ReplayReport: Sendable {
    public var result: ReplayResult
    public var score: ReplayScore?
    /// Probes of services or checks the policy does not watch.
    public var skippedProbes: Int
    public var sweep: [Sweep.Row]?

    init(result: ReplayResult, score: ReplayScore?, skippedProbes: Int, sweep: [Sweep.Row]? = nil) {
        self.result = result
        self.score = score
        self.skippedProbes = skippedProbes
        self.sweep = sweep
    }

    // MARK: Text

    /// Tables for people: the decisions, the deployments, then the score and the sweep.
    public func text() -> String {
        var lines = [
            "Replay \(result.from) → \(result.to): \(result.probes) probes, \(result.evaluations) metric evaluations, "
                + "\(result.decisions.count) decisions (rollbacks applied as if they succeeded), "
                + "\(result.earlyWarnings.count) early warning\(result.earlyWarnings.count == 1 ? "" : "s")"
        ]
        for note in result.notReplayed { lines.append("  not replayed: \(note)") }
        if skippedProbes > 0 {
            lines.append("  skipped \(skippedProbes) probes of services or checks the policy does not watch")
        }
        lines.append("")
        lines.append("Decisions")
        if result.decisions.isEmpty && result.earlyWarnings.isEmpty {
            lines.append("  none: no trigger fired")
        } else {
            let decisions = result.decisions.map { decision in
                (
                    decision.at,
                    [
                        decision.at.iso8601, decision.violation.service.rawValue, decision.violation.trigger.rawValue,
                        decision.strategy.map { "roll back (\($0.rawValue))" } ?? (decision.whyNot ?? ""),
                        decision.wouldRollBack
                            ? decision.targets.map { "\($0.service) \($0.from.label) → \($0.to.label)" }.joined(
                                separator: ", ")
                            : decision.detail,
                    ]
                )
            }
            let warnings = result.earlyWarnings.map { warning in
                (
                    warning.at,
                    [
                        warning.at.iso8601, warning.service.rawValue, warning.trigger.rawValue, "early warning",
                        "\(warning.signal) \(warning.unit.format(warning.value)): z \(String(format: "%.1f", warning.z)), "
                            + "baseline median \(warning.unit.format(warning.median)), MAD \(warning.unit.format(warning.mad)) "
                            + "(\(warning.baselineOrigin)); nothing rolled back",
                    ]
                )
            }
            // In time order; at the same time, the early warning first (it came before the decision).
            let rows = (warnings + decisions).enumerated().sorted {
                ($0.element.0, $0.offset) < ($1.element.0, $1.offset)
            }
            lines += Self.table(["time", "service", "trigger", "decision", "why / targets"], rows.map(\.element.1))
        }
        lines.append("")
        lines.append("Deployments")
        if result.deployments.isEmpty {
            lines.append("  none went live in the period")
        } else {
            lines += Self.table(
                [
                    "went live", "service", "deployment", "verdict", "warned after", "detected after", "decided after",
                    "warned earlier by",
                ],
                result.deployments.map { verdict in
                    [
                        verdict.deployment.at.iso8601, verdict.deployment.service.rawValue,
                        verdict.deployment.version == verdict.deployment.id
                            ? verdict.deployment.id : "\(verdict.deployment.version) (\(verdict.deployment.id))",
                        verdict.outcome.rawValue, verdict.timeToWarning.map(\.rewindDescription) ?? "-",
                        verdict.timeToDetection.map(\.rewindDescription) ?? "-",
                        verdict.timeToDecision.map(\.rewindDescription) ?? "-",
                        verdict.warningLead.map(\.rewindDescription) ?? "-",
                    ]
                })
        }
        if let score {
            lines.append("")
            lines.append("Score against the labels")
            lines += Self.scoreLines(score).map { "  " + $0 }
        }
        if let sweep {
            lines.append("")
            lines.append("Sweep (\(sweep.count) combinations, best first)")
            lines += Self.table(
                [
                    "settings", "false rollbacks", "missed bad", "wrong service", "delay median", "p90", "max",
                    "rollbacks",
                ],
                sweep.map { row in
                    [
                        row.settings.joined(separator: " "), "\(row.score.falseRollbacks)", "\(row.score.missed)",
                        "\(row.score.wrongServiceBlamed)", Self.shown(row.score.medianDelay),
                        Self.shown(row.score.p90Delay),
                        Self.shown(row.score.maxDelay), "\(row.rollbacks)",
                    ]
                })
        }
        return lines.joined(separator: "\n")
    }

    static func scoreLines(_ score: ReplayScore) -> [String] {
        [
            "labelled deployments: \(score.labelled) (\(score.bad) bad)",
            "false rollbacks: \(score.falseRollbacks) (wrong service blamed: \(score.wrongServiceBlamed))",
            "missed bad deployments: \(score.missed)",
            "detection delay after the fault: median \(shown(score.medianDelay)), p90 \(shown(score.p90Delay)), "
                + "max \(shown(score.maxDelay))",
            "early warnings: \(score.warned) of \(score.bad) bad deployments warned, median \(shown(score.medianWarningDelay)) "
                + "after the fault; \(score.falseWarnings) on good deployments",
        ]
    }

    static func shown(_ duration: Duration?) -> String { duration?.rewindDescription ?? "-" }

    /// Left-aligned columns, two spaces apart, under a header.
    static func table(_ header: [String], _ rows: [[String]]) -> [String] {
        let widths = header.indices.map { column in
            ([header] + rows).map { $0[column].count }.max() ?? 0
        }
        return ([header] + rows).map { row in
            "  "
                + row.enumerated().map { column, cell in
                    column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
                }.joined(separator: "  ")
        }
    }

    // MARK: JSON

    /// The `--output json` document: `decisions` and `deployments` arrays, `score` with labels, `sweep` with
    /// `--sweep` (snake_case keys and RFC 3339 times, by ``JSONOutput``).
    public var json: JSON {
        JSON(
            startsAt: result.from, endsAt: result.to, probes: result.probes, evaluations: result.evaluations,
            notReplayed: result.notReplayed, skippedProbes: skippedProbes,
            decisions: Self.entries(result), deployments: result.deployments.map(JSON.Verdict.init),
            score: score.map(JSON.Score.init), sweep: sweep?.map(JSON.SweepRow.init))
    }

    /// Decisions and early warnings in time order (at the same time, the early warning first).
    static func entries(_ result: ReplayResult) -> [JSON.Entry] {
        let entries =
            result.earlyWarnings.map { (at: $0.at, entry: JSON.Entry.earlyWarning(JSON.Warning($0))) }
            + result.decisions.map { (at: $0.at, entry: JSON.Entry.decision(JSON.Decision($0))) }
        return entries.enumerated().sorted { ($0.element.at, $0.offset) < ($1.element.at, $1.offset) }.map(
            \.element.entry)
    }

    public struct JSON: Encodable, Sendable {
        /// The replayed period (`--from`, `--to`).
        var startsAt: Timestamp
        var endsAt: Timestamp
        var probes: Int
        var evaluations: Int
        var notReplayed: [String]
        var skippedProbes: Int
        /// Every decision (`kind: decision`) and early warning (`kind: early_warning`), in time order.
        var decisions: [Entry]
        var deployments: [Verdict]
        var score: Score?
        var sweep: [SweepRow]?

        enum Entry: Encodable, Sendable {
            case decision(Decision)
            case earlyWarning(Warning)

            func encode(to encoder: any Encoder) throws {
                switch self {
                case .decision(let decision): try decision.encode(to: encoder)
                case .earlyWarning(let warning): try warning.encode(to: encoder)
                }
            }
        }

        /// An early warning: a signal of a suspect deployment left its usual range; never a rollback.
        struct Warning: Encodable, Sendable {
            var kind = "early_warning"
            var at: Timestamp
            var service: String
            var trigger: String
            var signal: String
            var deployment: String
            var value: Double
            var z: Double
            var baselineMedian: Double
            var baselineMad: Double
            var baselineSamples: Int
            var baselineOrigin: String
            var wouldRollBack = false
            var detail: String

            init(_ warning: EarlyWarning) {
                at = warning.at
                service = warning.service.rawValue
                trigger = warning.trigger.rawValue
                signal = warning.signal
                deployment = warning.deploymentID
                value = warning.value
                z = warning.z
                baselineMedian = warning.median
                baselineMad = warning.mad
                baselineSamples = warning.baselineSamples
                baselineOrigin = warning.baselineOrigin
                detail = warning.summary
            }
        }

        struct Decision: Encodable, Sendable {
            var kind = "decision"
            var at: Timestamp
            var service: String
            var trigger: String
            var severity: String
            var rule: String
            var evidence: [Evidence]
            var wouldRollBack: Bool
            var strategy: String?
            var targets: [Target]
            /// Why not: `cooldown`, `storm_cap`, `no_known_good_target`, `not_caused_by_deployment`, `ignored`…
            var whyNot: String?
            var detail: String

            init(_ decision: ReplayDecision) {
                at = decision.at
                service = decision.violation.service.rawValue
                trigger = decision.violation.trigger.rawValue
                severity = decision.violation.severity.rawValue
                rule = decision.violation.rule
                evidence = decision.violation.evidence
                wouldRollBack = decision.wouldRollBack
                strategy = decision.strategy?.rawValue
                targets = decision.targets.map {
                    Target(service: $0.service.rawValue, from: $0.from.id, to: $0.to.id, why: $0.reason)
                }
                whyNot = decision.whyNot
                detail = decision.detail
            }
        }

        struct Target: Encodable, Sendable {
            var service: String
            var from: String
            var to: String
            var why: String
        }

        struct Verdict: Encodable, Sendable {
            var service: String
            var id: String
            var version: String
            var wentLiveAt: Timestamp
            var canaryShare: Double?
            var track: String?
            var verdict: String
            var trigger: String?
            var detectedAt: Timestamp?
            var decidedAt: Timestamp?
            var secondsToDetection: Double?
            var secondsToDecision: Double?
            /// The first early warning, and how much earlier it came than the rollback decision.
            var warnedAt: Timestamp?
            var secondsToWarning: Double?
            var secondsWarnedBeforeDecision: Double?

            init(_ verdict: DeploymentVerdict) {
                service = verdict.deployment.service.rawValue
                id = verdict.deployment.id
                version = verdict.deployment.version
                wentLiveAt = verdict.deployment.at
                canaryShare = verdict.deployment.canaryShare
                track = verdict.deployment.track
                self.verdict = verdict.outcome.rawValue
                trigger = verdict.trigger?.rawValue
                detectedAt = verdict.detectedAt
                decidedAt = verdict.decidedAt
                secondsToDetection = verdict.timeToDetection?.seconds
                secondsToDecision = verdict.timeToDecision?.seconds
                warnedAt = verdict.warnedAt
                secondsToWarning = verdict.timeToWarning?.seconds
                secondsWarnedBeforeDecision = verdict.warningLead?.seconds
            }
        }

        struct Score: Encodable, Sendable {
            var labelled: Int
            var bad: Int
            var caught: Int
            var falseRollbacks: Int
            var missedBad: Int
            var wrongServiceBlamed: Int
            var delayMedianSeconds: Double?
            var delayP90Seconds: Double?
            var delayMaxSeconds: Double?
            var warned: Int
            var falseWarnings: Int
            var warningDelayMedianSeconds: Double?

            init(_ score: ReplayScore) {
                labelled = score.labelled
                bad = score.bad
                caught = score.caught
                falseRollbacks = score.falseRollbacks
                missedBad = score.missed
                wrongServiceBlamed = score.wrongServiceBlamed
                delayMedianSeconds = score.medianDelay?.seconds
                delayP90Seconds = score.p90Delay?.seconds
                delayMaxSeconds = score.maxDelay?.seconds
                warned = score.warned
                falseWarnings = score.falseWarnings
                warningDelayMedianSeconds = score.medianWarningDelay?.seconds
            }
        }

        struct SweepRow: Encodable, Sendable {
            var settings: [String]
            var score: Score
            var rollbacks: Int
            var decisions: Int

            init(_ row: Sweep.Row) {
                settings = row.settings
                score = Score(row.score)
                rollbacks = row.rollbacks
                decisions = row.decisions
            }
        }
    }
}
