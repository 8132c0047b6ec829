import RewindCore
import RewindPorts

/// One commit as `git log` printed it with ``GitCommit/logFormat``.
struct GitCommit: Sendable, Equatable {
    /// The trailer Rewind writes in its rollback commits: the full id of the commit rolled back to.
    static let rollbackTrailer = "Rewind-Rollback-To"
    /// Fields separated by US (0x1f), commits ended by RS (0x1e): neither appears in a commit message.
    static let logFormat = "--format=%H%x1f%h%x1f%ct%x1f%P%x1f%s%x1f%B%x1e"
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

    /// Parses the output of `git log` with ``logFormat``; nil when it is not that output.
    static func parseLog(_ output: String) -> [GitCommit]? {
        var commits: [GitCommit] = []
        for record in output.split(separator: "\u{1e}") {
            let trimmed = record.drop { $0.isNewline }
            if trimmed.isEmpty { continue }
            let fields = trimmed.split(separator: "\u{1f}", maxSplits: 5, omittingEmptySubsequences: false)
            guard fields.count == 6, fields[0].count >= 40, let seconds = Int64(fields[2]) else { return nil }
            commits.append(
                GitCommit(
                    id: String(fields[0]),
                    shortID: String(fields[1]),
                    committedAt: Timestamp(millisecondsSinceEpoch: seconds * 1000),
                    parents: fields[3].split(separator: " ").map(String.init),
                    subject: String(fields[4]),
                    rollbackTarget: trailer(rollbackTrailer, in: fields[5])
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
