import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// No free TCP port could be had on 127.0.0.1.
public struct LoopbackPortUnavailable: Error, CustomStringConvertible {
    public var description: String { "could not find a free TCP port on 127.0.0.1" }
}

/// A TCP port on 127.0.0.1 where nothing listens now, for a server that must be told its port before it starts (a
/// real Prometheus, a `rewind serve` child process), and for a port that refuses connections.
///
/// The port is checked free, released, and only then used by someone else, so two things must never be handed the
/// same one meanwhile:
/// - it is drawn below the kernel's ephemeral range (`/proc/sys/net/ipv4/ip_local_port_range`, 32768 and up by
///   default), where the servers that bind port 0 — every in-process emulator — get theirs, so none of them can
///   take it before the child process binds it;
/// - this process never hands the same port out twice.
public func freeLoopbackPort() throws -> Int {
    for _ in 0..<500 {
        let candidate = Int.random(in: LoopbackPorts.range)
        guard LoopbackPorts.handedOut.withLock({ $0.insert(candidate).inserted }) else { continue }
        if LoopbackPorts.canBind(candidate) { return candidate }
    }
    throw LoopbackPortUnavailable()
}

enum LoopbackPorts {
    static let handedOut = Mutex<Set<Int>>([])

    /// From 20000 to just below the ephemeral range (ports below 20000 are left to fixed servers: the monitoring
    /// stack of the tests listens on 19090–19101).
    static let range: ClosedRange<Int> = {
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
        let low = text.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) } ?? 32768
        return low > 21000 ? 20000...(low - 1) : 61000...65000
    }()

    /// Whether 127.0.0.1:`port` can be bound now (it is released at once).
    static func canBind(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
