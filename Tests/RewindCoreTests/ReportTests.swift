import Foundation
import RewindCore
import Testing

@Suite("IncidentReport: Markdown from the record alone")
struct IncidentReportTests {
    typealias S = Fixture

    static let violation = Violation(
        service: "backend", trigger: .healthCritical, severity: .critical, at: S.t(20),
        rule: "health|main: 3 consecutive within 2m",
        evidence: [
            Evidence(at: S.t(0), check: "health|main", result: "HTTP 503", latencyMs: 12),
            Evidence(
                at: S.t(10), check: "health|main", result: "connection failed: <refused> | reset", latencyMs: 5003),
        ])

    static let plan = Plan(
        strategy: .immediate,
        steps: [S.step("frontend"), S.step("backend", after: ["frontend"], timeout: .seconds(180))],
        freeze: .seconds(3600))

    static let incident = Incident(
        id: 7, openedAt: S.t(20), closedAt: S.t(320), services: ["frontend", "backend"], trigger: .healthCritical,
        severity: .critical, strategy: .immediate, status: .completed, summary: "backend health failing", plan: plan,
        violation: violation, reason: "on-call | asked\nto roll back")

    static let timeline = [
        TimelineEvent(incidentID: 7, at: S.t(20), kind: .detected, message: "health_critical on backend"),
        TimelineEvent(incidentID: 7, at: S.t(21), kind: .decision, message: "immediate | 2 services"),
        TimelineEvent(
            incidentID: 7, at: S.t(50), kind: .output, message: "rollback-backend output",
            detail: .object(["stdout": .string("rolled back\ndone"), "stderr": .string("")])),
        TimelineEvent(incidentID: 7, at: S.t(320), kind: .closed, message: "completed"),
    ]

    static let markdown = IncidentReport.markdown(incident, timeline: timeline)
    static let lines = markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)

    @Test("the header table states status, services, trigger, strategy and duration")
    func header() {
        #expect(Self.lines.first == "# Incident #7: backend health failing")
        #expect(Self.lines.contains("| Status | completed |"))
        #expect(Self.lines.contains("| Services | frontend, backend |"))
        #expect(Self.lines.contains("| Trigger | health_critical |"))
        #expect(Self.lines.contains("| Strategy | immediate |"))
        #expect(Self.lines.contains("| Opened | 2026-09-21T14:13:40.000Z |"))
        #expect(Self.lines.contains("| Closed | 2026-09-21T14:18:40.000Z (after 5m) |"))
        #expect(Self.lines.contains("| Reason | on-call \\| asked to roll back |"))
    }

    @Test("the evidence table has one row per observation, with | escaped")
    func evidence() {
        #expect(Self.lines.contains("| 2026-09-21T14:13:20.000Z | health\\|main | HTTP 503 | 12 ms |"))
        #expect(
            Self.lines.contains(
                "| 2026-09-21T14:13:30.000Z | health\\|main | connection failed: \\<refused> \\| reset | 5003 ms |"))
        // Every table row has exactly four columns once escaped pipes are discounted.
        let rows = Self.lines.filter { $0.hasPrefix("| 2026-") }
        #expect(rows.count == 2)
        for row in rows {
            #expect(row.replacingOccurrences(of: "\\|", with: "").filter { $0 == "|" }.count == 5, "\(row)")
        }
    }

    @Test("plan steps are listed with targets, timeouts, order and the freeze")
    func planSteps() {
        #expect(
            Self.lines.contains(
                "- `rollback-frontend`: roll back frontend v2 (frontend-v2) → v1 (frontend-v1), timeout 30s"))
        #expect(
            Self.lines.contains(
                "- `rollback-backend`: roll back backend v2 (backend-v2) → v1 (backend-v1), timeout 3m (after rollback-frontend)"
            ))
        #expect(Self.lines.contains("- freeze deployments for 1h"))
    }

    @Test("the timeline lists every entry with its offset, and captured output in a block")
    func timelineEntries() throws {
        #expect(Self.lines.contains("- **2026-09-21T14:13:40.000Z** (+0s) `detected` health_critical on backend"))
        #expect(Self.lines.contains("- **2026-09-21T14:13:41.000Z** (+1s) `decision` immediate \\| 2 services"))
        #expect(Self.lines.contains("- **2026-09-21T14:18:40.000Z** (+5m) `closed` completed"))
        let output = try #require(Self.lines.firstIndex { $0.contains("`output`") })
        #expect(Array(Self.lines[(output + 1)...(output + 5)]) == ["", "  ```", "  rolled back", "  done", "  ```"])
        // An empty stderr adds no block.
        #expect(Self.lines.filter { $0 == "  ```" }.count == 2)
    }

    @Test("on a terminal recorded text stays text: no HTML entities, arrows stay arrows")
    func terminalText() {
        let timeline =
            Self.timeline + [
                TimelineEvent(
                    incidentID: 7, at: S.t(60), kind: .stepOutcome,
                    message: "rollback-backend: v2 -> v1 <done> & verified")
            ]
        let terminal = IncidentReport.markdown(Self.incident, timeline: timeline, medium: .terminal)
        #expect(terminal.contains("`step_outcome` rollback-backend: v2 -> v1 <done> & verified"))
        #expect(
            terminal.contains(
                "| 2026-09-21T14:13:30.000Z | health\\|main | connection failed: <refused> \\| reset | 5003 ms |"))
        #expect(!terminal.contains("&gt;") && !terminal.contains("&lt;") && !terminal.contains("&amp;"))
        // A Markdown file keeps `<` from being read as HTML, in Markdown's own way, and nothing else changes.
        let file = IncidentReport.markdown(Self.incident, timeline: timeline)
        #expect(file.contains("rollback-backend: v2 -> v1 \\<done> & verified"))
        #expect(!file.contains("&gt;") && !file.contains("&lt;"))
    }

    @Test("an incident without violation or plan still renders its timeline")
    func minimal() {
        let incident = Incident(
            id: 8, openedAt: S.t(0), services: ["worker"], trigger: .manual, severity: .high, strategy: nil,
            status: .escalated, summary: "manual")
        let markdown = IncidentReport.markdown(
            incident, timeline: [TimelineEvent(incidentID: 8, at: S.t(90), kind: .escalation, message: "no target")])
        #expect(markdown.contains("| Strategy | none |"))
        #expect(!markdown.contains("## Why Rewind acted"))
        #expect(!markdown.contains("## Plan"))
        #expect(markdown.contains("(+1m30s) `escalation` no target"))
    }
}

@Suite("Notice")
struct NoticeTests {
    static func notice(_ kind: NoticeKind) -> Notice {
        Notice(
            kind: kind, incidentID: 7, services: ["backend", "worker"], trigger: .healthCritical, severity: .critical,
            timestamp: Fixture.base, strategy: .immediate, actions: ["rollback backend → v1"], durationMs: 90_000,
            status: "rolling back", verificationResults: ["backend: healthy"], error: "HTTP 500",
            evidence: ["HTTP 503"])
    }

    @Test("line names the service, trigger, severity and status")
    func line() {
        let line = Self.notice(.initiated).line
        let parts = line.components(separatedBy: " | ")
        #expect(parts.first == "[initiated] AUTOMATED ROLLBACK INITIATED")
        for expected in [
            "incident #7", "service backend,worker", "trigger health_critical", "severity critical",
            "strategy immediate",
            "status rolling back", "duration 1m30s", "actions: rollback backend → v1", "verification: backend: healthy",
            "error: HTTP 500", "evidence: HTTP 503",
        ] {
            #expect(parts.contains(expected), "\(expected) missing from \(line)")
        }
    }

    @Test("optional fields are left out of the line when absent")
    func lineWithoutOptionals() {
        let notice = Notice(
            kind: .escalated, incidentID: 3, services: ["backend"], trigger: .healthNonCritical, severity: .high,
            timestamp: Fixture.base, strategy: nil, actions: [], status: "escalated")
        #expect(
            notice.line
                == "[escalated] ESCALATED: NO ROLLBACK | incident #3 | service backend | trigger health_non_critical"
                + " | severity high | status escalated")
    }

    @Test(
        "next steps are the guide's lists",
        arguments: [
            (
                NoticeKind.initiated,
                ["Monitor rollback progress", "Verify service health", "Investigate root cause", "Plan remediation"]
            ),
            (
                .completed,
                ["Monitor service stability", "Investigate root cause", "Plan next deployment", "Update runbooks"]
            ),
            (
                .failed,
                [
                    "Manual intervention needed", "Check service status", "Verify infrastructure",
                    "Contact on-call engineer",
                ]
            ),
            (
                .escalated,
                [
                    "Manual intervention needed", "Check service status", "Verify infrastructure",
                    "Contact on-call engineer",
                ]
            ),
        ])
    func nextSteps(kind: NoticeKind, expected: [String]) {
        #expect(Notice.nextSteps(for: kind) == expected)
        #expect(Self.notice(kind).nextSteps == expected)
    }

    @Test("titles are the guide's headlines")
    func titles() {
        #expect(Self.notice(.initiated).title == "AUTOMATED ROLLBACK INITIATED")
        #expect(Self.notice(.completed).title == "ROLLBACK COMPLETED SUCCESSFULLY")
        #expect(Self.notice(.failed).title == "ROLLBACK FAILED")
        #expect(!Notice.nextSteps(for: .wouldRollBack).isEmpty)
    }
}
