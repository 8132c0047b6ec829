import RewindCore
import RewindSignals
import Testing

@Suite("Pushed events intake")
struct PushedEventsTests {
    /// 2026-11-27T10:05:00Z
    static let now = Timestamp(millisecondsSinceEpoch: 1_795_773_900_000)

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    static func body(_ events: [String]) -> [UInt8] {
        bytes(#"{"events":["# + events.joined(separator: ",") + "]}")
    }

    static func metric(
        service: String = "frontend",
        signal: String = "conversion_rate",
        value: String = "0.031",
        at: String? = nil
    ) -> String {
        let time = at.map { #","at":"\#($0)""# } ?? ""
        return #"{"service":"\#(service)","signal":"\#(signal)","value":\#(value)\#(time)}"#
    }

    static func parse(_ body: [UInt8], limits: PushLimits = PushLimits()) -> Result<[PushedEvent], IntakeRejection> {
        PushedEvents.parse(body, limits: limits, now: now)
    }

    @Test("the documented body: a metric with its time and a security event at now")
    func documentedBody() throws {
        let body = Self.bytes(
            """
            {"events":[{"service":"frontend","signal":"conversion_rate","value":0.031,"at":"2026-11-27T10:00:00Z"},
                       {"service":"backend","kind":"security","name":"breach_indicator","severity":"critical","detail":"…"}]}
            """
        )
        let events = try Self.parse(body).get()
        #expect(
            events == [
                .metric(
                    PushedMetric(
                        service: "frontend",
                        signal: "conversion_rate",
                        value: 0.031,
                        at: Self.now - .seconds(300)
                    )
                ),
                .security(
                    PushedSecurityEvent(
                        service: "backend",
                        name: "breach_indicator",
                        severity: "critical",
                        detail: "…",
                        at: Self.now
                    )
                ),
            ]
        )
        #expect(events.map(\.service) == ["frontend", "backend"])
    }

    @Test(
        "a metric without a time is at now; kind metric may be written out; names use the whole alphabet"
    )
    func metricDefaults() throws {
        let body = Self.body([
            Self.metric(value: "-12"),
            #"{"kind":"metric","service":"svc_A-1.b:c","signal":"queue.depth:p-1_x","value":1e3,"at":"2026-11-27T10:09:59Z"}"#,
        ])
        let events = try Self.parse(body).get()
        #expect(events.map(\.at) == [Self.now, Self.now + .milliseconds(299_000)])
        guard case .metric(let second) = events[1] else {
            Issue.record("not a metric: \(events[1])")
            return
        }
        #expect(second.value == 1000)
        #expect(second.service == "svc_A-1.b:c")
    }

    @Test("an empty list is accepted and yields nothing")
    func emptyList() throws {
        #expect(try Self.parse(Self.bytes(#"{"events":[]}"#)).get().isEmpty)
    }

    struct Malformed: Sendable, CustomTestStringConvertible {
        var name: String
        var body: [UInt8]
        var kind: IntakeRejection.Kind = .invalid
        var reason: String
        var testDescription: String { name }
    }

    static let longName = String(repeating: "n", count: 129)

    static let malformed: [Malformed] = [
        Malformed(
            name: "not JSON",
            body: bytes("events=1"),
            kind: .notJSON,
            reason: "the body is not valid JSON: Invalid value around character 0 (line 1, column 1)"
        ),
        // Found by fuzzing: the parser's message quotes the body, control characters included.
        Malformed(
            name: "not JSON, with control characters the parser quotes",
            body: bytes("\"\\u\u{0F}\u{1B}[31m\n"),
            kind: .notJSON,
            reason: #"the body is not valid JSON: Invalid hex encoded sequence in "??[3" at 3"#
        ),
        Malformed(name: "no events", body: bytes(#"{"event":[]}"#), reason: "events: missing"),
        Malformed(
            name: "events not a list",
            body: bytes(#"{"events":{}}"#),
            reason: "events: expected an array"
        ),
        Malformed(
            name: "value as a string",
            body: body([metric(), metric(value: #""0.03""#)]),
            reason: "events[1].value: expected a number"
        ),
        Malformed(
            name: "value missing",
            body: body([#"{"service":"a","signal":"b"}"#]),
            reason: "events[0].value: missing"
        ),
        Malformed(
            name: "value too large for a double",
            body: body([metric(value: "1e999")]),
            kind: .notJSON,
            reason: "the body is not valid JSON: Number 1e999 is not representable in Swift"
        ),
        Malformed(
            name: "service missing",
            body: body([#"{"signal":"b","value":1}"#]),
            reason: "events[0].service: missing"
        ),
        Malformed(
            name: "service empty",
            body: body([metric(service: "")]),
            reason: "events[0].service: must not be empty"
        ),
        Malformed(
            name: "service with a space",
            body: body([metric(service: "front end")]),
            reason: "events[0].service: 'front end' may contain only letters, digits and _ . : -"
        ),
        Malformed(
            name: "signal with a slash",
            body: body([metric(), metric(), metric(signal: "a/b")]),
            reason: "events[2].signal: 'a/b' may contain only letters, digits and _ . : -"
        ),
        Malformed(
            name: "signal with a non-ASCII letter",
            body: body([metric(signal: "conversión")]),
            reason: "events[0].signal: 'conversión' may contain only letters, digits and _ . : -"
        ),
        Malformed(
            name: "name too long",
            body: body([metric(signal: longName)]),
            reason: "events[0].signal: 129 characters; at most 128"
        ),
        Malformed(
            name: "unknown kind",
            body: body([#"{"kind":"audit","service":"a"}"#]),
            reason: "events[0].kind: expected metric or security, got 'audit'"
        ),
        Malformed(
            name: "security without a name",
            body: body([#"{"kind":"security","service":"a","severity":"high"}"#]),
            reason: "events[0].name: missing"
        ),
        Malformed(
            name: "security without a severity",
            body: body([#"{"kind":"security","service":"a","name":"x"}"#]),
            reason: "events[0].severity: missing"
        ),
        Malformed(
            name: "detail too long",
            body: body([
                #"{"kind":"security","service":"a","name":"x","severity":"high","detail":""#
                    + String(repeating: "d", count: 2049) + #""}"#
            ]),
            reason: "events[0].detail: 2049 characters; at most 2048"
        ),
        Malformed(
            name: "at not a time",
            body: body([metric(at: "10:00")]),
            reason: "events[0].at: not an ISO 8601 time such as 2026-11-27T10:00:00Z: '10:00'"
        ),
        Malformed(
            name: "at more than 5 minutes ahead",
            body: body([metric(at: "2026-11-27T10:10:00.001Z")]),
            reason:
                "events[0].at: 2026-11-27T10:10:00.001Z is more than 5m ahead of the server's clock (2026-11-27T10:05:00.000Z)"
        ),
    ]

    @Test("malformed events are rejected with the index and field", arguments: malformed)
    func rejected(_ example: Malformed) {
        switch Self.parse(example.body) {
        case .success(let events):
            Issue.record("accepted: \(events)")
        case .failure(let rejection):
            #expect(rejection.kind == example.kind)
            #expect(rejection.reason == example.reason)
            #expect(rejection.httpStatus == 400)
        }
    }

    @Test("exactly 5 minutes ahead is still accepted")
    func futureEdge() throws {
        let events = try Self.parse(Self.body([Self.metric(at: "2026-11-27T10:10:00Z")])).get()
        #expect(events.first?.at == Self.now + .seconds(300))
    }

    @Test("limits: events per request, body size and name length are the caller's to set")
    func limits() throws {
        let three = Self.body([Self.metric(), Self.metric(), Self.metric()])
        let fewer = PushLimits(maxEvents: 2)
        #expect(
            Self.parse(three, limits: fewer).failureValue?.reason
                == "events: 3 events; at most 2 per request"
        )
        #expect(try Self.parse(three, limits: PushLimits(maxEvents: 3)).get().count == 3)

        let small = PushLimits(maxBodyBytes: three.count - 1)
        let tooLarge = try #require(Self.parse(three, limits: small).failureValue)
        #expect(tooLarge.kind == .tooLarge)
        #expect(tooLarge.httpStatus == 413)

        let shortNames = PushLimits(maxNameLength: 4)
        #expect(
            Self.parse(Self.body([Self.metric(service: "abcd", signal: "abcd")]), limits: shortNames)
                .failureValue == nil
        )
        #expect(
            Self.parse(Self.body([Self.metric(service: "abcde")]), limits: shortNames).failureValue?
                .reason
                == "events[0].service: 5 characters; at most 4"
        )
    }

    @Test("the defaults are the documented ones")
    func defaults() {
        let limits = PushLimits()
        #expect(limits.maxBodyBytes == 256 * 1024)
        #expect(limits.maxEvents == 500)
        #expect(limits.maxNameLength == 128)
        #expect(limits.maxFutureSkew == .seconds(300))
    }
}
