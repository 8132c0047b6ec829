import Foundation
import RewindCore
import RewindPorts
import RewindProcess
import RewindSpecs

@testable import RewindProviders

/// Real git in a temporary folder: a bare repository playing the remote, `rewind` (the working copy
/// the provider owns) and `colleague` (someone else's clone, to move the remote under Rewind's feet).
/// Git runs with no global or system configuration, so the machine's settings do not leak in.
struct GitFixture {
    let root: URL
    var remote: String { root.appendingPathComponent("remote.git").path }
    var workingCopy: String { root.appendingPathComponent("rewind").path }
    var colleague: String { root.appendingPathComponent("colleague").path }

    /// Hermetic git for the fixture's own commands and for the provider (through `spec.environment`).
    var gitEnvironment: [String: String] {
        [
            "HOME": root.path, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": "/dev/null", "LC_ALL": "C",
            "GIT_AUTHOR_NAME": "Colleague", "GIT_AUTHOR_EMAIL": "colleague@example.com",
            "GIT_COMMITTER_NAME": "Colleague", "GIT_COMMITTER_EMAIL": "colleague@example.com",
        ]
    }

    /// An empty remote with `main`, cloned twice.
    static func make() async throws -> GitFixture {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("rewind-git-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let fixture = GitFixture(root: root)
        try await fixture.git(["init", "--quiet", "--bare", "--initial-branch=main", fixture.remote], in: root.path)
        try await fixture.git(["clone", "--quiet", fixture.remote, fixture.colleague], in: root.path)
        try await fixture.git(["checkout", "--quiet", "-b", "main"], in: fixture.colleague)
        return fixture
    }

    /// Clones the working copy once the remote has commits.
    func cloneWorkingCopy() async throws {
        try await git(["clone", "--quiet", remote, workingCopy], in: root.path)
    }

    func remove() {
        try? FileManager.default.removeItem(at: root)
    }

    /// The spec of a provider on the working copy, with hermetic git.
    func spec(
        paths: [String] = [],
        push: Bool = true,
        mainline: Int? = nil,
        timeout: Duration? = nil,
        branch: String = "main",
        remote: String = "origin",
        extra: [String: ConfigText] = [:]
    ) -> GitProviderSpec {
        GitProviderSpec(
            workingCopy: workingCopy,
            remote: remote,
            branch: branch,
            paths: paths,
            authorName: "Rewind Bot",
            authorEmail: "rewind@example.com",
            push: push,
            mainline: mainline,
            timeout: timeout,
            environment: gitEnvironment.mapValues { ConfigText($0) }.merging(extra) { $1 }
        )
    }

    func provider(_ spec: GitProviderSpec, secrets: [String] = []) -> GitProvider {
        GitProvider(spec: spec, redactor: Redactor(secrets: secrets), service: "backend")
    }

    // MARK: - Changing the repositories

    /// Writes `files` in the colleague's clone (brought up to date first: Rewind may have pushed), commits
    /// them and pushes; returns the commit id.
    @discardableResult
    func commitAndPush(_ message: String, _ files: [String: String]) async throws -> String {
        if try await status(["ls-remote", "--exit-code", "origin", "refs/heads/main"], in: colleague) == 0 {
            try await git(["pull", "--quiet", "--ff-only", "origin", "main"], in: colleague)
        }
        let id = try await commit(message, files, in: colleague)
        try await git(["push", "--quiet", "origin", "main"], in: colleague)
        return id
    }

    /// Writes `files` (path → content) in `clone` and commits them; returns the commit id.
    @discardableResult
    func commit(_ message: String, _ files: [String: String], in clone: String) async throws -> String {
        for (path, content) in files {
            let url = URL(fileURLWithPath: clone).appendingPathComponent(path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(),
                withIntermediateDirectories: true
            )
            try content.write(to: url, atomically: true, encoding: .utf8)
        }
        try await git(["add", "--all"], in: clone)
        try await git(["commit", "--quiet", "-m", message], in: clone)
        return try await git(["rev-parse", "HEAD"], in: clone)
    }

    /// Merges a side branch into main in the colleague's clone (a real merge commit) and pushes.
    @discardableResult
    func mergeAndPush(_ message: String, side files: [String: String]) async throws -> String {
        try await git(["checkout", "--quiet", "-b", "side"], in: colleague)
        try await commit("side work", files, in: colleague)
        try await git(["checkout", "--quiet", "main"], in: colleague)
        try await commit("main work meanwhile", ["main-only.txt": "x\n"], in: colleague)
        try await git(["merge", "--quiet", "--no-ff", "-m", message, "side"], in: colleague)
        try await git(["push", "--quiet", "origin", "main"], in: colleague)
        return try await git(["rev-parse", "HEAD"], in: colleague)
    }

    /// Installs an executable hook script in `clone`.
    func installHook(_ name: String, _ script: String, in clone: String) throws {
        let url = URL(fileURLWithPath: clone).appendingPathComponent(".git/hooks/\(name)")
        try ("#!/bin/sh\n" + script + "\n").write(to: url, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
    }

    func removeHook(_ name: String, in clone: String) throws {
        try FileManager.default.removeItem(atPath: clone + "/.git/hooks/\(name)")
    }

    // MARK: - Reading the remote

    /// The commit `main` points at on the remote.
    func remoteHead() async throws -> String {
        try await git(["rev-parse", "refs/heads/main"], in: remote)
    }

    /// Whether the remote's `main` holds the same files as `commit` (within `paths`).
    func remoteFilesEqual(_ commit: String, paths: [String] = []) async throws -> Bool {
        try await status(["diff", "--quiet", commit, "refs/heads/main", "--"] + paths, in: remote) == 0
    }

    /// A file's content on the remote's `main`.
    func remoteFile(_ path: String) async throws -> String {
        try await git(["show", "refs/heads/main:\(path)"], in: remote, trimming: false)
    }

    // MARK: - Running git

    /// Runs git and returns stdout (trimmed), failing the test setup on a non-zero exit.
    @discardableResult
    func git(_ arguments: [String], in directory: String, trimming: Bool = true) async throws -> String {
        let result = try await run(arguments, in: directory)
        guard result.ending == .exited(0) else {
            throw FixtureError(message: "git \(arguments.joined(separator: " ")) failed: \(result.stderr)")
        }
        return trimming ? result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) : result.stdout
    }

    func status(_ arguments: [String], in directory: String) async throws -> Int32 {
        try await run(arguments, in: directory).exitCode
    }

    private func run(_ arguments: [String], in directory: String) async throws -> CommandResult {
        let invocation = CommandInvocation(
            arguments: ["git"] + arguments,
            environment: .inherited.adding(gitEnvironment),
            workingDirectory: directory,
            timeout: .seconds(30),
            shownBytes: 1 << 20
        )
        return try await CommandRunner.run(invocation)
    }
}

struct FixtureError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// Runs `body` with a fresh fixture and removes it afterwards.
func withGitFixture<T>(_ body: (GitFixture) async throws -> T) async throws -> T {
    let fixture = try await GitFixture.make()
    defer { fixture.remove() }
    return try await body(fixture)
}

extension Deployment {
    /// A deployment of `backend` for a commit, as the engine would pass it.
    static func gitCommit(_ id: String, version: String? = nil) -> Deployment {
        Deployment(service: "backend", id: id, version: version ?? id, deployedAt: Timestamp(millisecondsSinceEpoch: 0))
    }
}

let gitContext = ActionContext(incidentID: 7, current: nil)
