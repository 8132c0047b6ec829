import Foundation
import Logging
import Testing

@testable import RewindApp

/// `log.format: json`: one JSON object per line, metadata at the top level.
@Suite("Log output: JSON lines")
struct LogOutputTests {
    @Test("a record is one line of JSON with time, level, logger, message and its metadata; hostile text stays inside")
    func jsonLine() throws {
        let line = LogOutput.jsonLine(
            at: Date(timeIntervalSince1970: 1_790_000_000.25), level: .notice, label: "rewind",
            message: "deployments frozen\n{\"level\":\"critical\"}",
            metadata: ["rewind.actor": "token oncall", "rewind.reason": "a \"quoted\"\nreason"])
        #expect(!line.contains("\n"))
        let object = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(object["time"] == "2026-09-21T14:13:20.250Z")
        #expect(object["level"] == "notice")
        #expect(object["logger"] == "rewind")
        #expect(object["message"] == "deployments frozen\n{\"level\":\"critical\"}")
        #expect(object["rewind.actor"] == "token oncall")
        #expect(object["rewind.reason"] == "a \"quoted\"\nreason")
    }

    @Test("metadata cannot replace the record's own fields")
    func reservedKeys() throws {
        let line = LogOutput.jsonLine(
            at: Date(timeIntervalSince1970: 0), level: .info, label: "rewind", message: "real",
            metadata: ["message": "forged", "level": "critical"])
        let object = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(object["message"] == "real")
        #expect(object["level"] == "info")
    }
}
