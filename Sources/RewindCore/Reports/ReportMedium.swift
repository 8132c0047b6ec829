/// Where a report is read, and so how its recorded text is written into it.
///
/// Recorded text (messages, reasons, errors, check results) is written as it is: an arrow stays
/// `->` and `<refused>` stays `<refused>`. Only what would change the report's structure is
/// escaped — a `|` inside a table, a line break inside a cell or an entry — and, in a Markdown file
/// that a viewer renders, a `<` (written `\<`, which Markdown shows as `<`) so that no text is taken
/// for HTML. HTML escaping belongs to the HTML report alone (``HTML/escape(_:)``).
public enum ReportMedium: Sendable, Equatable {
    /// `rewind incidents show` on a terminal: text as it is.
    case terminal
    /// A `.md` file for a Markdown viewer.
    case markdownFile

    /// `text` on one line, safe inside a table cell or a list entry.
    public func escape(_ text: String) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "|": output += "\\|"
            case "\n", "\r\n", "\r": output += " "
            case "<" where self == .markdownFile: output += "\\<"
            default: output.append(character)
            }
        }
        return output
    }
}
