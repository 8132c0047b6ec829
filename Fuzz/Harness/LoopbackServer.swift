import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A one-thread HTTP server on 127.0.0.1 that answers every request with the bytes it was last given,
/// verbatim (status line, headers and body as the fuzzer wrote them), then closes the connection, so that a
/// body without `Content-Length` ends there and no answer can keep the client waiting.
final class LoopbackServer: Sendable {
    let port: Int
    private let answer = Mutex<[UInt8]>([])
    private let socket: CInt

    init() {
        let socket = Glibc.socket(AF_INET, CInt(SOCK_STREAM.rawValue), 0)
        var yes: CInt = 1
        setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<CInt>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) }
        }
        precondition(bound == 0 && listen(socket, 64) == 0, "the loopback server cannot listen")
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        self.socket = socket
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    /// The bytes every following request is answered with.
    func answer(with bytes: [UInt8]) { answer.withLock { $0 = bytes } }

    private func serve() {
        while true {
            let connection = accept(socket, nil, nil)
            guard connection >= 0 else { continue }
            readRequest(connection)
            let bytes = answer.withLock { $0 }
            var sent = 0
            while sent < bytes.count {
                let written = bytes[sent...].withUnsafeBytes {
                    send(connection, $0.baseAddress, $0.count, CInt(MSG_NOSIGNAL))
                }
                if written <= 0 { break }
                sent += written
            }
            shutdown(connection, CInt(SHUT_WR))
            close(connection)
        }
    }

    /// Reads the head and a `Content-Length` body (at most 1 MiB), so that the client sees its request taken.
    private func readRequest(_ connection: CInt) {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        var expected: Int?
        while received.count < 1 << 20 {
            let count = chunk.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return }
            received += chunk[..<count]
            if expected == nil, let end = headEnd(received) {
                let head = String(decoding: received[..<end], as: UTF8.self).lowercased()
                let length =
                    head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                expected = end + 4 + length
            }
            if let expected, received.count >= expected { return }
        }
    }

    private func headEnd(_ bytes: [UInt8]) -> Int? {
        let marker: [UInt8] = [13, 10, 13, 10]
        return bytes.indices.first { bytes[$0...].starts(with: marker) }
    }
}
