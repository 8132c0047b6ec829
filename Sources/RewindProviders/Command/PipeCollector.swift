import Foundation
import Synchronization

/// Bytes a command wrote on one stream: the first `limit` bytes, and how many there were in all.
struct CapturedBytes: Sendable, Equatable {
    var kept: [UInt8] = []
    var total = 0
}

/// Drains the read end of a pipe on its own thread, keeping the first `limit` bytes and discarding
/// the rest, so a chatty command never stalls on a full pipe.
///
/// Reading stops at end of file, or when ``stop()`` is called (a grandchild may keep the pipe open
/// after the command exits); the descriptor is closed either way.
///
/// The thread waits with `poll(2)` rather than a dispatch read source: with many commands starting
/// and ending at once, libdispatch's event loop can crash while sources are registered and
/// cancelled (swift-corelibs-libdispatch#949). A blocked thread per stream is cheap at the rate
/// Rewind runs commands.
final class PipeCollector: Sendable {
    private let handle: FileHandle
    private let descriptor: Int32
    private let limit: Int
    private let captured = Mutex(CapturedBytes())
    private let state = Mutex(State.created)
    /// Fulfilled when reading ended (end of file, or stopped).
    let ended = OneShot<Void>()

    private enum State {
        case created, reading, stopRequested, closed
    }

    /// How long one wait for data lasts before the thread looks whether it was asked to stop.
    private static let pollMilliseconds: Int32 = 50

    init(reading pipe: Pipe, limit: Int) {
        handle = pipe.fileHandleForReading
        self.limit = limit
        descriptor = handle.fileDescriptor
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
    }

    func start() {
        let begin = state.withLock { state -> Bool in
            guard case .created = state else { return false }
            state = .reading
            return true
        }
        guard begin else { return }
        let thread = Thread { [self] in readUntilEnd() }
        thread.name = "rewind.command.pipe"
        thread.start()
    }

    /// Stops reading (if it has not ended) and returns what was captured.
    func stop() -> CapturedBytes {
        let closeHere = state.withLock { state -> Bool in
            switch state {
            case .created:
                state = .closed
                return true
            case .reading:
                state = .stopRequested
                return false
            case .stopRequested, .closed:
                return false
            }
        }
        if closeHere {
            try? handle.close()
            ended.fulfill(())
        }
        return captured.withLock { $0 }
    }

    private var shouldRead: Bool {
        state.withLock { if case .reading = $0 { true } else { false } }
    }

    private func readUntilEnd() {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        var waiting = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        while shouldRead {
            waiting.revents = 0
            let ready = poll(&waiting, 1, Self.pollMilliseconds)
            if ready == 0 || (ready < 0 && errno == EINTR) { continue }
            if ready < 0 { break }
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                keep(buffer[0..<count])
            } else if count < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) {
                continue
            } else {
                break  // end of file, or an error that ends the stream just the same
            }
        }
        state.withLock { $0 = .closed }
        try? handle.close()
        ended.fulfill(())
    }

    private func keep(_ bytes: ArraySlice<UInt8>) {
        captured.withLock { captured in
            captured.total += bytes.count
            let room = limit - captured.kept.count
            if room > 0 { captured.kept.append(contentsOf: bytes.prefix(room)) }
        }
    }
}
