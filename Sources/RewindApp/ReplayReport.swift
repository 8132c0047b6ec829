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
                + "\(result.decisions.count) decisions (rollbacks applied as if they succeeded)"
        ]
        for note in result.notReplayed { lines.append("  not replayed: \(note)") }
        if skippedProbes > 0 {
            lines.append("  skipped \(skippedProbes) probes of services or checks the policy does not watch")
        }
        lines.append("")
        lines.append("Decisions")
        if result.decisions.isEmpty {
            lines.append("  none: no trigger fired")
        } else {
            lines += Self.table(
                ["time", "service", "trigger", "decision", "why / targets"],
                result.decisions.map { decision in
                    [
                        decision.at.iso8601, decision.violation.service.rawValue, decision.violation.trigger.rawValue,
                        decision.strategy.map { "roll back (\($0.rawValue))" } ?? (decision.whyNot ?? ""),
                        decision.wouldRollBack
                            ? decision.targets.map { "\($0.service) \($0.from.label) → \($0.to.label)" }.joined(
                                separator: ", ")
                            : decision.detail,
                    ]
                })
        }
        lines.append("")
        lines.append("Deployments")
        if result.deployments.isEmpty {
            lines.append("  none went live in the period")
        } else {
            lines += Self.table(
                ["went live", "service", "deployment", "verdict", "detected after", "decided after"],
                result.deployments.map { verdict in
                    [
                        verdict.deployment.at.iso8601, verdict.deployment.service.rawValue,
                        verdict.deployment.version == verdict.deployment.id
                            ? verdict.deployment.id : "\(verdict.deployment.version) (\(verdict.deployment.id))",
                        verdict.outcome.rawValue, verdict.timeToDetection.map(\.rewindDescription) ?? "-",
                        verdict.timeToDecision.map(\.rewindDescription) ?? "-",
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
            decisions: result.decisions.map(JSON.Decision.init), deployments: result.deployments.map(JSON.Verdict.init),
            score: score.map(JSON.Score.init), sweep: sweep?.map(JSON.SweepRow.init))
    }

    public struct JSON: Encodable, Sendable {
        /// The replayed period (`--from`, `--to`).
        var startsAt: Timestamp
        var endsAt: Timestamp
        var probes: Int
        var evaluations: Int
        var notReplayed: [String]
        var skippedProbes: Int
        var decisions: [Decision]
        var deployments: [Verdict]
        var score: Score?
        var sweep: [SweepRow]?

        struct Decision: Encodable, Sendable {
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
