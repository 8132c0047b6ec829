import Foundation
import RewindCore
import RewindSignals
import Testing

@Suite("Alertmanager webhook intake")
struct AlertmanagerWebhookTests {
    /// The payload documented in platform-apis.md §6.1, verbatim.
    static let documented = """
        {
          "version": "4",
          "groupKey": "{}/{severity=\\"page\\"}:{alertname=\\"HighP95Latency\\", service=\\"checkout\\"}",
          "truncatedAlerts": 0,
          "status": "firing",
          "receiver": "rollback-controller",
          "groupLabels": { "alertname": "HighP95Latency", "service": "checkout" },
          "commonLabels": { "alertname": "HighP95Latency", "service": "checkout", "severity": "page" },
          "commonAnnotations": { "summary": "checkout p95 above 400ms" },
          "externalURL": "http://alertmanager.internal:9093",
          "notification_reason": "first notification",
          "alerts": [
            { "status": "firing",
              "labels": { "alertname": "HighP95Latency", "service": "checkout", "severity": "page", "deploy_id": "dpl_NEWBAD" },
              "annotations": { "summary": "checkout p95 above 400ms", "runbook_url": "https://runbooks.example/p95" },
              "startsAt": "2026-03-01T12:04:30.123Z",
              "endsAt": "0001-01-01T00:00:00Z",
              "generatorURL": "http://prometheus.internal:9090/graph?g0.expr=...",
              "fingerprint": "a1b2c3d4e5f60718" } ]
        }
        """

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// A version-4 body with the given alerts (JSON object texts).
    static func body(alerts: [String]) -> [UInt8] {
        bytes(
            #"{"version":"4","groupKey":"g","status":"firing","alerts":["# + alerts.joined(separator: ",")
                + "]}"
        )
    }

    static func alert(
        status: String = "firing",
        labels: String = #"{"alertname":"A","service":"api"}"#,
        startsAt: String = "2026-03-01T12:00:00Z",
        endsAt: String = "0001-01-01T00:00:00Z"
    ) -> String {
        #"{"status":"\#(status)","labels":\#(labels),"startsAt":"\#(startsAt)","endsAt":"\#(endsAt)","fingerprint":"f1"}"#
    }

    static func ms(_ iso: String) -> Timestamp {
        // 2026-03-01T12:04:30.123Z and friends, computed independently with Foundation.
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let date = formatter.date(from: iso) ?? ISO8601DateFormatter().date(from: iso)!
        return Timestamp(millisecondsSinceEpoch: Int64((date.timeIntervalSince1970 * 1000).rounded()))
    }

    @Test("the documented payload maps to one firing alert for checkout")
    func documentedPayload() throws {
        let notification = try AlertmanagerWebhook.parseNotification(Self.bytes(Self.documented)).get()
        #expect(notification.firing)
        #expect(notification.receiver == "rollback-controller")
        #expect(notification.truncatedAlerts == 0)
        let alert = try #require(notification.alerts.first)
        #expect(notification.alerts.count == 1)
        #expect(alert.service == "checkout")
        #expect(alert.severity == "page")
        #expect(alert.category == nil)
        #expect(alert.name == "HighP95Latency")
        #expect(alert.firing)
        #expect(alert.startsAt == Self.ms("2026-03-01T12:04:30.123Z"))
        #expect(alert.endsAt == nil)
        #expect(alert.fingerprint == "a1b2c3d4e5f60718")
        #expect(alert.groupKey == notification.groupKey)
        #expect(alert.groupKey?.hasPrefix("{}/{severity=\"page\"}") == true)
        #expect(alert.labels["deploy_id"] == "dpl_NEWBAD")
        #expect(alert.summary == "checkout p95 above 400ms")
        #expect(try AlertmanagerWebhook.parse(Self.bytes(Self.documented)).get() == notification.alerts)
    }

    @Test("a resolved alert carries its real end time")
    func resolved() throws {
        let body = Self.body(alerts: [
            Self.alert(
                status: "resolved",
                startsAt: "2026-03-01T12:00:00Z",
                endsAt: "2026-03-01T12:10:00.5Z"
            )
        ])
        let alert = try #require(try AlertmanagerWebhook.parse(body).get().first)
        #expect(!alert.firing)
        #expect(alert.endsAt == Self.ms("2026-03-01T12:10:00.500Z"))
    }

    @Test("the mapping picks the service, category and severity labels; empty values count as absent")
    func customMapping() throws {
        let labels =
            #"{"alertname":"Breach","app":"backend","rewind_category":"security","level":"critical","service":""}"#
        let body = Self.body(alerts: [Self.alert(labels: labels)])
        let mapping = AlertMapping(
            serviceLabel: "app",
            categoryLabel: "rewind_category",
            severityLabel: "level"
        )
        let alert = try #require(try AlertmanagerWebhook.parse(body, mapping: mapping).get().first)
        #expect(alert.service == "backend")
        #expect(alert.category == "security")
        #expect(alert.severity == "critical")
        let unmapped = try #require(try AlertmanagerWebhook.parse(body).get().first)
        #expect(unmapped.service == nil)
    }

    @Test("an alert without the service label is returned unmapped, not rejected")
    func unmappedAlert() throws {
        let body = Self.body(alerts: [
            Self.alert(labels: #"{"alertname":"DiskFull"}"#),
            Self.alert(labels: #"{"alertname":"B","service":"web"}"#),
        ])
        let alerts = try AlertmanagerWebhook.parse(body).get()
        #expect(alerts.map(\.service) == [nil, "web"])
        #expect(alerts.map(\.name) == ["DiskFull", "B"])
    }

    @Test(
        "RFC 3339 times as Go writes them",
        arguments: [
            ("2026-03-01T12:04:30Z", "2026-03-01T12:04:30.000Z"),
            ("2026-03-01T12:04:30.1Z", "2026-03-01T12:04:30.100Z"),
            ("2026-03-01T12:04:30.123456789Z", "2026-03-01T12:04:30.123Z"),
            ("2026-03-01T13:04:30.25+01:00", "2026-03-01T12:04:30.250Z"),
            ("2026-03-01T07:34:30-04:30", "2026-03-01T12:04:30.000Z"),
            ("2024-02-29t23:59:59z", "2024-02-29T23:59:59.000Z"),
            ("1970-01-01T00:00:00Z", "1970-01-01T00:00:00.000Z"),
        ]
    )
    func times(text: String, expected: String) throws {
        let alert = try #require(
            try AlertmanagerWebhook.parse(Self.body(alerts: [Self.alert(startsAt: text)])).get().first
        )
        #expect(alert.startsAt.iso8601 == expected)
    }

    struct Malformed: Sendable, CustomTestStringConvertible {
        var name: String
        var body: [UInt8]
        var kind: IntakeRejection.Kind
        var reason: String
        var testDescription: String { name }
    }

    static let malformed: [Malformed] = [
        Malformed(
            name: "empty",
            body: [],
            kind: .notJSON,
            reason: "the body is empty; expected a JSON object"
        ),
        Malformed(
            name: "not JSON",
            body: bytes("{\"version\": \"4\",\n \"alerts\": [oops]}"),
            kind: .notJSON,
            reason: "the body is not valid JSON: Invalid value around character 29 (line 2, column 13)"
        ),
        // Found by fuzzing: a label name is the sender's; in the reason it is sanitised and cut.
        Malformed(
            name: "a label name with control characters and a value that is not a string",
            body: bytes(
                #"{"version":"4","alerts":[{"status":"firing","labels":{"a\u001b[31m\nb":7},"startsAt":"2026-03-01T12:04:30Z"}]}"#
            ),
            kind: .invalid,
            reason: "alerts[0].labels.a?[31m?b: expected a string"
        ),
        Malformed(
            name: "a long label name",
            body: bytes(
                #"{"version":"4","alerts":[{"status":"firing","labels":{""# + String(repeating: "k", count: 500)
                    + #"":7},"startsAt":"2026-03-01T12:04:30Z"}]}"#
            ),
            kind: .invalid,
            reason: "alerts[0].labels." + String(repeating: "k", count: 60) + "…: expected a string"
        ),
        Malformed(
            name: "a JSON array",
            body: bytes("[1]"),
            kind: .invalid,
            reason: "the body must be a JSON object"
        ),
        Malformed(
            name: "version 3",
            body: bytes(#"{"version":"3","alerts":[]}"#),
            kind: .unsupportedVersion,
            reason: #"version: unsupported webhook payload version '3'; Rewind reads version "4""#
        ),
        Malformed(
            name: "version 5 with another shape",
            body: bytes(#"{"version":"5","notifications":[]}"#),
            kind: .unsupportedVersion,
            reason: #"version: unsupported webhook payload version '5'; Rewind reads version "4""#
        ),
        Malformed(
            name: "version as a number",
            body: bytes(#"{"version":4,"alerts":[]}"#),
            kind: .invalid,
            reason: "version: expected a string"
        ),
        Malformed(
            name: "no version",
            body: bytes(#"{"alerts":[]}"#),
            kind: .invalid,
            reason: "version: missing"
        ),
        Malformed(
            name: "no alerts",
            body: bytes(#"{"version":"4","status":"firing"}"#),
            kind: .invalid,
            reason: "alerts: missing"
        ),
        Malformed(
            name: "null alerts",
            body: bytes(#"{"version":"4","alerts":null}"#),
            kind: .invalid,
            reason: "alerts: expected an array, found null"
        ),
        Malformed(
            name: "alert without status",
            body: body(alerts: [alert(), alert(), #"{"labels":{},"startsAt":"2026-03-01T12:00:00Z"}"#]),
            kind: .invalid,
            reason: "alerts[2].status: missing"
        ),
        Malformed(
            name: "alert with an unknown status",
            body: body(alerts: [alert(status: "pending")]),
            kind: .invalid,
            reason: "alerts[0].status: expected firing or resolved, got 'pending'"
        ),
        Malformed(
            name: "bad startsAt",
            body: body(alerts: [alert(), alert(), alert(startsAt: "yesterday")]),
            kind: .invalid,
            reason: "alerts[2].startsAt: not an RFC 3339 time: 'yesterday'"
        ),
        Malformed(
            name: "impossible date",
            body: body(alerts: [alert(startsAt: "2026-02-30T12:00:00Z")]),
            kind: .invalid,
            reason: "alerts[0].startsAt: not an RFC 3339 time: '2026-02-30T12:00:00Z'"
        ),
        Malformed(
            name: "no time zone",
            body: body(alerts: [alert(startsAt: "2026-03-01T12:00:00")]),
            kind: .invalid,
            reason: "alerts[0].startsAt: not an RFC 3339 time: '2026-03-01T12:00:00'"
        ),
        Malformed(
            name: "bad endsAt",
            body: body(alerts: [alert(endsAt: "2026-03-01 12:00")]),
            kind: .invalid,
            reason: "alerts[0].endsAt: not an RFC 3339 time: '2026-03-01 12:00'"
        ),
        Malformed(
            name: "a label that is not a string",
            body: body(alerts: [alert(labels: #"{"service":7}"#)]),
            kind: .invalid,
            reason: "alerts[0].labels.service: expected a string"
        ),
        Malformed(
            name: "an alert without labels",
            body: body(alerts: [#"{"status":"firing","startsAt":"2026-03-01T12:00:00Z"}"#]),
            kind: .invalid,
            reason: "alerts[0].labels: missing"
        ),
        Malformed(
            name: "a long quoted value is cut and control characters hidden",
            body: body(alerts: [alert(status: "a\\u0007" + String(repeating: "x", count: 100))]),
            kind: .invalid,
            reason: "alerts[0].status: expected firing or resolved, got 'a?"
                + String(repeating: "x", count: 58) + "…'"
        ),
    ]

    @Test("malformed payloads are rejected with a precise reason", arguments: malformed)
    func rejected(_ example: Malformed) {
        switch AlertmanagerWebhook.parse(example.body) {
        case .success(let alerts):
            Issue.record("accepted: \(alerts)")
        case .failure(let rejection):
            #expect(rejection.kind == example.kind)
            #expect(rejection.reason == example.reason)
            #expect(rejection.httpStatus == 400)
            #expect(rejection.code == example.kind.rawValue)
        }
    }

    @Test("a body over the limit is refused before it is parsed, with 413")
    func tooLarge() throws {
        let body = Self.bytes(Self.documented)
        let rejection = try #require(
            AlertmanagerWebhook.parse(body, maxBodyBytes: body.count - 1).failureValue
        )
        #expect(rejection.kind == .tooLarge)
        #expect(rejection.httpStatus == 413)
        #expect(rejection.reason == "the body is larger than the limit of \(body.count - 1) bytes")
        #expect(AlertmanagerWebhook.parse(body, maxBodyBytes: body.count).failureValue == nil)
    }

    @Test("the wire model round-trips: what the sandbox encodes, the intake reads")
    func roundTrip() throws {
        let payload = AlertmanagerWebhook.Payload(
            groupKey: "{}:{alertname=\"HighErrorRate\"}",
            receiver: "rewind",
            alerts: [
                .init(
                    status: "firing",
                    labels: ["alertname": "HighErrorRate", "service": "backend", "severity": "critical"],
                    annotations: ["description": "5xx above 5%"],
                    startsAt: "2026-11-27T10:00:00Z",
                    fingerprint: "ab12"
                ),
                .init(
                    status: "resolved",
                    labels: ["alertname": "HighErrorRate", "service": "frontend"],
                    startsAt: "2026-11-27T09:00:00Z",
                    endsAt: "2026-11-27T09:30:00Z"
                ),
            ]
        )
        #expect(payload.status == "firing")
        let encoded = try JSONEncoder().encode(payload)
        #expect(String(decoding: encoded, as: UTF8.self).contains("\"version\":\"4\""))
        #expect(try JSONDecoder().decode(AlertmanagerWebhook.Payload.self, from: encoded) == payload)
        let alerts = try AlertmanagerWebhook.parse(Array(encoded)).get()
        #expect(alerts.map(\.service) == ["backend", "frontend"])
        #expect(alerts.map(\.firing) == [true, false])
        #expect(alerts[0].summary == "5xx above 5%")
        #expect(alerts[1].endsAt == Self.ms("2026-11-27T09:30:00Z"))
        #expect(alerts[1].fingerprint == nil)
    }
}

extension Result {
    var failureValue: Failure? {
        if case .failure(let failure) = self { return failure }
        return nil
    }
}
