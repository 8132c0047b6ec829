import Logging
import RewindCore
import RewindPorts
import Synchronization

/// Delivers the persistent outbox. Every notice is written to the outbox (in the same write as the
/// change that causes it) before its first attempt; the attempt follows at once; failures are
/// retried with backoff (at least the channel's Retry-After) until they succeed or the attempts run
/// out. A channel that gives up is reported on every other channel and in `rewind status`.
///
/// Order: one channel gets one incident's notices in the order they were written — attempts of one
/// lane (incident and channel) never overlap (``OutboxLanes``), and an entry waits while an earlier
/// one of its lane waits for a retry (a PagerDuty resolve never overtakes its trigger's retry; an
/// Opsgenie close never overtakes its create).
///
/// A channel that gives up starts a failure episode: one `channel_failed` notice goes to the other
/// channels that are not failing themselves (routed by `routes.channel_failed` when set); the
/// episode ends with the channel's next delivery. The episodes are kept in memory: a restart may
/// report a channel that is still failing once more.
///
/// Entries just written arrive through ``deliverNow(_:)`` and are attempted by ``deliverFresh()``
/// until the engine stops taking them (it then waits for the attempts in flight); entries that are
/// due again (retries, or left pending by a restart) are picked up every `interval` by ``retryDue()``.
struct NoticeDispatcher: Sendable {
    let store: any RewindStore
    let journal: Journal
    let notifiers: [any Notifier]
    let notices: Notices
    let policy: NotificationPolicy
    let clock: any RewindClock
    let interval: Duration
    let redactor: Redactor
    let random: @Sendable () -> Double
    let metrics: RewindMetrics
    let observer: @Sendable (EngineEvent) -> Void
    let logger: Logger
    let fresh: Mailbox<Delivery>
    let lanes: OutboxLanes
    /// Entries an earlier daemon wrote: delivered as possible repeats (``NoticeDelivery``).
    let inherited: InheritedOutbox
    let episodes = ChannelEpisodes()

    /// Work for the dispatcher's loop.
    enum Delivery: Sendable {
        /// Entries just written: their first attempt.
        case entries([OutboxEntry])
        /// A notice the store could not take: one attempt on each channel, outside the outbox.
        case direct(Notice)
    }

    /// Queues entries just written for their first attempt (without waiting for it).
    func deliverNow(_ entries: [OutboxEntry]) {
        guard !entries.isEmpty else { return }
        fresh.send(.entries(entries))
    }

    /// Sends a notice to every channel once, without the outbox: for when the store cannot take it.
    func sendDirectly(_ notice: Notice) {
        fresh.send(.direct(notice))
    }

    /// Makes the first attempt of each entry and waits for them all.
    func attempt(_ entries: [OutboxEntry]) async {
        await withTaskGroup(of: Void.self) { group in
            for entry in entries {
                group.addTask { await deliver(entry) }
            }
        }
    }

    /// Retries due entries every `interval`, until cancelled: one channel's entries of one incident
    /// one after the other, in the order they were written.
    func retryDue() async throws {
        while true {
            let due = (try? await store.dueOutbox(now: clock.now, limit: 50)) ?? []
            let lanes = Dictionary(grouping: due) { "\($0.incidentID)/\($0.channel)" }.values.map {
                $0.sorted { $0.id < $1.id }
            }
            await withTaskGroup(of: Void.self) { group in
                for lane in lanes {
                    group.addTask {
                        for entry in lane { await deliver(entry) }
                    }
                }
            }
            try await clock.sleep(for: interval)
        }
    }

    /// Makes the first attempt of every entry sent to ``deliverNow(_:)``, until the mailbox is
    /// finished and the attempts in flight are done. Each is attempted by `latest()`: the dispatcher
    /// of the policy in force when it arrives (the channels of a reloaded policy, ``RewindEngine/reload(_:)``).
    func deliverFresh(latest: @escaping @Sendable () -> NoticeDispatcher) async {
        await withDiscardingTaskGroup { group in
            for await delivery in fresh.messages {
                let dispatcher = latest()
                switch delivery {
                case .entries(let entries):
                    for entry in entries {
                        group.addTask { await dispatcher.deliver(entry) }
                    }
                case .direct(let notice):
                    for notifier in dispatcher.notifiers {
                        group.addTask { await dispatcher.sendDirectly(notice, to: notifier) }
                    }
                }
            }
        }
    }

    private func sendDirectly(_ notice: Notice, to notifier: any Notifier) async {
        do {
            try await withDeadline(policy.timeout, clock: clock) { try await notifier.send(notice) }
        } catch {
            logger.critical(
                "could not send a notice directly either",
                metadata: [
                    "rewind.channel": "\(notifier.channel)",
                    "rewind.error": "\(redactor.redact(String(describing: error)))",
                ])
        }
    }

    /// One attempt for one entry, made inside its lane (``OutboxLanes``), and its bookkeeping; then
    /// the first attempts of the notices it queued (a channel that gave up, on the other channels).
    func deliver(_ entry: OutboxEntry) async {
        let queued = await lanes.withLane("\(entry.incidentID)/\(entry.channel)") { await deliverInLane(entry) }
        await attempt(queued)
    }

    /// Order within a lane: an earlier entry waiting for its retry holds this one back until just after it;
    /// an earlier entry never attempted yet (its first attempt queued behind this one, or left by a restart)
    /// is attempted first. An entry another attempt already took care of is left alone.
    private func deliverInLane(_ entry: OutboxEntry) async -> [OutboxEntry] {
        guard let notifier = notifiers.first(where: { $0.channel == entry.channel }) else {
            var dropped = entry
            dropped.status = .failed
            dropped.lastError = "channel \(entry.channel) is not configured any more"
            await commit(StateChange(outboxUpdates: [dropped]), about: entry)
            return []
        }
        // When the lane cannot be read, the entry as the caller has it is attempted.
        let lane = (try? await store.outbox(incidentID: entry.incidentID))?.filter { $0.channel == entry.channel }
        guard let current = lane.map({ $0.first { $0.id == entry.id } }) ?? entry,
            current.status == .pending, current.attempts == entry.attempts
        else { return [] }
        var queued: [OutboxEntry] = []
        let earlier = (lane ?? []).filter { $0.id < entry.id && $0.status == .pending }.sorted { $0.id < $1.id }
        for var ahead in earlier {
            if ahead.attempts == 0 {
                let attempted = await attemptOnce(ahead, on: notifier)
                queued += attempted.queued
                ahead = attempted.entry
            }
            if ahead.status == .pending {
                // Wait for its retry: this one becomes due just after it.
                var deferred = current
                deferred.nextAttemptAt = max(ahead.nextAttemptAt, clock.now) + .milliseconds(1)
                await commit(StateChange(outboxUpdates: [deferred]), about: entry)
                return queued
            }
        }
        return queued + (await attemptOnce(current, on: notifier)).queued
    }

    /// Sends the entry once and stores the outcome; returns the entry as stored and the notices the
    /// outcome queued.
    private func attemptOnce(
        _ entry: OutboxEntry, on notifier: any Notifier
    ) async -> (
        entry: OutboxEntry, queued: [OutboxEntry]
    ) {
        var updated = entry
        updated.attempts += 1
        var outgoing = entry.notice
        let mayRepeat = inherited.contains(entry.id) && !notifier.foldsRepeats
        outgoing.delivery = NoticeDelivery(id: entry.id, mayRepeat: mayRepeat)
        do {
            try await withDeadline(policy.timeout, clock: clock) { [outgoing] in try await notifier.send(outgoing) }
            updated.status = .sent
            updated.sentAt = clock.now
            updated.lastError = nil
        } catch {
            let rewindError = error as? any RewindError
            updated.lastError = redactor.redact(rewindError?.message ?? String(describing: error))
            switch DeliveryRule.afterFailure(
                attempts: updated.attempts, transient: rewindError?.isTransient ?? true,
                retryAfter: (error as? ProviderError)?.retryAfter, policy: policy.retry, now: clock.now,
                unitRandom: random())
            {
            case .retry(let at):
                updated.nextAttemptAt = at
            case .giveUp:
                updated.status = .failed
            }
        }
        var change = StateChange(outboxUpdates: [updated])
        guard updated.status != .pending else {
            await commit(change, about: entry)
            return (updated, [])
        }
        let delivered = updated.status == .sent
        let what =
            entry.notice.audience.map { "\(entry.notice.kind.rawValue) (\($0.rawValue))" } ?? entry.notice.kind.rawValue
        // A notice about no incident (an early warning) has no timeline to note its delivery in.
        change.timeline =
            entry.incidentID == Notice.noIncidentID
            ? []
            : [
                TimelineEvent(
                    incidentID: entry.incidentID, at: clock.now, kind: .notification,
                    message: redactor.redact(
                        delivered
                            ? "\(what) sent to \(entry.channel)"
                                + (updated.attempts > 1 ? " after \(updated.attempts) attempts" : "")
                                + (mayRepeat
                                    ? ", marked as sent again: the daemon before this one may have sent it" : "")
                            : "\(what) NOT delivered to \(entry.channel) after \(updated.attempts) attempts: \(updated.lastError ?? "")"
                    ),
                    detail: .object([
                        "channel": .string(entry.channel), "event": .string(entry.notice.kind.rawValue),
                        "delivered": .bool(delivered),
                        "attempts": .number(Double(updated.attempts)),
                        "delivery": .number(Double(entry.id)),
                        "may_repeat": .bool(mayRepeat),
                    ]))
            ]
        if delivered {
            episodes.delivered(entry.channel)
        } else if entry.notice.kind != .channelFailed, episodes.startFailing(entry.channel) {
            logger.error(
                "notification channel is down",
                metadata: ["rewind.channel": "\(entry.channel)", "rewind.incident.id": "\(entry.incidentID)"])
            let failed = notices.channelFailed(
                entry.channel, error: updated.lastError ?? "", about: entry.notice, now: clock.now)
            let failing = episodes.failing
            change.outbox = notices.entries(
                failed, to: notices.channels(for: failed).filter { $0 != entry.channel && !failing.contains($0) },
                now: clock.now)
        }
        let committed = await commit(change, about: entry)
        observer(
            .notified(
                incidentID: entry.incidentID, channel: entry.channel, kind: entry.notice.kind, delivered: delivered))
        metrics.notification(channel: entry.channel, delivered: delivered)
        if delivered && mayRepeat { metrics.noticeSentAgain(channel: entry.channel) }
        return (updated, committed)
    }

    /// Stores an attempt's bookkeeping (the entry, its timeline entry, a channel-down notice) in
    /// one write; returns the notices it queued.
    @discardableResult
    private func commit(_ change: StateChange, about entry: OutboxEntry) async -> [OutboxEntry] {
        do {
            return try await journal.commit(change).outbox
        } catch {
            logger.error(
                "could not record a delivery",
                metadata: [
                    "rewind.incident.id": "\(entry.incidentID)",
                    "rewind.error": "\(redactor.redact(String(describing: error)))",
                ])
            return []
        }
    }
}

/// The channels in a failure episode: from the attempt that gave up on one to its next delivery.
final class ChannelEpisodes: Sendable {
    private let state = Mutex<Set<String>>([])

    /// True when this starts an episode (the channel was not failing yet).
    func startFailing(_ channel: String) -> Bool {
        state.withLock { $0.insert(channel).inserted }
    }

    func delivered(_ channel: String) {
        _ = state.withLock { $0.remove(channel) }
    }

    var failing: Set<String> { state.withLock { $0 } }
}
