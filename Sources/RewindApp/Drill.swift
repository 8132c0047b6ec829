import AsyncHTTPClient
import Foundation
import Logging
import RewindConfig
import RewindCore
import RewindPorts
import RewindSignals
import RewindSpecs

/// `rewind drill SERVICE`: rehearses a rollback end to end and times every step — the guide's
/// "test rollback procedures regularly".
///
/// Observe (the default) changes nothing anywhere: it loads the policy, runs the provider's
/// read-only access checks, reads the live deployment and the listing from the platform, picks
/// the target exactly as an automatic rollback would, builds the plan of each strategy a trigger
/// could take with the read-only counterpart of every step, probes each health check once and
/// lists the channels an incident would reach. Findings are whatever would make a real rollback
/// fail; the exit code is 1 when there is one.
///
/// Execute (`--execute`, for a staging policy) then really rolls the service back and forward
/// again through the engine: see `Drill+Execute.swift`.
public enum Drill {
    /// Runs the drill. Throws ``AppError`` `usage` for a service the policy does not name; an
    /// invalid policy is reported (`configInvalid`, exit 78), not thrown.
    /// `onStep` hears each step the moment it ends (``DrillProgress``).
    public static func run(
        configPath: String, service: String, execute: Bool, client: HTTPClient, logger: Logger,
        onStep: (@Sendable (DrillReport.Step) -> Void)? = nil
    ) async throws -> DrillReport {
        try await DrillProgress.$onStep.withValue(onStep) {
            try await run(configPath: configPath, service: service, execute: execute, client: client, logger: logger)
        }
    }

    private static func run(
        configPath: String, service: String, execute: Bool, client: HTTPClient, logger: Logger
    ) async throws
        -> DrillReport
    {
        var report = DrillReport(service: service, mode: execute ? .execute : .observe, configPath: configPath)
        guard let rehearsal = try await observe(configPath: configPath, service: service, client: client, into: &report)
        else {
            return report
        }
        if execute {
            await Self.execute(rehearsal, client: client, logger: logger, into: &report)
        }
        return report
    }

    /// What the read-only part learnt, for `--execute`.
    struct Rehearsal: Sendable {
        var configuration: RewindConfiguration
        var service: ServiceName
        /// The live deployment as Rewind's record has it (nil: not recorded).
        var recordedLive: Deployment?
        /// The live deployment the drill rehearses from (the platform's, or the record).
        var live: Deployment?
        var target: Deployment?
    }

    static func observe(
        configPath: String, service name: String, client: HTTPClient, into report: inout DrillReport
    ) async throws
        -> Rehearsal?
    {
        // 1. The policy.
        let (loaded, loadMs) = await timed { Result { try Composition.loadConfiguration(configPath) } }
        let configuration: RewindConfiguration
        switch loaded {
        case .failure(let error):
            let problems = ((error as? AppError)?.message ?? "\(error)").split(separator: "\n").map(String.init)
            report.append(
                "load and validate the policy", durationMs: loadMs, problems.map { .init("policy", .finding, $0) })
            report.configInvalid = true
            return nil
        case .success(let value):
            configuration = value
        }
        let service = ServiceName(name)
        guard let policy = configuration.policy.service(service) else {
            let known = configuration.policy.services.map(\.name.rawValue).joined(separator: ", ")
            throw AppError.usage("unknown service '\(name)'; known: \(known)")
        }
        let count = configuration.policy.services.count
        var configChecks: [DrillReport.Check] = [
            .init(
                "policy", .ok,
                "valid: \(count) service\(count == 1 ? "" : "s"), mode \(configuration.policy.mode.rawValue)")
        ]
        if configuration.policy.mode == .observe {
            configChecks.append(.init("mode", .note, "observe: the daemon decides and records, but acts on nothing"))
        }
        report.append("load and validate the policy", durationMs: loadMs, configChecks)

        var world = ObservedWorld(configuration: configuration, service: service, policy: policy, client: client)
        // 2. Credentials and permissions, read-only.
        let (access, accessMs) = await timed { await world.accessChecks() }
        report.append("provider access checks", durationMs: accessMs, access)
        // 3 and 4. What the platform serves and lists.
        let (live, liveMs) = await timed { await world.readLive() }
        report.append("read the live deployment", durationMs: liveMs, live)
        let (listing, listMs) = await timed { await world.listDeployments() }
        report.append("list deployments", durationMs: listMs, listing)
        // 5. The target rule of an automatic rollback.
        let (target, targetMs) = await timed { await world.pickTarget() }
        report.append("pick the rollback target", durationMs: targetMs, target)
        // 6. The plans, step by step, with what each step would read.
        for strategy in world.strategies {
            let (checks, planMs) = await timed { await world.rehearsePlan(strategy) }
            report.append("plan (\(strategy.rawValue))", durationMs: planMs, checks)
        }
        // 7. Verification's health checks, once each.
        let (health, healthMs) = await timed { await world.probeHealth() }
        report.append("probe health checks", durationMs: healthMs, health)
        // 8. Who would hear of it.
        let (channels, channelMs) = await timed { world.notificationReach() }
        report.append("notification channels", durationMs: channelMs, channels)
        return Rehearsal(
            configuration: configuration, service: service, recordedLive: world.recordedLive, live: world.live,
            target: world.target)
    }

    /// Runs `body` and returns how long it took, in milliseconds.
    static func timed<T>(_ body: () async throws -> T) async rethrows -> (T, Double) {
        let start = ContinuousClock.now
        let value = try await body()
        return (value, milliseconds(start.duration(to: .now)))
    }

    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return (Double(seconds) * 1000 + Double(attoseconds) / 1e15 * 10).rounded() / 10
    }
}

/// The service as the drill sees it: what it read so far, and the read-only counterpart of each
/// thing a rollback would do. Calls only `GET`-like operations of the ports.
struct ObservedWorld: Sendable {
    /// Every read has this deadline, on top of the adapter's own.
    static let deadline = Duration.seconds(30)

    let configuration: RewindConfiguration
    let service: ServiceName
    let policy: ServicePolicy
    let client: HTTPClient
    let primary: (any PlatformProvider)?
    let fallback: (any PlatformProvider)?
    let controls: Composition.RollbackControls

    private(set) var platformLive: PlatformDeployment?
    private(set) var listed: [PlatformDeployment]?
    private(set) var recorded: [Deployment] = []
    private(set) var recordedLive: Deployment?
    private(set) var live: Deployment?
    private(set) var target: Deployment?

    init(configuration: RewindConfiguration, service: ServiceName, policy: ServicePolicy, client: HTTPClient) {
        self.configuration = configuration
        self.service = service
        self.policy = policy
        self.client = client
        let providers = Composition.providers(for: configuration, client: client)
        primary = providers.primary[service]
        fallback = providers.fallback[service]
        controls = Composition.rollbackControls(for: configuration, client: client)
    }

    // MARK: Access

    func accessChecks() async -> [DrillReport.Check] {
        guard let primary else {
            return [
                .init(
                    "provider", .finding,
                    "\(service) has no provider: a rollback has nothing to call (provider: in its policy)")
            ]
        }
        var checks: [DrillReport.Check] = []
        for (role, provider) in [("provider", primary), ("fallback", fallback)] {
            guard let provider else { continue }
            checks += await access(of: provider, role: "\(role) \(provider.kind)")
        }
        if let traffic = controls.traffic[service] {
            checks += await access(of: traffic, role: "traffic \(traffic.kind)")
        }
        if let flags = controls.flags[service] { checks += await access(of: flags, role: "flags \(flags.kind)") }
        return checks
    }

    private func access(of adapter: Any, role: String) async -> [DrillReport.Check] {
        guard let checkable = adapter as? any AccessCheckable else {
            return [
                .init(
                    role, .note, "has no read-only call to test its credentials; --execute against staging tests them")
            ]
        }
        var checks: [DrillReport.Check] = []
        let (results, ms) = await Drill.timed { await checkable.checkAccess(service: service) }
        for result in results {
            checks.append(.init("\(role): \(result.name)", result.passed ? .ok : .finding, result.detail))
        }
        if let last = checks.indices.last { checks[last].durationMs = ms }
        return checks
    }

    // MARK: The platform

    mutating func readLive() async -> [DrillReport.Check] {
        recorded = []
        recordedLive = nil
        var checks: [DrillReport.Check] = []
        if let (deployments, live) = await recordedState(of: service, &checks) {
            recorded = deployments
            recordedLive = live
        }
        guard let primary else { return checks + [.init("platform", .note, "no provider to ask")] }
        let service = service
        let (answer, ms) = await Drill.timed { await reading { try await primary.currentDeployment(service: service) } }
        switch answer {
        case .success(let current?):
            platformLive = current
            let restores = current.restores.map { ", which restores \($0)" } ?? ""
            checks.append(.init("\(primary.kind) serves", .ok, "\(label(current))\(restores)", durationMs: ms))
        case .success(nil):
            checks.append(
                .init(
                    "\(primary.kind) serves", .note, "the platform cannot tell; a rollback trusts Rewind's record",
                    durationMs: ms))
        case .failure(let error):
            checks.append(
                .init(
                    "\(primary.kind) serves", .finding, "could not read the live deployment: \(describe(error))",
                    durationMs: ms))
        }
        let servedID = platformLive.map { current in
            current.restores.flatMap { id in recorded.contains { $0.id == id } ? id : nil } ?? current.id
        }
        switch (recordedLive, servedID) {
        case (let record?, let served?) where record.id != served:
            checks.append(
                .init(
                    "Rewind's record", .note,
                    "says \(record.label) is live; the daemon's deployment tracking would switch it to \(served)"))
        case (let record?, _):
            checks.append(.init("Rewind's record", .ok, "\(record.label) is live, \(record.trust.rawValue)"))
        case (nil, _):
            checks.append(.init("Rewind's record", .note, "no live deployment of \(service) recorded yet"))
        }
        return checks
    }

    mutating func listDeployments() async -> [DrillReport.Check] {
        guard let primary else { return [.init("listing", .note, "no provider to ask")] }
        let service = service
        let (answer, ms) = await Drill.timed { await reading { try await primary.listDeployments(service: service) } }
        switch answer {
        case .success(let deployments):
            listed = deployments
            if deployments.isEmpty {
                return [
                    .init(
                        "\(primary.kind) lists", .note, "nothing (this provider cannot list); Rewind's record is used",
                        durationMs: ms)
                ]
            }
            let newest = deployments.prefix(5).map(label).joined(separator: ", ")
            return [
                .init(
                    "\(primary.kind) lists", .ok,
                    "\(deployments.count) deployments, newest first: \(newest)\(deployments.count > 5 ? ", …" : "")",
                    durationMs: ms)
            ]
        case .failure(let error):
            return [
                .init(
                    "\(primary.kind) lists", .finding, "could not list deployments: \(describe(error))", durationMs: ms)
            ]
        }
    }

    /// The deployments as the daemon would know them after its next poll of the platform — its
    /// record, plus what the listing adds (as suspect) — then ``RollbackTarget/select``.
    mutating func pickTarget() async -> [DrillReport.Check] {
        var known = recorded
        for deployment in listed ?? []
        where deployment.restores == nil && !known.contains(where: { $0.id == deployment.id }) {
            known.append(
                Deployment(
                    service: service, id: deployment.id, version: deployment.version ?? deployment.id,
                    deployedAt: deployment.createdAt ?? Timestamp(millisecondsSinceEpoch: 0)))
        }
        if let current = platformLive {
            let servedID = current.restores.flatMap { id in known.contains { $0.id == id } ? id : nil } ?? current.id
            live =
                known.first { $0.id == servedID }
                ?? Deployment(
                    service: service, id: current.id, version: current.version ?? current.id,
                    deployedAt: current.createdAt ?? Timestamp(millisecondsSinceEpoch: Int64.max / 2))
        } else {
            live = recordedLive
        }
        guard let live else {
            return [
                .init(
                    "target", .finding,
                    "no live deployment of \(service) is known: a trigger would be escalated, not rolled back; record one (rewind deployments record) or let the daemon learn it from the platform"
                )
            ]
        }
        var checks: [DrillReport.Check] = []
        let good = known.filter { $0.trust == .knownGood }.count
        checks.append(
            .init(
                "known deployments", .ok,
                "\(known.count), \(good) known good; live \(live.label) is \(live.trust.rawValue)"))
        if let chosen = RollbackTarget.select(current: live, from: known) {
            target = chosen
            let since = chosen.knownGoodAt.map { " (known good since \($0))" } ?? ""
            checks.append(
                .init("target", .ok, "\(chosen.label): the newest known-good deployment before \(live.label)\(since)"))
            if live.trust == .knownGood {
                checks.append(
                    .init(
                        "note", .note,
                        "\(live.label) is itself known good: a trigger now would be escalated as not caused by a deployment; this is the rollback it would get once suspect"
                    ))
            }
        } else {
            let forced =
                RollbackTarget.previous(current: live, from: known)
                .map { "; `rewind rollback \(service) --force` would go to \($0.label), unverified" } ?? ""
            checks.append(
                .init(
                    "target", .finding,
                    "no known-good deployment of \(service) before \(live.label): an automatic rollback would escalate instead (a deployment becomes known good after \(configuration.policy.bake.rewindDescription) live without a trigger)\(forced)"
                ))
        }
        return checks
    }

    // MARK: Plans

    /// Fast, as a typical trigger takes it; gradual and canary too when Rewind can move the
    /// service's traffic (without a controller the engine itself falls back to fast).
    var strategies: [Strategy] {
        controls.traffic[service] != nil ? [.fast, .gradual, .canary] : [.fast]
    }

    func rehearsePlan(_ strategy: Strategy) async -> [DrillReport.Check] {
        guard let live else { return [.init("plan", .note, "no live deployment: nothing to plan")] }
        let to = target ?? Deployment(service: service, id: "-", version: "(no target)", deployedAt: live.deployedAt)
        let choice = RollbackChoice(service: service, from: live, to: to, reason: "drill")
        let plan = Planner.plan(strategy: strategy, choices: [choice], policy: configuration.policy)
        var checks: [DrillReport.Check] = []
        if strategy == .fast, let traffic = configuration.platforms[service]?.traffic, controls.traffic[service] == nil
        {
            checks.append(
                .init(
                    "traffic", .note,
                    "traffic: \(traffic.kind) is configured but no controller is wired for it: gradual and canary triggers roll back fast"
                ))
        }
        for step in plan.steps {
            let name = "\(step.id) (timeout \(step.timeout.rewindDescription))"
            let (check, ms) = await Drill.timed { await counterpart(of: step) }
            checks.append(
                .init(
                    name, check.status, "\(step.summary(wouldOnly: true)) — \(check.detail)",
                    durationMs: check.timed ? ms : nil))
        }
        checks.append(
            .init(
                "verification", .note,
                plan.verify
                    ? "health checks until recovered, then the enabled validation phases"
                    : "skipped"))
        return checks
    }

    private struct Counterpart {
        var status: DrillReport.Check.Status
        var detail: String
        var timed = true
    }

    private func counterpart(of step: PlanStep) async -> Counterpart {
        switch step.action {
        case .rollback:
            guard target != nil else {
                return Counterpart(status: .note, detail: "no target (see above)", timed: false)
            }
            guard let primary else { return Counterpart(status: .finding, detail: "no provider", timed: false) }
            let fallbackNote = fallback.map { "; fallback \($0.kind)" } ?? "; no fallback"
            guard let listed, !listed.isEmpty else {
                return Counterpart(status: .ok, detail: "via \(primary.kind)\(fallbackNote)", timed: false)
            }
            if listed.contains(where: { $0.serves(step.to.id) }) {
                return Counterpart(
                    status: .ok, detail: "\(primary.kind) still lists \(step.to.label)\(fallbackNote)", timed: false)
            }
            return Counterpart(
                status: .finding,
                detail: "\(primary.kind) no longer lists \(step.to.label): the platform would refuse the rollback",
                timed: false)
        case .setTraffic, .reduceTraffic:
            guard let traffic = controls.traffic[service] else {
                return Counterpart(status: .finding, detail: "no traffic controller for \(service)", timed: false)
            }
            switch await reading({ try await traffic.newVersionShare(service: service) }) {
            case .success(let share):
                let target: Double =
                    switch step.action {
                    case .setTraffic(let wanted): min(max(wanted, 0), 1)
                    case .reduceTraffic(let fraction): min(max(share * (1 - fraction), 0), 1)
                    default: share
                    }
                return Counterpart(
                    status: .ok,
                    detail:
                        "\(traffic.kind) gives the new version \(PlanStep.percent(share)) now; the step would set \(PlanStep.percent(target))"
                )
            case .failure(let error):
                return Counterpart(
                    status: .finding,
                    detail: "could not read the traffic share from \(traffic.kind): \(describe(error))")
            }
        case .watch:
            return Counterpart(status: .note, detail: "no call: waits for the trigger to recover", timed: false)
        case .disableFlags(let flags):
            guard let switcher = controls.flags[service] else {
                return Counterpart(status: .finding, detail: "no flag service is wired for \(service)", timed: false)
            }
            var states: [String] = []
            var failures: [String] = []
            for flag in flags {
                switch await reading({ try await switcher.isEnabled(flag: flag) }) {
                case .success(let on): states.append("\(flag) \(on ? "on (would be turned off)" : "already off")")
                case .failure(let error): failures.append("\(flag): \(describe(error))")
                }
            }
            if !failures.isEmpty {
                return Counterpart(
                    status: .finding, detail: "\(switcher.kind) could not read " + failures.joined(separator: "; "))
            }
            return Counterpart(status: .ok, detail: "\(switcher.kind): " + states.joined(separator: ", "))
        case .migrate(let irreversible):
            guard let migration = configuration.platforms[service]?.migration else {
                return Counterpart(status: .finding, detail: "no migration configured", timed: false)
            }
            if irreversible {
                return Counterpart(
                    status: .finding,
                    detail: "irreversible: the step fails at once and the database must be restored from a backup",
                    timed: false)
            }
            return Self.checkExecutable(migration)
        case .preserveCanaryData:
            return Counterpart(
                status: .note, detail: "no call: records the canary's evidence and signals on the incident",
                timed: false)
        case .purgeCache:
            return Counterpart(
                status: .note,
                detail: "purges the CDN cache after the rollback (traffic.purge); a drill purges nothing", timed: false)
        }
    }

    /// The migration's program exists and is executable, found as the command runner finds it.
    private static func checkExecutable(_ migration: MigrationSpec) -> Counterpart {
        guard let program = migration.rollback.first, !program.isEmpty else {
            return Counterpart(status: .finding, detail: "the migration has no command", timed: false)
        }
        let environment = ProcessInfo.processInfo.environment.merging(migration.environment.mapValues(\.value)) { $1 }
        let files = FileManager.default
        var candidates: [String] = []
        if program.contains("/") {
            let base = migration.workingDirectory ?? files.currentDirectoryPath
            candidates = [program.hasPrefix("/") ? program : base + "/" + program]
        } else {
            candidates = (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":").map {
                "\($0)/\(program)"
            }
        }
        for path in candidates {
            var isDirectory: ObjCBool = false
            if files.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                files.isExecutableFile(atPath: path)
            {
                return Counterpart(status: .ok, detail: "\(program) is executable (\(path)); not run")
            }
        }
        return Counterpart(
            status: .finding,
            detail:
                "\(program) is not an executable file\(program.contains("/") ? "" : " on PATH"): the down-migration could not start"
        )
    }

    // MARK: Verification and notifications

    func probeHealth() async -> [DrillReport.Check] {
        guard !policy.checks.isEmpty else {
            return [.init("health checks", .finding, "\(service) has none: verification after a rollback cannot pass")]
        }
        let prober = HTTPHealthProber(client: client)
        var checks: [DrillReport.Check] = []
        for check in policy.checks {
            var probed = check
            probed.timeout = configuration.policy.verification.timeout
            let (probe, ms) = await Drill.timed { await prober.check(probed) }
            let url = Redactor.safeURL(check.url)
            checks.append(
                probe.result.isSuccess
                    ? .init(
                        check.name, .ok,
                        "\(url): \(probe.result.summary) in \(probe.latencyMs) ms (\(check.severity.rawValue))",
                        durationMs: ms)
                    : .init(
                        check.name, .finding,
                        "\(url): \(probe.result.summary): verification would fail unless it recovers", durationMs: ms))
        }
        return checks
    }

    /// Which channels each notice of an incident would reach. The notifiers are built (so a bad
    /// channel shows up) but none is sent anything.
    func notificationReach() -> [DrillReport.Check] {
        let notifications = configuration.policy.notifications
        var checks: [DrillReport.Check] = []
        do {
            _ = try Composition.notifiers(for: configuration, client: client)
        } catch {
            checks.append(.init("channels", .finding, (error as? AppError)?.message ?? "\(error)"))
        }
        for kind in [NoticeKind.initiated, .completed, .failed, .escalated] {
            let routed = notifications.channelNames(for: kind)
            let reached = configuration.channels.filter { routed.contains($0.name) }
            let names = reached.map { "\($0.name) (\($0.kind.type))" }.joined(separator: ", ")
            if reached.isEmpty {
                checks.append(
                    .init(
                        kind.rawValue, kind == .failed || kind == .escalated ? .finding : .note,
                        "reaches no channel (notifications.routes)"))
            } else {
                checks.append(.init(kind.rawValue, .ok, names))
            }
        }
        let oncall =
            notifications.channelNames(for: Audience.oncall).map { $0.joined(separator: ", ") }
            ?? "every channel (no audience configured)"
        checks.append(.init("escalation to oncall", .note, oncall.isEmpty ? "no channel" : oncall))
        return checks
    }

    // MARK: Helpers

    /// Rewind's record of `service` (every deployment, and the live one), from the state when it exists (the drill
    /// never creates one): a SQLite file, or the PostgreSQL database.
    private func recordedState(
        of service: ServiceName, _ checks: inout [DrillReport.Check]
    ) async -> ([Deployment], Deployment?)? {
        do {
            guard
                let record = try await ExistingState.reading(
                    configuration,
                    { store in
                        (try await store.deployments(of: service), try await store.liveDeployment(of: service))
                    })
            else {
                checks.append(
                    .init(
                        "state", .note,
                        "no state at \(configuration.stateDescription) yet: Rewind knows no known-good deployment"))
                return nil
            }
            return record
        } catch {
            checks.append(
                .init("state", .finding, "could not read \(configuration.stateDescription): \(describe(error))"))
            return nil
        }
    }

    private func reading<T: Sendable>(_ call: @escaping @Sendable () async throws -> T) async -> Result<T, any Error> {
        do {
            return .success(try await withDeadline(Self.deadline, clock: SystemClock(), call))
        } catch {
            return .failure(error)
        }
    }

    private func label(_ deployment: PlatformDeployment) -> String {
        guard let version = deployment.version, version != deployment.id else { return deployment.id }
        return "\(version) (\(deployment.id))"
    }

    func describe(_ error: any Error) -> String {
        configuration.redactor.redact((error as? any RewindError)?.message ?? String(describing: error))
    }
}
