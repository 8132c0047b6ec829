extension String {
    /// At most `limit` characters; a cut text ends with `…` (counted in the limit).
    func clipped(to limit: Int) -> String {
        guard count > limit else { return self }
        guard limit > 1 else { return String(prefix(limit)) }
        return String(prefix(limit - 1)) + "…"
    }

    /// On one line, at most `limit` characters: for a vendor's error text quoted in a message.
    func quotedForMessage(limit: Int = 300) -> String {
        String(map { $0.isNewline ? " " : $0 }).trimmingEdgeWhitespace.clipped(to: limit)
    }

    /// Without every trailing `suffix` (`https://x/api//` → `https://x/api`).
    func droppingTrailing(_ suffix: String) -> String {
        var text = self
        while !suffix.isEmpty, text.hasSuffix(suffix) { text.removeLast(suffix.count) }
        return text
    }
}

extension StringProtocol {
    var trimmingEdgeWhitespace: String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
