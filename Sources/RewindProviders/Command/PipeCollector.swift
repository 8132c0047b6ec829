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
    private let descriptor: Int32
    private let limit: Int
    private let captured = Mutex(CapturedBytes())
    private let source: Mutex<SourceState>
    /// Fulfilled at end of file.
    let ended = OneShot<Void>()

    init(reading pipe: Pipe, limit: Int) {
        handle = pipe.fileHandleForReading
        self.limit = limit
        descriptor = handle.fileDescriptor
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        let queue = DispatchQueue(label: "rewind.command.pipe")
        source = Mutex(.created(DispatchSource.makeReadSource(fileDescriptor: descriptor, queue: queue)))
    }

    /// A dispatch source must be resumed before it is released, even when it is cancelled unused.
    private enum SourceState {
        case created(any DispatchSourceRead)
        case reading(any DispatchSourceRead)
        case finished
    }

    func start() {
        source.withLock { state in
            guard case .created(let source) = state else { return }
            source.setEventHandler { [self] in drain() }
            source.setCancelHandler { [handle] in try? handle.close() }
            source.resume()
            state = .reading(source)
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
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
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
        let running = source.withLock { state -> (any DispatchSourceRead)? in
            defer { state = .finished }
            switch state {
            case .created(let source):
                source.setCancelHandler { [handle] in try? handle.close() }
                source.resume()
                return source
            case .reading(let source):
                return source
            case .finished:
                return nil
            }
        }
        running?.cancel()
    }
}
