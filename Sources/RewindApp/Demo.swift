import AsyncHTTPClient
import Foundation
import Logging
import RewindConfig
import RewindCore
import RewindEngine
import RewindPorts
import RewindSandbox
import RewindSignals
import RewindStoreSQLite
import Synchronization

/// `rewind demo`: the whole loop on this machine. A sandbox on loopback runs frontend, backend and
/// worker with v1 live and known good; a bad v2 is deployed; Rewind detects, decides, rolls back
/// through the sandbox platform's HTTP API, verifies, notifies and writes the incident report.
public enum Demo {
    public enum Scenario: String, CaseIterable, Sendable {
        /// backend v2's /health answers 500: critical health → immediate rollback.
        case down
        /// worker v2's non-critical check answers 503: non-critical health → fast rollback.
        case degraded
        /// backend v2 fails twice then passes once, over and over: never 3 in a row → no rollback.
        case flapping
        /// backend v2 is good: nothing happens.
        case healthy
        /// backend v2 answers in 1.2 s: P95 latency above the backend's 1 s → fast rollback.
        case slow
        /// backend v2's traffic fails 12 % of requests (pushed error rate, baseline 0.4 %) → fast rollback.
        case errors
        /// frontend v2 converts 2.5 % of visits instead of 4 %: business → gradual asked, fast without traffic control.
        case business
        /// backend v2 reports a breach indicator: security → immediate rollback, freeze, security team told.
        case security

        var service: String {
            switch self {
            case .degraded: "worker"
            case .business: "frontend"
            default: "backend"
            }
        }
        var behavior: SandboxBehavior {
            switch self {
            case .down: .failing(status: 500)
            case .degraded: .failing(status: 503)
            case .flapping: .flapping(failures: 2, successes: 1)
            case .slow: .slow(milliseconds: 1200)
            case .healthy, .errors, .business, .security: .healthy
            }
        }
        var expectsRollback: Bool { self != .flapping && self != .healthy }
        var story: String {
            switch self {
            case .down: "backend v2 answers /health with HTTP 500 (critical health: 3 consecutive failures within 2m → immediate)"
            case .degraded: "worker v2 answers its non-critical check with HTTP 503 (5 consecutive within 5m → fast)"
            case .flapping: "backend v2 fails twice, then passes once, over and over (never 3 consecutive → no rollback)"
            case .healthy: "backend v2 is healthy (nothing should happen)"
            case .slow: "backend v2 answers /health in 1.2 s (P95 of probe latency > 1 s, 2 consecutive evaluations → fast)"
            case .errors: "backend v2 fails 12 % of its requests (error rate up > 5 points over its baseline, 2 consecutive → fast)"
            case .business: "frontend v2 converts 2.5 % instead of 4 % (conversion drop > 15 %, 3 consecutive → gradual, fast without traffic control)"
            case .security: "backend v2 reports a breach indicator (security → immediate rollback, deployments frozen, security team told)"
            }
        }
        var deploymentID: String {
            switch service {
            case "worker": "wk-v2"
            case "frontend": "fe-v2"
            default: "be-v2"
            }
        }
    }

    public struct Summary: Codable, Sendable, Equatable {
        public var scenario: String
        /// The trigger that fired, if one did.
        public var trigger: String?
        public var rolledBack: Bool
        public var recovered: Bool
        public var faultToDetectionS: Double?
        public var faultToRollbackS: Double?
        public var faultToRecoveryS: Double?
        public var incident: Int64?
        public var report: String?
        public var asExpected: Bool
        /// Notifications delivered per channel.
        public var notifications: [String: Int] = [:]
        /// Where latency and error rate came from: `prometheus`, or Rewind's probe latencies and pushed events.
        public var signalsFrom: String = ""

        enum CodingKeys: String, CodingKey {
            case scenario, trigger, recovered, incident, report
            case rolledBack = "rolled_back"
            case faultToDetectionS = "fault_to_detection_s"
            case faultToRollbackS = "fault_to_rollback_s"
            case faultToRecoveryS = "fault_to_recovery_s"
            case asExpected = "as_expected"
            case notifications
            case signalsFrom = "signals_from"
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(scenario, forKey: .scenario)
            try c.encode(trigger, forKey: .trigger)
            try c.encode(rolledBack, forKey: .rolledBack)
            try c.encode(recovered, forKey: .recovered)
            try c.encode(faultToDetectionS, forKey: .faultToDetectionS)
            try c.encode(faultToRollbackS, forKey: .faultToRollbackS)
            try c.encode(faultToRecoveryS, forKey: .faultToRecoveryS)
            try c.encode(incident, forKey: .incident)
            try c.encode(report, forKey: .report)
            try c.encode(asExpected, forKey: .asExpected)
            try c.encode(notifications, forKey: .notifications)
            try c.encode(signalsFrom, forKey: .signalsFrom)
        }
    }

    public struct Options: Sendable {
        public var scenario: Scenario
        public var directory: String
        /// Prints the live view; off for `--output json`.
        public var live: Bool
        /// How long the no-rollback scenarios are watched.
        public var observeFor: Duration

        public init(scenario: Scenario = .down, directory: String = ".rewind/demo", live: Bool = true, observeFor: Duration = .seconds(8)) {
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
        let world = SandboxWorld(
            services: [
                "frontend": [SandboxDeployment(id: "fe-v1", version: "v1", createdAt: Date(timeIntervalSinceNow: -7200))],
                "backend": [SandboxDeployment(id: "be-v1", version: "v1", createdAt: Date(timeIntervalSinceNow: -7200))],
                "worker": [SandboxDeployment(id: "wk-v1", version: "v1", createdAt: Date(timeIntervalSinceNow: -7200))],
            ],
            live: ["frontend": "fe-v1", "backend": "be-v1", "worker": "wk-v1"])
        world.rollbackDuration = .milliseconds(300)
        let sandbox = Sandbox(world: world, logger: Logger(label: "rewind.sandbox", factory: { _ in SwiftLogNoOpLogHandler() }))
        let client = HTTPHealthProber.makeHTTPClient()
        return try await run(options, world: world, sandbox: sandbox, client: client, directory: directory, say: say, logger: logger)
    }

    static func run(_ options: Options, world: SandboxWorld, sandbox: Sandbox, client: HTTPClient, directory: String,
                    say: @escaping @Sendable (String) -> Void, logger: Logger) async throws -> Summary {
        // Stop order matters: the engine first, then the client's pooled connections, then the
        // sandbox's servers, so that no server is cancelled in the middle of a connection.
        try await withThrowingTaskGroup(of: Void.self) { servers in
            servers.addTask { try await sandbox.run() }
            let sinks = NotificationSinksServer(sinks: NotificationSinks())
            let mail = SMTPSinkServer(sink: SMTPSink())
            servers.addTask { try await sinks.run() }
            servers.addTask { try await mail.run() }
            let endpoints = await sandbox.endpoints()
            let local = LocalSinks(http: await sinks.endpoint(), smtpPort: await mail.port(), sinks: sinks.sinks, mail: mail.sink)
            // With Prometheus installed, the sandbox's request metrics are scraped by a real one.
            let metricsServer = SandboxMetricsServer()
            servers.addTask { try await metricsServer.run() }
            let monitoring: DemoMonitoring
            switch await DemoPrometheus.start(scraping: await metricsServer.endpoint(), directory: directory, client: client) {
            case .success(let prometheus): monitoring = .prometheus(prometheus, metricsServer.traffic)
            case .failure(let unavailable): monitoring = .fallback(unavailable.reason)
            }
            do {
                let summary = try await withThrowingTaskGroup(of: Void.self) { group in
                    defer { group.cancelAll() }
                    return try await watch(options, world: world, endpoints: endpoints, local: local, monitoring: monitoring, client: client,
                                           directory: directory, say: say, logger: logger, group: &group)
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
            ["DEMO_SLACK_CRITICAL_URL": "\(http)/slack/webhook/alerts-critical", "DEMO_SLACK_HIGH_URL": "\(http)/slack/webhook/alerts-high",
             "DEMO_PAGERDUTY_KEY": "0123456789abcdef0123456789abcdef"]
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
            case .prometheus(let prometheus, _): "latency and error rate from a real Prometheus at \(prometheus.url), scraping the sandbox every second"
            case .fallback(let why): "\(why): latency and error rate fall back to Rewind's probe latencies and pushed events"
            }
        }
        func stop() {
            if case .prometheus(let prometheus, _) = self { prometheus.stop() }
        }
    }

    static func watch(_ options: Options, world: SandboxWorld, endpoints: SandboxEndpoints, local: LocalSinks, monitoring: DemoMonitoring,
                      client: HTTPClient, directory: String,
                      say: @escaping @Sendable (String) -> Void, logger: Logger, group: inout ThrowingTaskGroup<Void, any Error>) async throws -> Summary {
        do {
            let configPath = "\(directory)/rewind.yaml"
            let yaml = configuration(endpoints: endpoints, local: local, prometheus: monitoring.prometheusURL)
            try yaml.write(toFile: configPath, atomically: true, encoding: .utf8)
            let configuration: RewindConfiguration
            switch ConfigLoader.parse(yaml: yaml, path: configPath, environment: local.environment) {
            case .success(let value): configuration = value
            case .failure(let errors): throw AppError.config(errors.problems.map(\.description).joined(separator: "\n"))
            }
            let store = try SQLiteStore(path: configuration.statePath)
            let clock = SystemClock()
            let seededAt = clock.now
            for (service, id) in [("frontend", "fe-v1"), ("backend", "be-v1"), ("worker", "wk-v1")] {
                try await store.recordDeployment(
                    Deployment(service: ServiceName(service), id: id, version: "v1", deployedAt: seededAt - .seconds(7200), trust: .knownGood,
                               knownGoodAt: seededAt - .seconds(3600)),
                    makeLive: true)
            }
            // nil marks the end of the observation window.
            let (events, sink) = AsyncStream.makeStream(of: (Timestamp, EngineEvent?).self, bufferingPolicy: .unbounded)
            let engine = Composition.makeEngine(
                configuration: configuration, store: store, client: client, clock: clock,
                notifiers: try Composition.notifiers(for: configuration, client: client, console: { say("    notify " + $0) }),
                observer: { sink.yield((clock.now, $0)) }, pollInterval: .milliseconds(100), bakeCheckInterval: .seconds(60),
                logger: logger)
            group.addTask { try await engine.run() }
            let scenario = options.scenario
            let traffic = monitoring.traffic
            group.addTask { try await application(scenario, world: world, engine: engine, traffic: traffic, clock: clock) }

            say("Rewind demo · scenario \(options.scenario.rawValue)")
            say("sandbox on loopback: frontend \(endpoints.services["frontend"] ?? "?"), backend \(endpoints.services["backend"] ?? "?"), worker \(endpoints.services["worker"] ?? "?"), platform \(endpoints.platform)")
            say("policy: \(configPath) · state: \(configuration.statePath)")
            say("signals: \(monitoring.sentence)")
            try await waitForBaseline(engine: engine, clock: clock)
            say("baseline: frontend, backend and worker healthy on v1 (known good)")

            // A fault lands at a random moment of the check schedule, not right after a check.
            try await clock.sleep(for: .milliseconds(Int64.random(in: 0..<1000)))
            let service = options.scenario.service
            let badID = options.scenario.deploymentID
            world.deploy(service: service, SandboxDeployment(id: badID, version: "v2", behavior: options.scenario.behavior))
            let faultAt = clock.now
            _ = try await engine.recordDeployment(Deployment(service: ServiceName(service), id: badID, version: "v2", deployedAt: faultAt))
            say("[+0.000s] deployed \(service) v2: \(options.scenario.story)")

            var summary = Summary(scenario: options.scenario.rawValue, rolledBack: false, recovered: false, asExpected: false)
            summary.signalsFrom = monitoring.prometheusURL == nil ? "probe latencies and pushed events" : "prometheus"
            let deadline = faultAt + (options.scenario.expectsRollback ? .seconds(60) : options.observeFor)
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
                    say("\(offset) \(observation.service)/\(observation.check) failed: \(observation.result.summary) (\(count) of \(of) consecutive)")
                case .checkRecovered(let service, let check):
                    say("\(offset) \(service)/\(check) recovered")
                case .violation(let violation):
                    summary.faultToDetectionS = (at - faultAt).seconds
                    summary.trigger = violation.trigger.rawValue
                    say("\(offset) TRIGGER \(violation.trigger.rawValue) on \(violation.service): \(violation.rule), severity \(violation.severity.rawValue)")
                    for item in violation.evidence {
                        say("           evidence \(item.at) \(item.check) \(item.result)" + (item.value == nil && violation.alert == nil ? " in \(item.latencyMs) ms" : ""))
                    }
                case .decision(let id, let decision):
                    say("\(offset) DECISION\(id.map { " (incident #\($0))" } ?? ""): \(describe(decision))")
                case .stepStarted(_, let step):
                    say("\(offset) step \(step.id): \(step.service) \(step.from.label) → \(step.to.label), timeout \(step.timeout.rewindDescription)")
                case .providerCalled(_, let service, let target):
                    summary.faultToRollbackS = (at - faultAt).seconds
                    say("\(offset) platform called: roll back \(service) to \(target)")
                case .stepFinished(_, let id, let outcome):
                    say("\(offset) step \(id) \(outcome.summary)")
                case .verificationAttempt(_, let service, _, let passed, let detail):
                    say("\(offset) verify \(service) \(detail) → \(passed ? "healthy" : "unhealthy")")
                case .notified(_, let channel, let kind, let delivered):
                    if channel != "console" { say("\(offset) notification \(kind.rawValue) → \(channel): \(delivered ? "delivered" : "FAILED")") }
                case .incidentClosed(let incident):
                    closedIncident = incident
                    say("\(offset) incident #\(incident.id) \(incident.status.rawValue)")
                    if incident.status == .completed { summary.faultToRecoveryS = (at - faultAt).seconds }
                    if options.scenario.expectsRollback { sink.yield((clock.now, nil)) }
                case .deploymentKnownGood(let deployment):
                    say("\(offset) \(deployment.service) \(deployment.label) is now known good")
                }
            }

            if let incident = closedIncident {
                summary.incident = incident.id
                summary.rolledBack = summary.faultToRollbackS != nil
                // Let the outbox finish what the incident sent before counting and reporting.
                let settle = clock.now + .seconds(3)
                while clock.now < settle, try await store.outbox(incidentID: incident.id).contains(where: { $0.status == .pending }) {
                    try await clock.sleep(for: .milliseconds(50))
                }
                for entry in try await store.outbox(incidentID: incident.id) where entry.status == .sent {
                    summary.notifications[entry.channel, default: 0] += 1
                }
                if let detail = try await StateQueries.incident(store: store, id: incident.id) {
                    let reportPath = "\(directory)/incident-\(incident.id).md"
                    _ = try Rendering.writeReport(detail, format: .md, path: reportPath)
                    summary.report = reportPath
                }
            }
            let serving = await identity(of: endpoints.services[service], client: client)
            let healthy = world.live(service: service).map { $0.behavior == .healthy } ?? false
            summary.recovered = healthy && (closedIncident.map { $0.status == .completed } ?? true)
            summary.asExpected = options.scenario.expectsRollback
                ? summary.rolledBack && summary.recovered
                : closedIncident == nil && summary.faultToDetectionS == nil

            say("")
            say("Signals at the end")
            for signal in engine.signalStatuses {
                say("  \(signal.service)/\(signal.signal): last \(signal.lastValue ?? "-")\(signal.baseline.map { ", baseline \($0)" } ?? "")\(signal.firing ? ", FIRING" : "")\(signal.inconclusive.map { " (\($0))" } ?? "")")
            }
            say("")
            say("Summary")
            say("  \(service) now serves: \(serving ?? "no answer")")
            if options.scenario.expectsRollback {
                say("  fault → detection:         \(seconds(summary.faultToDetectionS))")
                say("  fault → rollback call:     \(seconds(summary.faultToRollbackS))")
                say("  fault → verified recovery: \(seconds(summary.faultToRecoveryS))")
                if let trigger = summary.trigger { say("  trigger:                   \(trigger)") }
            } else if options.scenario == .flapping {
                say("  no rollback: the longest run of failures was \(longestRun), below the 3 consecutive the critical rule needs; one success resets the count")
            } else {
                say("  no rollback: every check passed for \(options.observeFor.rewindDescription); backend v2 stays suspect until its bake period (\(configuration.policy.bake.rewindDescription)) passes")
            }
            say("  incident: \(summary.incident.map { "#\($0)" } ?? "none")")
            say("  report:   \(summary.report ?? "none")")
            say("  notifications delivered: " + (summary.notifications.isEmpty ? "none" : summary.notifications.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))
            say("  local sinks received: Slack \(local.sinks.accepted(.slackWebhook).count), PagerDuty \(local.sinks.accepted(.pagerDuty).count) (alert \(local.sinks.pagerDutyAlerts.first?.state.rawValue ?? "none")), email \(local.mail.messages.count)")
            say("  notifications (JSON lines): \(configuration.notifications.file ?? "off")")
            say(summary.asExpected ? "  outcome: as the policy intends" : "  outcome: NOT as expected")
            return summary
        }
    }

    static func describe(_ decision: Decision) -> String {
        switch decision {
        case .rollback(let strategy, let choices, let skipped, let notes):
            let targets = choices.map { "\($0.service) \($0.from.label) → \($0.to.label) (\($0.reason))" }.joined(separator: "; ")
            return "\(strategy.rawValue) rollback: \(targets)" + (skipped.isEmpty ? "" : "; left alone: \(skipped.joined(separator: "; "))")
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
                      - { measure: error_rate, pushed: error_rate, window: 3s, interval: 1s, recovery: 2s, baseline: 1m }
                """
        }
        let latency = #"histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{service="{{service}}"}[5s])))"#
        let errors = #"(sum(rate(http_requests_total{service="{{service}}",code=~"5.."}[5s])) or vector(0)) / sum(rate(http_requests_total{service="{{service}}"}[5s]))"#
        return """
                  - { measure: latency_p95, prometheus: '\(latency)', window: 5s, interval: 1s, recovery: 2s }
                  - { measure: error_rate, prometheus: '\(errors)', window: 5s, interval: 1s, recovery: 2s, baseline: 1m }
            """
    }

    static func seconds(_ value: Double?) -> String { value.map { String(format: "%.3f s", $0) } ?? "n/a" }

    /// Waits until every check has passed at least once and every signal that compares with a
    /// baseline has one.
    static func waitForBaseline(engine: RewindEngine, clock: any RewindClock) async throws {
        let deadline = clock.now + .seconds(20)
        while clock.now < deadline {
            let statuses = engine.checkStatuses
            let signals = engine.signalStatuses
            if statuses.count == 3, statuses.allSatisfy({ $0.lastResult?.hasPrefix("HTTP 2") == true }),
                signals.count == 3, signals.allSatisfy({ $0.baseline != nil || !$0.threshold.contains("baseline") })
            {
                return
            }
            try await clock.sleep(for: .milliseconds(50))
        }
        throw AppError.unavailable("the sandbox services did not become healthy, with their baselines, within 20 s")
    }

    /// The demo's applications: every 250 ms each service pushes its error rate and the frontend its
    /// conversion rate, as `POST /api/v1/events` would, with values that depend on the version live.
    /// backend v2 also reports a breach indicator once (the security scenario).
    static func application(_ scenario: Scenario, world: SandboxWorld, engine: RewindEngine, traffic: SandboxTraffic?,
                            clock: any RewindClock) async throws {
        var reportedBreach = false
        var profile: TrafficProfile?
        while true {
            let now = clock.now
            let backend = world.live(service: "backend")?.id
            let frontend = world.live(service: "frontend")?.id
            // The backend's request traffic, as Prometheus scrapes it: slow or failing while a bad v2 serves.
            let wanted: TrafficProfile = switch (scenario, backend) {
            case (.slow, "be-v2"): .slow("backend")
            case (.errors, "be-v2"): .failing("backend", errorRatio: 0.12)
            default: .healthy("backend")
            }
            if let traffic, wanted != profile {
                traffic.set(wanted)
                profile = wanted
            }
            engine.receive(pushed: [
                PushedValue(service: "backend", signal: "error_rate", value: backend == "be-v2" && scenario == .errors ? 0.12 : 0.004, at: now),
                PushedValue(service: "frontend", signal: "conversion_rate", value: frontend == "fe-v2" ? 0.025 : 0.04, at: now),
            ])
            if backend == "be-v2", scenario == .security, !reportedBreach {
                reportedBreach = true
                engine.receive(alerts: [
                    ExternalAlert(origin: .pushed, service: "backend", category: .security, severity: .critical, name: "breach_indicator",
                                  firing: true, at: now, fingerprint: "pushed/breach_indicator",
                                  summary: "backend v2 sent customer records to an unknown host")
                ])
            }
            try await clock.sleep(for: .milliseconds(250))
        }
    }

    static func identity(of url: String?, client: HTTPClient) async -> String? {
        guard let url else { return nil }
        guard let response = try? await client.execute(HTTPClientRequest(url: url + "/"), timeout: .seconds(2)),
            let body = try? await response.body.collect(upTo: 64 * 1024)
        else { return nil }
        return String(buffer: body)
    }

    static func configuration(endpoints: SandboxEndpoints, local: LocalSinks, prometheus: String?) -> String {
        func url(_ service: String) -> String { endpoints.services[service] ?? "http://127.0.0.1:1" }
        let platform = endpoints.platform
        func provider() -> String {
            """
                provider:
                  type: http
                  rollback:
                    method: POST
                    url: \(platform)/v1/services/{{service}}/rollback
                    body: { deployment: "{{target.id}}" }
                    expect: [202]
                  current:
                    url: \(platform)/v1/services/{{service}}/current
                    field: id
                  status:
                    url: \(platform)/v1/operations/{{operation.id}}
                    operation_field: id
                    field: status
                    succeeded: [succeeded]
                    failed: [failed]
                  timeout: 5s
            """
        }
        return """
            # Written by `rewind demo`: the guide's rules with short intervals, against the local sandbox.
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
                signals:
                  - { measure: conversion_rate, pushed: conversion_rate, window: 3s, interval: 1s, recovery: 2s, baseline: 1m }
            \(provider())
              backend:
                class: backend
                depends_on: [worker]
                checks:
                  - { name: health, url: \(url("backend"))/health, severity: critical }
                signals:
            \(backendSignals(prometheus: prometheus))
            \(provider())
              worker:
                checks:
                  - { name: health, url: \(url("worker"))/health, severity: non-critical }
            \(provider())

            """
    }
}
