import Foundation
import RewindCore

/// Bytes a program wrote on one stream: the first `limit` bytes, and how many there were in all.
struct CapturedBytes: Sendable, Equatable {
    let limit: Int
    private(set) var kept: [UInt8] = []
    private(set) var total = 0

    init(limit: Int) {
        self.limit = limit
    }

    /// Counts `bytes` and keeps what still fits; the rest is dropped, so a chatty program never fills memory.
    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        total += bytes.count
        let room = limit - kept.count
        if room > 0 { kept.append(contentsOf: bytes.prefix(room)) }
    }
}

/// Turns captured bytes into text that is safe to store and show: secrets redacted, at most
/// ``shownBytes``, with a note when it was cut.
public enum OutputText {
    /// Shown per stream by default: 64 KiB.
    public static let shownBytes = 64 * 1024
    /// Kept beyond what is shown, so that a secret crossing the cut is still redacted whole.
    static let redactionMargin = 8 * 1024

    static func render(_ bytes: CapturedBytes, shownBytes: Int = shownBytes, redactor: Redactor) -> String {
        let redacted = redactor.redact(String(decoding: bytes.kept, as: UTF8.self))
        guard bytes.total > shownBytes || redacted.utf8.count > shownBytes else { return redacted }
        let shown = String(decoding: redacted.utf8.prefix(shownBytes), as: UTF8.self)
        return shown + "\n…truncated (\(bytes.total) bytes in all)"
    }

    /// The first line that is not blank, trimmed and at most `limit` characters.
    public static func firstLine(of text: String, limit: Int = 200) -> String? {
        let line = text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .first { !$0.isEmpty }
        return line.map { $0.count > limit ? String($0.prefix(limit)) + "…" : $0 }
    }
}
