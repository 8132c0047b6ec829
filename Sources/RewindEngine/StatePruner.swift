import Logging
import RewindCore
import RewindPorts

/// The pruning pass (`retention:`): once when the engine starts, then every `retention.interval`
/// on the engine's clock, the store forgets what ``RetentionPolicy`` no longer keeps. A failed
/// pass is logged and tried again at the next interval: pruning never stops the engine.
///
/// The alerts and pushed values received (`received`, when the state keeps them) are pruned in the same pass, in
/// a transaction of their own: those received more than `retention.closedIncidents` ago go, and of each kind all
/// but the newest `retention.receivedEventsKept`.
struct StatePruner: Sendable {
    let store: any StatePruning
    var received: (any ReceivedEventLog)? = nil
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
        await pruneReceived()
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

    private func pruneReceived() async {
        guard let received else { return }
        do {
            let pruned = try await received.pruneReceived(
                before: clock.now - retention.closedIncidents, keepingNewest: retention.receivedEventsKept)
            if pruned.alerts + pruned.values > 0 {
                logger.info("pruned \(pruned.alerts) received alerts and \(pruned.values) pushed values (retention)")
            }
        } catch is CancellationError {
            return
        } catch {
            logger.warning(
                "pruning the received alerts and pushed values failed; trying again in \(retention.interval.rewindDescription): \(error)"
            )
        }
    }
}
