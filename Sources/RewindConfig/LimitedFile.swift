import Foundation

#if canImport(Glibc)
    import Glibc
    private let systemRead = Glibc.read
#elseif canImport(Darwin)
    import Darwin
    private let systemRead = Darwin.read
#endif

/// Reads a file the configuration names (a kubeconfig, a CA file) as UTF-8 text, refusing what is not
/// a regular file (a FIFO would block the reader forever, a device never ends) and what is larger than
/// a limit, without reading past it.
enum LimitedFile {
    enum Failure: Error, Equatable {
        case unreadable
        case notRegularFile
        case tooLarge
    }

    static func read(_ path: String, maxBytes: Int) -> Result<String, Failure> {
        // Non-blocking: opening a FIFO with no writer returns at once instead of waiting for one.
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { return .failure(.unreadable) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return .failure(.unreadable) }
        guard status.st_mode & S_IFMT == S_IFREG else { return .failure(.notRegularFile) }
        guard status.st_size <= maxBytes else { return .failure(.tooLarge) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { systemRead(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(.unreadable)
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
            // The file grew while it was read.
            if bytes.count > maxBytes { return .failure(.tooLarge) }
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { return .failure(.unreadable) }
        return .success(text)
    }
}
