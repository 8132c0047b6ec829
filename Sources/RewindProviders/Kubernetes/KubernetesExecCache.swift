import RewindCore
import RewindPorts

/// Keeps an exec plugin's credential until shortly before it expires, so the plugin runs once per credential,
/// not once per call; one caller at a time runs it, the others wait for its answer.
///
/// - A credential with an `expirationTimestamp` is used until ``refreshMargin`` before it; then the next call
///   runs the plugin again. One without is kept until the API server refuses it.
/// - ``discard(_:)``: the API server answered 401 to a call made with that credential; the next call runs the
///   plugin again (`KubernetesAPI` retries such a call once).
actor KubernetesExecCache {
    /// A credential is renewed this long before it expires, so that a call does not carry one that expires on
    /// its way.
    static let refreshMargin: Duration = .seconds(30)

    private let runner: KubernetesExecRunner
    private let clock: any RewindClock
    private var cached: KubernetesExecCredential?
    private var running = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(runner: KubernetesExecRunner, clock: any RewindClock) {
        self.runner = runner
        self.clock = clock
    }

    /// A fresh credential: the cached one while it is, else a new one from the plugin.
    func credential(baseURL: String) async throws -> KubernetesExecCredential {
        while running {
            await withCheckedContinuation { waiting.append($0) }
        }
        if let cached, isFresh(cached) { return cached }
        running = true
        defer {
            running = false
            let resumed = waiting
            waiting = []
            resumed.forEach { $0.resume() }
        }
        let credential = try await runner.run(baseURL: baseURL)
        cached = credential
        return credential
    }

    /// Forgets `credential` (the API server refused it), unless a newer one replaced it meanwhile.
    func discard(_ credential: KubernetesExecCredential) {
        if cached == credential { cached = nil }
    }

    private func isFresh(_ credential: KubernetesExecCredential) -> Bool {
        guard let expiresAt = credential.expiresAt else { return true }
        return expiresAt - clock.now > Self.refreshMargin
    }
}
