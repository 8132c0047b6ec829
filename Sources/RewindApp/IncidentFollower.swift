import Foundation
import RewindCore
import RewindEngine

/// Follows an incident as it runs (`rewind rollback` waiting, `rewind incidents show N --follow`): reads it
/// every `interval` and hands each new timeline entry to `line`, until it closes. On a terminal, `status`
/// rewrites one line in place with how long it has run; piped, only the entries are printed.
public struct IncidentFollower: Sendable {
    public var interval: Duration
    /// How long to follow before giving up (the incident goes on; the command says so).
    public var limit: Duration

    public init(interval: Duration = .seconds(1), limit: Duration = .seconds(3600)) {
        self.interval = interval
        self.limit = limit
    }

    /// The entry as one line: time, kind, message.
    public static func line(_ event: TimelineEvent) -> String {
        "\(event.at.iso8601)  \(event.kind.rawValue)  \(event.message)"
    }

    /// Returns the closed incident's record, or the last one read when `limit` passed first.
    public func follow(
        _ id: Int64, read: @Sendable (Int64) async throws -> IncidentDossier, line: (String) -> Void,
        status: ((String) -> Void)? = nil
    ) async throws -> IncidentDossier {
        let started = ContinuousClock.now
        var shown = 0
        while true {
            let dossier = try await read(id)
            if shown < dossier.timeline.count {
                status?("")
                for event in dossier.timeline[shown...] { line(Self.line(event)) }
                shown = dossier.timeline.count
            }
            let elapsed = ContinuousClock.now - started
            if dossier.incident.closedAt != nil || elapsed >= limit { return dossier }
            status?("incident #\(id) \(dossier.incident.status.rawValue) · \(elapsed.components.seconds)s")
            try await Task.sleep(for: interval)
        }
    }
}

/// Writes a status line that the next one replaces, on a terminal only.
public struct StatusLine: Sendable {
    public let enabled: Bool

    public init(enabled: Bool = isatty(STDOUT_FILENO) == 1) {
        self.enabled = enabled
    }

    public func show(_ text: String) {
        guard enabled else { return }
        // Carriage return and erase to the end of the line, then the text without a newline.
        FileHandle.standardOutput.write(Data("\r\u{1B}[K\(text)".utf8))
    }
}
