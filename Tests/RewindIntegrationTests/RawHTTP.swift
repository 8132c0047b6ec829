import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs blocking work (a child process, a socket waiting in `poll`) on a dispatch thread, so that it
/// does not hold one of the few threads Swift concurrency shares with the in-process servers
/// (sandbox, emulators) that other tests are talking to at the same time.
func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result(catching: work)) }
    }
}

/// One TCP connection to the daemon, written byte by byte: for what an HTTP client library will
/// not do (send headers and hold the body back, hold a connection idle, send odd paths verbatim).
/// Every wait is bounded by `poll` with a deadline, so a broken daemon fails the test instead of
/// hanging it. Used by one task at a time; its blocking calls go through ``offPool(_:)``.
final class RawConnection: @unchecked Sendable {
    private let fd: Int32
    private var closed = false

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw IntegrationError("socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else {
            Glibc.close(fd)
            throw IntegrationError("could not connect to 127.0.0.1:\(port)")
        }
    }

    deinit { close() }

    func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(fd)
    }

    /// Writes everything, or returns false when the peer closed the connection.
    @discardableResult
    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if sent <= 0 { return false }
            offset += sent
        }
        return true
    }

    /// Bytes that arrive within `seconds`; empty when none did. `eof` is true when the peer
    /// closed the connection (or reset it).
    func read(within seconds: Double) -> (bytes: [UInt8], eof: Bool) {
        var pollfd = Glibc.pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pollfd, 1, Int32(seconds * 1000)) > 0 else { return ([], false) }
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        let count = recv(fd, &buffer, buffer.count, 0)
        if count <= 0 { return ([], true) }
        return (Array(buffer[0..<count]), false)
    }

    /// A whole response (head, and the body its Content-Length announces), or nil when none
    /// arrived within `seconds`.
    func response(within seconds: Double) -> RawResponse? {
        let deadline = Date().addingTimeInterval(seconds)
        var received: [UInt8] = []
        while Date() < deadline {
            let (bytes, eof) = read(within: max(0.01, deadline.timeIntervalSinceNow))
            received += bytes
            if let response = RawResponse(received) { return response }
            if eof { return nil }
        }
        return nil
    }

    /// True when the peer closes the connection within `seconds` (what it still sends is read and dropped).
    func closedByPeer(within seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if read(within: max(0.01, deadline.timeIntervalSinceNow)).eof { return true }
        }
        return false
    }
}

/// A parsed HTTP/1.1 response.
struct RawResponse: Sendable {
    var status: Int
    var headers: [String: String]
    var body: String

    init?(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let end = text.range(of: "\r\n\r\n") else { return nil }
        let lines = text[..<end.lowerBound].components(separatedBy: "\r\n")
        let parts = lines.first?.split(separator: " ") ?? []
        guard parts.count >= 2, let status = Int(parts[1]) else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces)
        }
        let body = String(text[end.upperBound...])
        if let length = headers["content-length"].flatMap(Int.init), body.utf8.count < length { return nil }
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Sends one request on a new connection and returns the response (nil: none within 5 s).
func rawRequest(port: Int, _ request: String) async throws -> RawResponse? {
    try await offPool {
        let connection = try RawConnection(port: port)
        defer { connection.close() }
        connection.send(request)
        return connection.response(within: 5)
    }
}
