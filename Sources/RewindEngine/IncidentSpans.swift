import RewindCore
import Tracing

/// The spans an incident leaves in a trace, so that a team's tracing backend shows a rollback as
/// what it was: `rewind.incident` for the incident's run in this process, and under it one span per
/// plan step (`rewind.step <action>`) and per verification (`rewind.verify`). The daemon exports
/// them over OTLP when `tracing.otlp_endpoint` is set; otherwise the tracer is a no-op.
///
/// Names are few and fixed (a backend groups by them); what varies is in attributes: the
/// incident's id, services, trigger, strategy and mode, a step's id, service and from/to versions,
/// and each outcome. A failed step, a failed verification and an incident that did not complete
/// have the error status. Nothing here is a secret: these are the incident's own words, which its
/// timeline and notices show already (a platform's error reaches them redacted).
struct IncidentSpans: Sendable {
    let tracer: any Tracer
    let incident: Incident

    /// Runs `body` (the whole incident) inside its span; `resumed` when a restart picked it up
    /// from the journal. `body` gets the span to record the outcome on (``ended(_:with:)``).
    func incident(resumed: Bool, _ body: (any Span) async -> Void) async {
        await tracer.withAnySpan("rewind.incident", context: .topLevel, ofKind: .internal) { span in
            span.attributes["rewind.incident.id"] = Int(incident.id)
            span.attributes["rewind.services"] = incident.services.map(\.rawValue)
            span.attributes["rewind.trigger"] = incident.trigger.rawValue
            span.attributes["rewind.severity"] = incident.severity.rawValue
            span.attributes["rewind.strategy"] = incident.strategy?.rawValue
            span.attributes["rewind.mode"] = incident.mode.rawValue
            span.attributes["rewind.resumed"] = resumed
            await body(span)
        }
    }

    /// The incident's outcome, on its span.
    static func ended(_ span: any Span, with outcome: IncidentOutcome) {
        span.attributes["rewind.outcome"] = outcome.rawValue
        switch outcome {
        case .completed, .observed: break
        case .failed, .escalated: span.setStatus(SpanStatus(code: .error, message: "incident \(outcome.rawValue)"))
        }
    }

    /// Runs one plan step inside its span, a child of the incident's.
    func step(_ step: PlanStep, _ body: () async -> StepOutcome) async -> StepOutcome {
        await tracer.withAnySpan("rewind.step \(step.action.spanWord)", ofKind: .internal) { span in
            span.attributes["rewind.incident.id"] = Int(incident.id)
            span.attributes["rewind.step.id"] = step.id
            span.attributes["rewind.service"] = step.service.rawValue
            span.attributes["rewind.from.version"] = step.from.version
            span.attributes["rewind.to.version"] = step.to.version
            let outcome = await body()
            span.attributes["rewind.outcome"] = outcome.summary
            if !outcome.isSuccess { span.setStatus(SpanStatus(code: .error, message: outcome.summary)) }
            return outcome
        }
    }

    /// Runs a service's verification inside its span, a child of the incident's.
    func verification(
        _ service: ServiceName, _ body: () async -> (passed: Bool, results: [String])
    ) async -> (passed: Bool, results: [String]) {
        await tracer.withAnySpan("rewind.verify", ofKind: .internal) { span in
            span.attributes["rewind.incident.id"] = Int(incident.id)
            span.attributes["rewind.service"] = service.rawValue
            let verdict = await body()
            span.attributes["rewind.verification.passed"] = verdict.passed
            if let last = verdict.results.last { span.attributes["rewind.verification.result"] = last }
            if !verdict.passed { span.setStatus(SpanStatus(code: .error, message: "verification failed")) }
            return verdict
        }
    }
}

extension Tracer {
    /// `withSpan` for an operation that cannot throw, on a tracer held as `any Tracer`: the span
    /// ends when `body` returns, and task-local context makes it the parent of spans started inside.
    fileprivate func withAnySpan<T>(
        _ name: String, context: ServiceContext = .current ?? .topLevel, ofKind kind: SpanKind,
        _ body: (any Tracing.Span) async -> T
    ) async -> T {
        let span = startSpan(name, context: context, ofKind: kind)
        defer { span.end() }
        return await ServiceContext.withValue(span.context) { await body(span) }
    }
}

extension StepAction {
    /// One word per kind of step, for a span's name (the values stay in attributes).
    fileprivate var spanWord: String {
        switch self {
        case .rollback: "rollback"
        case .setTraffic: "set_traffic"
        case .reduceTraffic: "reduce_traffic"
        case .watch: "watch"
        case .disableFlags: "disable_flags"
        case .migrate: "migrate"
        case .preserveCanaryData: "preserve_canary_data"
        case .purgeCache: "purge_cache"
        }
    }
}
