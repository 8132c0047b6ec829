import RewindCore

/// The canary judges of one replay, looked at as the live watcher looks (the engine's `CanarySubject`): one
/// ``CanaryJudgeState`` per service with canary signals, a look every ``CanaryJudgeState/lookInterval(of:)``,
/// the first one interval after `--from` (the watcher of a daemon started then), each look reading every canary
/// signal's cohorts from the fetched ``CohortHistory`` and judged with the live deployment's suspect state.
struct CanaryLooks {
    /// When a service's looks fall in a period.
    struct Schedule: Equatable {
        var first: Timestamp
        var last: Timestamp
        var interval: Duration
    }

    private var judges: [ServiceName: CanaryJudgeState] = [:]
    private var intervals: [ServiceName: Duration] = [:]
    /// Services in the policy's order (ties between looks at one time go in this order).
    private var services: [ServiceName] = []
    private var next: [ServiceName: Timestamp] = [:]
    private let to: Timestamp

    /// The looks at `signals` in (`from`, `to`): `from + interval`, `from + 2·interval`, … before `to`; nil when
    /// there is none.
    static func schedule(of signals: [CanarySignalPolicy], from: Timestamp, to: Timestamp) -> Schedule? {
        let interval = CanaryJudgeState.lookInterval(of: signals)
        guard interval.milliseconds > 0, to > from else { return nil }
        let count = ((to - from).milliseconds - 1) / interval.milliseconds
        guard count > 0 else { return nil }
        return Schedule(first: from + interval, last: from + interval * count, interval: interval)
    }

    init(policy: Policy, from: Timestamp, to: Timestamp) {
        self.to = to
        for service in policy.services where !service.canarySignals.isEmpty {
            judges[service.name] = CanaryJudgeState(
                service: service.name, signals: service.canarySignals, thresholds: service.canaryScore)
            guard let schedule = Self.schedule(of: service.canarySignals, from: from, to: to) else { continue }
            services.append(service.name)
            intervals[service.name] = schedule.interval
            next[service.name] = schedule.first
        }
    }

    /// The next look due, and whose: the earliest, ties in the policy's order; nil after the last.
    var due: (at: Timestamp, service: ServiceName)? {
        var earliest: (at: Timestamp, service: ServiceName)?
        for service in services {
            guard let at = next[service], at < to else { continue }
            if earliest.map({ at < $0.at }) ?? true { earliest = (at, service) }
        }
        return earliest
    }

    /// Takes `service`'s look due at `now`: its cohorts from `cohorts` while a deployment is suspect
    /// (`suspectSince`, as the watcher reads it from the live deployment), fed to its judge.
    mutating func look(
        _ service: ServiceName, at now: Timestamp, suspectSince: Timestamp?, cohorts: CohortHistory
    ) -> TriggerEvent {
        guard let signals = judges[service]?.signals, let interval = intervals[service] else { return .none }
        next[service] = now + interval
        // A look with no suspect deployment is ignored by the judge: no need to read the cohorts for it.
        let readings =
            suspectSince == nil ? [] : signals.map { cohorts.reading(of: $0, service: service, at: now) }
        // Mutated in place: the judge's samples are not copied at every look.
        return judges[service]?.observe(CanaryLook(at: now, suspectSince: suspectSince, readings: readings)) ?? .none
    }

    /// A new deployment of `service` went live: its canary is judged from scratch.
    mutating func reset(_ service: ServiceName) {
        judges[service]?.reset()
    }
}
