import RewindCore
import RewindPorts

/// The `console` channel: one human-readable line per notice, led by the guide's emoji.
///
/// ```
/// 🚨 [initiated] AUTOMATED ROLLBACK INITIATED | incident #7 | service backend | trigger health_critical | …
/// ```
public struct ConsoleNotifier: Notifier {
    public let channel = "console"
    private let write: @Sendable (String) -> Void

    /// - Parameter write: where lines go; standard output by default.
    public init(write: @escaping @Sendable (String) -> Void = { print($0) }) {
        self.write = write
    }

    public func send(_ notice: Notice) async throws {
        write(Self.line(for: notice))
    }

    /// The line written for `notice`: always a single line, even when a field holds a newline.
    public static func line(for notice: Notice) -> String {
        let line = "\(notice.kind.emoji) \(notice.line)"
        return String(line.map { $0.isNewline ? " " : $0 })
    }
}

extension NoticeKind {
    /// The guide's leading emoji for each message.
    public var emoji: String {
        switch self {
        case .initiated: "🚨"
        case .completed: "✅"
        case .failed: "❌"
        case .escalated: "⚠️"
        case .channelFailed: "📵"
        case .wouldRollBack: "👀"
        case .earlyWarning: "🔭"
        case .taskOverdue: "⏰"
        }
    }
}
