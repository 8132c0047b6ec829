/// A text from the configuration that may hold secrets. `value` is what is sent;
/// `description` never shows it.
///
/// `sources` says where the value came from — the `${…}` references it was built from, as written
/// between the braces (`PAGERDUTY_ROUTING_KEY`, `file:/run/secrets/pd`) — so that an error can say
/// what to fix without showing what it is. It is provenance, not content: two texts with the same
/// value and secrecy are equal (and hash alike) whichever variables they came from.
public struct ConfigText: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var value: String
    /// True when the value is a secret: read through `${…}` at a key that holds a credential, from a
    /// variable (or file) named like one, as a URL with credentials, or marked `${secret:…}` (the rules
    /// are RewindConfig's `Secrecy`). A value written inline, or read into a plain key, is not.
    public var isSecret: Bool
    /// The references the value was built from, in order (never their values).
    public var sources: [String]

    public init(_ value: String, isSecret: Bool = false, sources: [String] = []) {
        self.value = value
        self.isSecret = isSecret
        self.sources = sources
    }

    public var description: String { isSecret ? "<redacted>" : value }

    /// The references as written in the file, e.g. `${PAGERDUTY_ROUTING_KEY}`; nil when the value
    /// was written inline.
    public var writtenSources: String? {
        sources.isEmpty ? nil : sources.map { "${\($0)}" }.joined(separator: " and ")
    }

    public static func == (lhs: ConfigText, rhs: ConfigText) -> Bool {
        lhs.value == rhs.value && lhs.isSecret == rhs.isSecret
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(value)
        hasher.combine(isSecret)
    }
}
