import Foundation
import RewindCore
import RewindNotify
import RewindPorts
import Synchronization
import Testing

/// Lines a console notifier wrote.
private final class LineCollector: Sendable {
    private let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }
    func append(_ line: String) { lines.withLock { $0.append(line) } }
}

private func notice(
    _ kind: NoticeKind, incident: Int64 = 7, durationMs: Int64? = 42_000, error: String? = nil
) -> Notice {
    Notice(
        kind: kind, incidentID: incident, services: ["backend", "worker"], trigger: .healthCritical,
        severity: .critical, timestamp: Timestamp(millisecondsSinceEpoch: 1_790_000_000_250), strategy: .immediate,
        actions: ["rollback backend to v41", "freeze deployments for 1h"], durationMs: durationMs,
        status: "rolled back", verificationResults: ["backend healthy (HTTP 200)"], error: error,
        evidence: ["3 consecutive failures within 2m: HTTP 503"]
    )
}

private func temporaryFolder() -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("rewind-notify-\(UUID().uuidString)")
}

@Suite("ConsoleNotifier")
struct ConsoleNotifierTests {
    @Test func writesOneLineWithTheFields() async throws {
        let collector = LineCollector()
        let notifier = ConsoleNotifier(write: { collector.append($0) })
        #expect(notifier.channel == "console")

        try await notifier.send(notice(.initiated))

        let lines = collector.all
        #expect(lines.count == 1)
        let line = try #require(lines.first)
        #expect(line.hasPrefix("🚨 "))
        for field in [
            "AUTOMATED ROLLBACK INITIATED", "incident #7", "service backend,worker", "trigger health_critical",
            "severity critical", "strategy immediate", "status rolled back", "duration 42s",
            "rollback backend to v41", "backend healthy (HTTP 200)", "3 consecutive failures within 2m",
        ] {
            #expect(line.contains(field), "missing \(field) in \(line)")
        }
    }

    @Test(arguments: [
        (NoticeKind.initiated, "🚨"), (.completed, "✅"), (.failed, "❌"), (.escalated, "⚠️"), (.wouldRollBack, "👀"),
    ])
    func leadsWithTheGuideEmoji(kind: NoticeKind, emoji: String) async throws {
        let collector = LineCollector()
        try await ConsoleNotifier(write: { collector.append($0) }).send(notice(kind))
        #expect(collector.all.first?.hasPrefix(emoji + " ") == true)
    }

    @Test func staysOnOneLine() async throws {
        let collector = LineCollector()
        try await ConsoleNotifier(write: { collector.append($0) }).send(notice(.failed, error: "step 1\nstep 2"))
        let line = try #require(collector.all.first)
        #expect(!line.contains("\n"))
        #expect(line.contains("error: step 1 step 2"))
    }
}

@Suite("JSONLinesNotifier")
struct JSONLinesNotifierTests {
    private func objects(in path: String) throws -> [[String: Any]] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.hasSuffix("\n"))
        return try text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
            return try #require(object as? [String: Any])
        }
    }

    @Test func appendsOneObjectPerNoticeWithTheGuideFields() async throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("nested/notifications.jsonl").path
        let notifier = JSONLinesNotifier(path: path)
        #expect(notifier.channel == "file")

        try await notifier.send(notice(.completed))
        try await notifier.send(notice(.failed, incident: 8, durationMs: nil, error: "provider_timeout"))

        let records = try objects(in: path)
        #expect(records.count == 2)
        let completed = records[0]
        #expect(completed["event"] as? String == "completed")
        #expect(completed["title"] as? String == "ROLLBACK COMPLETED SUCCESSFULLY")
        #expect(completed["incident"] as? Int == 7)
        #expect(completed["service"] as? String == "backend,worker")
        #expect(completed["services"] as? [String] == ["backend", "worker"])
        #expect(completed["trigger"] as? String == "health_critical")
        #expect(completed["severity"] as? String == "critical")
        #expect(completed["timestamp"] as? String == "2026-09-21T14:13:20.250Z")
        #expect(completed["strategy"] as? String == "immediate")
        #expect(completed["actions"] as? [String] == ["rollback backend to v41", "freeze deployments for 1h"])
        #expect(completed["duration"] as? String == "42s")
        #expect(completed["duration_ms"] as? Int == 42_000)
        #expect(completed["status"] as? String == "rolled back")
        #expect(completed["verification_results"] as? [String] == ["backend healthy (HTTP 200)"])
        #expect(completed["error"] is NSNull)
        #expect(completed["evidence"] as? [String] == ["3 consecutive failures within 2m: HTTP 503"])
        #expect(completed["next_steps"] as? [String] == Notice.nextSteps(for: .completed))

        let failed = records[1]
        #expect(failed["event"] as? String == "failed")
        #expect(failed["incident"] as? Int == 8)
        #expect(failed["duration"] is NSNull)
        #expect(failed["duration_ms"] is NSNull)
        #expect(failed["error"] as? String == "provider_timeout")
    }

    @Test func recordRoundTrips() throws {
        let line = try JSONLinesNotifier.line(for: notice(.wouldRollBack))
        let record = try JSONDecoder().decode(NoticeRecord.self, from: line)
        #expect(record == NoticeRecord(notice(.wouldRollBack)))
        #expect(record.event == "would_roll_back")
    }

    @Test func concurrentSendsGiveIntactLines() async throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("notifications.jsonl").path
        let notifier = JSONLinesNotifier(path: path)

        try await withThrowingTaskGroup(of: Void.self) { group in
            for incident in 1...50 {
                group.addTask { try await notifier.send(notice(.initiated, incident: Int64(incident))) }
            }
            try await group.waitForAll()
        }

        let records = try objects(in: path)
        #expect(records.count == 50)
        #expect(Set(records.compactMap { $0["incident"] as? Int }) == Set(1...50))
    }

    @Test func unwritablePathIsRejected() async throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let blocker = folder.appendingPathComponent("a-file")
        try Data("x".utf8).write(to: blocker)
        let path = blocker.appendingPathComponent("notifications.jsonl").path

        await #expect {
            try await JSONLinesNotifier(path: path).send(notice(.initiated))
        } throws: { error in
            guard let error = error as? ProviderError else { return false }
            return error.kind == .rejected && error.message.hasPrefix("cannot write notifications to \(path): ")
        }
    }
}
