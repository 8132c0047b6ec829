import Logging
import RewindCore
import RewindPorts

/// What one watcher observes: a health check or a metric signal. The subject knows how to take a
/// reading and when to take the next; the ``Watcher`` does the rest the same way for both.
protocol WatchSubject: Sendable {
    associatedtype State: TriggerState

    var service: ServiceName { get }
    var source: TriggerSource { get }
    /// What the watch lag metric calls this kind of subject (`check`, `signal`).
    var kind: String { get }
    func makeState() -> State
    /// When the first reading is due.
    func firstReading(now: Timestamp) -> Timestamp
    /// Whether a new live deployment should cut the wait short and take a reading at once (a
    /// health check that watches a young deployment harder than an old one).
    var readsOnNewDeployment: Bool { get }
    /// Takes one reading (a probe, an evaluation). Never throws: a failure is a reading.
    func read(at now: Timestamp) async -> State.Reading
    /// Shows what the reading did (status, logs, events) and says when the next reading is due;
    /// `now` is when the reading started.
    func after(_ reading: State.Reading, event: TriggerEvent, state: State, now: Timestamp) -> Timestamp
}

/// Observes one subject on its schedule, forever: feeds each reading to the subject's trigger
/// state and reports what fired or recovered to the supervisor.
///
/// When the supervisor makes a new deployment of the service live, the trigger starts afresh
/// (its generation changed): failures of the old deployment never count against the new one. A
/// rollback does not restart it: a trigger that fired stays fired until its recovery rule is met,
/// so a rollback can never start another one. A subject that ``WatchSubject/readsOnNewDeployment``
/// does not wait out its interval when a new deployment goes live: it reads at once, and its
/// schedule (``ProbeSchedule``) then watches the young deployment harder.
struct Watcher<Subject: WatchSubject>: Sendable {
    let subject: Subject
    let clock: any RewindClock
    let board: StatusBoard
    let inbox: any CommandSink
    let metrics: RewindMetrics
    let observer: @Sendable (EngineEvent) -> Void
    let logger: Logger

    func run() async throws {
        var state = subject.makeState()
        var generation = board.generation(of: subject.service)
        var next = subject.firstReading(now: clock.now)
        while true {
            try await sleep(until: next, orNewDeploymentAfter: generation)
            let current = board.generation(of: subject.service)
            if current != generation {
                generation = current
                state.reset()
            }
            let readAt = clock.now
            if readAt >= next { metrics.watchLag(readAt - next, kind: subject.kind) }
            let reading = await subject.read(at: readAt)
            let event = state.feed(reading)
            switch event {
            case .fired(let violation):
                observer(.violation(violation))
                logger.warning(
                    "trigger fired",
                    metadata: [
                        "rewind.service": "\(subject.service)", "rewind.source": "\(subject.source)",
                        "rewind.trigger": "\(violation.trigger.rawValue)",
                    ])
                inbox.send(.event(.violation(violation)))
            case .recovered:
                logger.info(
                    "trigger recovered",
                    metadata: ["rewind.service": "\(subject.service)", "rewind.source": "\(subject.source)"])
                inbox.send(.event(.recovered(subject.service, subject.source)))
            case .none, .building, .inconclusive:
                break
            }
            next = subject.after(reading, event: event, state: state, now: readAt)
        }
    }

    /// Sleeps until `next`, or less if the subject reads on a new deployment and one goes live.
    private func sleep(until next: Timestamp, orNewDeploymentAfter generation: Int) async throws {
        guard subject.readsOnNewDeployment else { return try await clock.sleep(until: next) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await clock.sleep(until: next) }
            group.addTask { await board.nextDeployment(of: subject.service, after: generation) }
            try await group.next()
            group.cancelAll()
        }
    }
}
