import Foundation
import Logging
import RewindCore
import RewindSignals
import Testing

@Suite("Probe record (health.record): the CSV line and the file")
struct ProbeCSVTests {
    static let at = Timestamp(millisecondsSinceEpoch: 1_796_612_161_593)

    static func observation(_ result: CheckResult, check: String = "health", latencyMs: Int64) -> Observation {
        Observation(service: "backend", check: check, at: at, result: result, latencyMs: latencyMs)
    }

    @Test(
        "one line per probe: time, service, check, ok, status when there is one, latency in seconds",
        arguments: [
            (
                observation(.success(status: 200), latencyMs: 12),
                "2026-12-07T02:56:01.593Z,backend,health,true,200,0.012"
            ),
            (
                observation(.failure(.status(503)), latencyMs: 1_250),
                "2026-12-07T02:56:01.593Z,backend,health,false,503,1.250"
            ),
            (observation(.failure(.timeout), latencyMs: 5_000), "2026-12-07T02:56:01.593Z,backend,health,false,,5.000"),
            (
                observation(.failure(.connection("refused")), latencyMs: 0),
                "2026-12-07T02:56:01.593Z,backend,health,false,,0.000"
            ),
            (
                observation(.success(status: 204), check: #"home, "v2""#, latencyMs: 7),
                #"2026-12-07T02:56:01.593Z,backend,"home, ""v2""",true,204,0.007"#
            ),
        ])
    func line(_ observation: Observation, expected: String) {
        #expect(ProbeCSV.line(observation) == expected)
    }

    @Test("the header once per file, lines appended across opens, whole lines from concurrent watchers")
    func file() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rewind-probes-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("probes.csv").path
        let logger = Logger(label: "rewind.tests.probes")

        let first = try ProbeCSVFile(path: path, logger: logger)
        first.record(Self.observation(.success(status: 200), latencyMs: 3))
        let second = try ProbeCSVFile(path: path, logger: logger)
        await withTaskGroup(of: Void.self) { group in
            for watcher in 0..<8 {
                group.addTask {
                    for probe in 0..<200 {
                        second.record(
                            Self.observation(
                                .failure(.status(500 + watcher)), check: "check-\(watcher)", latencyMs: Int64(probe)))
                    }
                }
            }
        }
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(
            separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first == Substring(ProbeCSV.header))
        #expect(lines.filter { $0 == Substring(ProbeCSV.header) }.count == 1)
        #expect(lines.last == "", "the file ends with a line break")
        let records = lines.dropFirst().dropLast()
        #expect(records.count == 1 + 8 * 200)
        for record in records {
            let fields = record.split(separator: ",", omittingEmptySubsequences: false)
            #expect(fields.count == 6, "\(record)")
            if let check = fields.dropFirst(2).first, check.hasPrefix("check-"), let status = fields.dropFirst(4).first
            {
                #expect(status == "50\(check.dropFirst(6))", "a line is one probe: \(record)")
            }
        }
    }

    @Test("a file that cannot be opened is an error at start, not a silent loss")
    func unopenable() {
        #expect(throws: (any Error).self) {
            _ = try ProbeCSVFile(path: "/nonexistent-\(UUID())/probes.csv", logger: Logger(label: "rewind.tests"))
        }
    }
}
