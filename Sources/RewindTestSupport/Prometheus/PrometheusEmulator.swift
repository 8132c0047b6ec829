import Foundation
import Synchronization

/// An emulator of the Prometheus HTTP API's query contract (`docs/querying/api.md`), served on loopback by
/// ``PrometheusEmulatorServer``. It has no PromQL engine: it answers from results registered per exact query
/// string, in the real envelope and encoding (values as Go-formatted strings, `"NaN"`, `"+Inf"`, `"-Inf"`;
/// times as seconds with up to three decimals). Thread-safe.
///
/// | request | answer |
/// |---|---|
/// | a registered query | its result (or its registered error) |
/// | a registered range series with points | those between `start` and `end`; a series with none there is left out (as Prometheus answers) |
/// | an unregistered query containing `syntax error` | HTTP 400 `bad_data` (a parse error) |
/// | any other unregistered query | an empty result (`[]`), as for a metric nobody exports |
/// | a bad `time`/`start`/`end`/`step`/`timeout`; `end < start`; `step <= 0`; > 11,000 points | HTTP 400 `bad_data` |
/// | anything, while ``setUnavailable(_:)`` is on | HTTP 503 `Service Unavailable` (a Prometheus still starting) |
///
/// ```swift
/// let prometheus = PrometheusEmulator()
/// prometheus.setInstant("sum(rate(errors[5m]))", [.init(["service": "checkout"], 0.25)])
/// prometheus.setInstant("slow_query", answer: .error(type: "execution", message: "too many samples"))
/// prometheus.respondSlowly()          // answers wait until respondPromptly() or the server stops
/// ```
public final class PrometheusEmulator: Sendable {
    /// One series of an instant vector. `at` (Unix seconds) nil = the query's evaluation time.
    public struct Sample: Sendable, Equatable {
        public var labels: [String: String]
        public var value: Double
        public var at: Double?

        public init(_ labels: [String: String] = [:], _ value: Double, at: Double? = nil) {
            self.labels = labels
            self.value = value
            self.at = at
        }
    }

    /// One point of a range series, at Unix seconds.
    public struct Point: Sendable, Equatable {
        public var at: Double
        public var value: Double

        public init(at: Double, value: Double) {
            self.at = at
            self.value = value
        }
    }

    /// One series of a range result: the given points, or one point per step of the request at one value.
    public struct Series: Sendable, Equatable {
        public var labels: [String: String]
        public var points: [Point]
        /// When set, the answer has a point at every step from `start` to `end` with this value (`points`
        /// is ignored).
        public var valueAtEveryStep: Double?

        public init(_ labels: [String: String] = [:], points: [Point]) {
            self.labels = labels
            self.points = points
            self.valueAtEveryStep = nil
        }

        /// A series holding `value` at every step of whatever range is asked.
        public static func constant(_ labels: [String: String] = [:], _ value: Double) -> Series {
            var series = Series(labels, points: [])
            series.valueAtEveryStep = value
            return series
        }
    }

    /// What a registered query answers.
    public enum Answer: Sendable, Equatable {
        case vector([Sample])
        case matrix([Series])
        case scalar(Double)
        case string(String)
        /// `{"status":"error","errorType":type,"error":message}` with the HTTP status Prometheus uses for
        /// `type` (`bad_data` 400, `execution` 422, `timeout` 503, `internal` 500, …) unless `status` is given.
        case error(type: String, message: String, status: Int? = nil)
        /// Any body, e.g. malformed JSON or a proxy's HTML page.
        case raw(status: Int, body: String, contentType: String = "application/json")
    }

    /// One request the emulator received.
    public struct Request: Sendable {
        public var method: String
        /// The path without the query string (`/api/v1/query`).
        public var path: String
        /// URL query and form body parameters, decoded (a form body's value wins).
        public var parameters: [String: String]
        /// Header names lowercased; repeated headers joined with `, `.
        public var headers: [String: String]
        /// The request's `Content-Type`, if any.
        public var contentType: String? { headers["content-type"] }
        /// The `query` parameter.
        public var query: String? { parameters["query"] }
    }

    struct Registered: Sendable {
        var answer: Answer
        var warnings: [String]
    }

    enum Slowness: Sendable {
        /// Until released.
        case hold
        case delay(Duration)
    }

    struct State: Sendable {
        var instant: [String: Registered] = [:]
        var range: [String: Registered] = [:]
        var requests: [Request] = []
        var unavailableStatus: Int?
        var isReady = true
        var slowness: Slowness?
    }

    let state = Mutex(State())
    let slowResponses = PrometheusWaiters()
    let requestCount = PrometheusRequestCounter()

    public init() {}

    // MARK: Results

    /// Registers the instant vector `query` answers on `/api/v1/query`.
    public func setInstant(_ query: String, _ samples: [Sample], warnings: [String] = []) {
        setInstant(query, answer: .vector(samples), warnings: warnings)
    }

    /// Registers any answer (a scalar, a string, an error, a raw body) for `query` on `/api/v1/query`.
    public func setInstant(_ query: String, answer: Answer, warnings: [String] = []) {
        state.withLock { $0.instant[query] = Registered(answer: answer, warnings: warnings) }
    }

    /// Registers the matrix `query` answers on `/api/v1/query_range`.
    public func setRange(_ query: String, _ series: [Series], warnings: [String] = []) {
        setRange(query, answer: .matrix(series), warnings: warnings)
    }

    /// Registers any answer for `query` on `/api/v1/query_range`.
    public func setRange(_ query: String, answer: Answer, warnings: [String] = []) {
        state.withLock { $0.range[query] = Registered(answer: answer, warnings: warnings) }
    }

    /// Forgets `query` on both endpoints.
    public func remove(_ query: String) {
        state.withLock { state in
            state.instant[query] = nil
            state.range[query] = nil
        }
    }

    // MARK: Faults

    /// While on, every endpoint (`/-/ready` too) answers `status` with the plain-text body
    /// `Service Unavailable`, as a Prometheus that is starting or overloaded behind a proxy.
    public func setUnavailable(_ unavailable: Bool, status: Int = 503) {
        state.withLock { $0.unavailableStatus = unavailable ? status : nil }
    }

    /// What `/-/ready` answers (200 `Prometheus Server is Ready.` or 503 `Service Unavailable`).
    public var isReady: Bool {
        get { state.withLock { $0.isReady } }
        set { state.withLock { $0.isReady = newValue } }
    }

    /// Makes query answers slow: with `delay`, each answers after it; with nil, each waits until
    /// ``respondPromptly()`` or until the server stops. Either way a waiting answer is released at shutdown.
    public func respondSlowly(after delay: Duration? = nil) {
        state.withLock { $0.slowness = delay.map { .delay($0) } ?? .hold }
    }

    /// Answers at once again, and releases every answer waiting now.
    public func respondPromptly() {
        state.withLock { $0.slowness = nil }
        slowResponses.releaseAll()
    }

    // MARK: Inspection

    /// Every request received, oldest first.
    public var requests: [Request] { state.withLock { $0.requests } }

    /// The query requests received (`/api/v1/query` and `/api/v1/query_range`), oldest first.
    public var queryRequests: [Request] { requests.filter { $0.path.hasPrefix("/api/v1/query") } }

    /// Returns once at least `count` requests were received (or the calling task is cancelled).
    public func waitForRequests(_ count: Int) async {
        await requestCount.wait(for: count)
    }

    /// Forgets results, requests and faults.
    public func reset() {
        state.withLock { $0 = State() }
        requestCount.reached(0)
        slowResponses.releaseAll()
    }

    // MARK: Serving

    func record(_ request: Request) {
        let count = state.withLock { state in
            state.requests.append(request)
            return state.requests.count
        }
        requestCount.reached(count)
    }

    /// Waits as ``respondSlowly(after:)`` asks, if it does.
    func waitIfSlow() async {
        switch state.withLock({ $0.slowness }) {
        case nil:
            return
        case .hold:
            await slowResponses.wait()
        case .delay(let delay):
            await withTaskGroup(of: Void.self) { group in
                group.addTask { try? await Task.sleep(for: delay) }
                group.addTask { [slowResponses] in await slowResponses.wait() }
                await group.next()
                group.cancelAll()
            }
        }
    }
}

/// Tasks waiting to be released together; a cancelled waiter leaves at once.
final class PrometheusWaiters: Sendable {
    private struct State {
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    func wait() async {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let cancelled = state.withLock { state -> Bool in
                    if Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if cancelled { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }

    func releaseAll() {
        let waiters = state.withLock { state in
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// How many requests arrived, and who waits for a number.
final class PrometheusRequestCounter: Sendable {
    private struct State {
        var count = 0
        var waiters: [UInt64: (count: Int, continuation: CheckedContinuation<Void, Never>)] = [:]
        var nextID: UInt64 = 0
    }

    private let state = Mutex(State())

    func reached(_ count: Int) {
        let ready = state.withLock { state in
            state.count = count
            let ready = state.waiters.filter { $0.value.count <= count }
            for id in ready.keys { state.waiters[id] = nil }
            return ready.values.map(\.continuation)
        }
        for waiter in ready { waiter.resume() }
    }

    func wait(for count: Int) async {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let done = state.withLock { state -> Bool in
                    if state.count >= count || Task.isCancelled { return true }
                    state.waiters[id] = (count, continuation)
                    return false
                }
                if done { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.continuation.resume()
        }
    }
}
