/// Rewind's one error protocol: a bounded code (usable as a metric label), a plain sentence that
/// names the service or deployment and the next step, and a debug form with secrets redacted.
public protocol RewindError: Error, CustomStringConvertible, Sendable {
    /// A short stable identifier such as `provider_auth`, `check_timeout`, `config_invalid`.
    var code: String { get }
    /// A sentence for people.
    var message: String { get }
    /// Transient errors are retried; permanent ones go straight to the fallback.
    var isTransient: Bool { get }
}

extension RewindError {
    public var description: String { message }
    public var isTransient: Bool { false }
}
