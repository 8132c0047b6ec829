import RewindCore
import RewindNotify
import RewindPorts
import RewindSandbox
import RewindTestSupport
import Testing

@Suite("Opsgenie channel")
struct OpsgenieChannelTests {
    static let key = "0a1b2c3d-4e5f-6789-abcd-ef0123456789"

    func opsgenie(_ harness: SinkHarness, key: String = Self.key, sources: [String] = []) -> OpsgenieNotifier {
        OpsgenieNotifier(
            apiKey: ConfigText(key, isSecret: true, sources: sources),
            url: "\(harness.base)/opsgenie",
            name: "opsgenie",
            client: harness.client
        )
    }

    @Test func createThenCloseByAlias() async throws {
        try await withSinks { harness in
            harness.opsgenie.key = Self.key
            let notifier = opsgenie(harness)
            try await notifier.send(channelNotice(.initiated, services: ["backend"]))

            let create = try #require(harness.sinks.accepted(.opsgenie).last)
            #expect(create.path == "/opsgenie/v2/alerts")
            #expect(create.headers["authorization"] == "GenieKey \(Self.key)")
            let json = try #require(create.json)
            #expect(json["message"]?.string == "Rewind: rollback of backend initiated (health_critical)")
            #expect(json["alias"]?.string == "rewind-incident-7")
            #expect(json["priority"]?.string == "P1")
            #expect(json["tags"]?.array?.compactMap(\.string) == ["rewind", "backend", "health_critical"])
            #expect(json["source"]?.string == "rewind")
            #expect(json["entity"]?.string == "backend")
            #expect(json["details"]?["incident"]?.string == "7")
            #expect(json["details"]?["trigger"]?.string == "health_critical")
            let description = try #require(json["description"]?.string)
            #expect(description.hasPrefix("🚨 AUTOMATED ROLLBACK INITIATED\n\n**Service**: backend"))
            #expect(harness.opsgenie.alerts.first?.isOpen == true)

            try await notifier.send(channelNotice(.completed, services: ["backend"]))
            let close = try #require(harness.sinks.accepted(.opsgenie).last)
            #expect(close.path == "/opsgenie/v2/alerts/rewind-incident-7/close")
            #expect(close.query == "identifierType=alias")
            #expect(close.json?["source"]?.string == "rewind")
            let alerts = harness.opsgenie.alerts
            #expect(alerts.count == 1)
            #expect(alerts.first?.isOpen == false)
            #expect(alerts.first?.closeNote == "Rollback completed in 42s: rolling back")
        }
    }

    @Test func priorityAndMessageLimit() async throws {
        try await withSinks { harness in
            let long = ServiceName(String(repeating: "very-long-service-name-", count: 10))
            try await opsgenie(harness).send(channelNotice(.escalated, services: [long], severity: .high))
            let json = try #require(harness.sinks.accepted(.opsgenie).last?.json)
            #expect(json["priority"]?.string == "P2")
            let message = try #require(json["message"]?.string)
            #expect(message.count == 130)
            #expect(message.hasSuffix("…"))
        }
    }

    @Test func aWrongKeyIsAnAuthErrorThatNeverShowsTheKey() async throws {
        try await withSinks { harness in
            harness.opsgenie.key = Self.key
            let wrong = "ffffffff-0000-1111-2222-333333333333"
            let error = try #require(
                await #expect(throws: ProviderError.self) {
                    try await opsgenie(harness, key: wrong).send(channelNotice(.failed))
                }
            )
            #expect(error.kind == .auth)
            #expect(error.message.contains("Could not authenticate"))
            #expect(!error.message.contains(wrong))
        }
    }

    @Test func aRefusedKeyNamesTheConfigurationKeyAndItsVariable() async throws {
        try await withSinks { harness in
            harness.opsgenie.key = Self.key
            let wrong = "ffffffff-0000-1111-2222-333333333333"
            let notifier = opsgenie(harness, key: wrong, sources: ["OPSGENIE_API_KEY"])
            let error = try #require(
                await #expect(throws: ProviderError.self) { try await notifier.send(channelNotice(.failed)) })
            #expect(error.message.contains("check notifications.channels.opsgenie.api_key (${OPSGENIE_API_KEY})"))
            #expect(!error.message.contains(wrong))
        }
    }

    @Test func aManualRollbackIsAnnouncedAsManual() async throws {
        try await withSinks { harness in
            try await opsgenie(harness).send(manualNotice())
            let json = try #require(harness.sinks.accepted(.opsgenie).last?.json)
            #expect(json["message"]?.string == "Rewind: manual rollback of backend initiated")
            #expect(json["description"]?.string?.hasPrefix("🚨 MANUAL ROLLBACK INITIATED") == true)
        }
    }

    @Test func aFailedChannelIsItsOwnAlertAndNeverReopensTheClosedIncident() async throws {
        try await withSinks { harness in
            let notifier = opsgenie(harness)
            try await notifier.send(channelNotice(.initiated))
            try await notifier.send(channelNotice(.completed))
            try await notifier.send(channelFailedNotice("slack-critical"))

            let create = try #require(harness.sinks.accepted(.opsgenie).last?.json)
            #expect(create["alias"]?.string == "rewind-channel-slack-critical")
            #expect(create["priority"]?.string == "P3")
            #expect(create["details"]?["event"]?.string == "channel_failed")
            #expect(create["description"]?.string?.contains("**Channel**: slack-critical") == true)
            let alerts = harness.opsgenie.alerts
            #expect(alerts.count == 2)
            #expect(alerts.first { $0.alias == "rewind-incident-7" }?.isOpen == false)
            #expect(alerts.first { $0.alias == "rewind-channel-slack-critical" }?.isOpen == true)
        }
    }
}
