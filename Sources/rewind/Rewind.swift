import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import Metrics
import Prometheus
import RewindApp
import RewindConfig
import RewindCore
import RewindServer
import RewindSignals

@main
struct Rewind: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rewind",
        abstract: "Automated rollback: watch, decide, roll back, verify, notify, record.",
        discussion:
            "Exit codes: 0 ok, 1 failure, 3 deployments frozen and 4 cannot tell (freeze status), 64 usage, 69 unavailable, 78 configuration.",
        version: RewindVersion.current,
        subcommands: [
            Demo.self, Init.self, Config.self, Serve.self, Status.self, History.self, Incidents.self, Rollback.self,
            Promote.self, Drill.self, Replay.self, Diff.self, Freeze.self, Unfreeze.self, Pause.self, Resume.self,
            Deployments.self,
            Providers.self,
            State.self,
        ])
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

struct ConfigOption: ParsableArguments {
    /// The policy file a command reads when `--config` is not given.
    static let defaultPath = "rewind.yaml"

    @Option(name: .shortAndLong, help: "The policy file.", completion: Completions.policyFiles)
    var config = ConfigOption.defaultPath
}

/// Runs `body`, turning Rewind's errors into a message on stderr and an exit code.
func guarded(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as AppError {
        try? FileHandle.standardError.write(contentsOf: Data("rewind: \(error.message)\n".utf8))
        throw ExitCode(error.exitCode)
    } catch let error as ExitCode {
        throw error
    } catch let error as any RewindError {
        try? FileHandle.standardError.write(contentsOf: Data("rewind: \(error.message)\n".utf8))
        throw ExitCode(1)
    }
}

/// The log on standard error: `REWIND_LOG_LEVEL` (else `level`), in `format` or `REWIND_LOG_FORMAT` (text or json).
func bootstrapLogging(default level: Logger.Level, format: LogSettings.Format? = nil) {
    let environment = ProcessInfo.processInfo.environment
    let wanted = environment["REWIND_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? level
    LogOutput.bootstrap(
        level: wanted,
        format: format ?? environment["REWIND_LOG_FORMAT"].flatMap(LogSettings.Format.init(rawValue:)) ?? .text)
}

/// Where a reading or operating command finds Rewind: the daemon `--server` or `REWIND_SERVER` names (no policy,
/// no secrets, no database: `REWIND_TOKEN` is the token), or the policy's daemon and state.
struct AccessOption: ParsableArguments {
    @Option(
        name: .shortAndLong, help: "The policy file (not read with --server).",
        completion: Completions.policyFiles)
    var config = ConfigOption.defaultPath
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The daemon's address, like http://rewind.internal:8480 (or REWIND_SERVER); with it no policy is read.",
            discussion:
                "List several replicas comma-separated to follow a standby's 307 to the leader among them; the token "
                + "is never sent to an address not listed."))
    var server: String?

    /// `--server`, else a non-empty `REWIND_SERVER`.
    var daemon: String? {
        server ?? ProcessInfo.processInfo.environment["REWIND_SERVER"].flatMap { $0.isEmpty ? nil : $0 }
    }
}

func withAccess<T>(_ option: AccessOption, _ body: (StateAccess) async throws -> T) async throws -> T {
    let client = HTTPClient(eventLoopGroupProvider: .singleton)
    do {
        let access =
            if let server = option.daemon {
                try StateAccess(server: server, client: client)
            } else {
                StateAccess(configuration: try Composition.loadConfiguration(option.config), client: client)
            }
        let result = try await body(access)
        try await client.shutdown()
        return result
    } catch {
        try? await client.shutdown()
        throw error
    }
}

extension Rewind {
    struct Demo: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the whole loop against a local sandbox on loopback.")

        @Option(
            help: "\(RewindApp.Demo.Scenario.allCases.map(\.rawValue).joined(separator: ", ")).",
            completion: Completions.scenarios)
        var scenario: String = RewindApp.Demo.Scenario.down.rawValue

        @Option(name: .shortAndLong, help: "text or json.")
        var output: OutputFormat = .text

        @Option(help: "Where the demo writes its policy, state, notifications and report.")
        var dir = ".rewind/demo"

        func run() async throws {
            guard let chosen = RewindApp.Demo.Scenario(rawValue: scenario) else {
                throw ValidationError(
                    "unknown scenario '\(scenario)'; choose one of: \(RewindApp.Demo.Scenario.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            bootstrapLogging(default: .error)
            try await guarded {
                let summary = try await RewindApp.Demo.run(
                    .init(scenario: chosen, directory: dir, live: output == .text), logger: Logger(label: "rewind.demo")
                )
                if output == .json { print(JSONOutput.render(summary, compact: true)) }
                if !summary.asExpected { throw ExitCode(1) }
            }
        }
    }

    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a starter rewind.yaml with the guide's defaults, and write its API token file.",
            discussion:
                "rewind init > rewind.yaml writes the token next to it (rewind-api-token, mode 0600) and the config reads it with ${file:…}; the token is never printed."
        )

        @Option(
            help:
                "Where to write the API token (32 random bytes, hex, mode 0600). A relative path is relative to the configuration file, so write the configuration in the current directory or give an absolute path. An existing file is kept."
        )
        var tokenFile = "rewind-api-token"

        @Flag(help: "Write no token file: the printed configuration sets no token.")
        var noTokenFile = false

        func run() async throws {
            try await guarded {
                var yaml = StarterConfig.yaml
                if !noTokenFile {
                    let outcome = try TokenFile.ensure(path: tokenFile)
                    let note =
                        outcome == .created
                        ? "wrote a new API token to \(tokenFile) (mode 0600)" : "kept the API token in \(tokenFile)"
                    try? FileHandle.standardError.write(
                        contentsOf:
                            Data("rewind: \(note); the configuration reads it with ${file:\(tokenFile)}\n".utf8))
                    yaml = StarterConfig.yaml(tokenFile: tokenFile)
                }
                print(yaml, terminator: yaml.hasSuffix("\n") ? "" : "\n")
                let variables = StarterConfig.variables.map { "  \($0.name): \($0.purpose)" }.joined(separator: "\n")
                try? FileHandle.standardError.write(
                    contentsOf:
                        Data(
                            """
                            rewind: the notification channels read these variables; set them before rewind serve \
                            (rewind config validate --skip-secrets checks the file without them):
                            \(variables)

                            """.utf8))
            }
        }
    }

    struct Config: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Work with policy files.", subcommands: [Validate.self, Schema.self])

        struct Schema: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Print the JSON Schema of rewind.yaml (generated from the configuration reader's keys).",
                discussion:
                    "For editors: rewind config schema > rewind.schema.json, then start rewind.yaml with # yaml-language-server: $schema=rewind.schema.json. The schema checks key names, shapes and words; rewind config validate checks the rest."
            )

            func run() async throws {
                print(ConfigSchema.json(), terminator: "")
            }
        }

        struct Validate: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Report every problem of a policy file, as FILE:LINE: path: message.",
                discussion:
                    "With --skip-secrets (for CI, without the secrets): an unset ${VAR} or an unreadable ${file:…} is listed as not checked; everything else is validated."
            )
            @Argument(help: "The policy file.") var file: String
            @Flag(help: "Accept unset ${VAR} and unreadable ${file:…} references, listing them as not checked.")
            var skipSecrets = false

            func run() async throws {
                do {
                    let checked = try ConfigLoader.validate(
                        path: file, environment: ProcessInfo.processInfo.environment, skippingAbsentSecrets: skipSecrets
                    )
                    for note in checked.notChecked { print(note.description) }
                    let configuration = checked.configuration
                    for warning in configuration.warnings { print(warning.description) }
                    let policy = configuration.policy
                    let unchecked =
                        checked.notChecked.isEmpty
                        ? "" : "; \(checked.notChecked.count) values not checked without their secrets"
                    let warned = configuration.warnings.isEmpty ? "" : ", \(configuration.warnings.count) warning(s)"
                    print(
                        "\(file): valid (\(policy.services.count) services, mode \(policy.mode.rawValue))\(warned)\(unchecked)"
                    )
                } catch let errors as ConfigErrors {
                    let all = (errors.problems + errors.warnings).sorted { $0.line < $1.line }
                    for problem in all { print(problem.description) }
                    throw ExitCode(78)
                }
            }
        }
    }

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the daemon until SIGTERM or SIGINT; SIGHUP reloads the configuration file.")
        @OptionGroup var options: ConfigOption
        @Option(help: "text or json (default: log.format in the policy, else REWIND_LOG_FORMAT, else text).")
        var logFormat: LogSettings.Format?

        func run() async throws {
            bootstrapLogging(default: .info, format: logFormat)
            let registry = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
            try await guarded {
                try await Daemon.serve(
                    configPath: options.config, registry: registry, logger: Logger(label: "rewind"),
                    logFormatGiven: logFormat != nil)
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Services, live and known-good deployments, checks, open incidents, freeze.")
        @OptionGroup var options: AccessOption
        @Option(name: .shortAndLong) var output: OutputFormat = .text
        @Flag(help: "Show it again every --interval until interrupted.") var watch = false
        @Option(help: "With --watch: 2s, 10s, 1m (at least 1s).") var interval = "2s"

        func run() async throws {
            guard let every = Duration.parseRewind(interval), every >= .seconds(1) else {
                throw ValidationError("invalid --interval '\(interval)': at least 1s, like 2s or 1m")
            }
            try await guarded {
                try await withAccess(options) { access in
                    let terminal = StatusLine().enabled
                    repeat {
                        let report = try await access.status()
                        let text = output == .json ? Rendering.json(report) : Rendering.status(report)
                        // On a terminal the view is redrawn in place; piped, each view follows the last.
                        if watch && terminal { print("\u{1B}[H\u{1B}[2J", terminator: "") }
                        print(text)
                        if watch { try await Task.sleep(for: every) }
                    } while watch
                }
            }
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Past incidents, newest first.")
        @OptionGroup var options: AccessOption
        @Option(name: .shortAndLong) var output: OutputFormat = .text
        @Option var limit = 20

        func run() async throws {
            try await guarded {
                let incidents = try await withAccess(options) { try await $0.history(limit: limit) }
                print(output == .json ? Rendering.json(incidents) : Rendering.history(incidents))
            }
        }
    }

    struct Incidents: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Incident records.", subcommands: [Show.self, Ack.self, Tasks.self, Task.self, Report.self])

        struct Ack: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Acknowledge an incident: its escalation stops.")
            @OptionGroup var options: AccessOption
            @Argument var id: Int64
            @Option(help: "Who is on it (default: $USER).") var by: String?

            func run() async throws {
                try await guarded {
                    let who = by ?? ProcessInfo.processInfo.environment["USER"] ?? "an operator"
                    let incident = try await withAccess(options) { try await $0.acknowledge(id, by: who) }
                    print("incident #\(incident.id) acknowledged by \(who); escalation stopped")
                }
            }
        }

        struct Tasks: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "The post-rollback work of an incident.")
            @OptionGroup var options: AccessOption
            @Option(name: .shortAndLong) var output: OutputFormat = .text
            @Argument var id: Int64

            func run() async throws {
                try await guarded {
                    let tasks = try await withAccess(options) { try await $0.tasks(id) }
                    print(output == .json ? Rendering.json(tasks) : Rendering.tasks(tasks))
                }
            }
        }

        struct Task: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Update a task: open, in_progress, done or skipped.")
            @OptionGroup var options: AccessOption
            @Argument var id: Int64
            @Argument(help: "The task id, e.g. investigation.analyze_logs.") var task: String
            @Option(completion: .list(IncidentTask.State.allCases.map(\.rawValue))) var state: String
            @Option var note: String?

            func run() async throws {
                guard let parsed = IncidentTask.State(rawValue: state) else {
                    throw ValidationError(
                        "unknown state '\(state)'; use one of: \(IncidentTask.State.allCases.map(\.rawValue).joined(separator: ", "))"
                    )
                }
                try await guarded {
                    let updated = try await withAccess(options) {
                        try await $0.updateTask(id, task: task, state: parsed, note: note)
                    }
                    print("\(updated.id) is now \(updated.state.rawValue)")
                }
            }
        }

        struct Report: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Write the incident report and post-mortem (md with an SVG chart, json or html).",
                discussion: """
                    Sections: summary, impact, why Rewind acted, plan, timeline, root cause, action items (the incident's \
                    tasks: owner, due, state, note), lessons learned, notifications, escalation. The root cause is the note \
                    of investigation.identify_root_cause, the lessons learned the note of documentation.lessons_learned: \
                    rewind incidents task N TASK --state done --note "…".
                    """)
            @OptionGroup var options: AccessOption
            @Argument var id: Int64
            @Option(help: "md, json or html.", completion: .list(IncidentReport.Format.allCases.map(\.rawValue)))
            var format: String = "md"
            @Option(help: "The file to write (default: incident-N.FORMAT).") var out: String?

            func run() async throws {
                guard let parsed = IncidentReport.Format(rawValue: format) else {
                    throw ValidationError("unknown format '\(format)'; use md, json or html")
                }
                try await guarded {
                    let detail = try await withAccess(options) { try await $0.incident(id) }
                    let files = try Rendering.writeReport(
                        detail, format: parsed, path: out ?? "incident-\(id).\(parsed.rawValue)")
                    print("wrote " + files.joined(separator: " and "))
                }
            }
        }

        struct Show: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "An incident's timeline, with every decision's evidence and where to look on the platform.")
            @OptionGroup var options: AccessOption
            @Option(name: .shortAndLong) var output: OutputFormat = .text
            @Argument var id: Int64
            @Flag(help: "Print the timeline as it grows, until the incident closes.") var follow = false

            func run() async throws {
                try await guarded {
                    if follow {
                        try await withAccess(options) { access in
                            let statusLine = StatusLine()
                            _ = try await IncidentFollower().follow(
                                id, read: { try await access.incident($0) }, line: { print($0) },
                                status: statusLine.show)
                            statusLine.show("")
                        }
                        return
                    }
                    let (detail, links) = try await withAccess(options) { access in
                        let detail = try await access.incident(id)
                        return (
                            detail, DeploymentLinks.of(detail, platforms: (try? access.configuration.platforms) ?? [:])
                        )
                    }
                    print(
                        output == .json
                            ? Rendering.json(IncidentView(dossier: detail, links: links))
                            : Rendering.incident(detail, links: links))
                }
            }
        }
    }

    struct Rollback: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Manual emergency rollback, through the same engine path as an automatic one.")
        @OptionGroup var options: AccessOption
        @Option(name: .shortAndLong) var output: OutputFormat = .text
        @Argument(completion: Completions.services) var service: String
        @Option(help: "A deployment id or version; default: the newest known-good one.") var to: String?
        @Option(help: "Why: recorded in the incident and sent in notifications.") var reason: String
        @Flag(help: "Skip the verification gates and accept a target that is not known good (still journaled).")
        var force = false
        @Flag(
            inversion: .prefixedNo,
            help:
                "Wait for the rollback to end, showing its steps as they run (--no-wait: print the incident and return; needs a running daemon)."
        )
        var wait = true

        func run() async throws {
            bootstrapLogging(default: .warning)
            try await guarded {
                let text = output == .text
                let incident = try await withAccess(options) { access in
                    guard
                        let id = try await access.startRollback(
                            service: service, to: to, reason: reason, force: force)
                    else {
                        guard wait else {
                            throw AppError.usage(
                                "--no-wait needs a running daemon: without one the rollback runs in this process")
                        }
                        return try await access.rollbackInProcess(
                            service: service, to: to, reason: reason, force: force, logger: Logger(label: "rewind.cli"))
                    }
                    guard wait else {
                        print(
                            text
                                ? "incident #\(id) opened: rewind incidents show \(id) --follow"
                                : #"{"incident":\#(id)}"#)
                        throw ExitCode.success
                    }
                    let statusLine = StatusLine(enabled: text && StatusLine().enabled)
                    let dossier = try await IncidentFollower().follow(
                        id, read: { try await access.incident($0) }, line: { if text { print($0) } },
                        status: statusLine.show)
                    statusLine.show("")
                    return dossier.incident
                }
                let skipped = incident.plan?.verify == false ? " (forced: verification skipped)" : ""
                print(
                    output == .json
                        ? Rendering.json(incident)
                        : "incident #\(incident.id) \(incident.status.rawValue)\(skipped): \(incident.summary)")
                if incident.status != .completed { throw ExitCode(1) }
            }
        }
    }

    struct Promote: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Give a contained gradual rollout's new version all the traffic again (the other way out is rollback).",
            discussion: """
                When the gradual strategy's traffic cut brought a service back, nothing was rolled back: the new version keeps \
                its reduced share and the incident has the task remediation.promote_or_roll_back. Promote sets the new \
                version's share to 100 % (a journaled step promote-SERVICE of that incident) and marks the task done; \
                rewind rollback SERVICE is the other way out. Refused when there is nothing to promote.
                """)
        @OptionGroup var options: AccessOption
        @Option(name: .shortAndLong) var output: OutputFormat = .text
        @Argument(completion: Completions.services) var service: String

        func run() async throws {
            bootstrapLogging(default: .warning)
            try await guarded {
                let result = try await withAccess(options) { access in
                    try await access.promote(service: service, logger: Logger(label: "rewind.cli"))
                }
                print(
                    output == .json
                        ? Rendering.json(result)
                        : "\(result.service): \(result.deployment.label) now has all the traffic (incident #\(result.incidentID)); task \(result.task.id) is done"
                )
            }
        }
    }

    struct Drill: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rehearse a rollback end to end and time each step (exit 1 on a finding).",
            discussion: """
                By default nothing changes anywhere: read-only provider checks, the live deployment and the listing, \
                the target an automatic rollback would pick, each plan step's read-only counterpart, one probe per \
                health check, and the channels an incident would reach. --execute (for a staging policy) really rolls \
                the service back and forward again through the engine, as two manual incidents with reason "drill".
                """)
        @OptionGroup var options: ConfigOption
        @Option(name: .shortAndLong) var output: OutputFormat = .text
        @Argument(completion: Completions.services) var service: String
        @Flag(help: "Really roll back, verify, and roll forward to the deployment that was live (staging).")
        var execute = false

        func run() async throws {
            bootstrapLogging(default: .error)
            try await guarded {
                let client = HTTPClient(eventLoopGroupProvider: .singleton)
                let report: DrillReport
                // Text: each step is printed the moment it ends (the execute steps take seconds), then the findings.
                let live = output == .text
                if live { print("Rollback drill of \(service) · \(options.config)\n") }
                do {
                    report = try await RewindApp.Drill.run(
                        configPath: options.config, service: service, execute: execute, client: client,
                        logger: Logger(label: "rewind.drill"), onStep: live ? DrillReport.printStep : nil)
                    try? await client.shutdown()
                } catch {
                    try? await client.shutdown()
                    throw error
                }
                print(output == .json ? Rendering.json(report) : "\n" + report.summary())
                if report.exitCode != 0 { throw ExitCode(report.exitCode) }
            }
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "What the policy would have decided over recorded history (a backtest; changes nothing).",
            discussion: """
                Runs the daemon's own decisions on a virtual clock over the deployments (--deployments JSON lines, \
                else the state database), the probe record (--probes, what health.record writes) and the metric \
                history (Prometheus query_range; --prometheus, else monitoring.prometheus). A rollback is applied \
                to the replayed state as if it succeeded; no platform is called. --labels scores the policy \
                (false rollbacks, missed bad deployments, detection delay); --sweep KEY=V1,V2 (repeatable) replays \
                every combination over the same fetched data, best first.
                """)
        @OptionGroup var options: ConfigOption
        @Option(name: .shortAndLong) var output: OutputFormat = .text
        @Option(help: "Start of the period: RFC 3339 (2026-11-01T00:00:00Z) or Unix seconds.") var from: String
        @Option(help: "End of the period (exclusive).") var to: String
        @Option(help: "Prometheus base URL (default: monitoring.prometheus).") var prometheus: String?
        @Option(help: "Deployments as JSON lines {service, id, version, at} (default: the state database).")
        var deployments: String?
        @Option(help: "The probe record, CSV as health.record writes it.") var probes: String?
        @Option(help: "Labels as JSON lines {service, deployment, bad, fault_at}: score the policy.") var labels:
            String?
        @Option(
            help: ArgumentHelp(
                "Try every value of a setting: KEY=V1,V2,… (repeatable).",
                discussion: "Keys: \(ConfigOverride.keyForms)."))
        var sweep: [String] = []

        func run() async throws {
            bootstrapLogging(default: .error)
            try await guarded {
                let client = HTTPClient(eventLoopGroupProvider: .singleton)
                let report: ReplayReport
                do {
                    report = try await ReplayCommand.run(
                        .init(
                            configPath: options.config, from: from, to: to, prometheus: prometheus,
                            deployments: deployments, probes: probes, labels: labels, sweep: sweep),
                        client: client)
                    try? await client.shutdown()
                } catch {
                    try? await client.shutdown()
                    throw error
                }
                print(output == .json ? Rendering.json(report.json) : report.text())
            }
        }
    }

    struct Diff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "What changed between the live deployment and a rollback's target (commits, images, variable names).",
            discussion: """
                Read-only. --from defaults to the live deployment, --to to the target a rollback would choose; both take \
                a deployment id or version. Variable values are never shown, only the names that differ.
                """)
        @OptionGroup var options: ConfigOption
        @Option(name: .shortAndLong) var output: OutputFormat = .text
        @Argument(completion: Completions.services) var service: String
        @Option(help: "The deployment to compare from (default: the live one).") var from: String?
        @Option(help: "The deployment to compare to (default: the target a rollback would choose).") var to: String?

        func run() async throws {
            bootstrapLogging(default: .error)
            try await guarded {
                let client = HTTPClient(eventLoopGroupProvider: .singleton)
                let report: DeploymentDiff.Report
                do {
                    report = try await DeploymentDiff.run(
                        configPath: options.config, service: service, from: from, to: to, client: client)
                    try? await client.shutdown()
                } catch {
                    try? await client.shutdown()
                    throw error
                }
                print(output == .json ? Rendering.json(report) : report.text)
            }
        }
    }

    struct Freeze: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Freeze deployments (CI gates on `rewind freeze status`).", subcommands: [Set.self, Status.self],
            defaultSubcommand: Set.self)

        struct Set: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "set", abstract: "Freeze deployments for a while.")
            @OptionGroup var options: AccessOption
            @Option(name: .customLong("for"), help: "30s, 2m, 1h, 1h30m.") var duration: String
            @Option var reason: String

            func run() async throws {
                guard let parsed = Duration.parseRewind(duration), parsed > .zero else {
                    throw ValidationError("invalid duration '\(duration)': use \(Duration.acceptedForms)")
                }
                try await guarded {
                    let state = try await withAccess(options) { try await $0.freeze(for: parsed, reason: reason) }
                    print("deployments frozen until \(state.freeze?.until.iso8601 ?? "?"): \(reason)")
                }
            }
        }

        struct Status: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Exit 0 when deployments are allowed, 3 when frozen, 4 when it cannot tell (fail closed).",
                discussion:
                    "Asks the daemon, else reads the state database (never creates it). When neither answers, it exits 4 and says why: a CI gate must treat anything but 0 as \"do not deploy\"."
            )
            @OptionGroup var options: AccessOption

            func run() async throws {
                try await guarded {
                    let state = try await withAccess(options) { try await $0.freezeState() }
                    if let freeze = state.freeze, state.frozen {
                        print("frozen until \(freeze.until.iso8601): \(freeze.explanation)")
                        throw ExitCode(3)
                    }
                    print("deployments allowed")
                }
            }
        }
    }

    struct Unfreeze: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Lift the deployment freeze.")
        @OptionGroup var options: AccessOption

        func run() async throws {
            try await guarded {
                _ = try await withAccess(options) { try await $0.unfreeze() }
                print("deployments allowed")
            }
        }
    }

    struct Pause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Switch automation to observe without a restart: violations are decided and notified as \"would roll back\", nothing is done.",
            discussion:
                "Without a service, every service is paused. Manual rollbacks still run. The pause is stored: it lasts across restarts until `rewind resume`."
        )
        @OptionGroup var options: AccessOption
        @Argument(help: "The service (default: every service).", completion: Completions.services)
        var service: String?
        @Option var reason: String

        func run() async throws {
            try await guarded {
                let state = try await withAccess(options) { try await $0.pause(service: service, reason: reason) }
                for pause in state.pauses { print(pause.explanation) }
            }
        }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Let Rewind act again after `rewind pause` (without a service: every pause is lifted).")
        @OptionGroup var options: AccessOption
        @Argument(help: "The service (default: every service).", completion: Completions.services)
        var service: String?

        func run() async throws {
            try await guarded {
                let state = try await withAccess(options) { try await $0.resume(service: service) }
                if state.pauses.isEmpty { print("automation acts for every service") }
                for pause in state.pauses { print("still paused: \(pause.explanation)") }
            }
        }
    }

    struct Deployments: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Tell Rewind about deployments.", subcommands: [Record.self, MarkGood.self])

        struct Record: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Record a deployment as live (it is suspect until its bake period passes).")
            @OptionGroup var options: AccessOption
            @Argument(completion: Completions.services) var service: String
            @Argument var id: String
            @Option var version: String?
            @Option var commit: String?
            @Option var author: String?

            func run() async throws {
                try await guarded {
                    let recorded = try await withAccess(options) {
                        try await $0.recordDeployment(
                            service: service, id: id, version: version, commit: commit, author: author)
                    }
                    print(
                        "recorded \(recorded.deployment.service) \(recorded.deployment.label) as live"
                            + (recorded.deployedDuringFreeze ? " (WARNING: deployments are frozen)" : ""))
                }
            }
        }

        struct MarkGood: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "mark-good",
                abstract:
                    "Vouch for a deployment Rewind saw: it becomes known good, a rollback target, without its bake.",
                discussion:
                    "For the first hour after installing Rewind, when nothing has baked yet and a rollback would have no target. Refused for a deployment marked bad."
            )
            @OptionGroup var options: AccessOption
            @Argument(completion: Completions.services) var service: String
            @Argument var id: String

            func run() async throws {
                try await guarded {
                    let marked = try await withAccess(options) { try await $0.markGood(service: service, id: id) }
                    print("\(marked.service) \(marked.label) is known good: a rollback target")
                }
            }
        }
    }
}

extension Rewind {
    struct Providers: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Work with the configured platforms.", subcommands: [Check.self])

        struct Check: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract:
                    "Test every provider's authentication and permissions with read-only calls (exit 1 when one fails)."
            )
            @OptionGroup var options: ConfigOption
            @Option(name: .shortAndLong) var output: OutputFormat = .text

            func run() async throws {
                try await guarded {
                    let configuration = try Composition.loadConfiguration(options.config)
                    let client = HTTPClient(eventLoopGroupProvider: .singleton)
                    let rows = await ProviderChecks.run(configuration, client: client)
                    try? await client.shutdown()
                    print(output == .json ? Rendering.json(rows) : ProviderChecks.render(rows))
                    if !rows.allSatisfy(\.passed) { throw ExitCode(1) }
                }
            }
        }
    }
}

extension LogSettings.Format: ExpressibleByArgument {}
