import Logging
import RewindCore
import RewindPorts

/// The platform's own word on a suspect deployment (``WorkloadHealthReporting``: Kubernetes pods in
/// `CrashLoopBackOff`, a rollout past its progress deadline), read every ``WorkloadHealthReporting/workloadHealthInterval``
/// while the service's live deployment is suspect and not at all once it is known good (no call is made then).
/// The first reading with a problem fires a critical health violation with the API's evidence
/// (``WorkloadHealthState``). Only services whose platform reports workload health get this watcher.
struct WorkloadHealthSubject: WatchSubject {
    let service: ServiceName
    let reporter: any WorkloadHealthReporting
    let board: StatusBoard
    let logger: Logger

    var source: TriggerSource { TriggerSource(.check, WorkloadHealthState.checkName) }
    var kind: String { "workload" }

    func makeState() -> WorkloadHealthState { WorkloadHealthState(service: service) }

    func firstReading(now: Timestamp) -> Timestamp { now }

    /// A new deployment is suspect: look at once.
    var readsOnNewDeployment: Bool { true }

    func read(at now: Timestamp) async -> WorkloadReading {
        guard let live = board.live(service), live.trust != .knownGood else { return .skipped }
        do {
            return .problems(try await reporter.workloadProblems(service: service), at: now)
        } catch is CancellationError {
            return .unavailable("cancelled")
        } catch {
            let reason = (error as? ProviderError)?.message ?? "the platform could not be asked"
            return .unavailable(reason)
        }
    }

    func after(
        _ reading: WorkloadReading, event: TriggerEvent, state: WorkloadHealthState, now: Timestamp
    )
        -> Timestamp
    {
        if case .inconclusive(let reason) = event {
            logger.info(
                "workload health unavailable",
                metadata: ["rewind.service": "\(service)", "rewind.reason": "\(reason)"])
        }
        return now + max(reporter.workloadHealthInterval, .seconds(1))
    }
}
