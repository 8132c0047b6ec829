import AsyncHTTPClient
import Foundation
import Logging
import Prometheus
import RewindConfig
import RewindCore
import RewindEngine
import RewindPorts
import RewindServer
import RewindSignals
import ServiceLifecycle
import Tracing
import UnixSignals

/// `rewind serve`: the engine and the API in one ServiceGroup, until SIGTERM or SIGINT; SIGHUP
/// reloads the configuration file (``PolicyReloader``).
public enum Daemon {
    /// `logFormatGiven`: `--log-format` was given, and wins over the policy's `log.format`.
    public static func serve(
        configPath: String, registry: PrometheusCollectorRegistry, logger: Logger, logFormatGiven: Bool = false
    ) async throws {
        StartupPages.limitMallocArenas()
        let read: (configuration: RewindConfiguration, sha256: String)
        do {
            read = try Composition.readConfiguration(configPath, environment: ProcessInfo.processInfo.environment)
        } catch let errors as ConfigErrors {
            throw AppError.config(errors.problems.map(\.description).joined(separator: "\n"))
        }
        let configuration = read.configuration
        if !logFormatGiven, let format = configuration.log.format { LogOutput.format = format }
        let server = configuration.server
        guard !server.tokens.isEmpty || Composition.isLoopback(server.host) else {
            throw AppError.config(
                "\(configPath): server.listen is \(configuration.server.host), which other machines can reach, and no server.token is set; set server.token: ${REWIND_API_TOKEN} or listen on 127.0.0.1"
            )
        }
        let probeLog = try Composition.probeLog(configuration, logger: logger)
        let instance = Composition.instanceID()
        // Before any HTTP client exists (``TraceExport``).
        let traceExport: (any Service)?
        do {
            traceExport = try TraceExport.start(
                configuration.tracing, instance: instance, redactor: configuration.redactor, logger: logger)
        } catch {
            // The file was valid; what OTEL_* variables or the exporter's TLS files made of it was not.
            throw AppError.config("\(configPath): tracing cannot start: \(configuration.redactor.redact("\(error)"))")
        }
        let store = try await Composition.openStore(configuration, logger: logger)
        let client = HTTPHealthProber.makeHTTPClient()
        let clock = SystemClock()
        let engine = Composition.makeEngine(
            configuration: configuration, store: store, client: client, clock: clock,
            notifiers: try Composition.notifiers(for: configuration, client: client), logger: logger,
            metrics: RewindMetrics(factory: PrometheusMetricsFactory(registry: registry)),
            probeLog: probeLog, instance: instance,
            tracer: traceExport == nil ? NoOpTracer() : InstrumentationSystem.tracer,
            phaseReached: try TestStop.hook(ProcessInfo.processInfo.environment))
        let loadedAt = clock.now
        engine.note(config: ConfigStatus(source: configuration.sourcePath, sha256: read.sha256, loadedAt: loadedAt))
        engine.metrics.configLoaded(at: loadedAt)
        // Trapped before the API answers: from then on a SIGHUP reloads instead of ending the process.
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        let reloader = PolicyReloader(
            path: configPath, started: configuration, engine: engine, store: store, client: client, clock: clock,
            logger: logger)
        // The advertised URL names this replica: a standby's 307 sends clients here with that host in Host.
        let advertisedHost = server.advertiseURL.flatMap { URLComponents(string: $0)?.host?.lowercased() }
        let access = APIAccess(
            tokens: server.tokens, listenHost: server.host,
            allowedHosts: server.allowedHosts + (advertisedHost.map { [$0] } ?? []))
        let api = APIServer(
            engine: engine, store: store, access: access,
            limits: .init(idleTimeout: server.idleTimeout, maxConnections: server.maxConnections), registry: registry,
            clock: clock,
            slackSigningSecrets: configuration.slackSigningSecrets, tracesRequests: traceExport != nil)
        let app = api.makeApplication(host: configuration.server.host, port: configuration.server.port) { port in
            logger.notice(
                "rewind is serving",
                metadata: [
                    "rewind.listen": "\(configuration.server.host):\(port)",
                    "rewind.state": "\(configuration.stateDescription)",
                    "rewind.mode": "\(configuration.policy.mode.rawValue)",
                ])
        }
        let group = ServiceGroup(
            configuration: .init(
                services: (traceExport.map { [.init(service: $0)] } ?? []) + [
                    // The trace exporter first, so it stops last and flushes the engine's final spans.
                    .init(service: engine), .init(service: app),
                    .init(service: StartupPagesRelease(logger: logger), successTerminationBehavior: .ignore),
                    // Last: the first to stop on shutdown, so no reload starts while the engine drains.
                    .init(
                        service: ReloadOnHangup(signals: hangups, reloader: reloader),
                        successTerminationBehavior: .ignore),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        do {
            try await group.run()
        } catch {
            try? await client.shutdown()
            throw error
        }
        try? await client.shutdown()
    }
}
