import RewindCore
import RewindPorts
import Synchronization

/// One signal watcher's early-warning detector (``EarlyWarningState``) and the baseline of the deployment it
/// watches. The baseline is read from the ``BaselineSource`` once, when the watcher first sees a suspect
/// deployment live, and kept while that deployment is live (it does not change: it is the past before the
/// deployment went live); a new deployment reads a new one and re-arms the detector.
final class EarlyWarningWatch: Sendable {
    private struct Watched {
        var deploymentID: String
        var baseline: RobustBaseline?
        var state: EarlyWarningState
    }

    let service: ServiceName
    let signal: MetricSignalPolicy
    let source: any BaselineSource
    private let watched = Mutex<Watched?>(nil)

    init(service: ServiceName, signal: MetricSignalPolicy, source: any BaselineSource) {
        self.service = service
        self.signal = signal
        self.source = source
    }

    /// Makes sure the baseline of `live` is known, reading it when `live` is a suspect deployment not seen yet.
    func prepare(for live: Deployment?) async {
        guard signal.earlyWarning.enabled, let live, live.trust == .suspect else { return }
        if watched.withLock({ $0?.deploymentID == live.id }) { return }
        let sample = await source.baseline(of: signal, service: service, liveAt: live.deployedAt)
        let baseline = sample.robust(signal.earlyWarning)
        watched.withLock { watched in
            guard watched?.deploymentID != live.id else { return }
            watched = Watched(
                deploymentID: live.id, baseline: baseline, state: EarlyWarningState(service: service, signal: signal))
        }
    }

    /// Feeds one evaluation of the signal while `live` is live; the warning when it completes a run.
    func observe(_ evaluation: MetricEvaluation, live: Deployment?, triggerFiring: Bool) -> EarlyWarning? {
        guard let live, live.trust == .suspect else { return nil }
        var value: Double?
        if case .value(let number, _) = evaluation.outcome { value = number }
        return watched.withLock { (watched: inout Watched?) -> EarlyWarning? in
            guard var current = watched, current.deploymentID == live.id else { return nil }
            let warning = current.state.observe(
                value, at: evaluation.at, deploymentID: live.id, baseline: current.baseline,
                triggerFiring: triggerFiring)
            watched = current
            return warning
        }
    }
}
