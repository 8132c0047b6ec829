import Foundation
import RewindCore
import RewindPorts
import RewindProviders
import RewindSpecs
import RewindTestSupport
import Testing

@Suite("Helm provider")
struct HelmProviderTests {
    static let history: [FakeHelm.Revision] = [
        .init(revision: 1, status: "superseded", appVersion: "1.0.0", description: "Install complete"),
        .init(
            revision: 2, status: "superseded", chartVersion: "1.1.0", appVersion: "1.1.0",
            description: "Upgrade complete"),
        .init(revision: 3, status: "failed", chartVersion: "1.2.0", appVersion: "1.2.0", description: "Upgrade failed"),
        .init(
            revision: 4, status: "deployed", chartVersion: "1.3.0", appVersion: "1.3.0", description: "Upgrade complete"
        ),
    ]

    static func target(_ id: String) -> Deployment {
        Deployment(service: "web", id: id, version: "1.1.0", deployedAt: Timestamp(millisecondsSinceEpoch: 0))
    }

    static let context = ActionContext(incidentID: 7, current: nil)

    static func provider(_ spec: HelmProviderSpec, secrets: [String] = []) -> HelmProvider {
        HelmProvider(spec: spec, redactor: Redactor(secrets: secrets), service: "web")
    }

    @Test("helm history is the deployment listing, newest first, with the exact argument vector")
    func listing() async throws {
        let helm = try FakeHelm(.init(revisions: Self.history))
        defer { helm.remove() }
        let spec = helm.spec(kubeContext: "prod", kubeconfig: "/etc/rewind/kubeconfig")
        let deployments = try await Self.provider(spec).listDeployments(service: "web")
        #expect(deployments.map(\.id) == ["4", "3", "2", "1"])
        #expect(deployments.map(\.version) == ["1.3.0", "1.2.0", "1.1.0", "1.0.0"])
        #expect(deployments[0].createdAt == Timestamp(millisecondsSinceEpoch: 1_796_634_000_123))
        #expect(
            try helm.calls() == [
                [
                    "history", "--namespace=shop", "--kube-context=prod", "--kubeconfig=/etc/rewind/kubeconfig",
                    "--output=json", "--max=20", "--", "web",
                ]
            ])
    }

    @Test("a rollback runs helm rollback with --wait and --timeout, and helm status says when it is done")
    func rollback() async throws {
        let helm = try FakeHelm(.init(revisions: Self.history))
        defer { helm.remove() }
        let provider = Self.provider(helm.spec(waitTimeout: .seconds(120)))
        let operation = try await provider.rollback(service: "web", to: Self.target("2"), context: Self.context)
        #expect(!operation.finished)
        #expect(operation.output?.stdout.contains("Happy Helming") == true)
        #expect(try await provider.status(of: operation, service: "web", target: Self.target("2")) == .succeeded)
        let calls = try helm.calls()
        #expect(calls.first == ["status", "--namespace=shop", "--output=json", "--", "web"], "re-read before acting")
        #expect(
            calls.dropFirst().first == ["rollback", "--namespace=shop", "--wait", "--timeout=120s", "--", "web", "2"])
        let current = try #require(try await provider.currentDeployment(service: "web"))
        #expect(current.id == "5")
        #expect(current.restores == "2")
        #expect(current.serves("2"))
        #expect(try await provider.listDeployments(service: "web").first?.restores == "2")
    }

    @Test("a rollback toward a revision already live runs nothing but the re-read")
    func alreadyLive() async throws {
        var state = FakeHelm.State(revisions: Self.history)
        state.revisions.append(
            .init(
                revision: 5, status: "deployed", chartVersion: "1.1.0", appVersion: "1.1.0",
                description: "Rollback to 2"))
        state.revisions[3].status = "superseded"
        let helm = try FakeHelm(state)
        defer { helm.remove() }
        let operation = try await Self.provider(helm.spec()).rollback(
            service: "web", to: Self.target("2"), context: Self.context)
        #expect(operation.finished)
        #expect(try helm.calls().map(\.first) == ["status"])
    }

    @Test("a failing rollback is a command failure naming helm's error, bounded and without the secret")
    func failingRollback() async throws {
        let secret = "s3cr3t-kube-token-9f8e"
        var state = FakeHelm.State(revisions: Self.history)
        state.rollbackError =
            "UPGRADE FAILED: cannot patch \"web\" with token \(secret): "
            + String(repeating: "x", count: 100_000)
        let helm = try FakeHelm(state)
        defer { helm.remove() }
        let spec = helm.spec(environment: ["KUBE_TOKEN": ConfigText(secret, isSecret: true)])
        let error = try await #require(throws: ProviderError.self) {
            try await Self.provider(spec, secrets: [secret]).rollback(
                service: "web", to: Self.target("2"), context: Self.context)
        }
        #expect(error.kind == .commandFailed)
        #expect(!error.isTransient)
        #expect(error.message.contains("UPGRADE FAILED"), "\(error.message.prefix(300))")
        #expect(error.message.contains("release shop/web"))
        #expect(error.message.count < 1000)
        #expect(!error.message.contains(secret))
        let output = try #require(error.output)
        #expect(output.exitCode == 1)
        #expect(!output.stderr.contains(secret))
        #expect(output.stderr.utf8.count < 80 * 1024, "captured output is capped")
        #expect(try helm.state().revisions.count == 4, "nothing was rolled back")
    }

    @Test("a rollback slower than Rewind's deadline is stopped and reported as a timeout")
    func slowRollback() async throws {
        var state = FakeHelm.State(revisions: Self.history)
        state.rollbackSeconds = 60
        let helm = try FakeHelm(state)
        defer { helm.remove() }
        let spec = helm.spec(waitTimeout: .seconds(1), timeout: .milliseconds(1500))
        let started = ContinuousClock.now
        let error = try await #require(throws: ProviderError.self) {
            try await Self.provider(spec).rollback(service: "web", to: Self.target("2"), context: Self.context)
        }
        #expect(error.kind == .timeout)
        #expect(error.isTransient)
        #expect(error.message.contains("helm status web -n shop"))
        #expect(ContinuousClock.now - started < .seconds(30), "the process group was stopped at the deadline")
        #expect(try helm.state().revisions.count == 4)
    }

    @Test(
        "a target that is not a revision number is refused before helm runs",
        arguments: ["-1", "--dry-run", "0", "02", "abc", "99999999999", "2; rm -rf /", ""])
    func refusesUnsafeTargets(id: String) async throws {
        let helm = try FakeHelm(.init(revisions: Self.history))
        defer { helm.remove() }
        let error = try await #require(throws: ProviderError.self) {
            try await Self.provider(helm.spec()).rollback(service: "web", to: Self.target(id), context: Self.context)
        }
        #expect(error.kind == .rejected)
        #expect(try helm.calls().isEmpty, "nothing ran")
    }

    @Test("a rollback already pending toward the target is followed; another pending operation is transient")
    func pendingOperations() async throws {
        var state = FakeHelm.State(revisions: Self.history)
        state.revisions.append(
            .init(revision: 5, status: "pending-rollback", appVersion: "1.1.0", description: "Rollback to 2"))
        let helm = try FakeHelm(state)
        defer { helm.remove() }
        let provider = Self.provider(helm.spec())
        let followed = try await provider.rollback(service: "web", to: Self.target("2"), context: Self.context)
        #expect(followed.followedRunningJob)
        #expect(try await provider.status(of: followed, service: "web", target: Self.target("2")) == .inProgress)
        let busy = try await #require(throws: ProviderError.self) {
            try await provider.rollback(service: "web", to: Self.target("1"), context: Self.context)
        }
        #expect(busy.isTransient)
        #expect(busy.message.contains("pending-rollback"))
        #expect(try helm.calls().allSatisfy { $0.first == "status" })
    }

    @Test("a failed release is a failed rollback, with helm's description")
    func failedStatus() async throws {
        var state = FakeHelm.State(revisions: Self.history)
        state.revisions.append(
            .init(revision: 5, status: "failed", appVersion: "1.1.0", description: "Rollback \"web\" failed: timed out")
        )
        let helm = try FakeHelm(state)
        defer { helm.remove() }
        let operation = RollbackOperation(id: "rollback-to-2", finished: false)
        let status = try await Self.provider(helm.spec()).status(
            of: operation, service: "web", target: Self.target("2"))
        guard case .failed(let reason) = status else {
            Issue.record("expected a failure, got \(status)")
            return
        }
        #expect(reason.contains("timed out"))
    }

    @Test(
        "an answer that is not Helm's history is a bad response",
        arguments: [
            "not json", #"[{"revision": 0, "status": "deployed"}]"#, #"[{"revision": 1e12, "status": "deployed"}]"#,
            #"[{"revision": 1, "status": "deployed"}, {"revision": 1, "status": "superseded"}]"#, #"{"revision": 1}"#,
        ])
    func badHistory(answer: String) async throws {
        var state = FakeHelm.State(revisions: Self.history)
        state.historyOverride = answer
        let helm = try FakeHelm(state)
        defer { helm.remove() }
        let error = try await #require(throws: ProviderError.self) {
            try await Self.provider(helm.spec()).listDeployments(service: "web")
        }
        #expect(error.kind == .badResponse)
    }

    @Test("an unknown release is not found; a missing helm binary says so")
    func notFound() async throws {
        var state = FakeHelm.State(revisions: Self.history)
        state.release = "other"
        let helm = try FakeHelm(state)
        defer { helm.remove() }
        let error = try await #require(throws: ProviderError.self) {
            try await Self.provider(helm.spec()).currentDeployment(service: "web")
        }
        #expect(error.kind == .notFound)
        #expect(error.message.contains("release: not found"))
        var missing = helm.spec()
        missing.binary = helm.directory.file("no-such-helm")
        let launch = try await #require(throws: ProviderError.self) {
            try await Self.provider(missing).currentDeployment(service: "web")
        }
        #expect(launch.kind == .commandFailed)
        #expect(launch.message.contains("could not start"))
    }

    @Test("access check reads helm status")
    func accessCheck() async throws {
        let helm = try FakeHelm(.init(revisions: Self.history))
        defer { helm.remove() }
        let checks = await Self.provider(helm.spec()).checkAccess(service: "web")
        #expect(checks.count == 1)
        #expect(checks[0].passed)
        #expect(checks[0].detail.contains("deployed at revision 4"))
    }
}
