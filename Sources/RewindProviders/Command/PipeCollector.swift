import Dispatch
import Foundation
import Synchronization

/// Bytes a command wrote on one stream: the first `limit` bytes, and how many there were in all.
struct CapturedBytes: Sendable, Equatable {
    var kept: [UInt8] = []
    var total = 0
}

/// Drains the read end of a pipe without blocking any thread, keeping the first `limit` bytes
/// and discarding the rest, so a chatty command never stalls on a full pipe.
///
/// Reading stops at end of file, or when ``stop()`` is called (a grandchild may keep the pipe open
/// after the command exits); the descriptor is closed either way.
final class PipeCollector: Sendable {
    private let handle: FileHandle
    private let limit: Int
    private let captured = Mutex(CapturedBytes())
    private let source: Mutex<(any DispatchSourceRead)?>
    /// Fulfilled at end of file.
    let ended = OneShot<Void>()

    init(reading pipe: Pipe, limit: Int) {
        handle = pipe.fileHandleForReading
        self.limit = limit
        let descriptor = handle.fileDescriptor
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        let queue = DispatchQueue(label: "rewind.command.pipe")
        source = Mutex(DispatchSource.makeReadSource(fileDescriptor: descriptor, queue: queue))
    }

    func start() {
        source.withLock { source in
            source?.setEventHandler { [self] in drain() }
            source?.setCancelHandler { [handle] in try? handle.close() }
            source?.resume()
        }
    }

    /// Stops reading (if it has not ended) and returns what was captured.
    func stop() -> CapturedBytes {
        cancelSource()
        return captured.withLock { $0 }
    }

    private func drain() {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(handle.fileDescriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                keep(buffer[0..<count])
            } else if count < 0 && errno == EINTR {
                continue
            } else if count < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                return
            } else {
                // End of file (or an error that ends the stream just the same).
                cancelSource()
                ended.fulfill(())
                return
            }
        }
    }

    private func keep(_ bytes: ArraySlice<UInt8>) {
        captured.withLock { captured in
            captured.total += bytes.count
            let room = limit - captured.kept.count
            if room > 0 { captured.kept.append(contentsOf: bytes.prefix(room)) }
        }
    }

    private func cancelSource() {
        let running = source.withLock { source -> (any DispatchSourceRead)? in
            defer { source = nil }
            return source
        }
        running?.cancel()
    }
}
