import Foundation
import RewindCore
import RewindPorts
import RewindSpecs
import RewindTestSupport
import Subprocess
import SystemPackage
import Testing

@testable import RewindProviders

@Suite("Git provider against real repositories", .serialized)
struct GitProviderTests {
    // MARK: - Reading

    @Test("listDeployments is the branch's log after a fetch: full id, short id + subject, commit time")
    func listsCommits() async throws {
        try await withGitFixture { fixture in
            let first = try await fixture.commitAndPush(
                "Start with a pool of 10",
                ["config/backend.yaml": "pool: 10\n"]
            )
            try await fixture.cloneWorkingCopy()
            let second = try await fixture.commitAndPush("Raise the pool to 20", ["config/backend.yaml": "pool: 20\n"])
            let provider = fixture.provider(fixture.spec())

            let listed = try await provider.listDeployments(service: "backend")
            #expect(listed.map(\.id) == [second, first])
            #expect(listed.first?.version == "\(second.prefix(7)) Raise the pool to 20")
            let createdAt = try #require(listed.first?.createdAt)
            #expect(abs(createdAt.millisecondsSinceEpoch - Int64(Date().timeIntervalSince1970 * 1000)) < 120_000)
            // Pushed after the clone: seen because the provider fetched.
            #expect(try await provider.currentDeployment(service: "backend")?.id == second)
        }
    }

    @Test("with paths, only commits touching them are deployments")
    func pathsLimitTheListing() async throws {
        try await withGitFixture { fixture in
            let backend = try await fixture.commitAndPush("backend v1", ["services/backend/app.yaml": "v: 1\n"])
            try await fixture.commitAndPush("frontend v1", ["services/frontend/app.yaml": "v: 1\n"])
            try await fixture.cloneWorkingCopy()
            let provider = fixture.provider(fixture.spec(paths: ["services/backend"]))
            #expect(try await provider.listDeployments(service: "backend").map(\.id) == [backend])
            #expect(try await provider.currentDeployment(service: "backend")?.id == backend)
        }
    }

    // MARK: - Rolling back

    @Test("rollback reverts every commit after the target in one commit, pushes it, and the target reads as live")
    func rollbackRevertsAndPushes() async throws {
        try await withGitFixture { fixture in
            let good = try await fixture.commitAndPush("Pool of 10", ["backend.yaml": "pool: 10\n"])
            try await fixture.commitAndPush("Pool of 20", ["backend.yaml": "pool: 20\n", "feature.yaml": "on\n"])
            let bad = try await fixture.commitAndPush("Pool of 500", ["backend.yaml": "pool: 500\n"])
            try await fixture.cloneWorkingCopy()
            let provider = fixture.provider(fixture.spec())

            let operation = try await provider.rollback(
                service: "backend",
                to: .gitCommit(good, version: "good config"),
                context: gitContext
            )
            #expect(operation.finished)
            let head = try await fixture.remoteHead()
            #expect(operation.id == head)
            #expect(try await fixture.remoteFilesEqual(good))
            #expect(try await fixture.remoteFile("backend.yaml") == "pool: 10\n")
            // History is kept: the bad commit is still there, under the revert.
            #expect(try await fixture.git(["rev-parse", "refs/heads/main~1"], in: fixture.remote) == bad)
            let author = try await fixture.git(
                ["log", "-1", "--format=%an <%ae>", "refs/heads/main"],
                in: fixture.remote
            )
            #expect(author == "Rewind Bot <rewind@example.com>")
            let message = try await fixture.git(["log", "-1", "--format=%B", "refs/heads/main"], in: fixture.remote)
            #expect(message.hasPrefix("Roll back backend to \(good.prefix(12))"))
            #expect(message.contains("Pool of 500"))
            #expect(message.contains("Rewind-Rollback-To: \(good)"))
            #expect(message.contains("Rewind-Incident: 7"))
            #expect(
                try await provider.status(of: operation, service: "backend", target: .gitCommit(good)) == .succeeded
            )

            // The engine now sees the target as the live deployment; Rewind's own commit is not listed.
            #expect(try await provider.currentDeployment(service: "backend")?.id == good)
            #expect(try await provider.listDeployments(service: "backend").first?.id == bad)
        }
    }

    @Test("a rollback to a target whose files are already live changes nothing")
    func idempotent() async throws {
        try await withGitFixture { fixture in
            let good = try await fixture.commitAndPush("v1", ["app.yaml": "v: 1\n"])
            try await fixture.commitAndPush("v2", ["app.yaml": "v: 2\n"])
            try await fixture.cloneWorkingCopy()
            let provider = fixture.provider(fixture.spec())

            _ = try await provider.rollback(service: "backend", to: .gitCommit(good), context: gitContext)
            let afterFirst = try await fixture.remoteHead()
            let again = try await provider.rollback(service: "backend", to: .gitCommit(good), context: gitContext)
            #expect(again == RollbackOperation(finished: true))
            #expect(try await fixture.remoteHead() == afterFirst)

            // Same when someone else already reverted by hand: the files match, nothing is pushed.
            let third = try await fixture.commitAndPush("v3", ["app.yaml": "v: 3\n"])
            try await fixture.commitAndPush("back to v3 files by hand", ["app.yaml": "v: 3\n", "x": "1"])
            try await fixture.git(["rm", "--quiet", "x"], in: fixture.colleague)
            try await fixture.git(["commit", "--quiet", "-m", "drop x"], in: fixture.colleague)
            try await fixture.git(["push", "--quiet", "origin", "main"], in: fixture.colleague)
            let before = try await fixture.remoteHead()
            let same = try await provider.rollback(service: "backend", to: .gitCommit(third), context: gitContext)
            #expect(same.finished && same.id == nil)
            #expect(try await fixture.remoteHead() == before)
        }
    }

    @Test("with paths, only the commits touching them are reverted")
    func pathsLimitTheRevert() async throws {
        try await withGitFixture { fixture in
            let good = try await fixture.commitAndPush(
                "both v1",
                ["services/backend/app.yaml": "v: 1\n", "services/frontend/app.yaml": "v: 1\n"]
            )
            try await fixture.commitAndPush("backend v2", ["services/backend/app.yaml": "v: 2\n"])
            try await fixture.commitAndPush("frontend v2", ["services/frontend/app.yaml": "v: 2\n"])
            try await fixture.cloneWorkingCopy()
            let provider = fixture.provider(fixture.spec(paths: ["services/backend"]))

            _ = try await provider.rollback(service: "backend", to: .gitCommit(good), context: gitContext)
            #expect(try await fixture.remoteFile("services/backend/app.yaml") == "v: 1\n")
            #expect(try await fixture.remoteFile("services/frontend/app.yaml") == "v: 2\n")
            #expect(try await fixture.remoteFilesEqual(good, paths: ["services/backend"]))
            #expect(try await provider.currentDeployment(service: "backend")?.id == good)
        }
    }

    @Test("two services on one working copy roll back one after the other, both pushed")
    func sharedWorkingCopy() async throws {
        try await withGitFixture { fixture in
            let good = try await fixture.commitAndPush(
                "both v1",
                ["services/backend/app.yaml": "v: 1\n", "services/frontend/app.yaml": "v: 1\n"]
            )
            try await fixture.commitAndPush("backend v2", ["services/backend/app.yaml": "v: 2\n"])
            try await fixture.commitAndPush("frontend v2", ["services/frontend/app.yaml": "v: 2\n"])
            try await fixture.cloneWorkingCopy()
            let backend = fixture.provider(fixture.spec(paths: ["services/backend"]))
            let frontend = GitProvider(
                spec: fixture.spec(paths: ["services/frontend"]),
                redactor: Redactor(),
                service: "frontend"
            )

            async let backendDone = backend.rollback(service: "backend", to: .gitCommit(good), context: gitContext)
            async let frontendDone = frontend.rollback(service: "frontend", to: .gitCommit(good), context: gitContext)
            let operations = try await [backendDone, frontendDone]
            #expect(operations.allSatisfy { $0.finished && $0.id != nil })
            #expect(try await fixture.remoteFilesEqual(good))
            #expect(try await backend.currentDeployment(service: "backend")?.id == good)
            #expect(try await frontend.currentDeployment(service: "frontend")?.id == good)
        }
    }

    @Test("a revert conflict aborts the revert and is a permanent error naming the file")
    func conflict() async throws {
        try await withGitFixture { fixture in
            let good = try await fixture.commitAndPush(
                "v1",
                ["services/backend/app.yaml": "v: 1\n", "shared.yaml": "limit: 1\n"]
            )
            try await fixture.commitAndPush(
                "backend v2 with a shared limit",
                ["services/backend/app.yaml": "v: 2\n", "shared.yaml": "limit: 2\n"]
            )
            try await fixture.commitAndPush("shared limit 3", ["shared.yaml": "limit: 3\n"])
            try await fixture.cloneWorkingCopy()
            let before = try await fixture.remoteHead()
            let provider = fixture.provider(fixture.spec(paths: ["services/backend"]))

            let error = try await #require(throws: ProviderError.self) {
                try await provider.rollback(service: "backend", to: .gitCommit(good), context: gitContext)
            }
            #expect(error.kind == .rejected)
            #expect(!error.isTransient)
            #expect(error.message.contains("conflicts in shared.yaml"))
            #expect(error.message.contains("backend"))
            #expect(try await fixture.remoteHead() == before)
            // The working copy is clean again, on the remote's head, with no revert in progress.
            #expect(try await fixture.git(["status", "--porcelain"], in: fixture.workingCopy) == "")
            #expect(try await fixture.git(["rev-parse", "HEAD"], in: fixture.workingCopy) == before)
            #expect(
                try await fixture.status(["rev-parse", "--verify", "--quiet", "REVERT_HEAD"], in: fixture.workingCopy)
                    != 0
            )
        }
    }

    @Test("a dirty working copy is refused before anything changes, naming the file")
    func dirtyWorkingCopy() async throws {
        try await withGitFixture { fixture in
            let good = try await fixture.commitAndPush("v1", ["app.yaml": "v: 1\n"])
            try await fixture.commitAndPush("v2", ["app.yaml": "v: 2\n"])
            try await fixture.cloneWorkingCopy()
            try "edited by hand\n".write(toFile: fixture.workingCopy + "/app.yaml", atomically: true, encoding: .utf8)
            let before = try await fixture.remoteHead()
            let provider = fixture.provider(fixture.spec())

            let error = try await #require(throws: ProviderError.self) {
                try await provider.rollback(service: "backend", to: .gitCommit(good), context: gitContext)
            }
            #expect(error.kind == .rejected)
            #expect(error.message.contains("uncommitted changes in app.yaml"))
            #expect(try await fixture.remoteHead() == before)
            #expect(
                try String(contentsOfFile: fixture.workingCopy + "/app.yaml", encoding: .utf8) == "edited by hand\n"
            )

            let checks = await provider.checkAccess(service: "backend")
            let clean = try #require(checks.first { $0.name == "clean working copy" })
            #expect(!clean.passed)
            #expect(clean.detail.contains("app.yaml"))
        }
    }

    @Test("a push rejected because the remote moved is transient; the retry reverts on the new head")
    func remoteMovedDuringRollback() async throws {
        try await withGitFixture { fixture in
            let good = try await fixture.commitAndPush("v1", ["app.yaml": "v: 1\n"])
            try await fixture.commitAndPush("v2", ["app.yaml": "v: 2\n"])
            try await fixture.cloneWorkingCopy()
            // Someone pushes right after Rewind commits its revert, before it pushes.
            try fixture.installHook(
                "post-commit",
                """
                unset GIT_DIR GIT_INDEX_FILE GIT_WORK_TREE GIT_PREFIX
                cd '\(fixture.colleague)' && echo late > late.txt && git add late.txt \
                  && git commit --quiet -m 'late push' && git push --quiet origin main
                """,
                in: fixture.workingCopy
            )
            let provider = fixture.provider(fixture.spec())

            let error = try await #require(throws: ProviderError.self) {
                try await provider.rollback(service: "backend", to: .gitCommit(good), context: gitContext)
            }
            #expect(error.isTransient)
            #expect(error.message.contains("someone pushed to origin/main"))
            let late = try await fixture.remoteHead()
            #expect(
                try await fixture.git(["log", "-1", "--format=%s", "refs/heads/main"], in: fixture.remote)
                    == "late push"
            )
            // The unpushed revert was undone and the new head fetched.
            #expect(try await fixture.git(["rev-parse", "HEAD"], in: fixture.workingCopy) != late)
            #expect(try await fixture.git(["rev-parse", "refs/remotes/origin/main"], in: fixture.workingCopy) == late)

            try fixture.removeHook("post-commit", in: fixture.workingCopy)
            let retry = try await provider.rollback(service: "backend", to: .gitCommit(good), context: gitContext)
            #expect(retry.finished)
            #expect(try await fixture.remoteFilesEqual(good))
            #expect(try await fixture.git(["rev-parse", "refs/heads/main~1"], in: fixture.remote) == late)
        }
    }

    @Test("a git command that outlives the timeout is stopped (a slow pre-push hook), nothing is pushed")
    func timeout() async throws {
        try await withGitFixture { fixture in
            let good = try await fixture.commitAndPush("v1", ["app.yaml": "v: 1\n"])
            try await fixture.commitAndPush("v2", ["app.yaml": "v: 2\n"])
            try await fixture.cloneWorkingCopy()
            try fixture.installHook("pre-push", "sleep 30", in: fixture.workingCopy)
            let before = try await fixture.remoteHead()
            let provider = fixture.provider(fixture.spec(timeout: .milliseconds(1500)))

            let error = try await #require(throws: ProviderError.self) {
                try await provider.rollback(service: "backend", to: .gitCommit(good), context: gitContext)
            }
            #expect(error.kind == .timeout)
            #expect(error.isTransient)
            #expect(error.message.contains("within 1.5s") || error.message.contains("did not finish"))
            #expect(try await fixture.remoteHead() == before)
            #expect(try await fixture.git(["rev-parse", "HEAD"], in: fixture.workingCopy) == before)
        }
    }

    @Test("merge commits after the target are refused unless mainline is set")
    func mergeCommits() async throws {
        try await withGitFixture { fixture in
            let good = try await fixture.commitAndPush("v1", ["app.yaml": "v: 1\n"])
            try await fixture.mergeAndPush("Merge the side branch", side: ["side.yaml": "s: 1\n"])
            try await fixture.cloneWorkingCopy()
            let before = try await fixture.remoteHead()

            let refused = fixture.provider(fixture.spec())
            let error = try await #require(throws: ProviderError.self) {
                try await refused.rollback(service: "backend", to: .gitCommit(good), context: gitContext)
            }
            #expect(error.kind == .unsupported)
            #expect(error.message.contains("Merge the side branch"))
            #expect(error.message.contains("mainline: 1"))
            #expect(try await fixture.remoteHead() == before)

            let withMainline = fixture.provider(fixture.spec(mainline: 1))
            _ = try await withMainline.rollback(service: "backend", to: .gitCommit(good), context: gitContext)
            #expect(try await fixture.remoteFilesEqual(good))
        }
    }

    @Test("push: false reverts the working copy's branch and never touches the remote")
    func localOnly() async throws {
        try await withGitFixture { fixture in
            let good = try await fixture.commitAndPush("v1", ["app.yaml": "v: 1\n"])
            try await fixture.commitAndPush("v2", ["app.yaml": "v: 2\n"])
            try await fixture.cloneWorkingCopy()
            let before = try await fixture.remoteHead()
            let provider = fixture.provider(fixture.spec(push: false))

            let operation = try await provider.rollback(service: "backend", to: .gitCommit(good), context: gitContext)
            #expect(operation.finished)
            #expect(try await fixture.remoteHead() == before)
            #expect(try String(contentsOfFile: fixture.workingCopy + "/app.yaml", encoding: .utf8) == "v: 1\n")
            #expect(try await provider.currentDeployment(service: "backend")?.id == good)
        }
    }

    // MARK: - Refusals

    @Test("a commit id or branch that git would read as an option is refused before git runs")
    func argumentInjection() async throws {
        try await withGitFixture { fixture in
            try await fixture.commitAndPush("v1", ["app.yaml": "v: 1\n"])
            try await fixture.cloneWorkingCopy()
            let marker = fixture.root.appendingPathComponent("pwned").path
            let provider = fixture.provider(fixture.spec())
            for id in ["--upload-pack=touch \(marker)", "-n", "HEAD~1", "main..HEAD", "a b"] {
                let error = try await #require(throws: ProviderError.self) {
                    try await provider.rollback(service: "backend", to: .gitCommit(id), context: gitContext)
                }
                #expect(error.kind == .rejected, "\(id)")
            }
            let badBranch = fixture.provider(fixture.spec(branch: "--output=\(marker)"))
            await #expect(throws: ProviderError.self) { try await badBranch.listDeployments(service: "backend") }
            let badRemote = fixture.provider(fixture.spec(remote: "--upload-pack=touch \(marker)"))
            await #expect(throws: ProviderError.self) { try await badRemote.currentDeployment(service: "backend") }
            #expect(!FileManager.default.fileExists(atPath: marker))
        }
    }

    @Test("an unknown deployment is notFound; one outside the branch's history is rejected")
    func unknownTarget() async throws {
        try await withGitFixture { fixture in
            try await fixture.commitAndPush("v1", ["app.yaml": "v: 1\n"])
            try await fixture.commitAndPush("v2", ["app.yaml": "v: 2\n"])
            try await fixture.git(["checkout", "--quiet", "-b", "elsewhere"], in: fixture.colleague)
            let elsewhere = try await fixture.commit("not on main", ["app.yaml": "v: x\n"], in: fixture.colleague)
            try await fixture.git(["push", "--quiet", "origin", "elsewhere"], in: fixture.colleague)
            try await fixture.cloneWorkingCopy()
            let provider = fixture.provider(fixture.spec())

            let unknown = try await #require(throws: ProviderError.self) {
                try await provider.rollback(
                    service: "backend",
                    to: .gitCommit(String(repeating: "ab", count: 20)),
                    context: gitContext
                )
            }
            #expect(unknown.kind == .notFound)
            let outside = try await #require(throws: ProviderError.self) {
                try await provider.rollback(service: "backend", to: .gitCommit(elsewhere), context: gitContext)
            }
            #expect(outside.kind == .rejected)
            #expect(outside.message.contains("not in the history of origin/main"))
        }
    }

    // MARK: - Access and credentials

    @Test("checkAccess passes on a reachable remote and a clean working copy, and fails when the remote is gone")
    func accessChecks() async throws {
        try await withGitFixture { fixture in
            try await fixture.commitAndPush("v1", ["app.yaml": "v: 1\n"])
            try await fixture.cloneWorkingCopy()
            let provider = fixture.provider(fixture.spec())

            let checks = await provider.checkAccess(service: "backend")
            #expect(
                checks.map(\.name) == ["working copy \(fixture.workingCopy)", "read origin/main", "clean working copy"]
            )
            let failed = checks.filter { !$0.passed }
            #expect(failed.isEmpty, "\(failed)")

            let missingBranch = await fixture.provider(fixture.spec(branch: "release")).checkAccess(service: "backend")
            #expect(missingBranch[1].passed == false)
            #expect(missingBranch[1].detail.contains("no branch release"))

            try FileManager.default.moveItem(atPath: fixture.remote, toPath: fixture.remote + ".moved")
            let gone = await provider.checkAccess(service: "backend")
            #expect(gone[1].passed == false)
            #expect(gone[1].detail.contains("remote: origin"))

            let notARepository = GitProvider(
                spec: GitProviderSpec(workingCopy: fixture.root.path + "/nothing-here"),
                redactor: Redactor(),
                service: "backend"
            )
            let missing = await notARepository.checkAccess(service: "backend")
            #expect(missing.count == 1)
            #expect(missing[0].passed == false)
        }
    }

    /// git log used to separate fields with 0x1F and commits with 0x1E, assuming neither appears in a
    /// commit message; anyone who can push can write them.
    @Test("commit messages holding 0x1E and 0x1F are listed like any other (NUL separators)")
    func controlCharactersInMessages() async throws {
        try await withGitFixture { fixture in
            let first = try await fixture.commitAndPush("v1 \u{1f} unit\n\nbody \u{1e} record", ["app.yaml": "v: 1\n"])
            let second = try await fixture.commitAndPush("v2 \u{1e}\u{1f}", ["app.yaml": "v: 2\n"])
            try await fixture.cloneWorkingCopy()
            let provider = fixture.provider(fixture.spec())
            let listed = try await provider.listDeployments(service: "backend")
            #expect(listed.map(\.id) == [second, first])
            #expect(listed.last?.version == "\(first.prefix(7)) v1 \u{1f} unit")
            _ = try await provider.rollback(service: "backend", to: .gitCommit(first), context: gitContext)
            #expect(try await provider.currentDeployment(service: "backend")?.id == first)
        }
    }

    @Test("a stale index.lock left by a killed git is removed before the rollback's first git command")
    func staleIndexLockIsRemoved() async throws {
        try await withGitFixture { fixture in
            let good = try await fixture.commitAndPush("v1", ["app.yaml": "v: 1\n"])
            try await fixture.commitAndPush("v2", ["app.yaml": "v: 2\n"])
            try await fixture.cloneWorkingCopy()
            let lock = fixture.workingCopy + "/.git/index.lock"
            #expect(FileManager.default.createFile(atPath: lock, contents: Data()))
            let provider = fixture.provider(fixture.spec())
            let operation = try await provider.rollback(service: "backend", to: .gitCommit(good), context: gitContext)
            #expect(operation.finished)
            #expect(try await fixture.remoteFilesEqual(good))
            #expect(!FileManager.default.fileExists(atPath: lock))
        }
    }

    @Test("a git that has ended but is not yet reaped (a zombie) does not hold index.lock")
    func endedGitDoesNotHoldTheLock() async throws {
        try await withGitFixture { fixture in
            try await fixture.commitAndPush("v1", ["app.yaml": "v: 1\n"])
            try await fixture.cloneWorkingCopy()
            let lock = fixture.workingCopy + "/.git/index.lock"
            #expect(FileManager.default.createFile(atPath: lock, contents: Data()))
            // A git started in the working copy and never waited for: once it exits it stays a zombie.
            var pid: pid_t = 0
            let arguments = ["/bin/sh", "-c", "cd \"$0\" && exec git --version >/dev/null", fixture.workingCopy]
            var argv = arguments.map { strdup($0) } + [nil]
            defer { argv.forEach { free($0) } }
            #expect(posix_spawn(&pid, "/bin/sh", nil, nil, &argv, environ) == 0)
            defer { waitpid(pid, nil, 0) }
            var info = siginfo_t()
            // WNOWAIT: wait for the exit without reaping, so the process stays a zombie.
            #expect(waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) == 0)
            #expect(IndexLock.inspect(workingCopy: fixture.workingCopy) == .stale(path: lock))
        }
    }

    @Test("an index.lock while a git process works in the working copy is left alone: transient, naming the process")
    func liveIndexLockIsLeftAlone() async throws {
        try await withGitFixture { fixture in
            let good = try await fixture.commitAndPush("v1", ["app.yaml": "v: 1\n"])
            try await fixture.commitAndPush("v2", ["app.yaml": "v: 2\n"])
            try await fixture.cloneWorkingCopy()
            // Someone's git, still running in the working copy (it waits on its input until the test ends).
            let (started, reportStart) = AsyncStream.makeStream(of: Int32.self)
            let (testEnds, endTest) = AsyncStream.makeStream(of: Void.self)
            defer { endTest.finish() }
            let workingCopy = fixture.workingCopy
            Task.detached {
                _ = try? await Subprocess.run(
                    .path("/usr/bin/env"), arguments: ["git", "cat-file", "--batch"],
                    workingDirectory: FilePath(workingCopy), input: .inputWriter, output: .discarded, error: .discarded
                ) { execution in
                    reportStart.yield(execution.processIdentifier.value)
                    for await _ in testEnds {}
                    try await execution.standardInputWriter.finish()
                }
                reportStart.finish()
            }
            var starts = started.makeAsyncIterator()
            let other = try #require(await starts.next(), "git cat-file could not be started")
            let lock = fixture.workingCopy + "/.git/index.lock"
            #expect(FileManager.default.createFile(atPath: lock, contents: Data()))
            let before = try await fixture.remoteHead()
            let error = try await #require(throws: ProviderError.self) {
                try await fixture.provider(fixture.spec()).rollback(
                    service: "backend", to: .gitCommit(good), context: gitContext)
            }
            #expect(error.isTransient)
            #expect(error.message.contains("index.lock"), "\(error.message)")
            #expect(error.message.contains("pid \(other)"), "\(error.message)")
            #expect(FileManager.default.fileExists(atPath: lock), "a lock that may be in use is never removed")
            #expect(try await fixture.remoteHead() == before)
        }
    }

    @Test("git gets a minimal environment plus its env:, never the daemon's other variables")
    func minimalEnvironment() async throws {
        try await withGitFixture { fixture in
            let good = try await fixture.commitAndPush("v1", ["app.yaml": "v: 1\n"])
            try await fixture.commitAndPush("v2", ["app.yaml": "v: 2\n"])
            try await fixture.cloneWorkingCopy()
            daemonVariable("REWIND_TEST_DAEMON_GIT_SECRET", "daemon-only-4a9b")
            let seen = fixture.root.appendingPathComponent("hook-env.txt").path
            try fixture.installHook("pre-commit", "env > '\(seen)'", in: fixture.workingCopy)
            let spec = fixture.spec(extra: ["DEPLOY_NOTE": ConfigText("from env:")])
            _ = try await fixture.provider(spec).rollback(service: "backend", to: .gitCommit(good), context: gitContext)
            let environment = try String(contentsOfFile: seen, encoding: .utf8)
            #expect(!environment.contains("REWIND_TEST_DAEMON_GIT_SECRET"))
            #expect(environment.contains("DEPLOY_NOTE=from env:"))
            #expect(environment.contains("GIT_TERMINAL_PROMPT=0"))
        }
    }

    @Test("an authentication failure is .auth naming the variables to check, never their values")
    func authFailure() async throws {
        try await withGitFixture { fixture in
            try await fixture.commitAndPush("v1", ["app.yaml": "v: 1\n"])
            try await fixture.cloneWorkingCopy()
            // A stand-in for ssh that refuses the key, as a real server would; nothing leaves the machine.
            let fakeSSH = fixture.root.appendingPathComponent("fake-ssh").path
            try "#!/bin/sh\necho 'git@git.example.com: Permission denied (publickey).' >&2\nexit 255\n"
                .write(toFile: fakeSSH, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: fakeSSH)
            try await fixture.git(
                ["remote", "set-url", "origin", "ssh://git@git.example.com/config.git"],
                in: fixture.workingCopy
            )
            let secret = "deploy-key-passphrase-93f1"
            let spec = fixture.spec(extra: ["GIT_SSH_COMMAND": ConfigText("\(fakeSSH) --key \(secret)", isSecret: true)]
            )
            let provider = fixture.provider(spec, secrets: ["\(fakeSSH) --key \(secret)"])

            let error = try await #require(throws: ProviderError.self) {
                try await provider.currentDeployment(service: "backend")
            }
            #expect(error.kind == .auth)
            #expect(!error.isTransient)
            #expect(error.message.contains("GIT_SSH_COMMAND"))
            #expect(!error.message.contains(secret))
            #expect(!(error.output?.stderr.contains(secret) ?? false))
            let access = await provider.checkAccess(service: "backend")
            #expect(access[1].passed == false)
            #expect(access[1].detail.contains("GIT_SSH_COMMAND"))
        }
    }
}

@Suite("Git output")
struct GitOutputTests {
    @Test(
        "failures are classified from git's own words",
        arguments: [
            (
                "! [rejected]        HEAD -> main (fetch first)\nerror: failed to push some refs",
                GitFailure.pushRejectedBehind
            ),
            ("! [rejected]        HEAD -> main (non-fast-forward)", .pushRejectedBehind),
            ("! [remote rejected] HEAD -> main (pre-receive hook declined)", .pushRejectedByRemote),
            ("remote: error: GH006: Protected branch update failed for refs/heads/main.", .pushRejectedByRemote),
            ("git@github.com: Permission denied (publickey).\nfatal: Could not read from remote repository.", .auth),
            ("fatal: Authentication failed for 'https://github.com/acme/config.git/'", .auth),
            ("fatal: could not read Username for 'https://github.com': terminal prompts disabled", .auth),
            (
                "fatal: unable to access 'https://github.com/acme/config.git/': The requested URL returned error: 403",
                .auth
            ),
            ("ERROR: Repository not found.\nfatal: Could not read from remote repository.", .remoteMissing),
            ("fatal: 'upstream' does not appear to be a git repository", .remoteMissing),
            ("fatal: unable to access 'https://x/': The requested URL returned error: 429", .rateLimited),
            ("fatal: unable to access 'https://x/': The requested URL returned error: 502", .server),
            ("fatal: unable to access 'https://x/': Could not resolve host: x", .connection),
            (
                "ssh: connect to host x port 22: Connection refused\nfatal: Could not read from remote repository.",
                .connection
            ),
        ]
    )
    func classify(output: String, expected: GitFailure) {
        #expect(GitFailure.classify(output) == expected)
    }

    @Test("a local failure is not classified")
    func localFailure() {
        #expect(GitFailure.classify("fatal: bad revision 'nope'") == nil)
    }

    @Test("credentials in URLs are removed")
    func urlCredentials() {
        let text = "fatal: unable to access 'https://bot:ghp_abc123@github.com/acme/config.git/': 403"
        #expect(
            GitFailure.withoutURLCredentials(text)
                == "fatal: unable to access 'https://<redacted>@github.com/acme/config.git/': 403"
        )
        #expect(
            GitFailure.withoutURLCredentials("To https://github.com/acme/config.git")
                == "To https://github.com/acme/config.git"
        )
    }

    @Test("the log format parses ids, parents, subject and Rewind's trailer")
    func parseLog() throws {
        let id = String(repeating: "a", count: 40)
        let parent = String(repeating: "b", count: 40)
        let output =
            "\(id)\0aaaaaaa\01700000000\0\(parent)\0Roll back\0Roll back\n\nbody \u{1e}\u{1f}\n\n"
            + "Rewind-Rollback-To: \(parent)\nRewind-Incident: 3\n\0"
            + "\(parent)\0bbbbbbb\09999999999999999\0\0root\0root\n\0"
        let commits = try #require(GitCommit.parseLog(output))
        #expect(commits.count == 2)
        #expect(commits[1].parents.isEmpty)
        #expect(commits[1].committedAt == Timestamp(millisecondsSinceEpoch: .max), "a commit date past Int64 saturates")
        #expect(commits[0].id == id)
        #expect(commits[0].parents == [parent])
        #expect(commits[0].committedAt == Timestamp(millisecondsSinceEpoch: 1_700_000_000_000))
        #expect(commits[0].rollbackTarget == parent)
        #expect(commits[0].version == "aaaaaaa Roll back")
        #expect(GitCommit.parseLog("garbage") == nil)
        #expect(GitCommit.parseLog("\(id)\0aaaaaaa\0soon\0\0s\0b\0") == nil, "a date that is not a number")
        #expect(GitCommit.parseLog("\(id)\0aaaaaaa\01\0") == nil, "a cut record")
    }
}
