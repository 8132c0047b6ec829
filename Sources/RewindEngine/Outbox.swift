import Logging
import Metrics
import RewindCore
import RewindPorts

/// Notifications go through a persistent outbox: each routed channel gets an entry written before
/// the first attempt; the attempt follows at once; failures are retried by the dispatcher loop
/// with backoff (at least the channel's Retry-After) until they succeed or the attempts run out.
/// A channel that gives up is reported on every other channel and in `rewind status`.
extension RewindEngine {
    /// The notifiers that receive `kind`: the policy's route for it, or every channel when the
    /// event has no route.
    func channels(for kind: NoticeKind) -> [String] {
        let all = deps.notifiers.map(\.channel)
        guard let names = deps.policy.notifications.routes[kind] else { return all }
        return all.filter { names.contains($0) }
    }

    /// The notifiers that reach `audience`. An audience with no channels configured reaches every
    /// channel, so that an escalation is never silent.
    func channels(for audience: Audience) -> [String] {
        let all = deps.notifiers.map(\.channel)
        guard let names = deps.policy.notifications.audiences[audience], !names.isEmpty else { return all }
        return all.filter { names.contains($0) }
    }

    /// Writes the notice to the outbox for each channel, then tries each once.
    func announce(_ notice: Notice, to channels: [String]) async {
        let now = deps.clock.now
        // Held for one attempt's deadline, so the dispatcher never sends it a second time while the
        // first attempt is in flight; after a crash it becomes due again then.
        let held = now + deps.policy.notifications.timeout
        let entries = channels.map { OutboxEntry(incidentID: notice.incidentID, channel: $0, notice: notice, nextAttemptAt: held, createdAt: now) }
        let stored: [OutboxEntry]
        do {
            stored = try await deps.store.enqueue(entries)
        } catch {
            logFailure("could not write notifications to the outbox", error, incident: notice.incidentID)
            return
        }
        await withTaskGroup(of: Void.self) { group in
            for entry in stored {
                group.addTask { await self.deliver(entry) }
            }
        }
    }

    /// One attempt for one entry, and its bookkeeping.
    func deliver(_ entry: OutboxEntry) async {
        guard let notifier = deps.notifiers.first(where: { $0.channel == entry.channel }) else {
            var dropped = entry
            dropped.status = .failed
            dropped.lastError = "channel \(entry.channel) is not configured any more"
            try? await deps.store.updateOutbox(dropped)
            return
        }
        var updated = entry
        updated.attempts += 1
        let policy = deps.policy.notifications
        do {
            try await withDeadline(policy.timeout, clock: deps.clock) { try await notifier.send(entry.notice) }
            updated.status = .sent
            updated.sentAt = deps.clock.now
            updated.lastError = nil
        } catch {
            let rewindError = error as? any RewindError
            updated.lastError = deps.redactor.redact(rewindError?.message ?? String(describing: error))
            switch DeliveryRule.afterFailure(
                attempts: updated.attempts, transient: rewindError?.isTransient ?? true, retryAfter: (error as? ProviderError)?.retryAfter,
                policy: policy.retry, now: deps.clock.now, unitRandom: deps.random())
            {
            case .retry(let at):
                updated.nextAttemptAt = at
            case .giveUp:
                updated.status = .failed
            }
        }
        do {
            try await deps.store.updateOutbox(updated)
        } catch {
            logFailure("could not update the outbox", error, incident: entry.incidentID)
        }
        guard updated.status != .pending else { return }
        let delivered = updated.status == .sent
        deps.observer(.notified(incidentID: entry.incidentID, channel: entry.channel, kind: entry.notice.kind, delivered: delivered))
        Counter(label: "rewind_notifications_total", dimensions: [("channel", entry.channel), ("outcome", delivered ? "delivered" : "failed")]).increment()
        let what = entry.notice.audience.map { "\(entry.notice.kind.rawValue) (\($0.rawValue))" } ?? entry.notice.kind.rawValue
        try? await append(
            entry.incidentID, .notification,
            delivered ? "\(what) sent to \(entry.channel)" + (updated.attempts > 1 ? " after \(updated.attempts) attempts" : "")
                : "\(what) NOT delivered to \(entry.channel) after \(updated.attempts) attempts: \(updated.lastError ?? "")",
            detail: .object(["channel": .string(entry.channel), "event": .string(entry.notice.kind.rawValue), "delivered": .bool(delivered),
                             "attempts": .number(Double(updated.attempts))]))
        if !delivered && entry.notice.status != Self.channelDownStatus {
            await reportChannelDown(entry.channel, error: updated.lastError ?? "", about: entry.notice)
        }
    }

    static let channelDownStatus = "notification channel down"

    /// Tells every other channel that `channel` could not deliver.
    private func reportChannelDown(_ channel: String, error: String, about notice: Notice) async {
        var down = notice
        down.kind = .escalated
        down.status = Self.channelDownStatus
        down.error = "\(channel) could not deliver the \(notice.kind.rawValue) notice: \(error)"
        down.actions = ["check the \(channel) channel's configuration and credentials"]
        down.timestamp = deps.clock.now
        let others = deps.notifiers.map(\.channel).filter { $0 != channel }
        logger.error("notification channel is down", metadata: ["rewind.channel": "\(channel)", "rewind.incident.id": "\(notice.incidentID)"])
        await announce(down, to: others)
    }

    /// Retries due outbox entries, including those left pending by a restart.
    func dispatcher() async throws {
        while true {
            let due = (try? await deps.store.dueOutbox(now: deps.clock.now, limit: 50)) ?? []
            await withTaskGroup(of: Void.self) { group in
                for entry in due {
                    group.addTask { await self.deliver(entry) }
                }
            }
            try await deps.clock.sleep(for: deps.outboxInterval)
        }
    }
}
