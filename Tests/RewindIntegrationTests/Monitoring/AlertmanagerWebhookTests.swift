import AsyncHTTPClient
import Foundation
import NIOCore
import RewindSandbox
import RewindSignals
import RewindTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
    import NIOHTTP1
#endif

extension MonitoringTests {
    /// A real Alertmanager (started by `scripts/monitoring/start`) delivering to a test-local webhook receiver on
    /// the port it posts to: the payload is version 4, carries the bearer token from its credentials file, and
    /// Rewind's intake reads it.
    @Suite(
        .enabled(
            if: MonitoringEnvironment.alertmanagerIsConfigured || MonitoringEnvironment.isRequired,
            "start Prometheus with scripts/monitoring/start (scripts/test does)"
        ),
        .timeLimit(.minutes(3))
    )
    struct AlertmanagerDelivery {
        @Test("an alert pushed to Alertmanager's API arrives firing, then resolved once its endsAt is past")
        func pushedAlertFiresThenResolves() async throws {
            let alertmanager = try MonitoringEnvironment.alertmanagerURL()
            let receiver = AlertWebhookReceiver(port: MonitoringEnvironment.webhookPort)
            // Its own alert name: its own Alertmanager group, whatever earlier runs left behind.
            let name = "RewindTest-\(UUID().uuidString.prefix(8))"
            let labels = ["alertname": name, "service": "frontend", "category": "performance", "severity": "critical"]
            let startsAt = Date().addingTimeInterval(-60)
            try await withLoopbackServices([receiver]) { client in
                try await pushAlert(client, alertmanager, labels: labels, startsAt: startsAt, endsAt: nil)
                let firing = try await receiver.first("\(name) fired") { delivery in
                    delivery.payload?.alerts.contains { $0.labels["alertname"] == name && $0.status == "firing" }
                        == true
                }
                try expectDelivery(firing, status: "firing", name: name)

                try await pushAlert(
                    client,
                    alertmanager,
                    labels: labels,
                    startsAt: startsAt,
                    endsAt: Date().addingTimeInterval(-1)
                )
                let resolved = try await receiver.first("\(name) resolved") { delivery in
                    delivery.payload?.alerts.contains { $0.labels["alertname"] == name && $0.status == "resolved" }
                        == true
                }
                try expectDelivery(resolved, status: "resolved", name: name)
            }
        }

        @Test("a real Alertmanager routes a security alert to `rewind serve`, which rolls the suspect backend back")
        func alertmanagerToTheDaemon() async throws {
            let alertmanager = try MonitoringEnvironment.alertmanagerURL()
            let scratch = try TemporaryDirectory("it")
            defer { scratch.remove() }
            try await withSandbox { world, endpoints in
                let config = scratch.file("rewind.yaml")
                let monitoring = """
                    monitoring:
                      alertmanager:
                        token: ${IT_ALERTMANAGER_TOKEN}
                    """
                try daemonConfig(endpoints: endpoints, port: MonitoringEnvironment.webhookPort, extra: monitoring)
                    .write(toFile: config, atomically: true, encoding: .utf8)
                try await seedKnownGood(statePath: scratch.file("state.db"))
                let client = HTTPClient(eventLoopGroupProvider: .singleton)
                // However the test ends: a client dropped without shutdown stops the whole test process.
                defer { client.shutdown { _ in } }
                let api = API(client: client, base: "http://127.0.0.1:\(MonitoringEnvironment.webhookPort)")
                let token = ["IT_ALERTMANAGER_TOKEN": MonitoringEnvironment.webhookToken]
                let daemon = try await DaemonProcess(
                    config: config, log: scratch.file("daemon.log"), environment: token)
                try await eventually("the daemon answers /healthz", within: 30) { await api.isUp() }
                world.deploy(service: "backend", SandboxDeployment(id: "be-v2", version: "v2"))
                #expect(
                    try await api.call(
                        .POST, "/api/v1/deployments", json: #"{"service":"backend","id":"be-v2","version":"v2"}"#
                    ).status == 201)

                let name = "RewindBreach-\(UUID().uuidString.prefix(8))"
                try await pushAlert(
                    client, alertmanager,
                    labels: ["alertname": name, "service": "backend", "category": "security", "severity": "critical"],
                    startsAt: Date().addingTimeInterval(-5), endsAt: nil)
                try await eventually("Alertmanager's webhook made the daemon roll backend back", within: 60) {
                    world.live(service: "backend")?.id == "be-v1"
                }
                let shown = try await rewind(["incidents", "show", "1", "--config", config], environment: token)
                #expect(shown.stdout.contains(name))
                #expect(world.rollbackCalls(service: "backend") == 1)
                #expect(
                    !daemon.output.contains(MonitoringEnvironment.webhookToken), "the webhook token leaked into the log"
                )
                daemon.kill(SIGTERM)
                #expect(await daemon.waitForExit() == 0)
                try await client.shutdown()
            }
        }

        @Test(
            "Prometheus' HighErrorRate rule reaches the webhook through Alertmanager",
            .enabled(if: MonitoringEnvironment.prometheusIsConfigured || MonitoringEnvironment.isRequired)
        )
        func highErrorRateReachesTheWebhook() async throws {
            let receiver = AlertWebhookReceiver(port: MonitoringEnvironment.webhookPort)
            try await withScrapedSandbox(alongside: [receiver]) { sandbox in
                // Half the checkout requests fail: far above the rule's 5 %.
                sandbox.server.traffic.set(.failing("checkout", errorRatio: 0.5, requestsPerSecond: 20))
                let delivery = try await receiver.first("HighErrorRate for checkout") { delivery in
                    delivery.payload?.alerts.contains {
                        $0.labels["alertname"] == "HighErrorRate" && $0.labels["service"] == "checkout"
                            && $0.status == "firing"
                    } == true
                }
                #expect(delivery.authorization == "Bearer \(MonitoringEnvironment.webhookToken)")
                let payload = try #require(delivery.payload)
                #expect(payload.version == "4")
                let alert = try #require(payload.alerts.first { $0.labels["alertname"] == "HighErrorRate" })
                #expect(alert.labels["severity"] == "critical")
                #expect(alert.labels["category"] == "performance")
                #expect(alert.annotations?["summary"]?.hasPrefix("checkout: ") == true)

                let mapped = try AlertmanagerWebhook.parseNotification(delivery.body).get()
                let incoming = try #require(mapped.alerts.first { $0.name == "HighErrorRate" })
                #expect(incoming.service == "checkout")
                #expect(incoming.category == "performance")
                #expect(incoming.severity == "critical")
                #expect(incoming.firing)
            }
        }
    }
}

/// `POST /api/v2/alerts` with one alert; `endsAt` in the past resolves it.
private func pushAlert(
    _ client: HTTPClient,
    _ alertmanager: String,
    labels: [String: String],
    startsAt: Date,
    endsAt: Date?
) async throws {
    var alert: [String: Any] = [
        "labels": labels,
        "annotations": ["summary": "\(labels["service"] ?? "?"): pushed by the monitoring tests"],
        "startsAt": rfc3339(startsAt),
        "generatorURL": "http://127.0.0.1/rewind-tests",
    ]
    if let endsAt { alert["endsAt"] = rfc3339(endsAt) }
    var request = HTTPClientRequest(url: alertmanager + "/api/v2/alerts")
    request.method = .POST
    request.headers.add(name: "Content-Type", value: "application/json")
    request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: [alert])))
    let response: HTTPClientResponse
    do {
        response = try await client.execute(request, timeout: .seconds(5))
    } catch {
        throw IntegrationError(
            "Alertmanager at \(alertmanager) did not answer (\(error)); \(MonitoringEnvironment.howToStart)"
        )
    }
    let body = try await response.body.collect(upTo: 1 << 20)
    guard response.status.code == 200 else {
        throw IntegrationError(
            "Alertmanager answered \(response.status.code) to POST /api/v2/alerts: \(String(buffer: body))"
        )
    }
}

private func rfc3339(_ date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    return formatter.string(from: date)
}

/// What every delivery of the test alert must say: webhook version 4, the bearer token, the alert's status,
/// and labels Rewind's intake maps to service, category and severity.
private func expectDelivery(_ delivery: AlertWebhookReceiver.Delivery, status: String, name: String) throws {
    #expect(delivery.authorization == "Bearer \(MonitoringEnvironment.webhookToken)")
    let payload = try #require(delivery.payload)
    #expect(payload.version == "4")
    #expect(payload.status == status)
    #expect(payload.receiver == "rewind")
    let alert = try #require(payload.alerts.first { $0.labels["alertname"] == name })
    #expect(alert.status == status)

    let notification = try AlertmanagerWebhook.parseNotification(delivery.body).get()
    let incoming = try #require(notification.alerts.first { $0.name == name })
    #expect(incoming.service == "frontend")
    #expect(incoming.category == "performance")
    #expect(incoming.severity == "critical")
    #expect(incoming.firing == (status == "firing"))
    if status == "resolved" { #expect(incoming.endsAt != nil) }
}
