/// `log:` — how the daemon writes its log (standard error).
public struct LogSettings: Sendable, Equatable {
    /// `text` (swift-log's lines, for a terminal) or `json` (one object per line, for a log pipeline).
    public enum Format: String, Sendable, CaseIterable {
        case text, json
    }

    /// Nil: what `--log-format` or `REWIND_LOG_FORMAT` says, else text.
    public var format: Format?

    public init(format: Format? = nil) {
        self.format = format
    }
}
