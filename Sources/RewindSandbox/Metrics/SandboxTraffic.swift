import Foundation
import ServiceLifecycle
import Synchronization

/// How long the requests of a ``TrafficProfile`` take.
public enum LatencyDistribution: Sendable, Equatable {
    /// Every request takes exactly this long.
    case fixed(seconds: Double)
    /// Normally distributed around `meanSeconds`; never below 0.
    case gaussian(meanSeconds: Double, deviationSeconds: Double)

    /// A healthy service: 100 ms ± 20 ms (P95 ≈ 0.13 s, in the 0.1–0.25 s bucket).
    public static let fast = LatencyDistribution.gaussian(meanSeconds: 0.1, deviationSeconds: 0.02)
    /// A degraded service: 2.5 s ± 0.25 s (P95 ≈ 2.9 s, above the guide's 2 s frontend threshold).
    public static let slow = LatencyDistribution.gaussian(meanSeconds: 2.5, deviationSeconds: 0.25)
}

/// A steady stream of synthetic requests for one service.
public struct TrafficProfile: Sendable, Equatable {
    public var service: String
    public var requestsPerSecond: Double
    public var latency: LatencyDistribution
    /// The fraction of requests answered with ``errorStatus`` (0…1), spread evenly: 0.2 fails every fifth request.
    public var errorRatio: Double
    public var errorStatus: Int

    public init(
        service: String,
        requestsPerSecond: Double = 20,
        latency: LatencyDistribution = .fast,
        errorRatio: Double = 0,
        errorStatus: Int = 500
    ) {
        self.service = service
        self.requestsPerSecond = max(0, requestsPerSecond)
        self.latency = latency
        self.errorRatio = min(1, max(0, errorRatio))
        self.errorStatus = errorStatus
    }

    /// Fast answers, all 200.
    public static func healthy(_ service: String, requestsPerSecond: Double = 20) -> TrafficProfile {
        TrafficProfile(service: service, requestsPerSecond: requestsPerSecond)
    }

    /// Slow answers (``LatencyDistribution/slow``), all 200.
    public static func slow(_ service: String, requestsPerSecond: Double = 20) -> TrafficProfile {
        TrafficProfile(service: service, requestsPerSecond: requestsPerSecond, latency: .slow)
    }

    /// Fast answers, `errorRatio` of them 500.
    public static func failing(_ service: String, errorRatio: Double, requestsPerSecond: Double = 20) -> TrafficProfile
    {
        TrafficProfile(service: service, requestsPerSecond: requestsPerSecond, errorRatio: errorRatio)
    }
}

/// Generates synthetic traffic into ``SandboxMetrics``: single requests with
/// ``record(service:latencySeconds:status:)``, or steady streams with ``set(_:)`` and ``run(tick:clock:)``.
/// Nothing waits for the latencies: a request "took" 2.5 s only in the histogram, so a test sees slow traffic at once.
///
/// ```swift
/// let traffic = SandboxTraffic(metrics: server.metrics)
/// traffic.set(.healthy("frontend"))
/// group.addTask { await traffic.run() }      // 20 requests per second until cancelled
/// …
/// traffic.set(.slow("frontend"))             // the same stream, now slow
/// ```
///
/// Latencies come from a seeded generator, so a given sequence of calls records the same values every time.
/// Also a `Service`: in a `ServiceGroup` it runs until a graceful shutdown.
public final class SandboxTraffic: Service, Sendable {
    public let metrics: SandboxMetrics

    private struct Stream {
        var profile: TrafficProfile
        var owedRequests = 0.0
        var owedErrors = 0.0
    }

    private struct State {
        var streams: [String: Stream] = [:]
        var random: SplitMix64
    }

    private let state: Mutex<State>

    public init(metrics: SandboxMetrics, seed: UInt64 = 0x5EED_CAFE) {
        self.metrics = metrics
        self.state = Mutex(State(random: SplitMix64(seed: seed)))
    }

    /// Records one request now.
    public func record(service: String, latencySeconds: Double, status: Int = 200) {
        metrics.recordRequest(service: service, latencySeconds: latencySeconds, status: status)
    }

    /// Streams `profile` from now on, replacing the stream of the same service if there is one.
    public func set(_ profile: TrafficProfile) {
        state.withLock { state in
            if state.streams[profile.service] != nil {
                state.streams[profile.service]?.profile = profile
            } else {
                state.streams[profile.service] = Stream(profile: profile)
            }
        }
    }

    /// Stops the stream of `service`; its series stay at their last values.
    public func stop(service: String) {
        _ = state.withLock { $0.streams.removeValue(forKey: service) }
    }

    /// The streams being generated, by service name.
    public var profiles: [TrafficProfile] {
        state.withLock { $0.streams.values.map(\.profile) }.sorted { $0.service < $1.service }
    }

    /// Records the requests every stream owes for `seconds` of time (fractions carry over to the next call).
    /// ``run(tick:clock:)`` calls it once per tick; tests may call it directly.
    public func advance(bySeconds seconds: Double) {
        let requests = state.withLock { state in
            var requests: [(service: String, latency: Double, status: Int)] = []
            for service in state.streams.keys.sorted() {
                guard var stream = state.streams[service] else { continue }
                stream.owedRequests += stream.profile.requestsPerSecond * max(0, seconds)
                let count = Int(stream.owedRequests + 1e-9)
                stream.owedRequests -= Double(count)
                for _ in 0..<count {
                    stream.owedErrors += stream.profile.errorRatio
                    let failed = stream.owedErrors >= 1 - 1e-9
                    if failed { stream.owedErrors -= 1 }
                    let latency = state.random.latency(stream.profile.latency)
                    requests.append((service, latency, failed ? stream.profile.errorStatus : 200))
                }
                state.streams[service] = stream
            }
            return requests
        }
        for request in requests {
            metrics.recordRequest(service: request.service, latencySeconds: request.latency, status: request.status)
        }
    }

    /// Streams `profile` (see ``set(_:)``) until the task is cancelled.
    public func run(
        profile: TrafficProfile,
        tick: Duration = .milliseconds(100),
        clock: some Clock<Duration> = ContinuousClock()
    ) async {
        set(profile)
        await run(tick: tick, clock: clock)
    }

    /// Advances every stream once per `tick` of `clock` until the task is cancelled. Ticks are scheduled on
    /// fixed deadlines, so a late wake-up catches up and the request rate stays what the profiles say.
    public func run(tick: Duration = .milliseconds(100), clock: some Clock<Duration> = ContinuousClock()) async {
        let tickSeconds = Double(tick.components.seconds) + Double(tick.components.attoseconds) / 1e18
        var deadline = clock.now
        while !Task.isCancelled {
            deadline = deadline.advanced(by: tick)
            do {
                try await clock.sleep(until: deadline, tolerance: nil)
            } catch {
                return
            }
            advance(bySeconds: tickSeconds)
        }
    }

    /// `Service`: runs until a graceful shutdown or cancellation.
    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.run(tick: .milliseconds(100), clock: ContinuousClock()) }
    }
}

/// A small seeded generator (SplitMix64), so synthetic latencies (and generated test cases) are reproducible.
public struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// One latency drawn from `distribution`, in seconds (Box–Muller for the normal distribution).
    mutating func latency(_ distribution: LatencyDistribution) -> Double {
        switch distribution {
        case .fixed(let seconds):
            return max(0, seconds)
        case .gaussian(let mean, let deviation):
            let u1 = Double.random(in: Double.ulpOfOne..<1, using: &self)
            let u2 = Double.random(in: 0..<1, using: &self)
            let standard = (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
            return max(0, mean + deviation * standard)
        }
    }
}
