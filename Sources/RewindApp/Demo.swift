import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import RewindConfig
import RewindCore
import RewindEngine
import RewindPorts
import RewindSandbox
import RewindSignals
import RewindStoreSQLite
import Synchronization

/// `rewind demo`: the whole loop on this machine, on the guide's own setup. A sandbox on loopback runs
/// frontend (on a Vercel emulator, behind a Cloudflare emulator), backend and worker (on a Railway emulator)
/// with v1 live and known good; a bad v2 is deployed; Rewind detects, decides, rolls back through the
/// vendors' APIs, verifies, notifies and writes the incident report.
///
/// Files: `Demo.swift` (running and watching), `DemoScenarios.swift` (what goes wrong, the applications'
/// traffic), `DemoPlatforms.swift` (the emulators and the policy's providers), `DemoSummary.swift` (the
/// JSON summary), `DemoPrometheus.swift` (a real Prometheus when installed).
public enum Demo {
    public struct Options: Sendable {
        public var scenario: Scenario
        public var directory: String
        /// Prints the live view; off for `--output json`.
        public var live: Bool
        /// How long the no-rollback scenarios are watched.
        public var observeFor: Duration

        public init(
            scenario: Scenario = .down, directory: String = ".rewind/demo", live: Bool = true,
            observeFor: Duration = .seconds(8)
        ) {
            self.scenario = scenario
            self.directory = directory
            self.live = live
            self.observeFor = observeFor
        }
    }

    public static func run(_ options: Options, logger: Logger) async throws -> Summary {
        let live = options.live
        let say: @Sendable (String) -> Void = { line in
            if live { print(line) }
        }
        let directory = URL(fileURLWithPath: options.directory, isDirectory: true).standardizedFileURL.path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for file in ["state.db", "state.db-wal", "state.db-shm", "notifications.jsonl"] {
            try? FileManager.default.removeItem(atPath: "\(directory)/\(file)")
        }
        let v1DeployedAt = Date(timeIntervalSinceNow: -7200)
        let world = SandboxWorld(
            services: [
                "frontend": [SandboxDeployment(id: "fe-v1", version: "v1", createdAt: v1DeployedAt)],
                "backend": [SandboxDeployment(id: "be-v1", version: "v1", createdAt: v1DeployedAt)],
                "worker": [SandboxDeployment(id: "wk-v1", version: "v1", createdAt: v1DeployedAt)],
            ],
            live: ["frontend": "fe-v1", "backend": "be-v1", "worker": "wk-v1"])
        let platforms = DemoPlatforms(v1DeployedAt: v1DeployedAt)
        platforms.link(world)
        let sandbox = Sandbox(
            world: world, logger: Logger(label: "rewind.sandbox", factory: { _ in SwiftLogNoOpLogHandler() }))
        let client = HTTPHealthProber.makeHTTPClient()
        return try await run(
            options, world: world, sandbox: sandbox, platforms: platforms, client: client, directory: directory,
            say: say, logger: logger)
    }

    static func run(
        _ options: Options, world: SandboxWorld, sandbox: Sandbox, platforms: DemoPlatforms, client: HTTPClient,
        directory: String, say: @escaping @Sendable (String) -> Void, logger: Logger
    ) async throws -> Summary {
        // Stop order matters: the engine first, then the client's pooled connections, then the
        // sandbox's servers, so that no server is cancelled in the middle of a connection.
        try await withThrowingTaskGroup(of: Void.self) { servers in
            servers.addTask { try await sandbox.run() }
            servers.addTask { try await platforms.vercelServer.run() }
            servers.addTask { try await platforms.railwayServer.run() }
            servers.addTask { try await platforms.cloudflareServer.run() }
            let sinks = NotificationSinksServer(sinks: NotificationSinks())
            let mail = SMTPSinkServer(sink: SMTPSink())
            servers.addTask { try await sinks.run() }
            servers.addTask { try await mail.run() }
            let endpoints = await sandbox.endpoints()
            let vendors = await platforms.endpoints()
            let local = LocalSinks(
                http: await sinks.endpoint(), smtpPort: await mail.port(), sinks: sinks.sinks, mail: mail.sink)
            // With Prometheus installed, the sandbox's request metrics are scraped by a real one.
            let metricsServer = SandboxMetricsServer()
            servers.addTask { try await metricsServer.run() }
            let monitoring: DemoMonitoring
            switch await DemoPrometheus.start(
                scraping: await metricsServer.endpoint(), directory: directory, client: client)
            {
            case .success(let prometheus): monitoring = .prometheus(prometheus, metricsServer.traffic)
            case .failure(let unavailable): monitoring = .fallback(unavailable.reason)
            }
            do {
                let summary = try await withThrowingTaskGroup(of: Void.self) { group in
                    defer { group.cancelAll() }
                    return try await watch(
                        options, world: world, endpoints: endpoints, platforms: platforms, vendors: vendors,
                        local: local,
                        monitoring: monitoring, client: client, directory: directory, say: say, logger: logger,
                        group: &group)
                }
                monitoring.stop()
                try await client.shutdown()
                servers.cancelAll()
                return summary
            } catch {
                monitoring.stop()
                try? await client.shutdown()
                servers.cancelAll()
                throw error
            }
        }
    }

    /// The local Slack, PagerDuty and SMTP stand-ins the demo notifies.
    struct LocalSinks {
        var http: String
        var smtpPort: Int
        var sinks: NotificationSinks
        var mail: SMTPSink

        /// The channel URLs are credentials, so the policy reads them from the environment.
        var environment: [String: String] {
            [
                "DEMO_SLACK_CRITICAL_URL": "\(http)/slack/webhook/alerts-critical",
                "DEMO_SLACK_HIGH_URL": "\(http)/slack/webhook/alerts-high",
                "DEMO_PAGERDUTY_KEY": "0123456789abcdef0123456789abcdef",
            ]
        }
    }

    /// Where the demo's latency and error-rate signals come from.
    enum DemoMonitoring {
        case prometheus(DemoPrometheus, SandboxTraffic)
        case fallback(String)

        var prometheusURL: String? {
            if case .prometheus(let prometheus, _) = self { return prometheus.url }
            return nil
        }
        var traffic: SandboxTraffic? {
            if case .prometheus(_, let traffic) = self { return traffic }
            return nil
        }
        var sentence: String {
            switch self {
            case .prometheus(let prometheus, _):
                "latency and error rate from a real Prometheus at \(prometheus.url), scraping the sandbox every second"
            case .fallback(let why):
                "\(why): latency and error rate fall back to Rewind's probe latencies and pushed events"
            }
        }
        func stop() {
            if case .prometheus(let prometheus, _) = self { prometheus.stop() }
        }
    }

    static func watch(
        _ options: Options, world: SandboxWorld, endpoints: SandboxEndpoints, platforms: DemoPlatforms,
        vendors: DemoPlatforms.Endpoints, local: LocalSinks, monitoring: DemoMonitoring, client: HTTPClient,
        directory: String,
        say: @escaping @Sendable (String) -> Void, logger: Logger, group: inout ThrowingTaskGroup<Void, any Error>
    ) async throws -> Summary {
        do {
            let configPath = "\(directory)/rewind.yaml"
            let yaml = configuration(
                options.scenario, endpoints: endpoints, vendors: vendors, local: local,
                prometheus: monitoring.prometheusURL)
            try yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
            let configuration: RewindConfiguration
            let environment = local.environment.merging(platforms.environment) { $1 }
            switch ConfigLoader.parse(yaml: yaml, path: configPath, environment: environment) {
            case .success(let value): configuration = value
            case .failure(let errors): throw AppError.config(errors.problems.map(\.description).joined(separator: "\n"))
            }
            let store = try SQLiteStore(path: configuration.statePath)
            let clock = SystemClock()
            let seededAt = clock.now
            for (service, id) in [("frontend", "fe-v1"), ("backend", "be-v1"), ("worker", "wk-v1")] {
                try await store.recordDeployment(
                    Deployment(
                        service: ServiceName(service), id: id, version: "v1", deployedAt: seededAt - .seconds(7200),
                        trust: .knownGood,
                        knownGoodAt: seededAt - .seconds(3600)),
                    makeLive: true)
            }
            // nil marks the end of the observation window.
            let (events, sink) = AsyncStream.makeStream(of: (Timestamp, EngineEvent?).self, bufferingPolicy: .unbounded)
            let engine = Composition.makeEngine(
                configuration: configuration, store: store, client: client, clock: clock,
                notifiers: try Composition.notifiers(
                    for: configuration, client: client, console: { say("    notify " + $0) }),
                observer: { sink.yield((clock.now, $0)) }, pollInterval: .milliseconds(100),
                bakeCheckInterval: .seconds(60),
                logger: logger)
            group.addTask { try await engine.run() }
            let scenario = options.scenario
            let traffic = monitoring.traffic
            group.addTask {
                try await application(scenario, world: world, engine: engine, traffic: traffic, clock: clock)
            }

            say("Rewind demo · scenario \(options.scenario.rawValue)")
            say(
                "sandbox on loopback: frontend \(endpoints.services["frontend"] ?? "?"), backend \(endpoints.services["backend"] ?? "?"), worker \(endpoints.services["worker"] ?? "?")"
            )
            say(
                "platforms on loopback: Vercel \(vendors.vercel) (frontend), Railway \(vendors.railway) (backend, worker), Cloudflare \(vendors.cloudflare) (in front of frontend: pool \(DemoPlatforms.cloudflarePool), origins stable and new)"
            )
            say("policy: \(configPath) · state: \(configuration.statePath)")
            say("signals: \(monitoring.sentence)")
            try await waitForBaseline(engine: engine, policy: configuration.policy, clock: clock)
            say("baseline: frontend, backend and worker healthy on v1 (known good)")

            // A fault lands at a random moment of the check schedule, not right after a check.
            try await clock.sleep(for: .milliseconds(Int64.random(in: 0..<1000)))
            let service = options.scenario.service
            let badID = options.scenario.deploymentID
            world.deploy(
                service: service, SandboxDeployment(id: badID, version: "v2", behavior: options.scenario.behavior))
            platforms.deploy(service: service, id: badID, newShare: options.scenario.newShare)
            let faultAt = clock.now
            _ = try await engine.recordDeployment(
                Deployment(service: ServiceName(service), id: badID, version: "v2", deployedAt: faultAt))
            say("[+0.000s] deployed \(service) v2: \(options.scenario.story)")

            var summary = Summary(
                scenario: options.scenario.rawValue, rolledBack: false, recovered: false, asExpected: false)
            summary.signalsFrom = monitoring.prometheusURL == nil ? "probe latencies and pushed events" : "prometheus"
            summary.platform = DemoPlatforms.platform(of: service)
            let shareOf = { service == "frontend" ? platforms.frontendNewShare : nil }
            summary.newVersionShareBefore = shareOf()
            if let share = summary.newVersionShareBefore {
                say(
                    "[+0.000s] Cloudflare sends \(PlanStep.percent(share)) of frontend's traffic to the new origin (\(badID)), the rest to stable (fe-v1)"
                )
            }
            var stepStarts: [String: Double] = [:]
            let deadline = faultAt + (options.scenario.expectsIncident ? .seconds(60) : options.observeFor)
            var longestRun = 0
            var closedIncident: Incident?
            group.addTask {
                try await clock.sleep(until: deadline)
                sink.yield((clock.now, nil))
            }
            for await (at, next) in events {
                guard let event = next else { break }
                let offset = String(format: "[+%.3fs]", Double((at - faultAt).milliseconds) / 1000)
                switch event {
                case .checkFailed(let observation, let count, let of):
                    longestRun = max(longestRun, count)
                    say(
                        "\(offset) \(observation.service)/\(observation.check) failed: \(observation.result.summary) (\(count) of \(of) consecutive)"
                    )
                case .checkRecovered(let service, let check):
                    say("\(offset) \(service)/\(check) recovered")
                case .violation(let violation):
                    summary.faultToDetectionS = (at - faultAt).seconds
                    summary.trigger = violation.trigger.rawValue
                    say(
                        "\(offset) TRIGGER \(violation.trigger.rawValue) on \(violation.service): \(violation.rule), severity \(violation.severity.rawValue)"
                    )
                    for item in violation.evidence {
                        say(
                            "           evidence \(item.at) \(item.check) \(item.result)"
                                + (item.value == nil && violation.alert == nil ? " in \(item.latencyMs) ms" : ""))
                    }
                case .decision(let id, let decision):
                    say("\(offset) DECISION\(id.map { " (incident #\($0))" } ?? ""): \(describe(decision))")
                case .stepStarted(_, let step):
                    stepStarts[step.id] = (at - faultAt).seconds
                    say(
                        "\(offset) step \(step.id): \(step.service) \(step.from.label) → \(step.to.label), timeout \(step.timeout.rewindDescription)"
                    )
                case .providerCalled(_, let service, let target):
                    summary.faultToRollbackS = (at - faultAt).seconds
                    say("\(offset) platform called: roll back \(service) to \(target)")
                case .stepFinished(_, let id, let outcome):
                    summary.steps.append(
                        Summary.Step(
                            id: id, outcome: outcome.summary, startedS: stepStarts[id],
                            finishedS: (at - faultAt).seconds))
                    say("\(offset) step \(id) \(outcome.summary)")
                case .verificationAttempt(_, let service, _, let passed, let detail):
                    say("\(offset) verify \(service) \(detail) → \(passed ? "healthy" : "unhealthy")")
                case .notified(_, let channel, let kind, let delivered):
                    if channel != "console" {
                        say(
                            "\(offset) notification \(kind.rawValue) → \(channel): \(delivered ? "delivered" : "FAILED")"
                        )
                    }
                case .incidentClosed(let incident):
                    closedIncident = incident
                    say("\(offset) incident #\(incident.id) \(incident.status.rawValue)")
                    if incident.status == .completed { summary.faultToRecoveryS = (at - faultAt).seconds }
                    if options.scenario.expectsIncident { sink.yield((clock.now, nil)) }
                case .deploymentKnownGood(let deployment):
                    say("\(offset) \(deployment.service) \(deployment.label) is now known good")
                case .earlyWarning(let warning):
                    say("\(offset) EARLY WARNING: \(warning.summary)")
                }
            }

            if let incident = closedIncident {
                summary.incident = incident.id
                summary.rolledBack = summary.faultToRollbackS != nil
                // Let the outbox finish what the incident sent before counting and reporting.
                let settle = clock.now + .seconds(3)
                while clock.now < settle,
                    try await store.outbox(incidentID: incident.id).contains(where: { $0.status == .pending })
                {
                    try await clock.sleep(for: .milliseconds(50))
                }
                for entry in try await store.outbox(incidentID: incident.id) where entry.status == .sent {
                    summary.notifications[entry.channel, default: 0] += 1
                }
                summary.strategy = incident.strategy?.rawValue
                summary.tasks = try await store.tasks(incidentID: incident.id).map(\.id)
                summary.steps = stepsWithShares(
                    summary.steps, plan: incident.plan, timeline: try await store.timeline(incidentID: incident.id))
                if let detail = try await StateQueries.incident(store: store, id: incident.id) {
                    let reportPath = "\(directory)/incident-\(incident.id).md"
                    _ = try Rendering.writeReport(detail, format: .md, path: reportPath)
                    summary.report = reportPath
                }
            }
            let serving = await identity(of: endpoints.services[service], client: client)
            summary.newVersionShareAfter = shareOf()
            let serves = world.serving(service: service)
            let healthy =
                !serves.isEmpty
                && serves.allSatisfy {
                    $0.share == 0 || ($0.deployment.behavior == .healthy && $0.deployment.id != badID)
                }
            switch options.scenario {
            case .business:
                // Contained: the new version keeps its reduced share, and the metric is back within its limit.
                summary.recovered =
                    closedIncident?.status == .completed
                    && summary.outcome(of: "watch-\(service)")?.hasPrefix("improved") == true
            case let scenario where scenario.expectsRollback:
                summary.recovered = healthy && closedIncident?.status == .completed
            default:
                summary.recovered = world.live(service: service).map { $0.behavior == .healthy } ?? false
            }
            summary.asExpected = asExpected(summary, options.scenario, incident: closedIncident)

            say("")
            say("Signals at the end")
            for signal in engine.signalStatuses {
                say(
                    "  \(signal.service)/\(signal.signal): last \(signal.lastValue ?? "-")\(signal.baseline.map { ", baseline \($0)" } ?? "")\(signal.firing ? ", FIRING" : "")\(signal.inconclusive.map { " (\($0))" } ?? "")"
                )
            }
            say("")
            say("Summary")
            say("  \(service) now serves: \(serving ?? "no answer")")
            if options.scenario.expectsIncident {
                say("  fault → detection:         \(seconds(summary.faultToDetectionS))")
                say("  fault → rollback call:     \(seconds(summary.faultToRollbackS))")
                say("  fault → verified recovery: \(seconds(summary.faultToRecoveryS))")
                if let trigger = summary.trigger { say("  trigger:                   \(trigger)") }
                if let strategy = summary.strategy { say("  strategy:                  \(strategy)") }
                for step in summary.steps {
                    let shares =
                        step.shareBefore.map { before in
                            " (new version \(PlanStep.percent(before)) → \(step.shareAfter.map(PlanStep.percent) ?? "?"))"
                        } ?? ""
                    say(
                        "  step \(step.id): \(step.outcome)\(shares), \(seconds(step.startedS)) → \(seconds(step.finishedS))"
                    )
                }
                if let before = summary.newVersionShareBefore {
                    say(
                        "  new version's share of traffic: \(PlanStep.percent(before)) at the fault, \(summary.newVersionShareAfter.map(PlanStep.percent) ?? "?") now"
                    )
                }
                let strategyTasks = summary.tasks.filter {
                    $0.hasSuffix("canary_data") || $0.hasSuffix("learnings") || $0 == PostRollbackWork.promoteOrRollBack
                }
                say(
                    "  tasks recorded: \(summary.tasks.count)"
                        + (strategyTasks.isEmpty ? "" : ", among them \(strategyTasks.joined(separator: ", "))"))
                if summary.tasks.contains(PostRollbackWork.promoteOrRollBack) {
                    say(
                        "  the new version keeps its reduced share until a person decides: rewind promote \(service), or rewind rollback \(service)"
                    )
                }
            } else if options.scenario == .flapping {
                say(
                    "  no rollback: the longest run of failures was \(longestRun), below the 3 consecutive the critical rule needs; one success resets the count"
                )
            } else {
                say(
                    "  no rollback: every check passed for \(options.observeFor.rewindDescription); backend v2 stays suspect until its bake period (\(configuration.policy.bake.rewindDescription)) passes"
                )
            }
            say("  incident: \(summary.incident.map { "#\($0)" } ?? "none")")
            say("  report:   \(summary.report ?? "none")")
            say(
                "  notifications delivered: "
                    + (summary.notifications.isEmpty
                        ? "none"
                        : summary.notifications.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(
                            separator: ", ")))
            say(
                "  local sinks received: Slack \(local.sinks.accepted(.slackWebhook).count), PagerDuty \(local.sinks.accepted(.pagerDuty).count) (alert \(local.sinks.pagerDutyAlerts.first?.state.rawValue ?? "none")), email \(local.mail.messages.count)"
            )
            say("  notifications (JSON lines): \(configuration.notifications.file ?? "off")")
            say(summary.asExpected ? "  outcome: as the policy intends" : "  outcome: NOT as expected")
            return summary
        }
    }

    static func describe(_ decision: Decision) -> String {
        switch decision {
        case .rollback(let strategy, let choices, let skipped, let notes):
            let targets = choices.map { "\($0.service) \($0.from.label) → \($0.to.label) (\($0.reason))" }.joined(
                separator: "; ")
            return "\(strategy.rawValue) rollback: \(targets)"
                + (skipped.isEmpty ? "" : "; left alone: \(skipped.joined(separator: "; "))")
        case .escalate(let reason, let detail): return "no rollback, escalate (\(reason.rawValue)): \(detail)"
        case .ignore(let reason): return "nothing to do: \(reason)"
        }
    }

    /// The backend's latency and error-rate signals: PromQL over the sandbox's request metrics when
    /// Prometheus runs, else Rewind's own probe latencies and the error rate the application pushes.
    static func backendSignals(prometheus: String?) -> String {
        guard prometheus != nil else {
            return """
                      - { measure: latency_p95, probe: health, window: 6s, interval: 1s, min_samples: 2, recovery: 2s }
                \(errorRateSignal(prometheus: prometheus))
                """
        }
        let latency =
            #"histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{service="{{service}}"}[5s])))"#
        return """
                  - { measure: latency_p95, prometheus: '\(latency)', window: 5s, interval: 1s, recovery: 2s }
            \(errorRateSignal(prometheus: prometheus))
            """
    }

    /// A service's error rate: PromQL over its request metrics when Prometheus runs, else what its application pushes.
    static func errorRateSignal(prometheus: String?) -> String {
        guard prometheus != nil else {
            return
                "      - { measure: error_rate, pushed: error_rate, window: 3s, interval: 1s, recovery: 2s, baseline: 1m }"
        }
        let errors =
            #"(sum(rate(http_requests_total{service="{{service}}",code=~"5.."}[5s])) or vector(0)) / sum(rate(http_requests_total{service="{{service}}"}[5s]))"#
        return
            "      - { measure: error_rate, prometheus: '\(errors)', window: 5s, interval: 1s, recovery: 2s, baseline: 1m }"
    }

    static func seconds(_ value: Double?) -> String { value.map { String(format: "%.3f s", $0) } ?? "n/a" }

    /// Whether the run went as the policy intends: a rollback (or none) as the scenario expects, and for
    /// the traffic strategies each step of the guide's plan with the outcome it should have.
    static func asExpected(_ summary: Summary, _ scenario: Scenario, incident: Incident?) -> Bool {
        guard scenario.expectsIncident else { return incident == nil && summary.faultToDetectionS == nil }
        let succeeded = { (step: String) in
            summary.outcome(of: step) == StepOutcome.succeeded(viaFallback: false).summary
        }
        let shareAfter = { (step: String) in summary.steps.first { $0.id == step }?.shareAfter }
        if scenario == .business {
            return summary.strategy == Strategy.gradual.rawValue && succeeded("reduce-traffic-frontend")
                && shareAfter("reduce-traffic-frontend") == 0.5
                && summary.outcome(of: "watch-frontend")?.hasPrefix("improved") == true
                && summary.outcome(of: "rollback-frontend")?.hasPrefix("not needed") == true && !summary.rolledBack
                && summary.recovered && summary.newVersionShareAfter == 0.5
        }
        guard summary.rolledBack, summary.recovered else { return false }
        switch scenario {
        case .canary:
            return summary.strategy == Strategy.canary.rawValue && succeeded("stop-canary-frontend")
                && shareAfter("stop-canary-frontend") == 0
                && succeeded("keep-canary-data-frontend") && succeeded("rollback-frontend")
                && summary.newVersionShareAfter == 0
                && summary.tasks.contains("investigation.analyze_canary_data")
                && summary.tasks.contains("documentation.document_learnings")
        case .gradual:
            return summary.strategy == Strategy.gradual.rawValue && succeeded("reduce-traffic-frontend")
                && shareAfter("reduce-traffic-frontend") == 0.5
                && summary.outcome(of: "watch-frontend")?.hasPrefix("no improvement") == true
                && succeeded("route-stable-frontend") && succeeded("rollback-frontend")
                && summary.newVersionShareAfter == 0
        default:
            return true
        }
    }

    /// The steps with the traffic shares their traffic moves reported (the `before`/`after` of each move's
    /// journal entry, which comes before the step's outcome).
    static func stepsWithShares(_ steps: [Summary.Step], plan: Plan?, timeline: [TimelineEvent]) -> [Summary.Step] {
        let trafficSteps = Set(
            (plan?.steps ?? []).filter {
                switch $0.action {
                case .setTraffic, .reduceTraffic: true
                default: false
                }
            }.map(\.id))
        let serviceOf = Dictionary(
            (plan?.steps ?? []).map { ($0.id, $0.service.rawValue) }, uniquingKeysWith: { first, _ in first })
        var pending: [String: (before: Double, after: Double)] = [:]
        var shares: [String: (before: Double, after: Double)] = [:]
        for event in timeline {
            guard case .object(let detail)? = event.detail else { continue }
            switch event.kind {
            case .stepAccepted:
                if case .string(let service)? = detail["service"], case .number(let before)? = detail["before"],
                    case .number(let after)? = detail["after"]
                {
                    pending[service] = (before, after)
                }
            case .stepOutcome:
                guard case .string(let step)? = detail["step"], trafficSteps.contains(step),
                    let service = serviceOf[step]
                else { continue }
                shares[step] = pending.removeValue(forKey: service)
            default:
                continue
            }
        }
        return steps.map { step in
            var step = step
            step.shareBefore = shares[step.id]?.before
            step.shareAfter = shares[step.id]?.after
            return step
        }
    }

    /// Waits until every check has passed at least once and every signal that compares with a
    /// baseline has one.
    static func waitForBaseline(engine: RewindEngine, policy: Policy, clock: any RewindClock) async throws {
        let deadline = clock.now + .seconds(20)
        let checks = policy.services.flatMap(\.checks).count
        let signalCount = policy.services.flatMap(\.signals).count
        while clock.now < deadline {
            let statuses = engine.checkStatuses
            let signals = engine.signalStatuses
            if statuses.count == checks, statuses.allSatisfy({ $0.lastResult?.hasPrefix("HTTP 2") == true }),
                signals.count == signalCount,
                signals.allSatisfy({ $0.baseline != nil || !$0.threshold.contains("baseline") })
            {
                return
            }
            try await clock.sleep(for: .milliseconds(50))
        }
        throw AppError.unavailable("the sandbox services did not become healthy, with their baselines, within 20 s")
    }

    static func identity(of url: String?, client: HTTPClient) async -> String? {
        guard let url else { return nil }
        guard let response = try? await client.execute(HTTPClientRequest(url: url + "/"), timeout: .seconds(2)),
            let body = try? await response.body.collect(upTo: 64 * 1024)
        else { return nil }
        return String(buffer: body)
    }

    /// The demo's policy: the guide's rules with short intervals, against the sandbox and the vendor emulators.
    static func configuration(
        _ scenario: Scenario, endpoints: SandboxEndpoints, vendors: DemoPlatforms.Endpoints, local: LocalSinks,
        prometheus: String?
    ) -> String {
        func url(_ service: String) -> String { endpoints.services[service] ?? "http://127.0.0.1:1" }
        func provider(_ service: String) -> String { DemoPlatforms.providerYAML(service: service, endpoints: vendors) }
        return """
            # Written by `rewind demo`: the guide's rules with short intervals, against the local sandbox
            # (frontend on a Vercel emulator behind a Cloudflare emulator, backend and worker on a Railway emulator).
            mode: enforce
            state: state.db
            bake: 1h
            health:
              critical: { failures: 3, within: 2m }
              non_critical: { failures: 5, within: 5m }
              recovery: { successes: 2, within: 5m }
              interval: 1s
              timeout: 2s
              confirm_interval: 100ms
            strategies:
              immediate: { timeout: 10s, freeze: 1h }
              fast: { timeout: 10s }
              gradual: { reduce_by: 50%, watch: 6s, watch_interval: 1s, traffic_timeout: 5s }
              canary: { stop_timeout: 5s, route_timeout: 10s, analysis: 30m }
            \(prometheus.map { "monitoring: { prometheus: { url: \"\($0)\", timeout: 2s } }" } ?? "")
            verification:
              interval: 500ms
              timeout: 2s
              max_attempts: 3
              failure_threshold: 2
              performance: { duration: 8s }
              business: { duration: 5s }
            notifications:
              console: true
              file: notifications.jsonl
              channels:
                slack-critical: { type: slack_webhook, url: "${DEMO_SLACK_CRITICAL_URL}" }
                slack-high: { type: slack_webhook, url: "${DEMO_SLACK_HIGH_URL}" }
                pagerduty: { type: pagerduty, routing_key: "${DEMO_PAGERDUTY_KEY}", url: "\(local.http)/pagerduty" }
                oncall-email: { type: email, host: 127.0.0.1, port: \(local.smtpPort), security: none, from: rewind@demo.local, to: [oncall@demo.local] }
                devops-email: { type: email, host: 127.0.0.1, port: \(local.smtpPort), security: none, from: rewind@demo.local, to: [devops@demo.local] }
              routes:
                initiated: [console, file, slack-critical, oncall-email, pagerduty]
                completed: [console, file, slack-high, devops-email, pagerduty]
                failed: [console, file, slack-critical, oncall-email, pagerduty]
                escalated: [console, file, slack-critical]
                would_roll_back: [console, file]
              audiences:
                oncall: [pagerduty, oncall-email]
                management: [oncall-email]
                devops: [slack-high, devops-email]
                security: [slack-critical, oncall-email]
            services:
              frontend:
                class: frontend
                depends_on: [backend]
                checks:
                  - { name: health, url: \(url("frontend"))/health, severity: critical }
            \(scenario.runsCanary ? "    rollout: canary" : "")
                signals:
                  - { measure: conversion_rate, pushed: conversion_rate, window: 3s, interval: 1s, recovery: 2s, baseline: 1m }
            \(errorRateSignal(prometheus: prometheus))
            \(provider("frontend"))
              backend:
                class: backend
                depends_on: [worker]
                checks:
                  - { name: health, url: \(url("backend"))/health, severity: critical }
                signals:
            \(backendSignals(prometheus: prometheus))
            \(provider("backend"))
              worker:
                checks:
                  - { name: health, url: \(url("worker"))/health, severity: non-critical }
            \(provider("worker"))

            """
    }
}
