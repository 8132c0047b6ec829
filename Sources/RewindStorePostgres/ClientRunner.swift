import Logging
import PostgresNIO
import Synchronization

/// A PostgresNIO client and the task that runs it: queries only make progress while `run()` does.
final class ClientRunner: Sendable {
    let client: PostgresClient
    private let running: Task<Void, Never>

    init(_ configuration: PostgresClient.Configuration, logger: Logger) {
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        self.running = Task { await client.run() }
    }

    deinit { running.cancel() }

    func shutdown() async {
        running.cancel()
        await running.value
    }

    /// Runs `body` on a pooled connection. Throws ``ConnectionWaitExpired`` when no connection was
    /// handed out within `wait` (the database is unreachable); once `body` has started it is never
    /// interrupted, since it may be committing.
    func withSession<T: Sendable>(
        logger: Logger, waitingAtMost wait: Duration, statementTimeout: Duration,
        _ body: @escaping @Sendable (Session) async throws -> T
    ) async throws -> T {
        let started = Started()
        let client = client
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await client.withConnection { connection in
                    guard started.begin() else { throw ConnectionWaitExpired() }
                    return try await body(
                        Session(connection: connection, logger: logger, statementTimeout: statementTimeout))
                }
            }
            group.addTask {
                try? await Task.sleep(for: wait)
                return nil
            }
            while let next = try await group.next() {
                if let value = next {
                    group.cancelAll()
                    return value
                }
                // The wait is over: give up only if the body has not started.
                if started.expire() {
                    group.cancelAll()
                    throw ConnectionWaitExpired()
                }
            }
            throw ConnectionWaitExpired()
        }
    }
}

/// No connection was handed out in time.
struct ConnectionWaitExpired: Error {}

/// Whether the body started before the wait expired; whichever comes first wins.
private final class Started: Sendable {
    private let state = Mutex<Bool?>(nil)

    /// True when the body may run (the wait has not expired).
    func begin() -> Bool {
        state.withLock { value in
            if value == nil { value = true }
            return value == true
        }
    }

    /// True when the wait expired before the body started.
    func expire() -> Bool {
        state.withLock { value in
            if value == nil { value = false }
            return value == false
        }
    }
}
