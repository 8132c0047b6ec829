import AsyncHTTPClient
import Foundation
import Logging
import RewindCore
import RewindEngine
import RewindPorts
import RewindProviders
import RewindSpecs
import RewindStoreSQLite
import RewindTestSupport
import Synchronization
import Testing

/// A pod turning CrashLoopBackOff on the Kubernetes emulator makes the engine roll the Deployment back, with the
/// pod's evidence in the incident and Events on the Deployment: the real provider over loopback HTTP, the real
/// SQLite store, the engine on a manual clock.
@Suite("Kubernetes: CrashLoopBackOff rolls back end to end")
struct KubernetesCrashLoopTests {
    static let token = "kube-e2e-token-5b1d"
    static let images = ["registry.example/web:1.41", "registry.example/web:1.42"]
    static let bad = "registry.example/web:1.43"

    /// Every health check passes: the only signal is the platform's.
    struct PassingProber: HealthProber {
        func check(_ check: HealthCheckPolicy) async -> ProbeResult {
            ProbeResult(result: .success(status: 200), latencyMs: 3)
        }
    }

    /// The real provider, counting the calls the engine has in flight: the clock moves only when none is (an HTTP
    /// answer takes real time; the engine's deadlines run on the manual clock).
    struct Counted: PlatformProvider, WorkloadHealthReporting, IncidentStepAnnouncing {
        let base: KubernetesProvider
        let inFlight = Counter()

        private func counted<T>(_ body: () async throws -> T) async throws -> T {
            inFlight.value.withLock { $0 += 1 }
            defer { inFlight.value.withLock { $0 -= 1 } }
            return try await body()
        }

        var busy: Bool { inFlight.value.withLock { $0 > 0 } }
        var kind: String { base.kind }
        var isIdempotent: Bool { base.isIdempotent }
        var reportsWorkloadHealth: Bool { base.reportsWorkloadHealth }
        var workloadHealthInterval: Duration { base.workloadHealthInterval }
        var announcesSteps: Bool { base.announcesSteps }

        func listDeployments(service: ServiceName) async throws -> [PlatformDeployment] {
            try await counted { try await base.listDeployments(service: service) }
        }
        func currentDeployment(service: ServiceName) async throws -> PlatformDeployment? {
            try await counted { try await base.currentDeployment(service: service) }
        }
        func rollback(
            service: ServiceName, to target: Deployment, context: ActionContext
        ) async throws
            -> RollbackOperation
        {
            try await counted { try await base.rollback(service: service, to: target, context: context) }
        }
        func status(
            of operation: RollbackOperation, service: ServiceName, target: Deployment
        ) async throws
            -> OperationStatus
        {
            try await counted { try await base.status(of: operation, service: service, target: target) }
        }
        func workloadProblems(service: ServiceName) async throws -> [WorkloadProblem] {
            try await counted { try await base.workloadProblems(service: service) }
        }
        func announce(_ announcement: StepAnnouncement, service: ServiceName) async throws {
            try await counted { try await base.announce(announcement, service: service) }
        }
    }

    final class Counter: Sendable {
        let value = Mutex<Int>(0)
    }

    final class Closed: Sendable {
        private let incidents = Mutex<[Incident]>([])
        func record(_ event: EngineEvent) {
            if case .incidentClosed(let incident) = event { incidents.withLock { $0.append(incident) } }
        }
        var all: [Incident] { incidents.withLock { $0 } }
    }

    /// Also with the API server refusing the Events (RBAC without `create events`): the same rollback.
    @Test(
        "CrashLoopBackOff: immediate rollback with the pod as evidence and Events on the Deployment, Events best effort",
        arguments: [true, false])
    func crashLoopRollsBack(eventsAllowed: Bool) async throws {
        let kube = KubernetesEmulator(token: Self.token)
        kube.addDeployment(namespace: "shop", name: "web", images: Self.images)
        if !eventsAllowed {
            kube.permissions = ["get deployments", "patch deployments", "list replicasets", "list pods"]
        }
        let server = KubernetesEmulatorServer(emulator: kube)
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("rewind-k8s-e2e-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try await withLoopbackServices([server], beforeShutdown: { kube.releaseDelayedRequests() }) { client in
            let apiURL = await server.endpoint()
            // Two hours after the emulator's first object: its creation timestamps are in the clock's past, the
            // known-good revision's first of all.
            let clock = ManualClock(now: Timestamp(secondsSinceEpoch: Int64(1_772_366_400 + 7200)))
            let store = try SQLiteStore(path: directory.appendingPathComponent("rewind.db").path)
            let good = try #require(kube.replicaSets(namespace: "shop", deployment: "web").first)
            try await store.recordDeployment(
                Deployment(
                    service: "web", id: good.name, version: Self.images[1], deployedAt: clock.now - .seconds(7200),
                    trust: .knownGood, knownGoodAt: clock.now - .seconds(3600), listed: true),
                makeLive: true)
            let spec = KubernetesProviderSpec(
                namespace: "shop", workload: "web",
                cluster: KubernetesClusterSpec(
                    server: .url(apiURL), credential: .token(ConfigText(Self.token, isSecret: true)),
                    authority: .systemRoots, credentialName: "KUBE_TOKEN"))
            let provider = Counted(
                base: KubernetesProvider(spec: spec, client: client, redactor: Redactor(secrets: []), clock: clock))
            let policy = Policy(
                services: [
                    ServicePolicy(
                        name: "web",
                        checks: [
                            HealthCheckPolicy(
                                name: "web-health", url: "http://127.0.0.1:9/health", interval: .seconds(30),
                                suspectWindow: .zero)
                        ])
                ],
                verification: VerificationPolicy(interval: .seconds(1)))
            let closed = Closed()
            var deps = EngineDependencies(
                policy: policy, store: store, clock: clock, prober: PassingProber(), providers: ["web": provider],
                logger: Logger(label: "rewind.engine", factory: { _ in SwiftLogNoOpLogHandler() }),
                random: { 0.5 }, observer: { closed.record($0) })
            deps.trackingInterval = .seconds(5)
            let engine = RewindEngine(deps)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await engine.run() }
                // A new revision whose pods crash-loop: the tracker finds it live, the workload watcher reads it.
                kube.deploy(namespace: "shop", name: "web", image: Self.bad)
                kube.crashLoop(image: Self.bad)
                try await Self.drive(clock, idle: { !provider.busy }, until: "the incident closed") {
                    !closed.all.isEmpty
                }
                group.cancelAll()
            }
            let incident = try #require(closed.all.first)
            let timeline = try await store.timeline(incidentID: incident.id).map(\.message)
            #expect(
                incident.trigger == .healthCritical && incident.status == .completed, "\(incident.status) \(timeline)")
            #expect(incident.strategy == .immediate)
            let evidence = try #require(incident.violation?.evidence)
            #expect(!evidence.isEmpty && evidence.allSatisfy { $0.check == WorkloadHealthState.checkName })
            #expect(evidence.first?.result.contains("CrashLoopBackOff, 5 restarts") == true)
            #expect(evidence.first?.result.hasPrefix("pod web-") == true)
            #expect(kube.deployment(namespace: "shop", name: "web")?.image == Self.images[1])
            let reasons = kube.events(namespace: "shop").map { $0.reason ?? "" }
            if eventsAllowed {
                #expect(reasons.contains("RewindRollback") && reasons.contains("RewindVerified"))
            } else {
                // Best effort: each refused Event was tried once (403) and changed nothing.
                #expect(reasons.isEmpty)
                let refused = kube.requests.filter { $0.path == "/api/v1/namespaces/shop/events" }
                #expect(!refused.isEmpty && refused.allSatisfy { $0.status == 403 })
            }
            #expect(kube.events(namespace: "shop").allSatisfy { $0.involvedName == "web" && $0.involvedUID != nil })
            #expect(try await store.liveDeployment(of: "web")?.id == good.name)
        }
    }

    /// Moves the manual clock (at most a quarter of a second at a time, to the next sleeper's deadline) once the
    /// engine has settled: no provider call in flight and the number of tasks parked on the clock unchanged over
    /// many yields (a journal write to SQLite, synchronous=FULL, takes real milliseconds: time must not run on
    /// while the engine writes). Repeats until `done` holds; bounded in rounds and in yields.
    static func drive(
        _ clock: ManualClock, idle: () -> Bool, until what: String, _ done: () async throws -> Bool
    ) async throws {
        for _ in 0..<2400 {
            var stable = 0
            var parked = clock.sleepers
            var spins = 0
            while stable < 200, spins < 200_000 {
                await Task.yield()
                spins += 1
                let now = clock.sleepers
                stable = idle() && now == parked ? stable + 1 : 0
                parked = now
            }
            if try await done() { return }
            let gap = clock.nextDeadline.map { max($0 - clock.now, .zero) } ?? .milliseconds(250)
            clock.advance(by: min(max(gap, .milliseconds(1)), .milliseconds(250)))
        }
        Issue.record("gave up waiting for \(what) at \(clock.now)")
    }
}
