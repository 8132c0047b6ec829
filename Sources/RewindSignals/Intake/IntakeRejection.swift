import RewindCore

/// Why an incoming webhook or pushed-events body was refused.
///
/// `reason` is precise enough to fix the sender: it names the field (`alerts[2].startsAt: …`,
/// `events[0].value: …`) and quotes at most a short, sanitised piece of what was sent. It never
/// contains a header value, so a token cannot leak through it. The server answers ``httpStatus``
/// with `reason` as the body.
public struct IntakeRejection: RewindError, Equatable {
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        /// The body is over the size limit.
        case tooLarge = "intake_too_large"
        /// The body is not JSON at all.
        case notJSON = "intake_not_json"
        /// JSON, but a payload version Rewind does not read.
        case unsupportedVersion = "intake_unsupported_version"
        /// JSON of the right version with a missing or malformed field.
        case invalid = "intake_invalid"
    }

    public var kind: Kind
    public var reason: String

    public init(_ kind: Kind, _ reason: String) {
        self.kind = kind
        self.reason = reason
    }

    /// A bounded code, usable as a metric label.
    public var code: String { kind.rawValue }
    public var message: String { reason }

    /// 413 for a body over the limit, 400 for everything else. Alertmanager does not retry a 4xx.
    public var httpStatus: Int { kind == .tooLarge ? 413 : 400 }
}

extension IntakeRejection {
    static func tooLarge(limit: Int) -> IntakeRejection {
        IntakeRejection(.tooLarge, "the body is larger than the limit of \(limit) bytes")
    }

    static func invalid(_ path: String, _ problem: String) -> IntakeRejection {
        IntakeRejection(.invalid, "\(path): \(problem)")
    }
}

/// Shows a piece of untrusted text inside a reason: single-quoted, control characters replaced,
/// cut to `limit` characters.
func quoted(_ text: String, limit: Int = 60) -> String {
    "'\(sanitised(text, limit: limit))'"
}

/// Untrusted text made safe for a reason (an HTTP answer and a log line): control characters become
/// `?`, so that a sender cannot forge lines or terminal escapes, and it is cut to `limit` characters.
func sanitised(_ text: String, limit: Int) -> String {
    let visible = String(
        text.unicodeScalars.map { $0.properties.generalCategory == .control ? "?" : Character($0) }
    )
    return visible.count > limit ? visible.prefix(limit) + "…" : visible
}
