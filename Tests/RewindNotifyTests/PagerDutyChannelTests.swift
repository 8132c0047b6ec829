import RewindCore
import RewindNotify
import RewindPorts
import RewindSandbox
import Testing

@Suite("PagerDuty channel")
struct PagerDutyChannelTests {
    func pagerDuty(
        _ harness: SinkHarness, key: String = pagerDutyRoutingKey, name: String = "pagerduty", sources: [String] = []
    ) -> PagerDutyNotifier {
        PagerDutyNotifier(
            routingKey: ConfigText(key, isSecret: true, sources: sources),
            url: "\(harness.base)/pagerduty",
            name: name,
            client: harness.client
        )
    }

    @Test func triggerThenResolveWithTheSameDedupKey() async throws {
        try await withSinks { harness in
            let notifier = pagerDuty(harness)
            #expect(notifier.channel == "pagerduty")
            try await notifier.send(channelNotice(.initiated, services: ["backend"]))

            let alert = try #require(harness.sinks.pagerDutyAlert(dedupKey: "rewind/incident/7"))
            #expect(alert.state == .triggered)
            #expect(alert.severity == "critical")
            #expect(alert.summary == "Rewind: rollback of backend initiated (health_critical)")

            let trigger = try #require(harness.sinks.accepted(.pagerDuty).last?.json)
            #expect(trigger["routing_key"]?.string == pagerDutyRoutingKey)
            #expect(trigger["event_action"]?.string == "trigger")
            #expect(trigger["client"]?.string == "Rewind")
            let payload = try #require(trigger["payload"])
            #expect(payload["source"]?.string == "rewind")
            #expect(payload["timestamp"]?.string == "2026-09-21T14:13:20.250Z")
            #expect(payload["component"]?.string == "backend")
            #expect(payload["class"]?.string == "health_critical")
            #expect(payload["group"]?.string == "rewind-incident-7")
            #expect(payload["custom_details"]?["actions"]?.array?.count == 2)
            #expect(payload["custom_details"]?["evidence"]?[0]?.string == "3 consecutive failures within 2m")
            #expect(payload["custom_details"]?["status"]?.string == "rolling back")

            try await notifier.send(channelNotice(.completed, services: ["backend"]))
            let resolved = try #require(harness.sinks.pagerDutyAlert(dedupKey: "rewind/incident/7"))
            #expect(resolved.state == .resolved)
            #expect(resolved.events == ["trigger", "resolve"])
            #expect(harness.sinks.pagerDutyAlerts.count == 1)
            let resolve = try #require(harness.sinks.accepted(.pagerDuty).last?.json)
            #expect(resolve["event_action"]?.string == "resolve")
            #expect(resolve["dedup_key"]?.string == "rewind/incident/7")
            #expect(resolve["payload"] == nil)
        }
    }

    @Test func aRetriedTriggerFoldsIntoTheOpenAlert() async throws {
        try await withSinks { harness in
            let notifier = pagerDuty(harness)
            try await notifier.send(channelNotice(.initiated))
            try await notifier.send(channelNotice(.failed, error: "platform answered 503"))
            let alerts = harness.sinks.pagerDutyAlerts
            #expect(alerts.count == 1)
            #expect(alerts.first?.triggerCount == 2)
            #expect(alerts.first?.summary.hasPrefix("Rewind: rollback of backend, worker FAILED") == true)
        }
    }

    @Test func severityFollowsTheIncident() async throws {
        try await withSinks { harness in
            let notifier = pagerDuty(harness)
            try await notifier.send(channelNotice(.initiated, incident: 1, severity: .high))
            try await notifier.send(channelNotice(.escalated, incident: 2, severity: .low, audience: .management))
            try await notifier.send(channelNotice(.wouldRollBack, incident: 3))
            try await notifier.send(channelNotice(.failed, incident: 4, severity: .low))
            let severities = harness.sinks.pagerDutyAlerts.map(\.severity)
            #expect(severities == ["error", "warning", "info", "critical"])
            let escalation = try #require(harness.sinks.accepted(.pagerDuty)[1].json)
            #expect(escalation["payload"]?["custom_details"]?["audience"]?.string == "management")
            #expect(
                escalation["payload"]?["summary"]?.string
                    == "Rewind: backend, worker escalated to management (health_critical)"
            )
        }
    }

    @Test func aRoutingKeyOfTheWrongLengthIsRejectedWithPagerDutysErrors() async throws {
        try await withSinks { harness in
            let key = "short-routing-key-42"
            let error = try #require(
                await #expect(throws: ProviderError.self) {
                    try await pagerDuty(harness, key: key).send(channelNotice(.initiated))
                }
            )
            #expect(error.kind == .rejected)
            #expect(!error.isTransient)
            #expect(error.message.contains("Length of 'routing_key' is incorrect (should be 32 characters)"))
            #expect(!error.message.contains(key))
            #expect(harness.sinks.received(.pagerDuty).last?.status == 400)
        }
    }

    @Test func aRefusedRoutingKeyNamesTheConfigurationKeyAndItsVariableNeverTheValue() async throws {
        try await withSinks { harness in
            let key = "short-routing-key-42"
            let notifier = pagerDuty(harness, key: key, name: "oncall-pager", sources: ["PAGERDUTY_ROUTING_KEY"])
            let error = try #require(
                await #expect(throws: ProviderError.self) { try await notifier.send(channelNotice(.initiated)) }
            )
            #expect(error.kind == .rejected)
            #expect(
                error.message.contains(
                    "check notifications.channels.oncall-pager.routing_key (${PAGERDUTY_ROUTING_KEY})"))
            #expect(error.message.contains("Length of 'routing_key' is incorrect"))
            #expect(!error.message.contains(key))
        }
    }

    @Test func aManualRollbackIsPagedAsManual() async throws {
        try await withSinks { harness in
            try await pagerDuty(harness).send(manualNotice())
            let alert = try #require(harness.sinks.pagerDutyAlert(dedupKey: "rewind/incident/7"))
            #expect(alert.summary == "Rewind: manual rollback of backend initiated")
            #expect(!alert.summary.lowercased().contains("automat"))
        }
    }

    @Test func aFailedChannelTriggersItsOwnAlertAndNeverReopensTheResolvedIncident() async throws {
        try await withSinks { harness in
            let notifier = pagerDuty(harness)
            try await notifier.send(channelNotice(.initiated))
            try await notifier.send(channelNotice(.completed))
            try await notifier.send(channelFailedNotice("slack-critical"))

            let incident = try #require(harness.sinks.pagerDutyAlert(dedupKey: "rewind/incident/7"))
            #expect(incident.state == .resolved)
            #expect(incident.events == ["trigger", "resolve"])
            let channel = try #require(harness.sinks.pagerDutyAlert(dedupKey: "rewind/channel/slack-critical"))
            #expect(channel.state == .triggered)
            #expect(channel.severity == "warning")
            #expect(
                channel.summary == "Rewind: notification channel slack-critical failed (incident #7, backend, worker)")
            let event = try #require(harness.sinks.accepted(.pagerDuty).last?.json)
            #expect(event["dedup_key"]?.string == "rewind/channel/slack-critical")
            #expect(event["payload"]?["custom_details"]?["event"]?.string == "channel_failed")
            #expect(harness.sinks.pagerDutyAlerts.count == 2)
        }
    }

    @Test func anOverdueTaskReminderIsItsOwnAlertAndNeverReopensTheResolvedIncident() async throws {
        try await withSinks { harness in
            let notifier = pagerDuty(harness)
            try await notifier.send(channelNotice(.initiated))
            try await notifier.send(channelNotice(.completed))
            try await notifier.send(taskOverdueNotice())

            let incident = try #require(harness.sinks.pagerDutyAlert(dedupKey: "rewind/incident/7"))
            #expect(incident.state == .resolved)
            #expect(incident.events == ["trigger", "resolve"])
            let reminder = try #require(harness.sinks.pagerDutyAlert(dedupKey: "rewind/incident/7/tasks"))
            #expect(reminder.severity == "warning")
            #expect(reminder.summary == "Rewind: post-rollback work of incident #7 overdue (devops) (backend)")
        }
    }

    @Test func throttlingAndOutagesAreTransient() async throws {
        try await withSinks { harness in
            harness.sinks.failNext(1, path: "/pagerduty/", status: 429, retryAfter: 12)
            harness.sinks.failNext(1, path: "/pagerduty/", status: 502)
            let throttled = try #require(
                await #expect(throws: ProviderError.self) {
                    try await pagerDuty(harness).send(channelNotice(.initiated))
                }
            )
            #expect(throttled.kind == .rateLimited)
            #expect(throttled.retryAfter == .seconds(12))
            let outage = try #require(
                await #expect(throws: ProviderError.self) {
                    try await pagerDuty(harness).send(channelNotice(.initiated))
                }
            )
            #expect(outage.kind == .server)
            #expect(outage.isTransient)
            #expect(!outage.message.contains(pagerDutyRoutingKey))
        }
    }
}
