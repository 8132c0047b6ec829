import Foundation
import Logging
import RewindConfig
import RewindCore
import Synchronization

/// The process's log, on standard error: swift-log's text lines, or one JSON object per line
/// (`log.format: json`, `--log-format json`, `REWIND_LOG_FORMAT=json`) for a log pipeline.
///
/// The format can change once the configuration is read (and on a reload), so every handler reads
/// it when it writes. A JSON line holds `time` (RFC 3339, UTC, milliseconds), `level`, `logger`,
/// `message`, and each metadata key at the top level (`rewind.service`, `rewind.incident.id`, …).
public enum LogOutput {
    private static let current = Mutex<LogSettings.Format>(.text)

    public static var format: LogSettings.Format {
        get { current.withLock { $0 } }
        set { current.withLock { $0 = newValue } }
    }

    /// Installs the handler once per process, at `level`, in `format`.
    public static func bootstrap(level: Logger.Level, format: LogSettings.Format) {
        Self.format = format
        LoggingSystem.bootstrap { label in
            var handler = LogLine(label: label)
            handler.logLevel = level
            return handler
        }
    }

    /// One record as a JSON line.
    static func jsonLine(
        at time: Date, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata
    ) -> String {
        var object: [String: String] = [:]
        for (key, value) in metadata { object[key] = "\(value)" }
        object["time"] = Timestamp(millisecondsSinceEpoch: Int64(time.timeIntervalSince1970 * 1000)).iso8601
        object["level"] = level.rawValue
        object["logger"] = label
        object["message"] = message
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(object)) ?? Data(#"{"message":"unencodable log record"}"#.utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

/// A handler that writes in ``LogOutput/format``: text through swift-log's `StreamLogHandler`, JSON itself.
struct LogLine: LogHandler {
    private var text: StreamLogHandler
    private let label: String

    init(label: String) {
        self.label = label
        self.text = StreamLogHandler.standardError(label: label)
    }

    var metadata: Logger.Metadata {
        get { text.metadata }
        set { text.metadata = newValue }
    }
    var logLevel: Logger.Level {
        get { text.logLevel }
        set { text.logLevel = newValue }
    }
    var metadataProvider: Logger.MetadataProvider? {
        get { text.metadataProvider }
        set { text.metadataProvider = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { text[metadataKey: key] }
        set { text[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        guard LogOutput.format == .json else {
            text.log(event: event)
            return
        }
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        let line = LogOutput.jsonLine(
            at: Date(), level: event.level, label: label, message: "\(event.message)", metadata: merged)
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
