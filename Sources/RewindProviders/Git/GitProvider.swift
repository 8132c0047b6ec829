import Foundation
import Logging
import RewindCore
import RewindPorts
import RewindProcess
import RewindSpecs

/// The `git` platform: a service whose configuration is a git branch (GitOps, a CI job that deploys
/// on push). A deployment is a commit of the branch; rolling back reverts every commit after the target
/// in one commit and pushes it — the guide's `git revert HEAD --no-edit; git push origin main`, to any
/// known-good commit instead of only the previous one.
///
/// - `listDeployments`: `git log` of the branch (the newest ``listLimit`` commits, only those touching
///   `paths` when set), after `git fetch`. Rewind's own rollback commits are left out.
/// - `currentDeployment`: the branch's head after `git fetch`. When the head is Rewind's rollback commit
///   (trailer `Rewind-Rollback-To:`) and the files still equal the target's, the target is reported:
///   after a rollback the engine sees the deployment it rolled back to as the live one.
/// - `rollback`: idempotent — when the branch's files already equal the target's
///   (`git diff --quiet <target> <branch> -- <paths>`), nothing is done. Otherwise the working copy's
///   branch is reset to the remote's, `git revert --no-commit` undoes the commits after the target
///   (merge commits only with `mainline`), the result is checked to equal the target, committed with the
///   configured author, and pushed. A conflict aborts the revert (permanent error naming the files); a push
///   rejected because someone pushed in between is transient (fetched again, the engine retries).
/// - `status`: the rollback is finished when `rollback` returns.
///
/// With `push: false` the working copy's own branch is the truth: nothing is fetched or pushed.
/// Every command is an argument vector with a deadline (``GitRunner``) and a minimal environment plus the
/// provider's `env:`; ids from outside are checked (``GitRevision``) and paths follow `--`; `git log` is
/// read with NUL separators. Operations on one working copy run one at a time, and a rollback first
/// removes an `index.lock` a killed git left behind (``IndexLock``).
public struct GitProvider: PlatformProvider, AccessCheckable, CustomStringConvertible {
    /// How many commits `listDeployments` returns.
    public static let listLimit = 50
    /// Reverted commits named in the rollback commit's message.
    static let messageListLimit = 20

    private let spec: GitProviderSpec
    private let git: GitRunner
    private let service: ServiceName
    private let lock: WorkingCopyLock
    private let logger: Logger

    public init(
        spec: GitProviderSpec, redactor: Redactor, service: ServiceName,
        logger: Logger = Logger(label: "rewind.providers.git")
    ) {
        self.spec = spec
        self.service = service
        self.logger = logger
        git = GitRunner(spec: spec, redactor: redactor, service: service)
        lock = WorkingCopyLock.forWorkingCopy(spec.workingCopy)
    }

    public var kind: String { "git" }
    public var description: String {
        "git provider for \(service) (\(spec.remote)/\(spec.branch) in \(spec.workingCopy))"
    }

    /// Where the truth is: the remote's branch as last fetched, or the local branch without `push`.
    private var branchRef: String {
        spec.push ? "refs/remotes/\(spec.remote)/\(spec.branch)" : "refs/heads/\(spec.branch)"
    }

    private var branchName: String { spec.push ? "\(spec.remote)/\(spec.branch)" : spec.branch }

    // MARK: - PlatformProvider

    public func listDeployments(service: ServiceName) async throws -> [PlatformDeployment] {
        let purpose = "list the commits of \(branchName)"
        return try await lock.withLock {
            try await refresh(purpose)
            let commits = try await log(branchRef, limit: Self.listLimit, pathLimited: true, purpose)
            return commits.filter { $0.rollbackTarget == nil }.map(\.deployment)
        }
    }

    public func currentDeployment(service: ServiceName) async throws -> PlatformDeployment? {
        let purpose = "read the live commit of \(branchName)"
        return try await lock.withLock {
            try await refresh(purpose)
            guard let head = try await log(branchRef, limit: 1, pathLimited: true, purpose).first else { return nil }
            guard let rolledBackTo = head.rollbackTarget, GitRevision.problem(rolledBackTo) == nil,
                let target = try await commitID(of: rolledBackTo, purpose),
                try await sameFiles(target, branchRef, purpose),
                let commit = try await log(target, limit: 1, pathLimited: false, purpose).first
            else { return head.deployment }
            return commit.deployment
        }
    }

    public func rollback(
        service: ServiceName,
        to target: Deployment,
        context: ActionContext
    ) async throws
        -> RollbackOperation
    {
        let purpose = "roll back \(branchName) to \(target.version == target.id ? target.id : target.version)"
        if let problem = GitRevision.problem(target.id) {
            throw git.error(.rejected, purpose, "the deployment id '\(target.id)' \(problem)", [])
        }
        return try await lock.withLock {
            try clearStaleIndexLock(purpose)
            try await abandonInterruptedRevert(purpose)
            try await requireCleanWorkingCopy(purpose)
            try await refresh(purpose)
            guard let targetID = try await commitID(of: target.id, purpose) else {
                let reason = "commit \(target.id) is not in the working copy after fetching \(branchName)"
                throw git.error(.notFound, purpose, reason, ["rev-parse"])
            }
            if try await sameFiles(targetID, branchRef, purpose) {
                return RollbackOperation(finished: true)
            }
            guard try await isAncestor(targetID, of: branchRef, purpose) else {
                let reason =
                    "commit \(targetID.prefix(12)) is not in the history of \(branchName); "
                    + "Rewind only rolls back to an earlier commit of the branch"
                throw git.error(.rejected, purpose, reason, ["merge-base"])
            }
            guard let start = try await commitID(of: branchRef, purpose) else {
                throw git.error(.commandFailed, purpose, "\(branchName) does not exist", ["rev-parse"])
            }
            try await checkOutBranch(at: start, purpose)
            let commits = try await commitsToRevert(after: targetID, upTo: start, purpose)
            try await revert(commits, back: targetID, from: start, purpose)
            let message = commitMessage(target: target, targetID: targetID, reverted: commits, context: context)
            let committed = try await undoingOnFailure(start, purpose) {
                try await git.succeed(["commit", "--quiet", "-m", message], purpose: purpose)
            }
            guard let rollbackCommit = try await commitID(of: "HEAD", purpose) else {
                throw git.error(.commandFailed, purpose, "HEAD does not name a commit after committing", ["commit"])
            }
            guard spec.push else {
                return RollbackOperation(id: rollbackCommit, finished: true, output: committed.captured)
            }
            let pushed = try await push(from: start, purpose)
            return RollbackOperation(id: rollbackCommit, finished: true, output: pushed.captured)
        }
    }

    /// A git rollback is finished once `rollback` returned (the push was accepted).
    public func status(
        of operation: RollbackOperation,
        service: ServiceName,
        target: Deployment
    ) async throws
        -> OperationStatus
    {
        .succeeded
    }

    // MARK: - AccessCheckable

    /// `git rev-parse` (a working copy), `git ls-remote` (the credentials reach the remote's branch) and
    /// `git status --porcelain` (nothing uncommitted in the way of a revert). Read-only.
    public func checkAccess(service: ServiceName) async -> [AccessCheck] {
        do {
            return try await lock.withLock { await accessChecks() }
        } catch {
            return [AccessCheck(name: "working copy", passed: false, detail: "the check was cancelled")]
        }
    }

    private func accessChecks() async -> [AccessCheck] {
        let workingCopy = await check("working copy \(spec.workingCopy)", purpose: "check the working copy") {
            let purpose = "check the working copy"
            let output = try await git.succeed(["rev-parse", "--is-inside-work-tree"], purpose: purpose)
            guard output.stdout.hasPrefix("true") else {
                return (false, "\(spec.workingCopy) is inside a git folder, not a working copy; clone the repository")
            }
            return (true, "a git working copy")
        }
        guard workingCopy.passed else { return [workingCopy] }
        var checks = [workingCopy]
        if spec.push {
            let purpose = "read \(branchName)"
            checks.append(
                await check("read \(branchName)", purpose: purpose) {
                    let arguments = ["ls-remote", "--exit-code", spec.remote, "refs/heads/\(spec.branch)"]
                    let output = try await git.run(arguments, purpose: purpose)
                    switch output.exitCode {
                    case 0:
                        let head = output.stdout.prefix(12)
                        return (true, "\(spec.remote) answered: \(spec.branch) is at \(head)")
                    case 2:
                        return (false, "\(spec.remote) has no branch \(spec.branch); check branch: in the git provider")
                    default:
                        throw git.failure(output, purpose: purpose, arguments)
                    }
                }
            )
        } else {
            let purpose = "read \(spec.branch)"
            checks.append(
                await check("branch \(spec.branch)", purpose: purpose) {
                    let exists = try await commitID(of: "refs/heads/\(spec.branch)", purpose) != nil
                    let missing = "the working copy has no branch \(spec.branch); check branch: in the git provider"
                    return exists ? (true, "\(spec.branch) exists") : (false, missing)
                }
            )
        }
        checks.append(
            await check("clean working copy", purpose: "read the working copy's status") {
                let changed = try await uncommittedFiles("read the working copy's status")
                guard changed.isEmpty else {
                    return (false, "uncommitted changes in \(Self.list(changed)): commit or discard them")
                }
                return (true, "nothing uncommitted")
            }
        )
        return checks
    }

    private func check(
        _ name: String,
        purpose: String,
        _ body: () async throws -> (passed: Bool, detail: String)
    ) async -> AccessCheck {
        do {
            let result = try await body()
            return AccessCheck(name: name, passed: result.passed, detail: git.clean(result.detail))
        } catch let error as ProviderError {
            return AccessCheck(name: name, failed: error)
        } catch {
            return AccessCheck(name: name, passed: false, detail: git.clean("\(error)"))
        }
    }

    // MARK: - Reading

    /// Fetches the branch (with `push`), or makes sure the local branch exists (without).
    private func refresh(_ purpose: String) async throws {
        if let problem = GitProviderSpec.remoteNameProblem(spec.remote) {
            throw git.error(.rejected, purpose, "the remote '\(spec.remote)' \(problem)", [])
        }
        if let problem = GitProviderSpec.branchNameProblem(spec.branch) {
            throw git.error(.rejected, purpose, "the branch '\(spec.branch)' \(problem)", [])
        }
        if spec.push {
            let refspec = "+refs/heads/\(spec.branch):\(branchRef)"
            try await git.succeed(["fetch", "--quiet", "--no-tags", spec.remote, refspec], purpose: purpose)
        } else if try await commitID(of: branchRef, purpose) == nil {
            let reason = "the working copy has no branch \(spec.branch); check branch: in the git provider"
            throw git.error(.commandFailed, purpose, reason, ["rev-parse"])
        }
    }

    private func log(
        _ revision: String,
        limit: Int,
        pathLimited: Bool,
        _ purpose: String
    ) async throws
        -> [GitCommit]
    {
        let paths = pathLimited ? spec.paths : []
        let arguments = ["log"] + GitCommit.logArguments + ["--max-count=\(limit)", revision, "--"] + paths
        let output = try await git.succeed(arguments, purpose: purpose)
        guard let commits = GitCommit.parseLog(output.stdout) else {
            throw git.error(.badResponse, purpose, "git log printed something Rewind cannot read", arguments, output)
        }
        return commits
    }

    /// The full commit id `revision` names, or nil when it names none.
    private func commitID(of revision: String, _ purpose: String) async throws -> String? {
        let arguments = ["rev-parse", "--verify", "--quiet", "--end-of-options", "\(revision)^{commit}"]
        let output = try await git.run(arguments, purpose: purpose)
        guard output.exitCode == 0 else { return nil }
        return OutputText.firstLine(of: output.stdout, limit: 64)
    }

    /// Whether the two commits hold the same files (within `paths`).
    private func sameFiles(_ first: String, _ second: String, _ purpose: String) async throws -> Bool {
        let arguments = ["diff", "--quiet", first, second, "--"] + spec.paths
        let output = try await git.run(arguments, purpose: purpose)
        switch output.exitCode {
        case 0: return true
        case 1: return false
        default: throw git.failure(output, purpose: purpose, arguments)
        }
    }

    private func isAncestor(_ ancestor: String, of descendant: String, _ purpose: String) async throws -> Bool {
        let arguments = ["merge-base", "--is-ancestor", ancestor, descendant]
        let output = try await git.run(arguments, purpose: purpose)
        switch output.exitCode {
        case 0: return true
        case 1: return false
        default: throw git.failure(output, purpose: purpose, arguments)
        }
    }

    /// Tracked files with changes that are not committed (untracked files do not get in a revert's way).
    private func uncommittedFiles(_ purpose: String) async throws -> [String] {
        let output = try await git.succeed(
            ["status", "--porcelain", "--untracked-files=no", "-z"],
            purpose: purpose
        )
        return output.stdout.split(separator: "\0").filter { $0.count > 3 }.map { String($0.dropFirst(3)) }
    }

    // MARK: - Rolling back

    /// An `index.lock` left by a git that was killed is removed; one a running git may hold is left alone
    /// (``IndexLock``).
    private func clearStaleIndexLock(_ purpose: String) throws {
        switch IndexLock.inspect(workingCopy: spec.workingCopy) {
        case .absent:
            return
        case .stale(let path):
            do {
                try FileManager.default.removeItem(atPath: path)
            } catch {
                throw git.error(
                    .commandFailed, purpose, "cannot remove the stale \(path): \(error.localizedDescription)", [])
            }
            logger.warning(
                "removed a stale git index.lock: no git process works in the working copy (a killed git left it)",
                metadata: ["rewind.service": "\(service)", "rewind.path": "\(path)"])
        case .inUse(let path, let pid):
            throw git.error(
                .server, purpose,
                "\(path) exists and a git process (pid \(pid)) works in the working copy; Rewind leaves the lock "
                    + "alone and tries again", [])
        case .undecidable(let path):
            throw git.error(
                .rejected, purpose,
                "\(path) exists and Rewind cannot tell whether a git process holds it; once no git runs in the "
                    + "working copy, remove it by hand", [])
        }
    }

    /// A revert left behind by an interrupted rollback (REVERT_HEAD) is aborted: the working copy is Rewind's.
    private func abandonInterruptedRevert(_ purpose: String) async throws {
        guard try await commitID(of: "REVERT_HEAD", purpose) != nil else { return }
        try await git.succeed(["revert", "--abort"], purpose: purpose)
    }

    private func requireCleanWorkingCopy(_ purpose: String) async throws {
        let changed = try await uncommittedFiles(purpose)
        guard !changed.isEmpty else { return }
        let reason =
            "the working copy has uncommitted changes in \(Self.list(changed)); commit or discard them "
            + "(Rewind reverts only in a clean working copy)"
        throw git.error(.rejected, purpose, reason, ["status"])
    }

    /// Puts the working copy on the branch at `start`; with `push`, the local branch is reset to the
    /// remote's, discarding what an interrupted rollback may have committed without pushing.
    private func checkOutBranch(at start: String, _ purpose: String) async throws {
        let arguments =
            spec.push
            ? ["checkout", "--quiet", "-B", spec.branch, start, "--"]
            : ["checkout", "--quiet", spec.branch, "--"]
        try await git.succeed(arguments, purpose: purpose)
    }

    /// The commits after `target`, newest first (the order `git revert` needs). Merge commits need
    /// `mainline`; with it, only the first-parent chain is reverted (each merge as a whole).
    private func commitsToRevert(
        after target: String,
        upTo start: String,
        _ purpose: String
    ) async throws
        -> [GitCommit]
    {
        var arguments = ["log"] + GitCommit.logArguments
        if spec.mainline != nil { arguments.append("--first-parent") }
        arguments += ["\(target)..\(start)", "--"] + spec.paths
        let output = try await git.succeed(arguments, purpose: purpose)
        guard let commits = GitCommit.parseLog(output.stdout) else {
            throw git.error(.badResponse, purpose, "git log printed something Rewind cannot read", arguments, output)
        }
        if spec.mainline == nil, let merge = commits.first(where: \.isMerge) {
            let reason =
                "commit \(merge.version) is a merge commit: git cannot revert it without knowing which "
                + "parent to keep; set mainline: 1 in the git provider of \(service), or roll back by hand"
            throw git.error(.unsupported, purpose, reason, ["revert"])
        }
        guard !commits.isEmpty else {
            let reason = "no commit after \(target.prefix(12)) touches the files, yet they differ; roll back by hand"
            throw git.error(.rejected, purpose, reason, ["log"])
        }
        return commits
    }

    /// `git revert --no-commit` of `commits`; afterwards the staged files must equal `target`'s. On a
    /// conflict or a mismatch the revert is aborted and the branch is back at `start`.
    private func revert(
        _ commits: [GitCommit],
        back target: String,
        from start: String,
        _ purpose: String
    )
        async throws
    {
        var arguments = ["revert", "--no-commit"]
        if let mainline = spec.mainline { arguments += ["--mainline", String(mainline)] }
        arguments += commits.map(\.id)
        let output = try await undoingOnFailure(start, purpose) { try await git.run(arguments, purpose: purpose) }
        if output.exitCode != 0 {
            let conflicts = (try? await conflictedFiles(purpose)) ?? []
            await undo(to: start, purpose)
            guard conflicts.isEmpty else {
                let reason =
                    "reverting the commits after \(target.prefix(12)) conflicts in \(Self.list(conflicts)); "
                    + "the revert was aborted: roll back by hand, or pick an older target"
                throw git.error(.rejected, purpose, reason, arguments, output)
            }
            throw git.failure(output, purpose: purpose, arguments)
        }
        let staged = ["diff", "--cached", "--quiet", target, "--"] + spec.paths
        let check = try await undoingOnFailure(start, purpose) { try await git.run(staged, purpose: purpose) }
        guard check.exitCode == 0 else {
            await undo(to: start, purpose)
            let reason =
                "reverting the commits after \(target.prefix(12)) does not give back its files "
                + "(a merge or a commit outside paths changed them); the revert was aborted: roll back by hand"
            throw git.error(.rejected, purpose, reason, staged, check)
        }
    }

    private func conflictedFiles(_ purpose: String) async throws -> [String] {
        let output = try await git.run(["diff", "--name-only", "--diff-filter=U", "-z"], purpose: purpose)
        return output.stdout.split(separator: "\0").map(String.init)
    }

    /// Pushes HEAD to the branch. A rejected push puts the local branch back at `start`; when the remote
    /// moved, the branch is fetched again and the error is transient, so the engine retries on the new head.
    private func push(from start: String, _ purpose: String) async throws -> GitOutput {
        let arguments = ["push", "--porcelain", spec.remote, "HEAD:refs/heads/\(spec.branch)"]
        let output = try await undoingOnFailure(start, purpose) { try await git.run(arguments, purpose: purpose) }
        guard output.exitCode != 0 else { return output }
        await undo(to: start, purpose)
        guard GitFailure.classify(output.text) == .pushRejectedBehind else {
            throw git.failure(output, purpose: purpose, arguments)
        }
        try? await refresh(purpose)
        let reason =
            "someone pushed to \(branchName) in between, so the push was rejected; "
            + "fetched again: a retry reverts on the new head"
        throw git.error(.server, purpose, reason, arguments, output)
    }

    /// Runs `body`; when it throws, the working copy is put back at `start` first.
    private func undoingOnFailure<T: Sendable>(
        _ start: String,
        _ purpose: String,
        _ body: () async throws -> T
    ) async throws -> T {
        do {
            return try await body()
        } catch {
            await undo(to: start, purpose)
            throw error
        }
    }

    /// Best effort: abort a revert in progress and reset the branch to `start`.
    private func undo(to start: String, _ purpose: String) async {
        if (try? await commitID(of: "REVERT_HEAD", purpose)) != nil {
            _ = try? await git.run(["revert", "--abort"], purpose: purpose)
        }
        _ = try? await git.run(["reset", "--quiet", "--hard", start], purpose: purpose)
    }

    private func commitMessage(
        target: Deployment,
        targetID: String,
        reverted: [GitCommit],
        context: ActionContext
    )
        -> String
    {
        let short = String(targetID.prefix(12))
        let named = target.version == target.id ? short : target.version
        let listed = reverted.prefix(Self.messageListLimit).map { "- \($0.version)" }
        let unlisted = reverted.count - listed.count
        let more = unlisted > 0 ? ["- … and \(unlisted) more"] : []
        let count = reverted.count == 1 ? "1 commit" : "\(reverted.count) commits"
        return
            ([
                "Roll back \(service) to \(short)",
                "",
                "Rewind rolled \(service) back to \(named) (incident \(context.incidentID)),",
                "reverting the \(count) after it:",
            ] + listed + more + [
                "",
                "\(GitCommit.rollbackTrailer): \(targetID)",
                "Rewind-Incident: \(context.incidentID)",
            ]).joined(separator: "\n")
    }

    /// At most five names, then a count.
    static func list(_ files: [String]) -> String {
        let shown = files.prefix(5).joined(separator: ", ")
        return files.count > 5 ? "\(shown) and \(files.count - 5) more" : shown
    }
}
