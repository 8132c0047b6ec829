import Foundation
import Logging
import PostgresNIO
import RewindCore
import RewindPorts

/// Rewind's state in a PostgreSQL database, through PostgresNIO: the store for several replicas
/// sharing one state.
///
/// ```swift
/// let store = try await PostgresStore.open(try PostgresSettings(url: "postgresql://rewind@db:5432/rewind"))
/// defer { Task { await store.shutdown() } }
/// ```
///
/// - **Migrations.** ``open(_:logger:retry:)`` brings the schema up to date (``PostgresSchema``)
///   in one transaction under an advisory lock, so replicas that start at once migrate once.
/// - **Transactions.** Every ``commit(_:)`` — and so every single write of the ports — is one
///   transaction; ids (incidents, notifications, timers) come from counter rows updated in it, so
///   a failed commit uses none up, as the ports require.
/// - **Fencing.** A store bound to a lease grant (``fenced(by:)``) reads the lease row `FOR SHARE`
///   first in every write transaction and refuses the write (``StoreFenced``) unless the grant is
///   the one in force; the share lock keeps a takeover from committing until the write is done.
/// - **Connection loss.** A call whose connection fails before anything can have been committed
///   is sent again on a new connection, with backoff, for up to ``Retry/giveUpAfter``; then it
///   throws `store_unavailable`. A connection lost while the database commits is never retried
///   blindly: it throws `store_outcome_unknown`. Nothing is dropped silently.
///
/// Errors are ``PostgresStoreError``, `StoreFenced` and `InvalidStateChange`; task cancellation
/// surfaces as `CancellationError`.
public struct PostgresStore: RewindStore {
    /// How long a call keeps trying while the database cannot be reached.
    public struct Retry: Sendable, Equatable {
        /// Waits at most this long for a connection per attempt.
        public var connectionWait: Duration
        /// One statement unanswered this long means a dead connection: it is closed, and the call
        /// retried (or, during COMMIT, reported as `store_outcome_unknown`).
        public var statementTimeout: Duration
        /// The first pause between attempts; it doubles up to ``maximumDelay``.
        public var firstDelay: Duration
        public var maximumDelay: Duration
        /// No new attempt starts after this long.
        public var giveUpAfter: Duration

        public init(
            connectionWait: Duration = .seconds(5), statementTimeout: Duration = .seconds(30),
            firstDelay: Duration = .milliseconds(100), maximumDelay: Duration = .seconds(2),
            giveUpAfter: Duration = .seconds(30)
        ) {
            self.connectionWait = connectionWait
            self.statementTimeout = statementTimeout
            self.firstDelay = firstDelay
            self.maximumDelay = maximumDelay
            self.giveUpAfter = giveUpAfter
        }
    }

    public let settings: PostgresSettings
    private let connections: ClientRunner
    private let retry: Retry
    private let logger: Logger
    /// The grant every write is fenced by; nil: writes are not checked.
    private let fence: LeaseGrant?

    /// Connects and brings the schema up to date. Throws `store_unavailable` when the database
    /// cannot be reached within `retry`, `store_newer_schema` when a newer Rewind migrated it.
    public static func open(
        _ settings: PostgresSettings,
        logger: Logger = Logger(label: "rewind.store.postgres", factory: { _ in SwiftLogNoOpLogHandler() }),
        retry: Retry = Retry()
    ) async throws -> PostgresStore {
        let store = PostgresStore(
            settings: settings, connections: ClientRunner(settings.clientConfiguration, logger: logger), retry: retry,
            logger: logger, fence: nil)
        do {
            try await store.migrate()
        } catch {
            await store.shutdown()
            throw error
        }
        return store
    }

    private init(
        settings: PostgresSettings, connections: ClientRunner, retry: Retry, logger: Logger, fence: LeaseGrant?
    ) {
        self.settings = settings
        self.connections = connections
        self.retry = retry
        self.logger = logger
        self.fence = fence
    }

    /// The same database (the same connections), every write fenced by `grant`.
    public func fenced(by grant: LeaseGrant) -> PostgresStore {
        PostgresStore(settings: settings, connections: connections, retry: retry, logger: logger, fence: grant)
    }

    /// Closes every connection; calls after it fail. Copies made by ``fenced(by:)`` share them.
    public func shutdown() async {
        await connections.shutdown()
    }

    /// `user@host:port/database`, for messages.
    var database: String { settings.description }

    // MARK: - Database access

    /// Runs `body` on one connection, outside a transaction (each statement is its own snapshot).
    /// `action` completes the sentence "could not …" in an error.
    func read<T: Sendable>(_ action: String, _ body: @escaping @Sendable (Session) async throws -> T) async throws -> T
    {
        try await attempt(action) { session in try await body(session) }
    }

    /// Runs `body` in one transaction: all of it commits, or none of it. A fenced store first
    /// checks, in the same transaction, that its grant is still the lease in force.
    func write<T: Sendable>(_ action: String, _ body: @escaping @Sendable (Session) async throws -> T) async throws -> T
    {
        let fence = fence
        return try await writeUnfenced(action) { session in
            if let fence { try LeaseRecord.requireInForce(fence, stored: try await session.lease(lock: .share)) }
            return try await body(session)
        }
    }

    /// ``write(_:_:)`` without the fence check: for the lease calls, which check their own grant.
    func writeUnfenced<T: Sendable>(
        _ action: String, _ body: @escaping @Sendable (Session) async throws -> T
    ) async throws -> T {
        try await attempt(action) { session in try await session.transaction(body) }
    }

    /// One call, sent again after a connection loss that cannot have committed anything.
    private func attempt<T: Sendable>(
        _ action: String, _ body: @escaping @Sendable (Session) async throws -> T
    ) async throws -> T {
        let clock = ContinuousClock()
        let giveUp = clock.now.advanced(by: retry.giveUpAfter)
        var delay = retry.firstDelay
        var attempts = 0
        while true {
            attempts += 1
            do {
                return try await connections.withSession(
                    logger: logger, waitingAtMost: retry.connectionWait, statementTimeout: retry.statementTimeout, body)
            } catch let lost as CommitInterrupted {
                throw PostgresStoreError(
                    .outcomeUnknown, database: database,
                    message:
                        "the connection to \(database) was lost while it committed (\(ConnectionLoss.reason(lost.error))), "
                        + "so whether it could \(action) is unknown; read the state before acting again")
            } catch {
                let retriable = ConnectionLoss.isLoss(error) || error is ConnectionWaitExpired
                guard retriable, !Task.isCancelled, clock.now.advanced(by: delay) < giveUp else {
                    if error is ConnectionWaitExpired {
                        throw PostgresStoreError(
                            .unavailable, database: database,
                            message: "could not \(action): no connection to \(database) after \(attempts) attempts; "
                                + "check that PostgreSQL runs and accepts this host, and the user and password")
                    }
                    throw PostgresStoreError.wrapping(error, database: database, while: action)
                }
                logger.warning(
                    "database connection lost; retrying",
                    metadata: [
                        "rewind.database": "\(database)", "rewind.attempt": "\(attempts)",
                        "rewind.reason":
                            "\(error is ConnectionWaitExpired ? "no connection" : ConnectionLoss.reason(error))",
                    ])
                try await Task.sleep(for: delay)
                delay = min(delay * 2, retry.maximumDelay)
            }
        }
    }
}
