import Foundation
import RewindCore

/// What `rewind drill` found: every step it took with its duration, and the findings — anything
/// that would make a real rollback of the service fail.
public struct DrillReport: Sendable, Codable, Equatable {
    /// One thing a step looked at.
    public struct Check: Sendable, Codable, Equatable {
        public enum Status: String, Sendable, Codable, Equatable {
            /// As a rollback needs it.
            case ok
            /// Would make a real rollback fail (or leave it unverified, unheard): fix it first.
            case finding
            /// Worth knowing; no rollback fails because of it.
            case note
        }

        public var name: String
        public var status: Status
        public var detail: String
        /// How long its own call took, when it made one.
        public var durationMs: Double?

        public init(_ name: String, _ status: Status, _ detail: String, durationMs: Double? = nil) {
            self.name = name
            self.status = status
            self.detail = detail
            self.durationMs = durationMs
        }
    }

    /// One timed step of the drill.
    public struct Step: Sendable, Codable, Equatable {
        public var name: String
        public var durationMs: Double
        public var checks: [Check]

        public init(name: String, durationMs: Double, checks: [Check]) {
            self.name = name
            self.durationMs = durationMs
            self.checks = checks
        }

        public var hasFinding: Bool { checks.contains { $0.status == .finding } }
    }

    public enum Mode: String, Sendable, Codable, Equatable {
        /// Read-only: nothing changes anywhere.
        case observe
        /// Rolls the service back and forward again, through the engine.
        case execute
    }

    public var service: String
    public var mode: Mode
    public var configPath: String
    public var steps: [Step] = []
    /// The incidents an executed drill opened (the rollback, then the roll forward).
    public var incidents: [Int64] = []
    /// The configuration did not load: the drill stopped at its first step.
    public var configInvalid = false

    public init(service: String, mode: Mode, configPath: String) {
        self.service = service
        self.mode = mode
        self.configPath = configPath
    }

    /// "step: what" for every finding, in the order found.
    public var findings: [String] {
        steps.flatMap { step in
            step.checks.filter { $0.status == .finding }.map { "\(step.name): \($0.name): \($0.detail)" }
        }
    }

    /// 0 when a rollback would go through, 1 with a finding, 78 when the configuration is invalid.
    public var exitCode: Int32 {
        if configInvalid { return ExitCodes.config }
        return findings.isEmpty ? 0 : 1
    }

    enum CodingKeys: String, CodingKey {
        case service, mode, configPath, steps, incidents, configInvalid, findings, totalMs
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(service, forKey: .service)
        try c.encode(mode, forKey: .mode)
        try c.encode(configPath, forKey: .configPath)
        try c.encode(steps, forKey: .steps)
        try c.encode(incidents, forKey: .incidents)
        try c.encode(configInvalid, forKey: .configInvalid)
        try c.encode(findings, forKey: .findings)
        try c.encode(totalMs, forKey: .totalMs)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        service = try c.decode(String.self, forKey: .service)
        mode = try c.decode(Mode.self, forKey: .mode)
        configPath = try c.decode(String.self, forKey: .configPath)
        steps = try c.decode([Step].self, forKey: .steps)
        incidents = try c.decodeIfPresent([Int64].self, forKey: .incidents) ?? []
        configInvalid = try c.decodeIfPresent(Bool.self, forKey: .configInvalid) ?? false
    }

    /// The sum of the steps' durations.
    public var totalMs: Double { steps.reduce(0) { $0 + $1.durationMs } }

    mutating func append(_ name: String, durationMs: Double, _ checks: [Check]) {
        let step = Step(name: name, durationMs: durationMs, checks: checks)
        steps.append(step)
        DrillProgress.onStep?(step)
    }
}

/// Who hears each drill step the moment it ends (`rewind drill` shows its progress): nil, nobody.
public enum DrillProgress {
    @TaskLocal public static var onStep: (@Sendable (DrillReport.Step) -> Void)?
}

// MARK: - Rendering

extension DrillReport {
    /// The text report: the heading, one block per step (its duration, then what it looked at), then the
    /// findings (``summary()``).
    public func text() -> String {
        let width = steps.map(\.name.count).max() ?? 0
        return ([heading, ""] + steps.flatMap { Self.lines(of: $0, width: width) } + ["", summary()])
            .joined(separator: "\n")
    }

    /// What the drill does to which service, and where its policy is.
    public var heading: String {
        "Rollback drill of \(service) (\(mode == .observe ? "observe: nothing is changed" : "execute: rolls back, then forward")) · \(configPath)"
    }

    /// One step's block, its name padded to `width`.
    public static func lines(of step: Step, width: Int) -> [String] {
        let padding = String(repeating: " ", count: max(0, width - step.name.count))
        var lines = ["\(step.hasFinding ? "✗" : "✓") \(step.name)\(padding)  \(format(ms: step.durationMs))"]
        for check in step.checks {
            let mark =
                switch check.status {
                case .ok: "✓"
                case .finding: "✗"
                case .note: "·"
                }
            let took = check.durationMs.map { " (\(format(ms: $0)))" } ?? ""
            lines.append("    \(mark) \(check.name): \(check.detail)\(took)")
        }
        return lines
    }

    /// Prints a step's block on standard output as it ends (`rewind drill`'s progress).
    public static let printStep: @Sendable (Step) -> Void = { step in
        print(lines(of: step, width: 30).joined(separator: "\n"))
    }

    /// The total and the findings.
    public func summary() -> String {
        var lines = [
            "Total \(Self.format(ms: totalMs))"
                + (incidents.isEmpty ? "" : " · incidents " + incidents.map { "#\($0)" }.joined(separator: ", "))
        ]
        let found = findings
        if found.isEmpty {
            lines.append(
                mode == .observe
                    ? "No findings: a rollback of \(service) has what it needs. Rehearse it for real on staging with --execute."
                    : "No findings: \(service) was rolled back and forward again.")
        } else {
            lines.append(
                "Findings (\(found.count)) — a real rollback of \(service) would fail or go unverified until they are fixed:"
            )
            lines += found.map { "  - \($0)" }
        }
        return lines.joined(separator: "\n")
    }

    static func format(ms: Double) -> String {
        if ms < 1 { return String(format: "%.1f ms", ms) }
        if ms < 1000 { return "\(Int(ms.rounded())) ms" }
        return String(format: "%.2f s", ms / 1000)
    }
}
