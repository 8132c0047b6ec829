#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads the file of a `${file:…}` reference without ever blocking or reading without bound.
///
/// A secret is a small regular file (a token, a key, a password). Anything else is refused before it
/// is opened: a FIFO would block the reader until a writer appears, a device (`/dev/zero`) or a huge
/// file would be read forever. The file is checked with `stat` first, opened with `O_NONBLOCK`,
/// checked again with `fstat` (it may have been replaced in between), and read to at most
/// ``limit`` + 1 bytes.
enum SecretFile {
    /// The largest secret file: 64 KiB, far more than any token, key or certificate chain needs.
    static let limit = 64 * 1024

    enum Problem: Error, Equatable {
        /// No such file, or no permission to read it: a secret that is not there (yet).
        case missing
        case unreadable
        /// A FIFO, device, socket or folder: named by what it is.
        case notRegular(String)
        case tooLarge(Int)
        case notText

        /// The message of a located problem about `path`.
        func message(_ path: String) -> String {
            switch self {
            case .missing: "cannot read \(path) for ${file:…}: no such file; create it or fix the path"
            case .unreadable: "cannot read \(path) for ${file:…}: permission denied; let Rewind's user read it"
            case .notRegular(let kind):
                "\(path) is \(kind), not a regular file: ${file:…} reads a small file holding the value"
            case .tooLarge(let size):
                "\(path) is \(size) bytes; ${file:…} reads at most \(SecretFile.limit / 1024) KiB: "
                    + "point it at the file that holds only the value"
            case .notText: "\(path) is not UTF-8 text; ${file:…} reads a text value such as a token"
            }
        }

        /// Whether the secret is merely absent here (`config validate --skip-secrets` accepts that).
        var isAbsent: Bool { self == .missing || self == .unreadable }
    }

    /// The text of the file at `path` with trailing line breaks trimmed, or why it cannot be used.
    static func contents(of path: String) -> Result<String, Problem> {
        var info = stat()
        guard stat(path, &info) == 0 else { return .failure(failure(errno)) }
        if let problem = problem(of: info) { return .failure(problem) }
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { return .failure(failure(errno)) }
        defer { close(descriptor) }
        guard fstat(descriptor, &info) == 0 else { return .failure(.unreadable) }
        if let problem = problem(of: info) { return .failure(problem) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while bytes.count <= limit {
            let wanted = min(buffer.count, limit + 1 - bytes.count)
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, wanted) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { return .failure(.unreadable) }
            if count == 0 { break }
            bytes += buffer[..<count]
        }
        guard bytes.count <= limit else { return .failure(.tooLarge(bytes.count)) }
        guard let text = String(validating: bytes, as: UTF8.self) else { return .failure(.notText) }
        var trimmed = Substring(text)
        while let last = trimmed.last, last == "\n" || last == "\r" || last == "\r\n" { trimmed = trimmed.dropLast() }
        return .success(String(trimmed))
    }

    private static func failure(_ code: Int32) -> Problem {
        code == ENOENT || code == ENOTDIR ? .missing : .unreadable
    }

    private static func problem(of info: stat) -> Problem? {
        switch info.st_mode & S_IFMT {
        case S_IFREG: Int(info.st_size) > limit ? .tooLarge(Int(info.st_size)) : nil
        case S_IFIFO: .notRegular("a FIFO (named pipe)")
        case S_IFDIR: .notRegular("a folder")
        case S_IFCHR, S_IFBLK: .notRegular("a device")
        case S_IFSOCK: .notRegular("a socket")
        default: .notRegular("something other than a file")
        }
    }
}
