import Logging
import RewindCore
import RewindPorts

/// A service's canary judge: every look (the shortest `interval` of its canary signals) reads each
/// signal's canary and stable cohorts (``CohortSource``) and feeds them to the service's
/// ``CanaryJudgeState``. A failed canary is a violation like a threshold breach; an inconclusive look
/// never is. A cohort read that fails is reported to the supervisor as monitoring health, like a
/// threshold signal's.
struct CanarySubject: WatchSubject {
    let service: ServiceName
    let signals: [CanarySignalPolicy]
    let thresholds: CanaryScoreThresholds
    let cohortSource: any CohortSource
    /// The services whose signals read Prometheus, for the monitoring-failure report.
    let monitoredServices: [ServiceName]
    let board: StatusBoard
    let inbox: any CommandSink
    let metrics: RewindMetrics
    let logger: Logger

    var source: TriggerSource { TriggerSource(.signal, CanaryJudgeState.sourceName) }
    var kind: String { "canary" }

    var interval: Duration { CanaryJudgeState.lookInterval(of: signals) }

    func makeState() -> CanaryJudgeState {
        CanaryJudgeState(service: service, signals: signals, thresholds: thresholds)
    }

    func firstReading(now: Timestamp) -> Timestamp { now + interval }

    var readsOnNewDeployment: Bool { false }

    func read(at now: Timestamp) async -> CanaryLook {
        var readings: [CohortReading] = []
        for signal in signals {
            let reading = await cohortSource.read(signal, service: service, at: now)
            let failure: String? = if case .error(let reason) = reading.outcome { reason } else { nil }
            metrics.signalEvaluated(service, outcome: failure == nil ? "value" : "error")
            inbox.send(
                .event(
                    .monitoring(
                        source: "prometheus", ok: failure == nil, at: now, detail: failure ?? "",
                        services: monitoredServices)))
            readings.append(reading)
        }
        let live = board.live(service)
        return CanaryLook(
            at: now, suspectSince: live.flatMap { $0.trust == .knownGood ? nil : $0.deployedAt }, readings: readings)
    }

    func after(_ look: CanaryLook, event: TriggerEvent, state: CanaryJudgeState, now: Timestamp) -> Timestamp {
        if case .fired = event {
            logger.warning(
                "canary judge failed the canary",
                metadata: [
                    "rewind.service": "\(service)",
                    "rewind.canary.score": "\(state.lastScore.map { MetricUnit.number.format($0) } ?? "none")",
                ])
        }
        for signal in signals {
            let verdict = state.lastVerdicts[signal.name]
            let comparison = verdict?.comparison
            let shown: String? =
                switch verdict {
                case .pass(let comparison), .fail(let comparison):
                    CanaryJudgeState.describe(
                        signal, comparison, failed: { if case .fail = verdict { true } else { false } }())
                case .inconclusive(let why): "inconclusive: \(why)"
                case nil: nil
                }
            board.update(
                canary: SignalStatus(
                    service: service, signal: signal.name, category: signal.category, lastValue: shown, lastAt: now,
                    threshold: CanaryJudgeState.rule(signal),
                    baseline: comparison.map { signal.unit.format($0.stableMedian) },
                    violations: { if case .fail = verdict { 1 } else { 0 } }(), firing: state.isFiring,
                    inconclusive: { if case .inconclusive(let why) = verdict { why } else { nil } }()),
                value: comparison?.canaryMedian)
        }
        return now + interval
    }
}
