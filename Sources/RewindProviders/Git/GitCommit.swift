import RewindCore
import RewindPorts

/// One commit as `git log` printed it with ``GitCommit/logFormat``.
struct GitCommit: Sendable, Equatable {
    /// The trailer Rewind writes in its rollback commits: the full id of the commit rolled back to.
    static let rollbackTrailer = "Rewind-Rollback-To"
    /// The fields of a commit, each ended by NUL (`-z` ends each commit's last field with NUL too). NUL is
    /// the one byte a commit message cannot hold; 0x1E and 0x1F can, since anyone who pushes writes them.
    static let logArguments = ["-z", "--format=%H%x00%h%x00%ct%x00%P%x00%s%x00%B"]
    static let fieldsPerCommit = 6
    static let subjectLimit = 72

    var id: String
    var shortID: String
    var committedAt: Timestamp
    var parents: [String]
    var subject: String
    /// The commit Rewind rolled back to, when this is one of Rewind's rollback commits.
    var rollbackTarget: String?

    var isMerge: Bool { parents.count > 1 }

    /// `abc1234 Raise the pool size`, what people recognise a commit by.
    var version: String {
        guard !subject.isEmpty else { return shortID }
        let shown = subject.count > Self.subjectLimit ? subject.prefix(Self.subjectLimit) + "…" : subject
        return "\(shortID) \(shown)"
    }

    var deployment: PlatformDeployment {
        PlatformDeployment(id: id, version: version, createdAt: committedAt)
    }

    /// Parses the output of `git log` with ``logArguments``; nil when it is not that output (a record cut
    /// short, an id that is not hex, a date that is not a number).
    static func parseLog(_ output: String) -> [GitCommit]? {
        var fields = output.split(separator: "\0", omittingEmptySubsequences: false)
        // Every field ends with NUL: what follows the last one is empty (or a newline).
        if let last = fields.last, last.allSatisfy(\.isNewline) { fields.removeLast() }
        guard fields.count % fieldsPerCommit == 0 else { return nil }
        var commits: [GitCommit] = []
        for start in stride(from: 0, to: fields.count, by: fieldsPerCommit) {
            let record = fields[start..<start + fieldsPerCommit].map { $0 }
            let id = record[0].drop { $0.isNewline }
            guard id.count >= 40, id.allSatisfy(\.isHexDigit), record[1].allSatisfy(\.isHexDigit),
                let seconds = Saturating.integer(record[2])
            else { return nil }
            commits.append(
                GitCommit(
                    id: String(id),
                    shortID: String(record[1]),
                    committedAt: Timestamp(secondsSinceEpoch: seconds),
                    parents: record[3].split(separator: " ").map(String.init),
                    subject: String(record[4]),
                    rollbackTarget: trailer(rollbackTrailer, in: record[5])
                )
            )
        }
        return commits
    }

    /// The value of the last `Key: value` line named `key` in a commit message.
    static func trailer(_ key: String, in message: Substring) -> String? {
        let prefix = key + ":"
        return message.split(whereSeparator: \.isNewline).reversed()
            .first { $0.hasPrefix(prefix) }
            .map { String($0.dropFirst(prefix.count).drop { $0 == " " }) }
            .flatMap { $0.isEmpty ? nil : $0 }
    }
}

/// Deployment ids come from outside (the store, an operator's `rewind rollback --to`): only plain
/// commit ids, tags and branch names reach git, never something it would read as an option or a
/// revision expression.
enum GitRevision {
    static func problem(_ id: String) -> String? {
        if id.isEmpty { return "is empty" }
        if id.hasPrefix("-") { return "starts with '-' (git would read it as an option)" }
        if id.count > 200 { return "is longer than 200 characters" }
        let allowed = id.unicodeScalars.allSatisfy { scalar in
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", ".", "_", "-", "/": true
            default: false
            }
        }
        if !allowed || id.contains("..") {
            return "is not a commit id, tag or branch name (letters, digits, '.', '_', '-', '/')"
        }
        return nil
    }
}
