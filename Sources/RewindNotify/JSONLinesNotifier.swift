import Foundation
import RewindCore
import RewindPorts
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The `file` channel: appends one JSON object (``NoticeRecord``) per line to a file, creating the
/// file and its folder when needed.
///
/// Each line is written whole: sends are serialized, and the file is opened `O_APPEND` and written in
/// one `write` call, so concurrent sends (and other processes appending) never interleave lines.
/// The file is opened per notice, so it can be rotated or removed between notices.
public struct JSONLinesNotifier: Notifier {
    public let channel = "file"
    public let path: String
    private let file: AppendOnlyFile

    public init(path: String) {
        self.path = path
        self.file = AppendOnlyFile(path: path)
    }

    /// Throws ``ProviderError`` `.rejected` when the file cannot be written.
    public func send(_ notice: Notice) async throws {
        try file.append(Self.line(for: notice))
    }

    /// The line appended for `notice`, newline included.
    public static func line(for notice: Notice) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(NoticeRecord(notice))
        data.append(UInt8(ascii: "\n"))
        return data
    }
}

/// A file that only grows by whole lines. Safe to share: every append holds the lock.
private final class AppendOnlyFile: Sendable {
    let path: String
    private let lock = Mutex(())

    init(path: String) {
        self.path = path
    }

    func append(_ line: Data) throws {
        try lock.withLock { _ in
            try createParentFolder()
            let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { throw failure(reason: Self.errnoText()) }
            defer { close(descriptor) }
            try writeAll(line, to: descriptor)
        }
    }

    private func createParentFolder() throws {
        let folder = (path as NSString).deletingLastPathComponent
        guard !folder.isEmpty, !FileManager.default.fileExists(atPath: folder) else { return }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw failure(reason: "cannot create its folder")
        }
    }

    /// One `write` for the whole line; the loop only continues after a short write (a full disk),
    /// or an interrupted call.
    private func writeAll(_ line: Data, to descriptor: CInt) throws {
        try line.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
            guard var next = buffer.baseAddress else { return }
            var remaining = buffer.count
            while remaining > 0 {
                let written = write(descriptor, next, remaining)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw failure(reason: Self.errnoText())
                }
                remaining -= written
                next += written
            }
        }
    }

    private func failure(reason: String) -> ProviderError {
        ProviderError(.rejected, "cannot write notifications to \(path): \(reason)")
    }

    private static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}
