import AsyncHTTPClient
import Foundation
import RewindConfig
import RewindCore
import RewindPorts
import RewindReplay
import RewindSignals

/// `rewind replay`: what the policy would have decided over recorded history (see ``Replay``), scored against
/// the team's labels, and swept over settings.
///
/// Inputs: the policy (`--config`; secrets replay does not use need not be set), the deployments (`--deployments`,
/// else the state database, with the alerts and pushed values the daemon received), the probe record (`--probes`),
/// and the metric history from Prometheus (`--prometheus`, else `monitoring.prometheus`). Nothing is changed
/// anywhere: the state database is only read, Prometheus only queried.
public enum ReplayCommand {
    public struct Options: Sendable {
        public var configPath: String
        public var from: String
        public var to: String
        public var prometheus: String?
        public var deployments: String?
        public var probes: String?
        public var labels: String?
        public var sweep: [String]

        public init(
            configPath: String, from: String, to: String, prometheus: String? = nil, deployments: String? = nil,
            probes: String? = nil, labels: String? = nil, sweep: [String] = []
        ) {
            self.configPath = configPath
            self.from = from
            self.to = to
            self.prometheus = prometheus
            self.deployments = deployments
            self.probes = probes
            self.labels = labels
            self.sweep = sweep
        }
    }

    /// The longest period one replay covers.
    public static let longestPeriod = Duration.seconds(366 * 86_400)

    public static func run(
        _ options: Options, client: HTTPClient, environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> ReplayReport {
        guard let from = ReplayTime.parse(options.from) else {
            throw AppError.usage(
                "--from \(options.from): expected an RFC 3339 time (2026-11-01T00:00:00Z) or Unix seconds")
        }
        guard let to = ReplayTime.parse(options.to) else {
            throw AppError.usage("--to \(options.to): expected an RFC 3339 time (2026-11-08T00:00:00Z) or Unix seconds")
        }
        guard from < to else { throw AppError.usage("--to (\(to)) must be after --from (\(from))") }
        guard to - from <= longestPeriod else {
            throw AppError.usage(
                "the period is longer than \(longestPeriod.rewindDescription); replay at most a year at once")
        }
        let axes = try options.sweep.map { text in
            do { return try Sweep.Axis(parsing: text) } catch let error as Sweep.SweepError {
                throw AppError.usage(error.message)
            }
        }
        for axis in axes {
            if let problem = ConfigOverride.problem(key: axis.key) {
                throw AppError.usage("--sweep \(axis.key): \(problem)")
            }
        }
        let text = try configText(options.configPath)
        let configuration = try load(text, path: options.configPath, environment: environment, overrides: [])
        let policy = configuration.policy

        let deployments: [ReplayDeployment]
        var received: ReceivedEvents?
        if let path = options.deployments {
            deployments = try input { try DeploymentLines.read(path: path) }
        } else {
            let store = try await StateAccess(configuration: configuration, client: client).store()
            deployments = try await recordedDeployments(policy, store: store)
            received = try await (store as? any ReceivedEventLog)?.receivedEvents(
                from: from - PushedValueHistory.longestWindow(of: policy), to: to)
        }
        var probes: [Observation]?
        var skippedProbes = 0
        if let path = options.probes {
            let checks = Dictionary(uniqueKeysWithValues: policy.services.map { ($0.name, $0.checks.map(\.name)) })
            let read = try input { try ProbeRecordReader.read(path: path, checks: checks) }
            probes = read.probes
            skippedProbes = read.skipped
        }
        let labels = try options.labels.map { path in try input { try LabelLines.read(path: path) } }
        let prometheus = try prometheusHistory(options.prometheus, policy: policy, client: client)
        let history: ReplayHistory
        do {
            history = try await ReplayHistory.assemble(
                policy: policy, deployments: deployments, probes: probes, prometheus: prometheus, received: received,
                from: from, to: to)
        } catch let error as SignalHistory.FetchError {
            throw AppError.unavailable("could not fetch the metric history: \(error.message)")
        }
        let result = Replay.run(policy: policy, history: history, from: from, to: to)
        var report = ReplayReport(
            result: result, score: labels.map { ReplayScore(result: result, labels: $0) }, skippedProbes: skippedProbes)
        if !axes.isEmpty {
            var candidates: [(settings: [String], policy: Policy)] = []
            for combination in try sweepCombinations(axes) {
                let overrides = combination.map { ConfigOverride(key: $0.key, value: $0.value) }
                let swept = try load(text, path: options.configPath, environment: environment, overrides: overrides)
                candidates.append((overrides.map(\.description), swept.policy))
            }
            report.sweep = Sweep.run(candidates, history: history, labels: labels ?? [], from: from, to: to)
        }
        return report
    }

    private static func sweepCombinations(_ axes: [Sweep.Axis]) throws -> [[(key: String, value: String)]] {
        do { return try Sweep.combinations(axes) } catch let error as Sweep.SweepError {
            throw AppError.usage(error.message)
        }
    }

    private static func configText(_ path: String) throws -> String {
        do { return try ConfigLoader.read(path: path) } catch let errors as ConfigErrors {
            throw AppError.config(errors.problems.map(\.description).joined(separator: "\n"))
        }
    }

    /// The policy, validated; secrets replay does not use (channels, provider tokens) need not be set here.
    private static func load(
        _ text: String, path: String, environment: [String: String], overrides: [ConfigOverride]
    ) throws -> RewindConfiguration {
        switch ConfigLoader.parse(
            yaml: text, path: path, environment: environment, skippingAbsentSecrets: true, overrides: overrides)
        {
        case .success(let validation): return validation.configuration
        case .failure(let errors):
            let what = overrides.isEmpty ? "" : "with --sweep \(overrides.map(\.description).joined(separator: " ")): "
            throw AppError.config(what + errors.problems.map(\.description).joined(separator: "\n"))
        }
    }

    private static func input<T>(_ read: () throws -> T) throws -> T {
        do { return try read() } catch let error as ReplayInputError { throw AppError.usage(error.message) }
    }

    /// Every deployment the daemon recorded live, from the state database, when it went live.
    private static func recordedDeployments(_ policy: Policy, store: any RewindStore) async throws -> [ReplayDeployment]
    {
        var deployments: [ReplayDeployment] = []
        for service in policy.services {
            for deployment in try await store.deployments(of: service.name) where deployment.wasLive {
                deployments.append(
                    ReplayDeployment(
                        service: deployment.service, id: deployment.id, version: deployment.version,
                        at: deployment.deployedAt))
            }
        }
        return deployments
    }

    /// The Prometheus client for the metric history: `--prometheus`, else the policy's; nil when neither is set
    /// or no signal needs it.
    private static func prometheusHistory(
        _ url: String?, policy: Policy, client: HTTPClient
    ) throws -> SignalHistory? {
        let needed = policy.services.contains { service in
            service.signals.contains { if case .prometheus = $0.source { true } else { false } }
        }
        guard needed else { return nil }
        if let url {
            guard let parsed = URLComponents(string: url),
                ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""),
                parsed.host?.isEmpty == false, parsed.query == nil, parsed.fragment == nil
            else {
                throw AppError.usage("--prometheus \(Redactor.safeURL(url)): expected http(s)://host:port[/path]")
            }
            return SignalHistory(client: PrometheusClient(baseURL: url, client: client, timeout: .seconds(60)))
        }
        guard let source = policy.monitoring.prometheus else { return nil }
        return SignalHistory(
            client: PrometheusClient(
                baseURL: source.url.value, client: client, headers: source.headers,
                timeout: max(source.timeout, .seconds(60))))
    }
}
