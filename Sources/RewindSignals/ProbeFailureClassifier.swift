import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import NIOPosix
import RewindCore
import RewindPorts

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Turns whatever a health request threw into the guide's failure kinds, with a short reason.
///
/// Reasons are fixed phrases chosen here, never an error's own description: those can carry the
/// host, the URL or text the server sent.
enum ProbeFailureClassifier {
    static func failure(for error: any Error) -> CheckFailure {
        switch error {
        case is DeadlineExceeded:
            return .timeout
        case let error as HTTPClientError:
            return failure(for: error)
        case let error as NIOConnectionError:
            return failure(for: error)
        case let error as IOError:
            return .connection(reason(errno: error.errnoCode))
        case let error as ChannelError:
            return failure(for: error)
        case is HTTPParserError, is ByteToMessageDecoderError:
            return .invalidResponse("not a valid HTTP response")
        case let error as StatusOutOfRange:
            return .invalidResponse(error.description)
        case is CancellationError:
            return .connection("check cancelled")
        default:
            let typeName = String(describing: type(of: error))
            if typeName.contains("SSL") || typeName.contains("TLS") {
                return .connection("TLS handshake failed")
            }
            return .connection("request failed")
        }
    }

    /// True for a connection the peer closed or reset under us: the one failure worth a second try
    /// on a fresh connection, because a pooled keep-alive connection can go stale.
    static func isClosedConnection(_ error: any Error) -> Bool {
        switch failure(for: error) {
        case .connection("connection closed"), .connection("connection reset"): true
        default: false
        }
    }

    private static func failure(for error: HTTPClientError) -> CheckFailure {
        switch error {
        case .deadlineExceeded, .readTimeout, .writeTimeout, .getConnectionFromPoolTimeout:
            return .timeout
        case .connectTimeout:
            return .connection("connect timed out")
        case .tlsHandshakeTimeout:
            return .connection("TLS handshake timed out")
        case .remoteConnectionClosed:
            return .connection("connection closed")
        case .cancelled:
            return .connection("check cancelled")
        case .invalidURL, .emptyHost, .emptyScheme, .missingSocketPath:
            return .connection("invalid URL")
        case .alreadyShutdown:
            return .connection("HTTP client is shut down")
        case .identityCodingIncorrectlyPresent, .bodyLengthMismatch, .contentLengthMissing:
            return .invalidResponse("malformed HTTP response")
        default:
            return .connection("request failed")
        }
    }

    private static func failure(for error: NIOConnectionError) -> CheckFailure {
        if let first = error.connectionErrors.first {
            return failure(for: first.error)
        }
        if error.dnsAError != nil || error.dnsAAAAError != nil {
            return .connection("host name did not resolve")
        }
        return .connection("connection failed")
    }

    private static func failure(for error: ChannelError) -> CheckFailure {
        switch error {
        case .connectTimeout:
            return .connection("connect timed out")
        case .ioOnClosedChannel, .alreadyClosed, .outputClosed, .inputClosed, .eof:
            return .connection("connection closed")
        case .writeHostUnreachable:
            return .connection("host unreachable")
        default:
            return .connection("connection failed")
        }
    }

    private static func reason(errno code: CInt) -> String {
        switch code {
        case ECONNREFUSED: "connection refused"
        case ECONNRESET: "connection reset"
        case EPIPE, ECONNABORTED: "connection closed"
        case ETIMEDOUT: "connect timed out"
        case EHOSTUNREACH, ENETUNREACH, EHOSTDOWN, ENETDOWN: "host unreachable"
        case EADDRNOTAVAIL: "address not available"
        default: "connection failed (errno \(code))"
        }
    }
}
