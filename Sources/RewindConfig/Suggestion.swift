/// "Did you mean …?" for keys, services, enum values and placeholders.
enum Suggestion {
    /// The candidate closest to `typed`: within edit distance 2, or one a prefix of the other
    /// (at least 3 characters). Nil when nothing is close enough to be a likely typo.
    static func closest(to typed: String, among candidates: [String]) -> String? {
        let typedLower = typed.lowercased()
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let candidateLower = candidate.lowercased()
            var distance = editDistance(typedLower, candidateLower)
            let shorter = min(typedLower.count, candidateLower.count)
            if distance > 2, shorter >= 3, typedLower.hasPrefix(candidateLower) || candidateLower.hasPrefix(typedLower)
            {
                distance = 2
            }
            guard distance <= 2, distance < (best?.distance ?? .max) else { continue }
            best = (candidate, distance)
        }
        return best?.candidate
    }

    /// Levenshtein distance between two strings, by characters.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = previous
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }

    /// `'a', 'b' or 'c'` for messages.
    static func list(_ items: [String], quote: Bool = true) -> String {
        let shown = quote ? items.map { "'\($0)'" } : items
        guard shown.count > 1 else { return shown.first ?? "" }
        return shown.dropLast().joined(separator: ", ") + " or " + shown[shown.count - 1]
    }
}
