import Foundation
import RewindCore
import Testing

@Suite("Post-mortem: the report in the guide's sections, task notes included")
struct PostMortemTests {
    typealias S = Fixture

    static let violation = Violation(
        service: "backend", trigger: .healthCritical, severity: .critical, at: S.t(20),
        rule: "health: 3 consecutive within 2m",
        evidence: [
            Evidence(at: S.t(0), check: "health", result: "HTTP 503", latencyMs: 12),
            Evidence(at: S.t(10), check: "health", result: "HTTP 503", latencyMs: 9),
            Evidence(at: S.t(20), check: "health", result: "HTTP 503", latencyMs: 11),
        ])

    static let incident = Incident(
        id: 12, openedAt: S.t(20), closedAt: S.t(320), services: ["backend"], trigger: .healthCritical,
        severity: .critical, strategy: .immediate, status: .completed, summary: "backend health failing",
        plan: Plan(strategy: .immediate, steps: [S.step("backend")], freeze: nil), violation: violation)

    /// The guide's tasks; the root cause and the lessons learned written down, one action item done.
    static func tasks(notes: Bool) -> [IncidentTask] {
        PostRollbackWork.tasks(incidentID: 12, at: S.t(320), postMortemWithin: .seconds(86_400)).map { task in
            var task = task
            guard notes else { return task }
            switch task.id {
            case PostMortem.rootCauseTask:
                task.state = .done
                task.note = "the v2 migration dropped an index | queries timed out"
            case PostMortem.lessonsLearnedTask:
                task.note = "bake migrations in staging -> then production"
            case "remediation.fix_root_cause":
                task.state = .inProgress
                task.team = "payments"
                task.note = "restore the index in v3"
            default: break
            }
            return task
        }
    }

    static func dossier(notes: Bool = true) -> IncidentDossier {
        IncidentDossier(
            incident: incident,
            timeline: [
                TimelineEvent(incidentID: 12, at: S.t(20), kind: .detected, message: "health_critical on backend"),
                TimelineEvent(incidentID: 12, at: S.t(25), kind: .stepAccepted, message: "rollback-backend accepted"),
                TimelineEvent(incidentID: 12, at: S.t(320), kind: .closed, message: "completed"),
            ],
            tasks: tasks(notes: notes))
    }

    @Test("the sections come in the guide's order: summary, impact, timeline, root cause, action items, lessons")
    func sectionOrder() throws {
        let markdown = IncidentReport.markdown(Self.dossier(), chartPath: nil)
        let headings = markdown.split(separator: "\n").filter { $0.hasPrefix("## ") }.map(String.init)
        let wanted = [
            "## Summary", "## Impact", "## Timeline", "## Root cause", "## Action items", "## Lessons learned",
        ]
        let positions = try wanted.map { heading in try #require(headings.firstIndex(of: heading), "\(heading) missing")
        }
        #expect(positions == positions.sorted())
    }

    @Test("the summary says what fired, what Rewind did and how it ended")
    func summary() {
        let postMortem = PostMortem(Self.dossier())
        #expect(
            postMortem.summary.hasPrefix(
                "backend health failing. health_critical (critical) fired on backend at 2026-09-21T14:13:40.000Z: "
                    + "health: 3 consecutive within 2m."))
        var restated = Self.dossier()
        restated.incident.summary = "backend: health_critical: health: 3 consecutive within 2m"
        #expect(
            PostMortem(restated).summary.components(separatedBy: "3 consecutive within 2m").count == 2,
            "the rule is said once")
        #expect(
            postMortem.summary.contains(
                "Rewind took the immediate strategy: roll back backend v2 (backend-v2) → v1 (backend-v1)."))
        #expect(postMortem.summary.contains("The incident completed at 2026-09-21T14:18:40.000Z, 5m after it opened."))
        #expect(postMortem.summary.contains("accepted the first step 5s after detection"))
    }

    @Test("impact: the services, the duration from the first failing observation, and the evidence")
    func impact() {
        let markdown = IncidentReport.markdown(Self.dossier(), chartPath: nil)
        #expect(markdown.contains("- Services: backend"))
        #expect(markdown.contains("- Duration: 5m20s, from 2026-09-21T14:13:20.000Z to 2026-09-21T14:18:40.000Z"))
        #expect(markdown.contains("  - health: 3 consecutive within 2m"))
        #expect(markdown.contains("  - 2026-09-21T14:13:30.000Z health HTTP 503 (9 ms)"))
    }

    @Test("the root cause and the lessons learned are the tasks' notes; action items show owner, due, state and note")
    func notes() {
        let markdown = IncidentReport.markdown(Self.dossier(), chartPath: nil)
        let lines = markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let rootCause = lines.firstIndex(of: "## Root cause").map { lines[$0 + 2] }
        #expect(rootCause == "the v2 migration dropped an index \\| queries timed out")
        let lessons = lines.firstIndex(of: "## Lessons learned").map { lines[$0 + 2] }
        #expect(lessons == "bake migrations in staging -> then production")
        #expect(lines.contains("| task | owner | due | state | note |"))
        #expect(
            lines.contains(
                "| Fix root cause (`remediation.fix_root_cause`) | payments | 2026-09-22T14:18:40.000Z | in_progress | restore the index in v3 |"
            ))
        #expect(
            lines.contains(
                "| Analyze logs (`investigation.analyze_logs`) | devops | 2026-09-21T16:18:40.000Z | open |  |"))
        #expect(
            lines.contains(
                "| Lessons learned (`documentation.lessons_learned`) | devops | required | open | bake migrations in staging -> then production |"
            ))
    }

    @Test("without notes the root cause and the lessons learned say how to record them")
    func toBeDetermined() {
        let markdown = IncidentReport.markdown(Self.dossier(notes: false), chartPath: nil)
        #expect(
            markdown.contains(
                "To be determined: record it with `rewind incidents task 12 investigation.identify_root_cause --state done --note \"…\"`."
            ))
        #expect(
            markdown.contains(
                "To be written: record it with `rewind incidents task 12 documentation.lessons_learned --state done --note \"…\"`."
            ))
    }

    @Test("HTML carries the same sections and notes, escaped")
    func html() {
        let html = IncidentReport.html(Self.dossier())
        for section in [
            "<h2>Summary</h2>", "<h2>Impact</h2>", "<h2>Timeline</h2>", "<h2>Root cause</h2>", "<h2>Action items</h2>",
            "<h2>Lessons learned</h2>",
        ] {
            #expect(html.contains(section), "\(section) missing")
        }
        #expect(html.contains("<p>the v2 migration dropped an index | queries timed out</p>"))
        #expect(html.contains("<p>bake migrations in staging -&gt; then production</p>"))
        #expect(html.contains("<td>restore the index in v3</td>"))
    }

    @Test("JSON adds post_mortem to the record")
    func json() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(IncidentReport.Document(Self.dossier()))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["incident"] != nil && object["tasks"] != nil)
        let postMortem = try #require(object["post_mortem"] as? [String: Any])
        #expect(postMortem["root_cause"] as? String == "the v2 migration dropped an index | queries timed out")
        #expect(postMortem["lessons_learned"] as? String == "bake migrations in staging -> then production")
        let items = try #require(postMortem["action_items"] as? [[String: Any]])
        #expect(items.count == 16)
        let fix = try #require(items.first { $0["task"] as? String == "remediation.fix_root_cause" })
        #expect(fix["owner"] as? String == "payments")
        #expect(fix["state"] as? String == "in_progress")
        #expect(fix["note"] as? String == "restore the index in v3")
        let impact = try #require(postMortem["impact"] as? [String: Any])
        #expect(impact["duration"] as? String == "5m20s")
        #expect(impact["services"] as? [String] == ["backend"])
    }
}
