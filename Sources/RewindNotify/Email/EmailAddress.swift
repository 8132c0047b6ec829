import RewindPorts

/// A mailbox as the configuration writes it: `oncall@example.com` or `Rewind <rewind@example.com>`.
///
/// Parsing refuses anything that could break out of an SMTP command or a header: line breaks,
/// control characters, spaces and angle brackets in the address.
struct EmailAddress: Sendable, Equatable {
    var displayName: String?
    /// The bare address used in `MAIL FROM:<…>` and `RCPT TO:<…>`.
    var address: String

    init(displayName: String? = nil, address: String) {
        self.displayName = displayName
        self.address = address
    }

    /// Throws ``ProviderError`` `.rejected` naming the (sanitized) text when it is not a mailbox.
    init(parsing text: String) throws(ProviderError) {
        let trimmed = text.trimmingASCIISpaces
        var name: String?
        var address = trimmed
        if let open = trimmed.lastIndex(of: "<") {
            guard trimmed.hasSuffix(">") else { throw Self.invalid(text) }
            address = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
            let rawName = String(trimmed[..<open]).trimmingASCIISpaces
            let unquoted =
                rawName.count >= 2 && rawName.hasPrefix("\"") && rawName.hasSuffix("\"")
                ? String(rawName.dropFirst().dropLast()) : rawName
            name = unquoted.isEmpty ? nil : HeaderText.sanitized(unquoted)
        }
        guard Self.isPlausible(address) else { throw Self.invalid(text) }
        self.init(displayName: name, address: address)
    }

    /// The header form, with the display name quoted or RFC 2047-encoded when it needs to be.
    var headerValue: String {
        guard let displayName else { return address }
        return "\(HeaderText.phrase(displayName)) <\(address)>"
    }

    /// True when the address is ASCII (otherwise the server must offer SMTPUTF8).
    var isASCII: Bool { address.utf8.allSatisfy { $0 < 0x80 } }

    private static func isPlausible(_ address: String) -> Bool {
        let forbidden: Set<Unicode.Scalar> = [" ", "<", ">", "(", ")", ",", ";", "\\", "\""]
        guard address.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F && !forbidden.contains($0) }),
            let at = address.lastIndex(of: "@")
        else { return false }
        return at != address.startIndex && address.index(after: at) != address.endIndex && address.utf8.count <= 254
    }

    private static func invalid(_ text: String) -> ProviderError {
        ProviderError(.rejected, "\"\(HeaderText.sanitized(text))\" is not an e-mail address")
    }
}

extension String {
    var trimmingASCIISpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        return String(drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
