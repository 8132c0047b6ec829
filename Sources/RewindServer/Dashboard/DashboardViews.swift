import RewindCore
import RewindEngine

/// What the dashboard's fragments show, as plain values for their Mustache templates
/// (``DashboardTemplates``). Pure: built from what the API reads, no I/O. Every string here is
/// data, escaped by Mustache where a template inserts it; no view carries markup.
struct OverviewView: Sendable {
    struct FreezeView: Sendable {
        var until: String
        var reason: String
        var setBy: String?
    }

    /// Automation paused by an operator (`rewind pause`, the dashboard's Pause), for every service or one.
    struct PauseView: Sendable {
        var reason: String
        var setAt: String
        var setBy: String?

        init(_ pause: AutomationPause) {
            reason = pause.reason
            setAt = pause.setAt.iso8601
            setBy = pause.setBy
        }
    }

    struct ServiceView: Sendable {
        var name: String
        /// This service's own pause (a pause of every service shows once, above).
        var pause: PauseView?
        var live: String
        var liveTrust: String
        var liveTrustClass: String
        var knownGood: String
        var rows: [RowView]
    }

    /// One check or signal: its state, current value against its threshold, and its last hour.
    struct RowView: Sendable {
        var kind: String
        var name: String
        var state: String
        var stateClass: String
        var value: String
        var threshold: String
        var chart: ChartView
    }

    var mode: String
    var generatedAt: String
    var frozen: Bool
    var freeze: FreezeView?
    var allPaused: Bool
    var allPause: PauseView?
    var openIncidents: [IncidentView]
    var services: [ServiceView]
    var recent: [IncidentView]

    init(
        report: StatusReport, policy: Policy, recentValues: [RecentSeries], steps: [Int64: [StepRecord]],
        recent: [Incident]
    ) {
        mode = report.mode.rawValue
        generatedAt = report.generatedAt.iso8601
        frozen = report.freeze != nil
        freeze = report.freeze.map { FreezeView(until: $0.until.iso8601, reason: $0.reason, setBy: $0.setBy) }
        let pauses = AutomationPauses(report.automationPauses ?? [])
        allPaused = pauses.all != nil
        allPause = pauses.all.map(PauseView.init)
        openIncidents = report.openIncidents.map { IncidentView($0, steps: steps[$0.id] ?? []) }
        let now = report.generatedAt
        services = report.services.map { row in
            let checks = row.checks.map { check in
                RowView(
                    kind: "check", name: check.check,
                    state: check.firing ? "firing" : check.consecutiveFailures > 0 ? "failing" : "ok",
                    stateClass: check.firing ? "bad" : check.consecutiveFailures > 0 ? "warn" : "ok",
                    value:
                        "\(check.lastResult ?? "not probed yet") · \(check.consecutiveFailures) consecutive failures",
                    threshold: "fires at \(policy.health.failureRule(for: check.severity).summary)",
                    chart: ChartView(Self.series(recentValues, row.service, .check, check.check), now: now))
            }
            let signals = row.signals.map { signal in
                RowView(
                    kind: "signal", name: signal.signal,
                    state: signal.firing ? "firing" : signal.violations > 0 ? "violating" : "ok",
                    stateClass: signal.firing ? "bad" : signal.violations > 0 ? "warn" : "ok",
                    value: (signal.lastValue ?? "not evaluated yet")
                        + (signal.baseline.map { " (baseline \($0))" } ?? ""),
                    threshold: signal.threshold,
                    chart: ChartView(Self.series(recentValues, row.service, .signal, signal.signal), now: now))
            }
            return ServiceView(
                name: row.service.rawValue, pause: pauses.services[row.service].map(PauseView.init),
                live: row.live?.label ?? "unknown",
                liveTrust: row.live?.trust.rawValue ?? "none",
                liveTrustClass: row.live?.trust == .knownGood ? "ok" : row.live == nil ? "muted" : "warn",
                knownGood: row.knownGood?.label ?? "none yet", rows: checks + signals)
        }
        self.recent = recent.map { IncidentView($0, steps: []) }
    }

    static func series(
        _ all: [RecentSeries], _ service: ServiceName, _ kind: RecentSeries.Kind, _ name: String
    ) -> [RecentPoint] {
        all.first { $0.service == service && $0.kind == kind && $0.name == name }?.points ?? []
    }
}

/// An incident's head and its plan steps with their journal state.
struct IncidentView: Sendable {
    struct StepView: Sendable {
        var id: String
        var action: String
        var service: String
        var target: String
        var state: String
        var stateClass: String
        var detail: String
    }

    var id: Int64
    var openedAt: String
    var closedAt: String?
    var services: String
    var severity: String
    var status: String
    var statusClass: String
    var strategy: String
    var trigger: String
    var summary: String
    var reason: String?
    var acknowledgedBy: String?
    var isOpen: Bool
    var steps: [StepView]
    /// Stored, not computed: Mustache reads stored properties only.
    var hasSteps: Bool

    init(_ incident: Incident, steps records: [StepRecord]) {
        id = incident.id
        openedAt = incident.openedAt.iso8601
        closedAt = incident.closedAt?.iso8601
        services = incident.services.map(\.rawValue).joined(separator: ", ")
        severity = incident.severity.rawValue
        status = incident.status.rawValue
        statusClass =
            switch incident.status {
            case .open: "warn"
            case .completed: "ok"
            case .failed, .escalated: "bad"
            case .observed: "muted"
            }
        strategy = incident.strategy?.rawValue ?? "none"
        trigger = incident.trigger.rawValue
        summary = incident.summary
        reason = incident.reason
        acknowledgedBy = incident.acknowledgedBy
        isOpen = incident.status.isOpen
        let latest = Dictionary(records.map { ($0.stepID, $0) }) { _, newer in newer }
        steps = (incident.plan?.steps ?? []).map { step in
            let (state, stateClass, detail) = Self.state(latest[step.id])
            return StepView(
                id: step.id, action: Self.describe(step.action), service: step.service.rawValue,
                target: step.to.label, state: state, stateClass: stateClass, detail: detail)
        }
        hasSteps = !steps.isEmpty
    }

    static func state(_ record: StepRecord?) -> (String, String, String) {
        switch record?.state {
        case nil: ("waiting", "muted", "")
        case .intent: ("running", "warn", "")
        case .accepted(let operation): ("accepted", "warn", operation.map { "operation \($0)" } ?? "")
        case .done(let outcome):
            (outcome.isSuccess ? "done" : "failed", outcome.isSuccess ? "ok" : "bad", outcome.summary)
        }
    }

    static func describe(_ action: StepAction) -> String {
        switch action {
        case .rollback: "roll back"
        case .setTraffic(let share): "set traffic share to \(Int((share * 100).rounded()))%"
        case .reduceTraffic(let by): "reduce traffic by \(Int((by * 100).rounded()))%"
        case .watch(let ms): "watch for \(Duration.milliseconds(ms).rewindDescription)"
        case .disableFlags(let flags): "turn off flags \(flags.joined(separator: ", "))"
        case .migrate: "run the down-migration"
        case .preserveCanaryData: "preserve canary data"
        case .purgeCache: "purge the CDN cache"
        }
    }
}

/// One incident in full: its head, steps, the evidence of the violation that opened it, and its timeline.
struct IncidentDetailView: Sendable {
    struct EvidenceView: Sendable {
        var at: String
        var check: String
        var result: String
        var value: String
    }

    struct EventView: Sendable {
        var at: String
        var kind: String
        var message: String
    }

    var incident: IncidentView
    var rule: String?
    var evidence: [EvidenceView]
    var timeline: [EventView]
    var hasEvidence: Bool

    init(_ dossier: IncidentDossier) {
        incident = IncidentView(dossier.incident, steps: dossier.steps)
        rule = dossier.incident.violation?.rule
        evidence = (dossier.incident.violation?.evidence ?? []).map { item in
            EvidenceView(
                at: item.at.iso8601, check: item.check, result: item.result,
                value: [
                    item.value.map { "value \($0.formatted2)" }, item.threshold.map { "limit \($0.formatted2)" },
                    item.baseline.map { "baseline \($0.formatted2)" },
                    item.latencyMs > 0 ? "\(item.latencyMs) ms" : nil,
                ].compactMap { $0 }.joined(separator: " · "))
        }
        hasEvidence = !evidence.isEmpty
        timeline = dossier.timeline.map { EventView(at: $0.at.iso8601, kind: $0.kind.rawValue, message: $0.message) }
    }
}

/// A small line chart of the last hour (``RecentValues``), drawn in SVG by its template: the
/// points of the line and a dot for each unhealthy point. Coordinates only, computed here.
struct ChartView: Sendable, Equatable {
    struct Dot: Sendable, Equatable {
        var x: String
        var y: String
    }

    static let width = 240.0
    static let height = 36.0

    var points: String
    var dots: [Dot]
    /// The newest value, marked so that a single point (a daemon just started) shows too.
    var last: Dot?
    var empty: Bool
    /// The range the line spans, for its tooltip.
    var range: String

    init(_ series: [RecentPoint], now: Timestamp) {
        let start = now - RecentValues.span
        let shown = series.filter { $0.at >= start && $0.at <= now }
        let values = shown.compactMap(\.value)
        let low = values.min() ?? 0
        let high = values.max() ?? 0
        let spread = high - low
        func x(_ at: Timestamp) -> Double {
            Double((at - start).milliseconds) / Double(RecentValues.span.milliseconds) * Self.width
        }
        func y(_ value: Double?) -> Double {
            guard let value else { return Self.height - 1 }
            // A flat line sits in the middle; otherwise the lowest value at the bottom, the highest at the top.
            guard spread > 0 else { return Self.height / 2 }
            return (Self.height - 2) - (value - low) / spread * (Self.height - 4)
        }
        points = shown.filter { $0.value != nil }.map { "\(x($0.at).formatted1),\(y($0.value).formatted1)" }
            .joined(separator: " ")
        dots = shown.filter { !$0.ok }.map { Dot(x: x($0.at).formatted1, y: y($0.value).formatted1) }
        last = shown.last { $0.value != nil }.map { Dot(x: x($0.at).formatted1, y: y($0.value).formatted1) }
        empty = shown.isEmpty
        range = values.isEmpty ? "no values" : "\(low.formatted2) – \(high.formatted2)"
    }
}

extension Double {
    /// One decimal, for SVG coordinates.
    var formatted1: String { String((self * 10).rounded() / 10) }
    /// At most two decimals, for people.
    var formatted2: String {
        let rounded = (self * 100).rounded() / 100
        return rounded == rounded.rounded() && abs(rounded) < 1e15 ? String(Int64(rounded)) : String(rounded)
    }
}
