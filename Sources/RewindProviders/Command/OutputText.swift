import Foundation
import RewindCore

/// Turns captured bytes into text that is safe to store and show: secrets redacted, at most
/// 64 KiB, with a note when it was cut.
enum OutputText {
    static let shownBytes = 64 * 1024

    static func render(_ bytes: CapturedBytes, redactor: Redactor) -> String {
        let redacted = redactor.redact(String(decoding: bytes.kept, as: UTF8.self))
        guard bytes.total > shownBytes || redacted.utf8.count > shownBytes else { return redacted }
        let shown = String(decoding: redacted.utf8.prefix(shownBytes), as: UTF8.self)
        return shown + "\n…truncated (\(bytes.total) bytes in all)"
    }

    /// The first line that is not blank, trimmed and at most `limit` characters.
    static func firstLine(of text: String, limit: Int = 200) -> String? {
        let line = text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .first { !$0.isEmpty }
        return line.map { $0.count > limit ? String($0.prefix(limit)) + "…" : $0 }
    }
}
