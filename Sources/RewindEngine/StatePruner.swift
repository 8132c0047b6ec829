import Logging
import RewindCore
import RewindPorts

/// The pruning pass (`retention:`): once when the engine starts, then every `retention.interval`
/// on the engine's clock, the store forgets what ``RetentionPolicy`` no longer keeps. A failed
/// pass is logged and tried again at the next interval: pruning never stops the engine.
struct StatePruner: Sendable {
    let store: any StatePruning
    let retention: RetentionPolicy
    let clock: any RewindClock
    let logger: Logger

    func run() async throws {
        while true {
            await pruneOnce()
            try await clock.sleep(for: retention.interval)
        }
    }

    /// One pass; nil when it failed.
    @discardableResult
    func pruneOnce() async -> PruneReport? {
        do {
            let report = try await store.prune(retention, now: clock.now)
            if !report.isEmpty {
                logger.info(
                    "pruned \(report.incidents) closed incidents, \(report.deployments) deployments, \(report.automaticRollbacks) automatic rollbacks and \(report.notices) early-warning notices (retention)"
                )
            }
            return report
        } catch is CancellationError {
            return nil
        } catch {
            logger.warning("pruning failed; trying again in \(retention.interval.rewindDescription): \(error)")
            return nil
        }
    }
}
