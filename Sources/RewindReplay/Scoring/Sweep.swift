import Foundation
import RewindCore

/// `--sweep KEY=V1,V2,…` (repeatable): every combination of the values, each replayed over the same fetched
/// history, and the score table best first.
public enum Sweep {
    /// One `--sweep` option: a key and the values to try, in order.
    public struct Axis: Sendable, Equatable {
        public var key: String
        public var values: [String]

        /// Parses `KEY=V1,V2,…`; throws a sentence naming what to fix.
        public init(parsing text: String) throws {
            guard let equals = text.firstIndex(of: "="), equals != text.startIndex else {
                throw SweepError("--sweep \(text): write KEY=V1,V2,… (e.g. health.critical.failures=2,3,5)")
            }
            key = String(text[..<equals]).trimmingCharacters(in: .whitespaces)
            values = text[text.index(after: equals)...].split(separator: ",", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            guard !values.isEmpty, values.allSatisfy({ !$0.isEmpty }) else {
                throw SweepError("--sweep \(key): give at least one value, separated by commas and none empty")
            }
            guard Set(values).count == values.count else {
                throw SweepError("--sweep \(key): a value is listed twice")
            }
        }
    }

    public struct SweepError: RewindError, Equatable {
        public var message: String
        public var code: String { "usage" }
        init(_ message: String) { self.message = message }
    }

    /// The most combinations one sweep may replay.
    public static let maxCombinations = 1_000

    /// Every combination of the axes' values, the first axis varying slowest: `[(key, value)]` per combination.
    public static func combinations(_ axes: [Axis]) throws -> [[(key: String, value: String)]] {
        var keys = Set<String>()
        for axis in axes where !keys.insert(axis.key).inserted {
            throw SweepError("--sweep \(axis.key) is given twice; list all its values in one option")
        }
        let total = axes.reduce(1) { $0 * $1.values.count }
        guard total <= maxCombinations else {
            throw SweepError("the sweep has \(total) combinations, more than \(maxCombinations); try fewer values")
        }
        var combinations: [[(key: String, value: String)]] = [[]]
        for axis in axes {
            combinations = combinations.flatMap { prefix in axis.values.map { prefix + [(axis.key, $0)] } }
        }
        return combinations
    }

    /// One combination's outcome.
    public struct Row: Sendable, Equatable {
        /// `key=value` per axis, in the order the axes were given.
        public var settings: [String]
        public var score: ReplayScore
        public var rollbacks: Int
        public var decisions: Int
    }

    /// Replays `history` under each policy and scores it against `labels`; best first (``ReplayScore/isBetter(_:than:)``),
    /// ties in the order given.
    public static func run(
        _ policies: [(settings: [String], policy: Policy)], history: ReplayHistory, labels: [DeploymentLabel],
        from: Timestamp, to: Timestamp
    ) -> [Row] {
        let rows = policies.map { candidate in
            let result = Replay.run(policy: candidate.policy, history: history, from: from, to: to)
            return Row(
                settings: candidate.settings, score: ReplayScore(result: result, labels: labels),
                rollbacks: result.decisions.filter(\.wouldRollBack).count, decisions: result.decisions.count)
        }
        return rows.enumerated().sorted { lhs, rhs in
            if ReplayScore.isBetter(lhs.element.score, than: rhs.element.score) { return true }
            if ReplayScore.isBetter(rhs.element.score, than: lhs.element.score) { return false }
            return lhs.offset < rhs.offset
        }.map(\.element)
    }
}
