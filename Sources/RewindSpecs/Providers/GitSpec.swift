import RewindCore

/// The `git` platform: the service's configuration lives in a git branch that something else deploys
/// (GitOps, a CI job on push, a server that pulls). A deployment is a commit of that branch; a rollback
/// reverts every commit after the target in one new commit and pushes it (the guide's
/// "git revert HEAD --no-edit; git push origin main", generalised to any known-good commit).
///
/// Everything runs as argument vectors through git itself, in a working copy Rewind owns: before a
/// rollback its branch is reset to the remote's, so a local commit left by an interrupted rollback is
/// discarded, never pushed.
public struct GitProviderSpec: Sendable, Equatable {
    public static let defaultRemote = "origin"
    public static let defaultBranch = "main"
    public static let defaultAuthorName = "Rewind"
    public static let defaultAuthorEmail = "rewind@localhost"
    /// Per git command (a fetch or a push over a slow link needs more than an API call's 10 s).
    public static let defaultTimeout: Duration = .seconds(30)

    /// Absolute path of the clone Rewind commits in.
    public var workingCopy: String
    /// The remote's name in the working copy (`git remote`), never a URL: credentials stay in git's
    /// own configuration or in `environment`.
    public var remote: String
    public var branch: String
    /// When not empty, only commits touching these paths are deployments, and a rollback reverts
    /// only those commits (passed to git after `--`, so they can never be options).
    public var paths: [String]
    public var authorName: String
    public var authorEmail: String
    /// `true`: the remote's branch is the truth (fetched before every read, pushed after a revert).
    /// `false`: the working copy's branch is the truth; nothing is fetched or pushed.
    public var push: Bool
    /// The parent to keep when reverting a merge commit (`git revert -m`). Without it a merge commit
    /// after the target makes the rollback fail with a clear error.
    public var mainline: Int?
    public var timeout: Duration?
    /// Added to the minimal environment git runs with, e.g. `GIT_SSH_COMMAND` with the deploy key to use,
    /// or `SSH_AUTH_SOCK: ${SSH_AUTH_SOCK}` for the daemon's SSH agent: nothing else of the daemon's reaches git.
    public var environment: [String: ConfigText]

    public init(
        workingCopy: String,
        remote: String = defaultRemote,
        branch: String = defaultBranch,
        paths: [String] = [],
        authorName: String = defaultAuthorName,
        authorEmail: String = defaultAuthorEmail,
        push: Bool = true,
        mainline: Int? = nil,
        timeout: Duration? = nil,
        environment: [String: ConfigText] = [:]
    ) {
        self.workingCopy = workingCopy
        self.remote = remote
        self.branch = branch
        self.paths = paths
        self.authorName = authorName
        self.authorEmail = authorEmail
        self.push = push
        self.mainline = mainline
        self.timeout = timeout
        self.environment = environment
    }

    /// Why `name` cannot be a branch name passed to git, or nil when it can. Stricter than
    /// `git check-ref-format`: a leading `-` (it would be read as an option) and anything a shell or
    /// a revision expression gives meaning to are refused.
    public static func branchNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "is empty" }
        if name.hasPrefix("-") { return "starts with '-' (git would read it as an option)" }
        if let bad = name.unicodeScalars.first(where: { !isBranchCharacter($0) }) {
            return "contains '\(bad.escaped(asASCII: true))'; use letters, digits, '.', '_', '-' and '/'"
        }
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        let badPart = parts.contains { $0.isEmpty || $0.hasPrefix(".") || $0.hasSuffix(".") || $0.hasSuffix(".lock") }
        if badPart || name.contains("..") {
            return "is not a valid branch name: no '..', no empty part, no part starting or ending with '.' or '.lock'"
        }
        return nil
    }

    /// Why `name` cannot be a remote name, or nil when it can: letters, digits, `.`, `_`, `-`, not first `-`.
    public static func remoteNameProblem(_ name: String) -> String? {
        if name.isEmpty { return "is empty" }
        if name.hasPrefix("-") { return "starts with '-' (git would read it as an option)" }
        if name.unicodeScalars.contains(where: { !isNameCharacter($0) }) {
            return "is not a remote name; use the name from `git remote` (letters, digits, '.', '_', '-'), not a URL"
        }
        return nil
    }

    private static func isNameCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", ".", "_", "-": true
        default: false
        }
    }

    private static func isBranchCharacter(_ scalar: Unicode.Scalar) -> Bool {
        isNameCharacter(scalar) || scalar == "/"
    }
}
