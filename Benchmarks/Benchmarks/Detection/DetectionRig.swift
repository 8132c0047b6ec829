import AsyncHTTPClient
import Foundation
import Logging
import RewindApp
import RewindConfig
import RewindCore
import RewindEngine
import RewindPorts
import RewindSandbox
import RewindSignals
import RewindStoreSQLite

/// One trial, timed on the monotonic clock at the moment the engine reported each event.
struct TrialTimes: Sendable {
    var trial: Int
    /// Where in the check cadence the fault began: 0 just after a check, 0.99 just before the next.
    var phase: Double
    var faultToFirstFailure: Duration
    /// First failing check → the trigger fires (the observation that completes the rule).
    var confirmation: Duration
    /// The trigger fires → the engine calls the platform's rollback API.
    var decisionOverhead: Duration
    var faultToRollbackCall: Duration
    /// Fault → the incident is closed as completed (rolled back and verified).
    var faultToIncidentClosed: Duration

    /// One line of the report.
    var line: String {
        String(
            format: "  trial %2d  phase %.2f  fault→first failure %6.1f ms  confirmation %5.1f ms  "
                + "decision %5.1f ms  fault→rollback call %6.1f ms",
            trial, phase, faultToFirstFailure.doubleMilliseconds, confirmation.doubleMilliseconds,
            decisionOverhead.doubleMilliseconds, faultToRollbackCall.doubleMilliseconds)
    }
}

/// A sandbox world on loopback, a real engine wired by ``Composition/makeEngine`` (SQLite store,
/// HTTP prober, http provider, JSON-lines notifier) watching it, and the trial loop that breaks
/// the backend again and again.
enum DetectionRig {
    static let service = "backend"
    /// How often the backend's young deployment is checked (`suspect_interval`): the cadence the
    /// faults' phases are spread over.
    static let cadence = Duration.milliseconds(250)
    /// How long each new deployment runs healthy before it breaks.
    static let healthyFor = Duration.seconds(1)
    /// A trial that has not finished by then failed.
    static let trialDeadline = Duration.seconds(60)

    enum Failure: Error, CustomStringConvertible {
        case baselineNotHealthy
        case eventsEnded
        case timedOut(trial: Int)
        case unexpected(trial: Int, String)

        var description: String {
            switch self {
            case .baselineNotHealthy: "the sandbox services did not become healthy within 15 s"
            case .eventsEnded: "the engine's event stream ended"
            case .timedOut(let trial): "trial \(trial) did not finish within \(DetectionRig.trialDeadline)"
            case .unexpected(let trial, let what): "trial \(trial): \(what)"
            }
        }
    }

    /// What the observer hands to the trial loop: an engine event stamped when it was reported,
    /// or a trial's deadline.
    enum Signal: Sendable {
        case event(ContinuousClock.Instant, EngineEvent)
        case deadline(trial: Int)
    }

    static func run(
        trials: Int, minDuration: String, log: @escaping @Sendable (String) -> Void
    ) async throws -> [TrialTimes] {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("rewind-bench-\(UUID().uuidString)", isDirectory: true).path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }

        let longAgo = Date(timeIntervalSinceNow: -7200)
        let world = SandboxWorld(
            services: [
                "frontend": [SandboxDeployment(id: "fe-v1", version: "v1", createdAt: longAgo)],
                "backend": [SandboxDeployment(id: "be-v1", version: "v1", createdAt: longAgo)],
                "worker": [SandboxDeployment(id: "wk-v1", version: "v1", createdAt: longAgo)],
            ],
            live: ["frontend": "fe-v1", "backend": "be-v1", "worker": "wk-v1"])
        world.rollbackDuration = .milliseconds(300)
        let sandbox = Sandbox(world: world, logger: quietLogger("rewind.sandbox"))
        let client = HTTPHealthProber.makeHTTPClient()
        // Stop order matters: the engine first, then the client's pooled connections, then the
        // sandbox's servers, so that no server is cancelled in the middle of a connection.
        return try await withThrowingTaskGroup(of: Void.self, returning: [TrialTimes].self) { servers in
            servers.addTask { try await sandbox.run() }
            let endpoints = await sandbox.endpoints()
            do {
                let results = try await withThrowingTaskGroup(of: Void.self, returning: [TrialTimes].self) { group in
                    defer { group.cancelAll() }
                    return try await watch(
                        trials: trials, minDuration: minDuration, world: world, endpoints: endpoints, client: client,
                        directory: directory,
                        log: log, group: &group)
                }
                try await client.shutdown()
                servers.cancelAll()
                return results
            } catch {
                try? await client.shutdown()
                servers.cancelAll()
                throw error
            }
        }
    }

    /// Starts the engine in `group` and runs the trials against it.
    private static func watch(
        trials: Int, minDuration: String, world: SandboxWorld, endpoints: SandboxEndpoints, client: HTTPClient,
        directory: String,
        log: @escaping @Sendable (String) -> Void, group: inout ThrowingTaskGroup<Void, any Error>
    ) async throws -> [TrialTimes] {
        let configuration = try BenchPolicy.configuration(
            endpoints: endpoints, directory: directory, minDuration: minDuration)
        let store = try SQLiteStore(path: configuration.statePath)
        let clock = SystemClock()
        for (name, id) in [("frontend", "fe-v1"), ("backend", "be-v1"), ("worker", "wk-v1")] {
            try await store.recordDeployment(
                Deployment(
                    service: ServiceName(name), id: id, version: "v1", deployedAt: clock.now - .seconds(7200),
                    trust: .knownGood, knownGoodAt: clock.now - .seconds(3600)),
                makeLive: true)
        }
        let (signals, sink) = AsyncStream.makeStream(of: Signal.self, bufferingPolicy: .unbounded)
        let engine = Composition.makeEngine(
            configuration: configuration, store: store, client: client, clock: clock,
            notifiers: try Composition.notifiers(for: configuration, client: client),
            observer: { sink.yield(.event(.now, $0)) }, pollInterval: .milliseconds(100),
            bakeCheckInterval: .seconds(60), logger: quietLogger("rewind"))
        group.addTask { try await engine.run() }
        try await waitForBaseline(engine)
        let backend = endpoints.services[service] ?? "?"
        log(
            "Detection benchmark: \(trials) trials, min_duration \(minDuration), backend \(backend), "
                + "platform \(endpoints.platform)")

        // Stratified phases: trial k's fault lands in its own 1/n slice of the check cadence, at a
        // random point of it, and the slices come in random order. Every phase is covered evenly,
        // so the median reflects Rewind rather than how the dice fell in 25 throws.
        let count = max(1, trials)
        let phases = (0..<count).map { (Double($0) + Double.random(in: 0..<1)) / Double(count) }.shuffled()
        var iterator = signals.makeAsyncIterator()
        var results: [TrialTimes] = []
        for trial in 1...count {
            group.addTask {
                try await Task.sleep(for: trialDeadline)
                sink.yield(.deadline(trial: trial))
            }
            let times = try await runTrial(
                trial, phase: phases[trial - 1], world: world, engine: engine, signals: &iterator)
            results.append(times)
            // The immediate rollback froze deployments for an hour; people lift it to ship the next version.
            try await engine.setFreeze(nil)
            log(times.line)
        }
        return results
    }

    /// Deploys a healthy v2 of the backend (the engine told, as a deploy hook would), lets it run
    /// for ``healthyFor`` at the suspect cadence, breaks it at `phase` (0..<1) of that cadence, and
    /// follows the engine's events until the incident is closed and the check has recovered on v1.
    private static func runTrial(
        _ trial: Int, phase: Double, world: SandboxWorld, engine: RewindEngine,
        signals: inout AsyncStream<Signal>.Iterator
    ) async throws -> TrialTimes {
        let clock = SystemClock()
        let id = "be-v2-\(trial)"
        let deployedAt = clock.now
        world.deploy(service: service, SandboxDeployment(id: id, version: "v2.\(trial)"))
        _ = try await engine.recordDeployment(
            Deployment(service: ServiceName(service), id: id, version: "v2.\(trial)", deployedAt: deployedAt))
        try await clock.sleep(until: deployedAt + healthyFor)
        let backendCheck = engine.checkStatuses.first { $0.service.rawValue == service }
        guard let lastCheck = backendCheck?.lastAt, lastCheck > deployedAt,
            backendCheck?.lastResult?.hasPrefix("HTTP 2") == true
        else {
            throw Failure.unexpected(trial: trial, "the new deployment was not checked healthy within \(healthyFor)")
        }
        var faultAt = lastCheck + cadence * phase
        while faultAt < clock.now + .milliseconds(20) { faultAt = faultAt + cadence }
        try await clock.sleep(until: faultAt)

        world.setBehavior(service: service, deploymentID: id, .failing(status: 500))
        let faultOn = ContinuousClock.now

        var firstFailure: ContinuousClock.Instant?
        var fired: ContinuousClock.Instant?
        var providerCalled: ContinuousClock.Instant?
        var closed: ContinuousClock.Instant?
        var recovered = false
        while closed == nil || !recovered {
            guard let signal = await signals.next() else { throw Failure.eventsEnded }
            guard case .event(let at, let event) = signal else {
                if case .deadline(trial) = signal { throw Failure.timedOut(trial: trial) }
                continue
            }
            switch event {
            case .checkFailed(let observation, let count, _) where observation.service.rawValue == service:
                if count == 1, firstFailure == nil { firstFailure = at }
            case .violation(let violation) where violation.service.rawValue == service:
                fired = at
            case .decision(_, let decision):
                guard case .rollback = decision else {
                    throw Failure.unexpected(trial: trial, "the engine decided \(decision) instead of rolling back")
                }
            case .providerCalled(_, let name, _) where name.rawValue == service:
                providerCalled = at
            case .incidentClosed(let incident):
                guard incident.status == .completed else {
                    throw Failure.unexpected(trial: trial, "incident #\(incident.id) ended \(incident.status.rawValue)")
                }
                closed = at
            case .checkRecovered(let name, _) where name.rawValue == service:
                recovered = fired != nil
            default:
                break
            }
        }
        guard let firstFailure, let fired, let providerCalled, let closed else {
            throw Failure.unexpected(
                trial: trial, "the incident closed without a failing check, a trigger or a rollback call")
        }
        return TrialTimes(
            trial: trial, phase: phase, faultToFirstFailure: firstFailure - faultOn, confirmation: fired - firstFailure,
            decisionOverhead: providerCalled - fired, faultToRollbackCall: providerCalled - faultOn,
            faultToIncidentClosed: closed - faultOn)
    }

    /// Waits until every check has passed at least once.
    private static func waitForBaseline(_ engine: RewindEngine) async throws {
        let deadline = ContinuousClock.now + .seconds(15)
        while ContinuousClock.now < deadline {
            let statuses = engine.checkStatuses
            if statuses.count == 3, statuses.allSatisfy({ $0.lastResult?.hasPrefix("HTTP 2") == true }) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw Failure.baselineNotHealthy
    }

    private static func quietLogger(_ label: String) -> Logger {
        Logger(label: label, factory: { _ in SwiftLogNoOpLogHandler() })
    }
}
