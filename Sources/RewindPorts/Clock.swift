import Foundation
import RewindCore
import Synchronization

/// The injected clock. Everything in the engine that waits or reads the time goes through it,
/// so tests drive time with ``ManualClock`` and never sleep.
public protocol RewindClock: Sendable {
    /// Wall-clock now.
    var now: Timestamp { get }
    /// Suspends until `deadline` (wall-clock); throws `CancellationError` when cancelled.
    func sleep(until deadline: Timestamp) async throws
}

extension RewindClock {
    public func sleep(for duration: Duration) async throws {
        try await sleep(until: now + duration)
    }
}

/// The real clock: wall time from the system, waits on the continuous clock.
public struct SystemClock: RewindClock {
    public init() {}

    public var now: Timestamp {
        Timestamp(millisecondsSinceEpoch: Int64((Date().timeIntervalSince1970 * 1000).rounded()))
    }

    public func sleep(until deadline: Timestamp) async throws {
        let remaining = deadline - now
        if remaining > .zero {
            try await Task.sleep(for: remaining)
        } else {
            try Task.checkCancellation()
        }
    }
}

/// A clock that moves only when a test says so.
///
/// `advance(by:)` moves time forward and resumes every sleeper whose deadline has passed, in
/// deadline order. `sleepers` and `waitForSleepers(_:)` let a test wait until the code under test
/// is parked on the clock before it advances — awaiting an event, never sleeping.
public final class ManualClock: RewindClock {
    private struct Sleeper {
        let id: UInt64
        let deadline: Timestamp
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: Timestamp
        var sleepers: [Sleeper] = []
        var nextID: UInt64 = 0
        var waiters: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state: Mutex<State>

    public init(now: Timestamp = Timestamp(millisecondsSinceEpoch: 1_790_000_000_000)) {
        state = Mutex(State(now: now))
    }

    public var now: Timestamp { state.withLock { $0.now } }

    /// How many tasks are parked on the clock.
    public var sleepers: Int { state.withLock { $0.sleepers.count } }

    public func sleep(until deadline: Timestamp) async throws {
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let (resumeNow, ready) = state.withLock { state -> (Bool, [CheckedContinuation<Void, Never>]) in
                    if deadline <= state.now || Task.isCancelled { return (true, []) }
                    state.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    return (false, Self.readyWaiters(&state))
                }
                ready.forEach { $0.resume() }
                if resumeNow {
                    if Task.isCancelled {
                        continuation.resume(throwing: CancellationError())
                    } else {
                        continuation.resume()
                    }
                }
            }
        } onCancel: {
            let cancelled = state.withLock { state -> Sleeper? in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else { return nil }
                return state.sleepers.remove(at: index)
            }
            cancelled?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward and wakes every sleeper whose deadline is reached.
    public func advance(by duration: Duration) {
        let due = state.withLock { state -> [Sleeper] in
            state.now = state.now + duration
            let now = state.now
            let due = state.sleepers.filter { $0.deadline <= now }.sorted { $0.deadline < $1.deadline }
            state.sleepers.removeAll { $0.deadline <= now }
            return due
        }
        due.forEach { $0.continuation.resume() }
    }

    /// The earliest deadline a sleeper waits for.
    public var nextDeadline: Timestamp? { state.withLock { $0.sleepers.map(\.deadline).min() } }

    /// Advances exactly to the next sleeper's deadline, if there is one.
    @discardableResult
    public func advanceToNextDeadline() -> Bool {
        guard let next = nextDeadline else { return false }
        advance(by: max(next - now, .zero))
        return true
    }

    /// Returns once at least `count` tasks are parked on the clock.
    public func waitForSleepers(_ count: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                if state.sleepers.count >= count { return true }
                state.waiters.append((count, continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }

    private static func readyWaiters(_ state: inout State) -> [CheckedContinuation<Void, Never>] {
        let count = state.sleepers.count
        let ready = state.waiters.filter { $0.count <= count }.map(\.continuation)
        state.waiters.removeAll { $0.count <= count }
        return ready
    }
}

/// Runs `operation` with a deadline on `clock`. Throws ``DeadlineExceeded`` when time runs out;
/// the operation is cancelled.
public func withDeadline<T: Sendable>(
    _ timeout: Duration, clock: any RewindClock, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await clock.sleep(for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { throw CancellationError() }
        guard let value = first else { throw DeadlineExceeded(timeout: timeout) }
        return value
    }
}

public struct DeadlineExceeded: RewindError {
    public var timeout: Duration
    public init(timeout: Duration) { self.timeout = timeout }
    public var code: String { "deadline_exceeded" }
    public var message: String { "did not finish within \(timeout.rewindDescription)" }
    public var isTransient: Bool { true }
}

/// How long a vendor asked Rewind to wait: `Retry-After` as delta-seconds or an HTTP date (RFC 9110
/// §10.2.3), and the vendor-specific reset times, for every HTTP adapter.
///
/// The value comes from outside (a vendor, a proxy, a webhook receiver), so it is parsed with
/// saturating arithmetic and every wait is capped at ``maximum``: a 16-digit number or a date in the
/// year 9999 is an hour, never a trap. Whether an hour is worth waiting for is the caller's retry
/// budget (``RetryPolicy/exceedsBudget(_:)``).
public enum RetryAfter {
    /// The longest wait any vendor answer can ask for.
    public static let maximum: Duration = .seconds(3600)

    /// `value` as delta-seconds or an HTTP date, within 0…``maximum``; nil when it is neither.
    public static func parse(_ value: String?, now: Date = Date()) -> Duration? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Saturating.integer(value) { return capped(seconds: seconds) }
        guard let date = httpDate(value) else { return nil }
        return capped(.seconds(saturating: date.timeIntervalSince(now)))
    }

    /// A number of seconds from a header or a body (Cloudflare's `Ratelimit: …;t=`), capped.
    public static func seconds(_ text: some StringProtocol) -> Duration? {
        Saturating.integer(text.trimmingCharacters(in: .whitespaces)).map(capped(seconds:))
    }

    /// The wait until `reset` (epoch milliseconds, LaunchDarkly's `X-Ratelimit-Reset`, Vercel's
    /// `limit.resetMs`), capped; a reset in the past is no wait.
    public static func until(epochMilliseconds reset: Int64, now: Timestamp) -> Duration {
        capped(.milliseconds(Saturating.subtract(reset, now.millisecondsSinceEpoch)))
    }

    /// `duration` within 0…``maximum``.
    public static func capped(_ duration: Duration) -> Duration {
        min(max(duration, .zero), maximum)
    }

    private static func capped(seconds: Int64) -> Duration {
        seconds >= Int64(maximum.seconds) ? maximum : capped(.seconds(seconds))
    }

    /// An HTTP date is printable ASCII (RFC 9110 §5.6.7), at most 64 characters here; anything else
    /// never reaches Foundation's `DateFormatter`, which traps on some non-ASCII text (a letter with a
    /// combining mark before digits: Fuzz/findings/retry-after-non-ascii-date).
    private static func httpDate(_ value: String) -> Date? {
        guard value.utf8.count <= 64, value.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return nil }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: value)
    }
}
