/// Header values that Rewind builds from configuration and from values it fills in (a deployment
/// version, a token read from a file): no line break may reach the wire, or a value could end its
/// header and start another.
///
/// Filtered by Unicode scalar, not by Character: `"\r\n"` is one Character (a grapheme cluster) that
/// equals neither `"\r"` nor `"\n"`, so a Character filter lets CRLF through.
public enum HTTPHeaderValue {
    /// `value` without CR, LF, NUL, NEL and the Unicode line and paragraph separators.
    public static func withoutLineBreaks(_ value: String) -> String {
        guard value.unicodeScalars.contains(where: isBreak) else { return value }
        var kept = String.UnicodeScalarView()
        kept.append(contentsOf: value.unicodeScalars.filter { !isBreak($0) })
        return String(kept)
    }

    private static func isBreak(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0A, 0x0D, 0x00, 0x85, 0x2028, 0x2029: true
        default: false
        }
    }
}
