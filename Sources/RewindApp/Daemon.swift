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

/// `rewind serve`: the engine and the API in one ServiceGroup, until SIGTERM or SIGINT.
public enum Daemon {
    public static func serve(configPath: String, registry: PrometheusCollectorRegistry, logger: Logger) async throws {
        let configuration = try Composition.loadConfiguration(configPath)
        let token = configuration.server.token?.value
        guard token != nil || Composition.isLoopback(configuration.server.host) else {
            throw AppError.config(
                "\(configPath): server.listen is \(configuration.server.host), which other machines can reach, and no server.token is set; set server.token: ${REWIND_API_TOKEN} or listen on 127.0.0.1")
        }
        let store = try Composition.openStore(configuration)
        let client = HTTPHealthProber.makeHTTPClient()
        let clock = SystemClock()
        let engine = Composition.makeEngine(
            configuration: configuration, store: store, client: client, clock: clock,
            notifiers: try Composition.notifiers(for: configuration, client: client), logger: logger)
        let api = APIServer(engine: engine, store: store, policy: configuration.policy, token: token, registry: registry, clock: clock,
                            redactor: configuration.redactor)
        let app = api.makeApplication(host: configuration.server.host, port: configuration.server.port) { port in
            logger.notice("rewind is serving", metadata: ["rewind.listen": "\(configuration.server.host):\(port)", "rewind.state": "\(configuration.statePath)", "rewind.mode": "\(configuration.policy.mode.rawValue)"])
        }
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: engine), .init(service: app)],
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
