import RewindCore
import RewindSpecs

/// `provider: {type: git, …}`: roll back by reverting commits of a configuration branch.
///
/// ```yaml
/// provider:
///   type: git
///   working_copy: /srv/rewind/config        # a clone Rewind owns (relative paths start at this file)
///   remote: origin                          # default origin
///   branch: main                            # default main
///   paths: [services/backend]               # optional: only commits touching these
///   author: { name: Rewind, email: rewind@example.com }
///   push: true                              # default true
///   mainline: 1                             # optional: allows reverting merge commits
///   timeout: 30s                            # per git command
///   env: { GIT_SSH_COMMAND: "ssh -i ${file:/etc/rewind/deploy_key_path} -o BatchMode=yes" }
/// ```
extension ConfigReader {
    static let gitKeys = [
        "type", "working_copy", "remote", "branch", "paths", "author", "push", "mainline", "timeout", "env",
    ]
    static let gitAuthorKeys = ["name", "email"]

    /// Every problem of the provider is reported; the spec comes back only when there was none.
    mutating func gitProvider(_ at: Located) -> GitProviderSpec? {
        guard let fields = mapping(at, allowed: Self.gitKeys) else { return nil }
        let problemsBefore = problems.count
        let workingCopy = require(
            fields,
            "working_copy",
            hint: "the clone Rewind commits in, e.g. working_copy: /srv/rewind/config-repo"
        ).flatMap { filePath($0) }
        var spec = GitProviderSpec(workingCopy: workingCopy ?? "")
        if let at = fields["remote"], let remote = checkedName(at, what: "remote", GitProviderSpec.remoteNameProblem) {
            spec.remote = remote
        }
        if let at = fields["branch"], let branch = checkedName(at, what: "branch", GitProviderSpec.branchNameProblem) {
            spec.branch = branch
        }
        if let at = fields["paths"] { spec.paths = gitPaths(at) }
        if let at = fields["author"] { gitAuthor(at, into: &spec) }
        if let at = fields["push"], let push = bool(at) { spec.push = push }
        if let at = fields["mainline"], let mainline = count(at, CountBounds.mainline) { spec.mainline = mainline }
        if let at = fields["timeout"] { spec.timeout = duration(at, .timeout) }
        if let at = fields["env"] { spec.environment = commandEnvironment(at) }
        return problems.count == problemsBefore ? spec : nil
    }

    /// A name checked by `problem` (a git remote or branch, a Helm release), so that the program it is passed to
    /// can never read it as an option.
    mutating func checkedName(_ at: Located, what: String, _ problem: (String) -> String?) -> String? {
        guard let name = word(at, expected: "a \(what) name") else { return nil }
        if let why = problem(name) {
            report(at, "the \(what) '\(name)' \(why)")
            return nil
        }
        return name
    }

    /// Paths inside the working copy, relative to its top folder.
    private mutating func gitPaths(_ at: Located) -> [String] {
        guard let elements = list(at) else { return [] }
        var paths: [String] = []
        for element in elements {
            guard let path = name(element) else { continue }
            if path.hasPrefix("/") || path.hasPrefix("~") {
                report(element, "'\(path)' is not inside the working copy; write it relative, e.g. config/backend")
                continue
            }
            paths.append(path)
        }
        if elements.isEmpty { report(at, "list at least one path, or leave paths out to follow the whole branch") }
        return paths
    }

    private mutating func gitAuthor(_ at: Located, into spec: inout GitProviderSpec) {
        guard let fields = mapping(at, allowed: Self.gitAuthorKeys) else { return }
        if let at = fields["name"], let name = name(at) {
            if name.contains(where: { $0 == "<" || $0 == ">" || $0.isNewline }) {
                report(at, "an author name cannot contain '<', '>' or a line break")
            } else {
                spec.authorName = name
            }
        }
        if let at = fields["email"], let email = word(at, expected: "an e-mail address") {
            let parts = email.split(separator: "@", omittingEmptySubsequences: false)
            let malformed = email.contains(where: { $0 == "<" || $0 == ">" || $0.isWhitespace })
            if parts.count != 2 || parts.contains(where: \.isEmpty) || malformed {
                report(at, "'\(email)' is not an e-mail address; write it like rewind@example.com")
            } else {
                spec.authorEmail = email
            }
        }
    }

    /// Environment variables for a command (`env:`), refusing a credential written inline: a variable whose
    /// name says it holds a token, password or secret, or a URL with a password in it, must take its value
    /// from `${…}`.
    mutating func commandEnvironment(_ at: Located) -> [String: ConfigText] {
        guard let entries = rawMapping(at) else { return [:] }
        var variables: [String: ConfigText] = [:]
        for (name, value) in entries {
            guard Interpolation.isVariableName(name) else {
                report(value, "'\(name)' is not a valid environment variable name: use letters, digits and _")
                continue
            }
            guard let text = text(value, secret: "value of \(name)") else { continue }
            if !text.isSecret, Secrecy.namesCredential(name) || Secrecy.hasURLPassword(text.value) {
                report(
                    value,
                    "\(name) holds a credential: put it in an environment variable or a file, e.g. \(name): ${\(name)}"
                )
                continue
            }
            variables[name] = text
        }
        return variables
    }
}
