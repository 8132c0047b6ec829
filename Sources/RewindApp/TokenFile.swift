import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The API token file `rewind init` writes: 32 random bytes as 64 hex digits, created with mode
/// 0600 (never readable by others, not even for an instant), never printed.
public enum TokenFile {
    public enum Outcome: Sendable, Equatable {
        case created
        /// The file was there already: it is kept (a daemon may be using it).
        case kept
    }

    /// Creates the token file at `path`, or keeps an existing non-empty one.
    public static func ensure(path: String) throws -> Outcome {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd < 0 {
            let code = errno
            if code == EEXIST {
                let content = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(
                    in: .whitespacesAndNewlines)
                guard let content, !content.isEmpty else {
                    throw AppError.usage(
                        "\(path) exists but holds no token; remove it, or pass --token-file with another path")
                }
                return .kept
            }
            throw AppError.other("cannot create the token file \(path): \(String(cString: strerror(code)))")
        }
        defer { close(fd) }
        let bytes = Array(newToken().utf8) + [UInt8(ascii: "\n")]
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else {
            let code = errno
            unlink(path)
            throw AppError.other("cannot write the token file \(path): \(String(cString: strerror(code)))")
        }
        return .created
    }

    /// 32 bytes from the system's cryptographic generator, as lowercase hex.
    static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in
            let byte = UInt8.random(in: .min ... .max, using: &generator)
            return String(byte, radix: 16).count == 1 ? "0" + String(byte, radix: 16) : String(byte, radix: 16)
        }.joined()
    }
}
