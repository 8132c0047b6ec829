import RewindCore
import RewindReplay
import RewindSignals
import Testing

/// Reading replay's inputs: every problem names the file, the line and what to fix; every number is range-checked.
@Suite("Replay: input files")
struct ReplayInputTests {
    static let checks: [ServiceName: [String]] = ["backend": ["health"], "web": ["health", "ready"]]

    @Test("the probe record as health.record writes it, with Unix seconds and an empty check accepted")
    func readsProbeRecord() throws {
        let text = """
            timestamp,service,check,ok,status,latency_seconds
            2026-12-07T04:10:00.123Z,backend,health,false,503,0.012
            1796616600.5,backend,,false,,5.000
            2026-12-07T04:10:01.000Z,web,ready,true,204,0.100
            2026-12-07T04:10:02.000Z,billing,health,true,200,0.010
            2026-12-07T04:10:03.000Z,web,metrics,true,200,0.010

            """
        let read = try ProbeRecordReader.parse(text, file: "probes.csv", checks: Self.checks)
        #expect(read.skipped == 2)
        #expect(read.probes.map(\.check) == ["health", "health", "ready"])
        #expect(read.probes[0].result == .failure(.status(503)))
        #expect(read.probes[0].at == Timestamp(millisecondsSinceEpoch: 1_796_616_600_123))
        #expect(read.probes[0].latencyMs == 12)
        #expect(read.probes[1].at == Timestamp(millisecondsSinceEpoch: 1_796_616_600_500))
        #expect(!read.probes[1].result.isSuccess)
        #expect(read.probes[1].latencyMs == 5000)
        #expect(read.probes[2].result == .success(status: 204))
    }

    @Test(
        "a bad probe line names the file, the line and the fix",
        arguments: [
            ("2026-12-07T04:10:00Z,backend,health,maybe,200,0.1", "probes.csv:2: ok must be true or false"),
            ("2026-12-07T04:10:00Z,backend,health,true,999,0.1", "probes.csv:2: status must be an HTTP status"),
            ("2026-12-07T04:10:00Z,backend,health,true,200,-1", "probes.csv:2: latency_seconds must be a number"),
            ("2026-12-07T04:10:00Z,backend,health,true,200,1e9", "probes.csv:2: latency_seconds must be a number"),
            ("yesterday,backend,health,true,200,0.1", "probes.csv:2: timestamp \"yesterday\" is neither"),
            ("99999999999999,backend,health,true,200,0.1", "probes.csv:2: timestamp"),
            ("2026-12-07T04:10:00Z,web,,true,200,0.1", "probes.csv:2: check is empty, but web has 2 checks"),
            ("2026-12-07T04:10:00Z,backend,health,true", "probes.csv:2: 4 fields; a probe has 6"),
            ("2026-12-07T04:10:00Z,\"backend,health,true,200,0.1", "probes.csv:2: a quoted field is not closed"),
        ])
    func rejectsBadProbeLines(line: String, message: String) {
        let text = "timestamp,service,check,ok,status,latency_seconds\n\(line)\n"
        #expect {
            try ProbeRecordReader.parse(text, file: "probes.csv", checks: Self.checks)
        } throws: { error in
            (error as? ReplayInputError)?.message.hasPrefix(message) == true
        }
    }

    @Test("a probe record without its header is refused at line 1")
    func needsHeader() {
        #expect(throws: ReplayInputError.self) {
            try ProbeRecordReader.parse("2026-12-07T04:10:00Z,backend,health,true,200,0.1\n", file: "p", checks: [:])
        }
        #expect(
            throws: ReplayInputError(file: "p", line: 0, "the file is empty; it needs the header \(ProbeCSV.header)")
        ) {
            try ProbeRecordReader.parse("", file: "p", checks: [:])
        }
    }

    @Test("deployments as JSON lines, with canary share and track; RFC 3339 or Unix seconds")
    func readsDeployments() throws {
        let text = """
            # backend and web
            {"service":"backend","id":"dep-41","version":"v41","at":"2026-11-03T10:00:00Z"}

            {"service":"web","id":"web-7","at":1762164000,"canary_share":0.1,"track":"canary"}
            """
        let deployments = try DeploymentLines.parse(text, file: "d.jsonl")
        #expect(deployments.map(\.id) == ["dep-41", "web-7"])
        #expect(deployments[1].version == "web-7")
        #expect(deployments[1].at == Timestamp(millisecondsSinceEpoch: 1_762_164_000_000))
        #expect(deployments[1].canaryShare == 0.1)
        #expect(deployments[1].track == "canary")
    }

    @Test(
        "a bad deployment line names the line and the field",
        arguments: [
            (#"{"service":"backend","id":"a"}"#, #"d.jsonl:1: "at" is missing"#),
            (#"{"service":"backend","id":"a","at":"soon"}"#, #"d.jsonl:1: "at" must be an RFC 3339 time"#),
            (#"{"service":"backend","id":"a","at":1,"canary_share":1.5}"#, #"d.jsonl:1: "canary_share" must be"#),
            (#"{"service":"backend","id":"a","at":1,"track":"blue"}"#, #"d.jsonl:1: "track" must be canary or stable"#),
            (#"{"service":"backend","id":"a","at":1,"when":2}"#, #"d.jsonl:1: unknown field "when""#),
            (#"["backend"]"#, "d.jsonl:1: not a JSON object"),
            (#"{"service":"","id":"a","at":1}"#, #"d.jsonl:1: "service" must be a non-empty string"#),
            (
                "{\"service\":\"b\",\"id\":\"a\",\"at\":1}\n{\"service\":\"b\",\"id\":\"a\",\"at\":2}",
                "d.jsonl:2: deployment a of b is listed twice"
            ),
        ])
    func rejectsBadDeployments(text: String, message: String) {
        #expect {
            try DeploymentLines.parse(text, file: "d.jsonl")
        } throws: { error in
            (error as? ReplayInputError)?.message.hasPrefix(message) == true
        }
    }

    @Test("labels: bad with its fault time, good without; fault_at on a good deployment is a mistake")
    func readsLabels() throws {
        let labels = try LabelLines.parse(
            """
            {"service":"backend","deployment":"dep-41","bad":true,"fault_at":"2026-11-03T10:04:00Z"}
            {"service":"backend","deployment":"dep-42","bad":false}
            """, file: "l.jsonl")
        #expect(labels.map(\.bad) == [true, false])
        #expect(labels[0].faultAt != nil)
        #expect(throws: ReplayInputError.self) {
            try LabelLines.parse(#"{"service":"b","deployment":"d","bad":"yes"}"#, file: "l.jsonl")
        }
        #expect(throws: ReplayInputError.self) {
            try LabelLines.parse(#"{"service":"b","deployment":"d","bad":false,"fault_at":1}"#, file: "l.jsonl")
        }
    }
}
