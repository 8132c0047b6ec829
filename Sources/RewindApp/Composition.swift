import AsyncHTTPClient
import Foundation
import Logging
import RewindConfig
import RewindCore
import RewindEngine
import RewindNotify
import RewindPorts
import RewindProviders
import RewindSignals
import RewindSpecs
import RewindStorePostgres
import RewindStoreSQLite
import Tracing

/// The composition root: configuration in, wired adapters out. The only place that knows every
/// concrete type.
public enum Composition {
    public static func loadConfiguration(_ path: String) throws -> RewindConfiguration {
        do {
            return try ConfigLoader.load(path: path, environment: ProcessInfo.processInfo.environment)
        } catch let errors as ConfigErrors {
            throw AppError.config(errors.problems.map(\.description).joined(separator: "\n"))
        }
    }

    /// Reads the file once and parses those bytes: the configuration, and the SHA-256 of what it was read from.
    public static func readConfiguration(
        _ path: String, environment: [String: String]
    ) throws -> (configuration: RewindConfiguration, sha256: String) {
        let text = try ConfigLoader.read(path: path)
        let configuration = try ConfigLoader.parse(yaml: text, path: path, environment: environment).get()
        return (configuration, PolicyReloader.sha256(text))
    }

    public static func providers(
        for configuration: RewindConfiguration, client: HTTPClient
    )
        -> (primary: [ServiceName: any PlatformProvider], fallback: [ServiceName: any PlatformProvider])
    {
        var primary: [ServiceName: any PlatformProvider] = [:]
        var fallback: [ServiceName: any PlatformProvider] = [:]
        for service in configuration.policy.services {
            let specs = configuration.platforms[service.name]
            if let specs,
                let provider = ProviderFactory.makePrimary(
                    specs, service: service.name, client: client, redactor: configuration.redactor)
            {
                primary[service.name] = provider
            }
            if let spec = specs?.fallback {
                fallback[service.name] = ProviderFactory.make(
                    spec, service: service.name, client: client, redactor: configuration.redactor)
            }
        }
        return (primary, fallback)
    }

    /// What a service's rollback moves besides its platform: traffic (`traffic:`), kill-switch
    /// flags (`flags:`) and its down-migration (`migration:`).
    public struct RollbackControls: Sendable {
        public var traffic: [ServiceName: any TrafficController] = [:]
        public var flags: [ServiceName: any FeatureSwitch] = [:]
        public var migrations: [ServiceName: any MigrationRollback] = [:]
    }

    /// A traffic controller that cannot be built leaves its service without traffic control: the
    /// error is logged, and the decision of a gradual or canary rollback says it fell back to fast.
    public static func rollbackControls(
        for configuration: RewindConfiguration, client: HTTPClient,
        logger: Logger = Logger(label: "rewind")
    ) -> RollbackControls {
        var controls = RollbackControls()
        let redactor = configuration.redactor
        for service in configuration.policy.services {
            let specs = configuration.platforms[service.name]
            if let spec = specs?.traffic {
                do {
                    controls.traffic[service.name] = try TrafficControllerFactory.make(
                        spec, client: client, redactor: redactor)
                } catch {
                    logger.error(
                        "traffic control unavailable",
                        metadata: [
                            "rewind.service": "\(service.name)",
                            "rewind.error": "\(redactor.redact(String(describing: error)))",
                        ])
                }
            }
            if let spec = specs?.flags {
                controls.flags[service.name] = FlagSwitchFactory.make(
                    spec, service: service.name, client: client, redactor: redactor)
            }
            if let spec = specs?.migration {
                controls.migrations[service.name] = ProviderFactory.makeMigrationRunner(spec, redactor: redactor)
            }
        }
        return controls
    }

    /// One notifier per configured channel (console and file included), under its configured name.
    public static func notifiers(
        for configuration: RewindConfiguration, client: HTTPClient,
        console: (@Sendable (String) -> Void)? = nil
    ) throws -> [any Notifier] {
        let timeout = configuration.policy.notifications.timeout
        do {
            return try configuration.channels.map {
                try ChannelFactory.make(
                    $0, client: client, redactor: configuration.redactor, console: console, timeout: timeout,
                    publicURL: configuration.server.publicURL)
            }
        } catch {
            throw AppError.config("\(configuration.sourcePath): notifications: \(error)")
        }
    }

    /// The store `state:` names: the SQLite file (created when missing), or the PostgreSQL
    /// database (`state: postgresql://…`), its schema brought up to date.
    public static func openStore(
        _ configuration: RewindConfiguration, logger: Logger? = nil
    ) async throws -> any RewindStore {
        guard let url = configuration.stateDatabaseURL else {
            do {
                return try SQLiteStore(path: configuration.statePath)
            } catch {
                throw AppError.unavailable("cannot open the state database \(configuration.statePath): \(error)")
            }
        }
        do {
            let settings = try PostgresSettings(url: url)
            if let logger { return try await PostgresStore.open(settings, logger: logger) }
            return try await PostgresStore.open(settings)
        } catch {
            throw AppError.unavailable(
                "cannot open the state database \(configuration.stateDescription): "
                    + configuration.redactor.redact(String(describing: error)))
        }
    }

    /// An engine wired to real adapters.
    public static func makeEngine(
        configuration: RewindConfiguration, store: any RewindStore, client: HTTPClient,
        clock: any RewindClock = SystemClock(),
        notifiers: [any Notifier], observer: @escaping @Sendable (EngineEvent) -> Void = { _ in }, watch: Bool = true,
        pollInterval: Duration = .milliseconds(250), bakeCheckInterval: Duration = .seconds(30), logger: Logger,
        metrics: RewindMetrics = RewindMetrics(), probeLog: any ProbeLog = NoProbeLog(),
        instance: String? = nil, tracer: any Tracer = NoOpTracer(),
        phaseReached: (@Sendable (JournalPhase) -> Void)? = nil
    ) -> RewindEngine {
        var dependencies = engineDependencies(
            configuration: configuration, store: store, client: client, clock: clock, notifiers: notifiers,
            observer: observer, watch: watch, pollInterval: pollInterval, bakeCheckInterval: bakeCheckInterval,
            logger: logger)
        dependencies.rewindMetrics = metrics
        dependencies.probeLog = probeLog
        if let instance { dependencies.holder = instance }
        dependencies.tracer = tracer
        if let phaseReached { dependencies.phaseReached = phaseReached }
        return RewindEngine(dependencies)
    }

    /// What an engine is built from (or a running one reloads, ``PolicyReloader``), wired to real adapters.
    public static func engineDependencies(
        configuration: RewindConfiguration, store: any RewindStore, client: HTTPClient,
        clock: any RewindClock = SystemClock(),
        notifiers: [any Notifier], observer: @escaping @Sendable (EngineEvent) -> Void = { _ in }, watch: Bool = true,
        pollInterval: Duration = .milliseconds(250), bakeCheckInterval: Duration = .seconds(30), logger: Logger
    ) -> EngineDependencies {
        let providers = providers(for: configuration, client: client)
        let controls = rollbackControls(for: configuration, client: client, logger: logger)
        var dependencies = EngineDependencies(
            policy: configuration.policy, store: store, clock: clock,
            prober: HTTPHealthProber(client: client, clock: clock),
            providers: providers.primary, fallbacks: providers.fallback, notifiers: notifiers,
            redactor: configuration.redactor,
            logger: logger, observer: observer, watch: watch, pollInterval: pollInterval,
            bakeCheckInterval: bakeCheckInterval,
            holder: instanceID(),
            metricSource: CompositeMetricSource(
                policy: configuration.policy, client: client, redactor: configuration.redactor),
            trafficControllers: controls.traffic, featureSwitches: controls.flags, migrations: controls.migrations)
        dependencies.trackingInterval = configuration.policy.trackingInterval
        if let prometheus = configuration.policy.monitoring.prometheus {
            let prometheusClient = PrometheusClient(
                baseURL: prometheus.url.value, client: client, headers: prometheus.headers,
                timeout: prometheus.timeout)
            // The canary judge's cohorts (signals with `judge:`), read with query_range.
            dependencies.cohortSource = PrometheusCohortReader(
                client: prometheusClient, redactor: configuration.redactor)
            // Early-warning baselines (the same hour of past weeks, else the hours before), read with query_range.
            dependencies.baselineSource = PrometheusBaselineReader(
                client: prometheusClient, redactor: configuration.redactor)
        }
        // Replicas share a PostgreSQL state: one leads, the others stand by (README, "Running several replicas").
        dependencies.lease = configuration.stateDatabaseURL == nil ? .singleWriter : .replicas
        dependencies.advertiseURL = configuration.server.advertiseURL
        dependencies.shards = configuration.shards
        return dependencies
    }

    /// The probe record of `health.record`, opened for appending; none when it is not set.
    public static func probeLog(_ configuration: RewindConfiguration, logger: Logger) throws -> any ProbeLog {
        guard let path = configuration.probeRecordPath else { return NoProbeLog() }
        do {
            return try ProbeCSVFile(path: path, logger: logger)
        } catch {
            throw AppError.unavailable(
                "cannot open health.record \(path) for appending: \(error); check that its directory exists and is "
                    + "writable by this user, or remove health.record")
        }
    }

    /// This process's id in the writer lease: the host and process for people, and a random part so
    /// that two containers that are both PID 1 on hosts of the same name never share one.
    static func instanceID() -> String {
        let random = UUID().uuidString.prefix(8).lowercased()
        return "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier):\(random)"
    }

    /// True for addresses only this machine can reach.
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}
