import Foundation
import Hummingbird
import NIOCore
import RewindCore
import RewindEngine
import RewindPorts
import ServiceLifecycle
import Synchronization

/// The places for live streams (`GET /api/v1/stream`): at most `limit` open at once. A stream holds
/// a ``StreamTicket`` from the moment it is admitted; the ticket gives its place back when the
/// stream's response is gone, however it ended (finished, client gone, never written).
final class StreamSlots: Sendable {
    let limit: Int
    private let open = Mutex(0)

    init(limit: Int) {
        self.limit = limit
    }

    /// A ticket, or nil when `limit` streams are open.
    func take() -> StreamTicket? {
        let admitted = open.withLock { open -> Bool in
            guard open < limit else { return false }
            open += 1
            return true
        }
        return admitted ? StreamTicket(self) : nil
    }

    var count: Int { open.withLock { $0 } }

    fileprivate func release() {
        open.withLock { $0 -= 1 }
    }
}

/// One open stream's place in ``StreamSlots``, given back when the ticket is released.
final class StreamTicket: Sendable {
    private let slots: StreamSlots

    fileprivate init(_ slots: StreamSlots) {
        self.slots = slots
    }

    deinit { slots.release() }
}

/// The text of the live stream, in the `text/event-stream` format (WHATWG HTML, "Server-sent events"):
/// an opening comment and reconnection delay, one `engine` event per engine event, and a heartbeat
/// comment every so often (it keeps proxies from closing an idle connection, and it is how the server
/// learns that the client left: writing to a closed connection fails).
enum StreamFrame {
    static let opening = "retry: 3000\n: rewind live stream\n\n"
    static let heartbeat = ": heartbeat\n\n"

    /// What an engine event says on the stream: which incident and service it concerns, never free
    /// text (the script reloads what it shows from the API). One line of JSON.
    struct Summary: Encodable, Equatable {
        var kind: String
        var incident: Int64?
        var service: String?
        var step: String?
    }

    static func frame(_ event: EngineEvent) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(summary(event))) ?? Data("{}".utf8)
        return "event: engine\ndata: \(String(decoding: data, as: UTF8.self))\n\n"
    }

    static func summary(_ event: EngineEvent) -> Summary {
        switch event {
        case .checkFailed(let observation, _, _):
            Summary(kind: "check_failed", service: observation.service.rawValue)
        case .checkRecovered(let service, _):
            Summary(kind: "check_recovered", service: service.rawValue)
        case .violation(let violation):
            Summary(kind: "violation", service: violation.service.rawValue)
        case .decision(let incidentID, _):
            Summary(kind: "decision", incident: incidentID)
        case .stepStarted(let incidentID, let step):
            Summary(kind: "step_started", incident: incidentID, service: step.service.rawValue, step: step.id)
        case .stepFinished(let incidentID, let stepID, _):
            Summary(kind: "step_finished", incident: incidentID, step: stepID)
        case .verificationAttempt(let incidentID, let service, _, _, _):
            Summary(kind: "verification", incident: incidentID, service: service.rawValue)
        case .notified(let incidentID, _, _, _):
            Summary(kind: "notified", incident: incidentID)
        case .incidentClosed(let incident):
            Summary(kind: "incident_closed", incident: incident.id)
        case .deploymentKnownGood(let deployment):
            Summary(kind: "known_good", service: deployment.service.rawValue)
        case .providerCalled(let incidentID, let service, _):
            Summary(kind: "provider_called", incident: incidentID, service: service.rawValue)
        case .earlyWarning(let warning):
            Summary(kind: "early_warning", service: warning.service.rawValue)
        }
    }
}

extension APIServer {
    /// `GET /api/v1/stream` (scope `read`): the engine's events as server-sent events, until the
    /// client leaves (found at the next write, a heartbeat at the latest), the engine stops, or the
    /// server shuts down. 503 with `Retry-After` when ``Limits/maxStreams`` are open.
    func eventStream() -> Response {
        guard let ticket = streams.take() else {
            var response = problem(
                .serviceUnavailable,
                "\(streams.limit) live streams are open, the most this server keeps; close a dashboard tab or try again later"
            )
            response.headers[.retryAfter] = "15"
            return response
        }
        let events = engine.events(buffer: Self.streamBuffer)
        let clock = clock
        let heartbeat = limits.heartbeat
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream; charset=utf-8"
        headers[.cacheControl] = "no-store"
        headers[.xContentTypeOptions] = "nosniff"
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                try await Self.stream(events, to: &writer, heartbeat: heartbeat, clock: clock)
                withExtendedLifetime(ticket) {}
            })
    }

    /// Events buffered per stream; a client that reads slower loses the oldest (it reloads anyway).
    static let streamBuffer = 64

    static func stream(
        _ events: AsyncStream<EngineEvent>, to writer: inout any ResponseBodyWriter, heartbeat: Duration,
        clock: any RewindClock
    ) async throws {
        try await writer.write(ByteBuffer(string: StreamFrame.opening))
        let (frames, sink) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(streamBuffer))
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await event in events { sink.yield(StreamFrame.frame(event)) }
                    sink.finish()
                }
                group.addTask {
                    while true {
                        try await clock.sleep(for: heartbeat)
                        sink.yield(StreamFrame.heartbeat)
                    }
                }
                defer { group.cancelAll() }
                for await frame in frames {
                    try await writer.write(ByteBuffer(string: frame))
                }
            }
        } onGracefulShutdown: {
            sink.finish()
        }
        try await writer.finish(nil)
    }
}
