import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import RewindConfig
import RewindCore
import RewindEngine
import RewindPorts
import ServiceLifecycle
import UnixSignals

/// `rewind serve` on SIGHUP: the configuration file is read again and checked by the reader of
/// `rewind config validate`; a valid one is applied to the running engine (``RewindEngine/reload(_:)``),
/// an invalid one is logged problem by problem (`file:line: path: message`) and the running policy
/// stays. The outcome is counted (`rewind_config_reloads_total{outcome}`) and shown in
/// `GET /api/v1/status` (`config`).
///
/// What a reload changes: services, checks, signals and their thresholds, strategies, safety limits,
/// bake, verification, escalation, notification channels and routes, platforms, traffic, flags,
/// migrations, mode. What only a restart changes (``restartOnlyChanges(from:to:)``): `state`,
/// `server` (listen address, tokens, allowed hosts, limits) and `health.record`: a reload that changes them keeps the
/// running values and says so in the log and the status.
public final class PolicyReloader: Sendable {
    let path: String
    /// The configuration the daemon started with: restart-only keys are compared with it.
    let started: RewindConfiguration
    let engine: RewindEngine
    let store: any RewindStore
    let client: HTTPClient
    let clock: any RewindClock
    let logger: Logger
    let environment: @Sendable () -> [String: String]

    public init(
        path: String, started: RewindConfiguration, engine: RewindEngine, store: any RewindStore, client: HTTPClient,
        clock: any RewindClock, logger: Logger,
        environment: @escaping @Sendable () -> [String: String] = { ProcessInfo.processInfo.environment }
    ) {
        self.path = path
        self.started = started
        self.engine = engine
        self.store = store
        self.client = client
        self.clock = clock
        self.logger = logger
        self.environment = environment
    }

    /// Reads, checks and applies the file; returns how it went (also counted, logged and noted in the status).
    @discardableResult
    public func reload() async -> ConfigStatus.Outcome {
        let now = clock.now
        let read: (configuration: RewindConfiguration, sha256: String)
        do {
            read = try Composition.readConfiguration(path, environment: environment())
        } catch let errors as ConfigErrors {
            return refuse(.invalid, errors.problems.map(\.description), at: now)
        } catch {
            return refuse(.invalid, ["\(path): \(error)"], at: now)
        }
        let configuration = read.configuration
        let restartOnly = Self.restartOnlyChanges(from: started, to: configuration)
        for key in restartOnly {
            logger.warning(
                "\(key) changed in the configuration file; it takes effect at the next restart, the running value stays",
                metadata: ["rewind.config": "\(path)", "rewind.key": "\(key)"])
        }
        let dependencies: EngineDependencies
        do {
            dependencies = Composition.engineDependencies(
                configuration: configuration, store: store, client: client, clock: clock,
                notifiers: try Composition.notifiers(for: configuration, client: client), logger: logger)
        } catch {
            return refuse(.invalid, [configuration.redactor.redact("\(error)")], at: now)
        }
        switch await engine.reload(dependencies) {
        case .success:
            engine.metrics.configReloaded(.applied, at: now)
            engine.note(
                config: ConfigStatus(
                    source: configuration.sourcePath, sha256: read.sha256, loadedAt: now,
                    lastReload: .init(at: now, outcome: .applied), restartRequired: restartOnly))
            logger.notice(
                "configuration reloaded",
                metadata: [
                    "rewind.config": "\(path)", "rewind.config.sha256": "\(read.sha256)",
                    "rewind.services": "\(configuration.policy.services.count)",
                    "rewind.mode": "\(configuration.policy.mode.rawValue)",
                ])
            return .applied
        case .failure(let refusal):
            return refuse(.refused, [refusal.message], at: now)
        }
    }

    private func refuse(
        _ outcome: ConfigStatus.Outcome, _ problems: [String], at now: Timestamp
    ) -> ConfigStatus.Outcome {
        logger.error(
            "configuration not reloaded; the running policy stays",
            metadata: [
                "rewind.config": "\(path)", "rewind.outcome": "\(outcome.rawValue)",
                "rewind.problems": "\(problems.count)",
            ])
        for problem in problems { logger.error("\(problem)") }
        engine.metrics.configReloaded(outcome, at: now)
        var status =
            engine.configStatus ?? ConfigStatus(source: started.sourcePath, sha256: "", loadedAt: now)
        status.lastReload = .init(at: now, outcome: outcome, problems: problems)
        engine.note(config: status)
        return outcome
    }

    /// The keys whose new value only a restart applies, named as in `rewind.yaml`.
    public static func restartOnlyChanges(from running: RewindConfiguration, to file: RewindConfiguration) -> [String] {
        var changed: [String] = []
        if running.statePath != file.statePath || running.stateDatabaseURL != file.stateDatabaseURL {
            changed.append("state")
        }
        let old = running.server
        let new = file.server
        if old.host != new.host || old.port != new.port { changed.append("server.listen") }
        if old.tokens != new.tokens { changed.append("server.token/server.tokens") }
        if old.allowedHosts != new.allowedHosts { changed.append("server.allowed_hosts") }
        if old.idleTimeout != new.idleTimeout { changed.append("server.idle_timeout") }
        if old.maxConnections != new.maxConnections { changed.append("server.max_connections") }
        if old.advertiseURL != new.advertiseURL { changed.append("server.advertise_url") }
        if running.probeRecordPath != file.probeRecordPath { changed.append("health.record") }
        if running.shards != file.shards { changed.append("ha.shards / services.*.shard") }
        return changed
    }

    /// SHA-256 of `text`'s UTF-8 bytes, in hex.
    static func sha256(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

/// The service that reloads the policy on each SIGHUP, until graceful shutdown. The signal is
/// received through ServiceLifecycle's `UnixSignalsSequence` (a dispatch source, not a handler):
/// create the sequence before the daemon reports itself up, so that an early SIGHUP is not fatal.
public struct ReloadOnHangup: Service {
    let signals: UnixSignalsSequence
    let reloader: PolicyReloader

    public init(signals: UnixSignalsSequence, reloader: PolicyReloader) {
        self.signals = signals
        self.reloader = reloader
    }

    public func run() async throws {
        for await _ in signals.cancelOnGracefulShutdown() {
            await reloader.reload()
        }
    }
}
