import Foundation
import Testing

@testable import RewindCore

@Suite("Escalation, delivery and post-rollback work")
struct AftercareTests {
    typealias S = Fixture
    let policy = EscalationPolicy()

    @Test(
        "a critical service down escalates to on-call now and management in 5 minutes, devops and product if it drags on"
    )
    func criticalRollbackTimers() {
        let timers = EscalationPlanner.timers(
            for: .rollbackStarted(.healthCritical, .critical), incidentID: 7, at: S.base, policy: policy)
        let plan = timers.map { ($0.audience, $0.policy, $0.dueAt - S.base) }
        #expect(plan.count == 4)
        #expect(plan.contains { $0 == (.oncall, .immediate, .zero) })
        #expect(plan.contains { $0 == (.management, .immediate, .seconds(300)) })
        // The guide: devops within 15 m, product within 30 m, counted from detection.
        #expect(plan.contains { $0 == (.devops, .delayed, .seconds(900)) })
        #expect(plan.contains { $0 == (.product, .delayed, .seconds(1800)) })
        #expect(timers.allSatisfy { $0.incidentID == 7 && $0.state == .pending })
        #expect(timers.map(\.dueAt) == timers.map(\.dueAt).sorted(), "timers come earliest first")
    }

    @Test("a non-critical rollback only escalates when it is slow")
    func fastRollbackTimers() {
        let timers = EscalationPlanner.timers(
            for: .rollbackStarted(.healthNonCritical, .high), incidentID: 1, at: S.base, policy: policy)
        #expect(Set(timers.map(\.audience)) == [.devops, .product])
        #expect(timers.allSatisfy { $0.policy == .delayed && $0.dueAt - S.base >= policy.slowRollbackAfter })
    }

    @Test("a failed rollback escalates immediately")
    func failedRollback() {
        let timers = EscalationPlanner.timers(for: .rollbackFailed, incidentID: 1, at: S.base, policy: policy)
        #expect(Set(timers.map(\.audience)) == [.oncall, .management])
        #expect(timers.allSatisfy { $0.policy == .immediate && $0.reason == "rollback failed" })
    }

    @Test(
        "no rollback possible: immediate when critical, delayed otherwise",
        arguments: [
            (Severity.critical, EscalationTimer.Policy.immediate), (.high, .delayed), (.low, .delayed),
        ])
    func withoutRollback(severity: Severity, expected: EscalationTimer.Policy) {
        let timers = EscalationPlanner.timers(
            for: .escalatedWithoutRollback(severity), incidentID: 1, at: S.base, policy: policy)
        #expect(!timers.isEmpty)
        #expect(timers.allSatisfy { $0.policy == expected })
    }

    @Test("configured delays are used; an audience left out is not escalated to")
    func customPolicy() {
        let custom = EscalationPolicy(immediate: [.security: .seconds(60)], delayed: [:])
        let timers = EscalationPlanner.timers(for: .rollbackFailed, incidentID: 1, at: S.base, policy: custom)
        #expect(timers.map(\.audience) == [.security])
        #expect(timers.first?.dueAt == S.t(60))
    }

    @Test(
        "delivery: transient failures retry with backoff and Retry-After, permanent ones and exhausted attempts give up"
    )
    func deliveryRule() {
        let retry = RetryPolicy(attempts: 3, baseDelay: .seconds(1), maxDelay: .seconds(60))
        #expect(
            DeliveryRule.afterFailure(
                attempts: 1, transient: false, retryAfter: nil, policy: retry, now: S.base, unitRandom: 0.5) == .giveUp)
        #expect(
            DeliveryRule.afterFailure(
                attempts: 4, transient: true, retryAfter: nil, policy: retry, now: S.base, unitRandom: 0.5) == .giveUp)
        guard
            case .retry(let at) = DeliveryRule.afterFailure(
                attempts: 1, transient: true, retryAfter: .seconds(30), policy: retry, now: S.base, unitRandom: 0)
        else {
            Issue.record("a transient failure must be retried")
            return
        }
        #expect(at == S.t(30), "Retry-After wins over a shorter backoff")
        guard
            case .retry(let soon) = DeliveryRule.afterFailure(
                attempts: 2, transient: true, retryAfter: nil, policy: retry, now: S.base, unitRandom: 0)
        else {
            Issue.record("a transient failure must be retried")
            return
        }
        #expect(soon > S.base, "never a retry at the same instant")
    }

    @Test(
        "the guide's post-rollback work: investigation in 2 hours, remediation in 24, documentation required, post-mortem"
    )
    func postRollbackWork() {
        let tasks = PostRollbackWork.tasks(incidentID: 3, at: S.base, postMortemWithin: .seconds(86_400))
        let byGroup = Dictionary(grouping: tasks, by: \.group)
        #expect(
            byGroup[.investigation]?.map(\.id) == [
                "investigation.analyze_logs", "investigation.review_metrics", "investigation.check_configuration",
                "investigation.identify_root_cause", "investigation.document_findings",
            ])
        #expect(byGroup[.investigation]?.allSatisfy { $0.dueAt == S.t(7200) && $0.team == "devops" } == true)
        #expect(byGroup[.remediation]?.count == 5)
        #expect(byGroup[.remediation]?.allSatisfy { $0.dueAt == S.t(86_400) } == true)
        #expect(
            byGroup[.documentation]?.map(\.title) == [
                "Incident report", "Root cause analysis", "Action items", "Lessons learned", "Process improvements",
            ])
        #expect(byGroup[.documentation]?.allSatisfy { $0.dueAt == nil } == true)
        #expect(byGroup[.postMortem]?.first?.dueAt == S.t(86_400))
        #expect(Set(tasks.map(\.id)).count == tasks.count, "task ids are unique within an incident")
        #expect(tasks.allSatisfy { $0.state == .open && $0.incidentID == 3 })
    }

    @Test("an escalation notice is titled for its audience")
    func escalationTitle() {
        var notice = Notice(
            kind: .escalated, incidentID: 1, services: ["backend"], trigger: .healthCritical, severity: .critical,
            timestamp: S.base, strategy: .immediate, actions: [], status: "escalated")
        #expect(notice.title == "ESCALATED: NO ROLLBACK")
        notice.audience = .management
        #expect(notice.title == "ESCALATION TO MANAGEMENT")
    }
}

@Suite("Incident reports and the signal chart")
struct ReportFormatTests {
    typealias S = Fixture

    func dossier() -> IncidentDossier {
        let evidence = (1...3).map { Evidence(at: S.t(Int64($0)), check: "health", result: "HTTP 500", latencyMs: 3) }
        let violation = Violation(
            service: "backend", trigger: .healthCritical, severity: .critical, at: S.t(3),
            rule: "health: 3 consecutive within 2m", evidence: evidence)
        let incident = Incident(
            id: 4, openedAt: S.t(3), closedAt: S.t(9), services: ["backend"], trigger: .healthCritical,
            severity: .critical, strategy: .immediate, status: .completed, summary: "backend <down> & out",
            violation: violation)
        let samples = [
            S.observation(0, S.ok), S.observation(1, S.down), S.observation(2, S.down), S.observation(3, S.down),
            S.observation(7, S.ok), S.observation(8, S.ok),
        ]
        let timeline = [TimelineEvent(incidentID: 4, at: S.t(5), kind: .stepAccepted, message: "accepted")]
        let tasks = PostRollbackWork.tasks(incidentID: 4, at: S.t(9), postMortemWithin: .seconds(86_400))
        return IncidentDossier(incident: incident, timeline: timeline, tasks: tasks, samples: samples)
    }

    @Test("the triggering series is the run of consecutive failures; the threshold is the rule's count")
    func series() {
        let d = dossier()
        #expect(d.triggeringSeries.map(\.value) == [0, 1, 2, 3, 0, 0])
        #expect(d.threshold == 3)
        #expect(d.markers.map(\.label) == ["detected", "rollback", "completed"])
    }

    @Test("the SVG has the series, the threshold line and the markers, and escapes text")
    func svg() {
        let svg = IncidentReport.chart(dossier())
        #expect(svg.hasPrefix("<svg"))
        #expect(svg.hasSuffix("</svg>"))
        #expect(svg.contains("<polyline"))
        #expect(svg.contains("threshold 3"))
        #expect(svg.contains(">detected<") && svg.contains(">rollback<"))
        #expect(svg.components(separatedBy: "<circle").count - 1 == 6, "one dot per sample")
        let escaped = SignalChart.svg(series: [], threshold: nil, markers: [], title: "a <b> & \"c\"", yLabel: "y")
        #expect(escaped.contains("a &lt;b&gt; &amp; &quot;c&quot;"))
        #expect(escaped.contains("no samples recorded"))
    }

    @Test("HTML is one escaped, self-contained page with the chart inline and every section")
    func html() {
        let html = IncidentReport.html(dossier())
        #expect(html.contains("backend &lt;down&gt; &amp; out"))
        #expect(!html.contains("<down>"))
        #expect(html.contains("<svg"))
        for section in ["Why Rewind acted", "Triggering signal", "Timeline", "Action items", "Post-rollback work"] {
            #expect(html.contains(section))
        }
    }

    @Test("Markdown links the chart and lists the recorded tasks as action items instead of the generic follow-up")
    func markdown() {
        let md = IncidentReport.markdown(dossier(), chartPath: "incident-4.svg")
        #expect(md.contains("](incident-4.svg)"))
        #expect(md.contains("## Action items"))
        #expect(md.contains("| Analyze logs (`investigation.analyze_logs`) | devops |"))
        #expect(!md.contains("the guide's follow-up"))
    }
}
