import RewindCore
import RewindPorts
import Synchronization

/// One signal watcher's early-warning detector (``EarlyWarningState``) and the baseline of the deployment it
/// watches. The baseline is read from the ``BaselineSource`` once, when the watcher first sees a suspect
/// deployment live, and kept while that deployment is live (it does not change: it is the past before the
/// deployment went live); a new deployment reads a new one and re-arms the detector.
///
/// The read never holds up the signal's own evaluation (a baseline spans weeks of Prometheus ranges and may
/// take up to the client's timeout; the trigger must not wait for it): ``prepare(for:)`` asks for it and returns,
/// and ``run()`` — a task of its own beside the watcher — reads it. The evaluations seen meanwhile are kept (at
/// most ``pendingLimit``) and fed to the detector, in order, at the first evaluation after the baseline arrived,
/// so the detector sees every value, as `rewind replay` does, and a warning carries the time of the evaluation
/// that completed its run.
final class EarlyWarningWatch: Sendable {
    /// Evaluations kept while the baseline is read: at a 10 s interval, more than an hour of them.
    static let pendingLimit = 512

    private struct Pending {
        var value: Double?
        var at: Timestamp
        var triggerFiring: Bool
    }

    private struct Watched {
        var deploymentID: String
        /// Nil until the read is answered; then the baseline, or nil for "no baseline".
        var baseline: RobustBaseline??
        var pending: [Pending] = []
        var state: EarlyWarningState
        var warning: EarlyWarning?
    }

    let service: ServiceName
    let signal: MetricSignalPolicy
    let source: any BaselineSource
    private let watched = Mutex<Watched?>(nil)
    /// Deployments whose baseline is to be read; only the newest waits (an older one is no longer live).
    private let requests: AsyncStream<Deployment>
    private let requestSink: AsyncStream<Deployment>.Continuation

    init(service: ServiceName, signal: MetricSignalPolicy, source: any BaselineSource) {
        self.service = service
        self.signal = signal
        self.source = source
        (requests, requestSink) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    deinit { requestSink.finish() }

    /// True when the signal warns at all (its reader task is worth running).
    var enabled: Bool { signal.earlyWarning.enabled }

    /// Asks for the baseline of `live` when it is a suspect deployment not seen yet; returns at once.
    func prepare(for live: Deployment?) {
        guard enabled, let live, live.trust == .suspect else { return }
        let isNew = watched.withLock { watched in
            guard watched?.deploymentID != live.id else { return false }
            watched = Watched(
                deploymentID: live.id, baseline: nil, state: EarlyWarningState(service: service, signal: signal))
            return true
        }
        if isNew { requestSink.yield(live) }
    }

    /// Reads each baseline asked for, until cancelled.
    func run() async {
        for await live in requests {
            let sample = await source.baseline(of: signal, service: service, liveAt: live.deployedAt)
            let baseline = sample.robust(signal.earlyWarning)
            watched.withLock { watched in
                guard watched?.deploymentID == live.id else { return }
                watched?.baseline = .some(baseline)
            }
        }
    }

    /// Feeds one evaluation of the signal while `live` is live; the warning when it completes a run.
    func observe(_ evaluation: MetricEvaluation, live: Deployment?, triggerFiring: Bool) -> EarlyWarning? {
        guard let live, live.trust == .suspect else { return nil }
        var value: Double?
        if case .value(let number, _) = evaluation.outcome { value = number }
        let observed = Pending(value: value, at: evaluation.at, triggerFiring: triggerFiring)
        return watched.withLock { (watched: inout Watched?) -> EarlyWarning? in
            guard var current = watched, current.deploymentID == live.id else { return nil }
            defer { watched = current }
            guard case .some(let baseline) = current.baseline else {
                if current.pending.count < Self.pendingLimit { current.pending.append(observed) }
                return nil
            }
            var warning: EarlyWarning?
            for seen in current.pending + [observed] where warning == nil {
                warning = current.state.observe(
                    seen.value, at: seen.at, deploymentID: live.id, baseline: baseline,
                    triggerFiring: seen.triggerFiring)
            }
            current.pending = []
            current.warning = current.warning ?? warning
            return warning
        }
    }

    /// The warning raised on `live`, while it is the suspect deployment watched (for `rewind status`).
    func warning(on live: Deployment?) -> EarlyWarning? {
        guard let live, live.trust == .suspect else { return nil }
        return watched.withLock { $0?.deploymentID == live.id ? $0?.warning : nil }
    }
}
