import Foundation
import RewindCore
import Testing

@testable import RewindApp

/// `-o json` everywhere: snake_case keys and RFC 3339 times.
@Suite("CLI JSON output: one key style, RFC 3339 times")
struct JSONOutputTests {
    @Test(
        "camelCase keys become snake_case (acronyms as one word), other keys stay; times are RFC 3339; values unchanged",
        arguments: [
            ("knownGoodAt", "known_good_at"), ("incidentID", "incident_id"), ("durationMs", "duration_ms"),
            ("openedAt", "opened_at"), ("HTTPStatus", "HTTPStatus"), ("already_snake", "already_snake"),
            ("checkout-v2", "checkout-v2"), ("status", "status"), ("v2Deploy", "v2_deploy"),
        ])
    func keys(_ key: String, _ expected: String) {
        #expect(JSONOutput.snakeCase(key) == expected)
    }

    @Test func incidentRendersWithSnakeCaseKeysAndRFC3339Times() throws {
        let incident = Incident(
            id: 7, openedAt: Timestamp(millisecondsSinceEpoch: 1_790_000_000_250),
            closedAt: Timestamp(millisecondsSinceEpoch: 1_790_000_042_000), services: ["backend"], trigger: .manual,
            severity: .high, strategy: .fast, status: .completed, summary: "backend: manual rollback")
        let text = JSONOutput.render(incident)
        let object = try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["opened_at"] as? String == "2026-09-21T14:13:20.250Z")
        #expect(object["closed_at"] as? String == "2026-09-21T14:14:02.000Z")
        #expect(object["openedAt"] == nil)
        #expect(object["id"] as? Int == 7)
        #expect(object["services"] as? [String] == ["backend"])
        #expect(!text.contains("millisecondsSinceEpoch"))
        #expect(JSONOutput.render(["flag": true], compact: true) == #"{"flag":true}"#)
    }
}
