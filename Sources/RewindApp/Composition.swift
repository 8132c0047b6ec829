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
import RewindStoreSQLite

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

    public static func providers(for configuration: RewindConfiguration, client: HTTPClient)
        -> (primary: [ServiceName: any PlatformProvider], fallback: [ServiceName: any PlatformProvider])
    {
        var primary: [ServiceName: any PlatformProvider] = [:]
        var fallback: [ServiceName: any PlatformProvider] = [:]
        for service in configuration.policy.services {
            if let spec = service.provider {
                primary[service.name] = ProviderFactory.make(spec, service: service.name, client: client, redactor: configuration.redactor)
            }
            if let spec = service.fallback {
                fallback[service.name] = ProviderFactory.make(spec, service: service.name, client: client, redactor: configuration.redactor)
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
    public static func rollbackControls(for configuration: RewindConfiguration, client: HTTPClient,
                                        logger: Logger = Logger(label: "rewind")) -> RollbackControls {
        var controls = RollbackControls()
        let redactor = configuration.redactor
        for service in configuration.policy.services {
            if let spec = service.traffic {
                do {
                    controls.traffic[service.name] = try TrafficControllerFactory.make(spec, client: client, redactor: redactor)
                } catch {
                    logger.error("traffic control unavailable", metadata: [
                        "rewind.service": "\(service.name)", "rewind.error": "\(redactor.redact(String(describing: error)))",
                    ])
                }
            }
            if let spec = service.flags {
                controls.flags[service.name] = FlagSwitchFactory.make(spec, service: service.name, client: client, redactor: redactor)
            }
            if let spec = service.migration {
                controls.migrations[service.name] = ProviderFactory.makeMigrationRunner(spec, redactor: redactor)
            }
        }
        return controls
    }

    /// One notifier per configured channel (console and file included), under its configured name.
    public static func notifiers(for configuration: RewindConfiguration, client: HTTPClient,
                                 console: (@Sendable (String) -> Void)? = nil) throws -> [any Notifier] {
        let policy = configuration.policy.notifications
        do {
            return try policy.channels.map {
                try ChannelFactory.make($0, client: client, redactor: configuration.redactor, console: console, timeout: policy.timeout)
            }
        } catch {
            throw AppError.config("\(configuration.sourcePath): notifications: \(error)")
        }
    }

    public static func openStore(_ configuration: RewindConfiguration) throws -> SQLiteStore {
        do {
            return try SQLiteStore(path: configuration.statePath)
        } catch {
            throw AppError.unavailable("cannot open the state database \(configuration.statePath): \(error)")
        }
    }

    /// An engine wired to real adapters.
    public static func makeEngine(
        configuration: RewindConfiguration, store: any RewindStore, client: HTTPClient, clock: any RewindClock = SystemClock(),
        notifiers: [any Notifier], observer: @escaping @Sendable (EngineEvent) -> Void = { _ in }, watch: Bool = true,
        pollInterval: Duration = .milliseconds(250), bakeCheckInterval: Duration = .seconds(30), logger: Logger
    ) -> RewindEngine {
        let providers = providers(for: configuration, client: client)
        let controls = rollbackControls(for: configuration, client: client, logger: logger)
        var dependencies = EngineDependencies(
            policy: configuration.policy, store: store, clock: clock, prober: HTTPHealthProber(client: client, clock: clock),
            providers: providers.primary, fallbacks: providers.fallback, notifiers: notifiers, redactor: configuration.redactor,
            logger: logger, observer: observer, watch: watch, pollInterval: pollInterval, bakeCheckInterval: bakeCheckInterval,
            holder: "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)",
            metrics: CompositeMetricSource(policy: configuration.policy, client: client, redactor: configuration.redactor),
            trafficControllers: controls.traffic, featureSwitches: controls.flags, migrations: controls.migrations)
        dependencies.trackingInterval = configuration.policy.trackingInterval
        return RewindEngine(dependencies)
    }

    /// True for addresses only this machine can reach.
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}
