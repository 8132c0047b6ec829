import Foundation
import Logging
import PostgresNIO
import RewindCore
import RewindPorts
import Synchronization

/// One leased connection and the statements the store runs on it.
struct Session {
    let connection: PostgresConnection
    let logger: Logger
    /// How long one statement may take before the connection is taken for dead (see ``bounded(_:)``).
    let statementTimeout: Duration

    /// Runs a statement and reads its whole result, so that its errors surface here.
    @discardableResult
    func run(_ query: PostgresQuery) async throws -> [PostgresRow] {
        let (connection, logger) = (connection, logger)
        return try await bounded { try await connection.query(query, logger: logger).collect() }
    }

    /// The first column of every row, as text (JSON columns).
    func texts(_ query: PostgresQuery) async throws -> [String] {
        try await run(query).map { try $0.decode(String.self) }
    }

    /// The first column of every row, as an integer.
    func integers(_ query: PostgresQuery) async throws -> [Int64] {
        try await run(query).map { try $0.decode(Int64.self) }
    }

    /// Runs `body`, but gives up after ``statementTimeout``: then the connection is closed and
    /// ``StatementTimedOut`` thrown, a connection loss. A statement sent on a connection the
    /// server has just ended may never be answered by PostgresNIO (seen with 1.33.2 when
    /// `pg_terminate_backend` cuts connections under load); waiting on it would hang the call.
    private func bounded<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let (connection, limit) = (connection, statementTimeout)
        return try await withCheckedThrowingContinuation { continuation in
            let outcome = FirstOutcome(continuation)
            let timer = Task {
                try? await Task.sleep(for: limit)
                // The statement has not answered: closing the connection fails it, and the call is retried.
                if !Task.isCancelled, outcome.resume(with: .failure(StatementTimedOut())) {
                    connection.close().whenComplete { _ in }
                }
            }
            Task {
                do { outcome.resume(with: .success(try await body())) } catch { outcome.resume(with: .failure(error)) }
                timer.cancel()
            }
        }
    }

    /// The JSON column of every row, decoded.
    func values<Value: Decodable>(_ type: Value.Type, _ query: PostgresQuery, what: String) async throws -> [Value] {
        try await texts(query).map { try JSONText.decode(type, from: $0, what: what) }
    }

    /// Runs `body` between BEGIN and COMMIT; any error rolls it back. A connection lost during
    /// COMMIT is ``CommitInterrupted``: the outcome is unknown.
    func transaction<T>(_ body: (Session) async throws -> T) async throws -> T {
        try await run("BEGIN")
        let result: T
        do {
            result = try await body(self)
        } catch {
            // After a connection loss the server has rolled back already, and a statement sent on
            // the dead connection may never be answered: close it instead.
            if ConnectionLoss.isLoss(error) {
                try? await connection.close()
                throw error
            }
            do {
                try await run("ROLLBACK")
            } catch {
                // The connection is unusable: close it rather than hand it back mid-transaction.
                try? await connection.close()
            }
            throw error
        }
        do {
            try await run("COMMIT")
        } catch {
            if ConnectionLoss.isLoss(error) { throw CommitInterrupted(error: error) }
            throw error
        }
        return result
    }

    // MARK: - The lease row

    enum RowLock {
        /// Blocks a takeover until this transaction ends (fenced writes).
        case share
        /// Serializes lease changes.
        case update
    }

    /// The lease row, locked for the rest of the transaction; nil when never taken.
    func lease(lock: RowLock) async throws -> LeaseRecord? {
        let query: PostgresQuery =
            switch lock {
            case .share: "SELECT \(unescaped: Self.leaseColumns) FROM writer_lease WHERE id = 1 FOR SHARE"
            case .update: "SELECT \(unescaped: Self.leaseColumns) FROM writer_lease WHERE id = 1 FOR UPDATE"
            }
        return try await leaseRecord(query)
    }

    /// Without a lock, for reads.
    func currentLease() async throws -> LeaseRecord? {
        try await leaseRecord("SELECT \(unescaped: Self.leaseColumns) FROM writer_lease WHERE id = 1")
    }

    private static let leaseColumns = "holder, epoch, until_ms, advertise_url, advertise_epoch"

    private func leaseRecord(_ query: PostgresQuery) async throws -> LeaseRecord? {
        guard let row = try await run(query).first else { return nil }
        let (holder, epoch, until, url, urlEpoch) = try row.decode((String?, Int64, Int64, String?, Int64?).self)
        // Epoch 0 is the row the schema starts with: never taken.
        if epoch == 0 { return nil }
        return LeaseRecord(
            holder: holder, epoch: epoch, until: Timestamp(millisecondsSinceEpoch: until),
            advertiseURL: urlEpoch == epoch ? url : nil)
    }

    func saveLease(_ record: LeaseRecord) async throws {
        try await run(
            "UPDATE writer_lease SET holder = \(record.holder), epoch = \(record.epoch), until_ms = \(record.until.millisecondsSinceEpoch), advertise_url = \(record.advertiseURL), advertise_epoch = \(record.epoch) WHERE id = 1"
        )
    }

    /// The next value of a counter (`incidents`, `outbox`, `escalations`), inside the transaction:
    /// a rollback gives it back, unlike a sequence.
    func nextID(_ counter: String) async throws -> Int64 {
        guard
            let id = try await integers("UPDATE id_counters SET last = last + 1 WHERE name = \(counter) RETURNING last")
                .first
        else {
            throw UnreadableValue(what: "the \(counter) id counter")
        }
        return id
    }
}

/// A statement got no answer within the session's statement timeout; its connection was closed.
struct StatementTimedOut: Error {}

/// Resumes a continuation once, with whichever outcome comes first.
private final class FirstOutcome<T: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<T, any Error>?>(nil)

    init(_ continuation: CheckedContinuation<T, any Error>) {
        self.continuation.withLock { $0 = continuation }
    }

    /// True when this outcome was the first.
    @discardableResult
    func resume(with result: Result<T, any Error>) -> Bool {
        guard
            let pending = continuation.withLock({ value in
                defer { value = nil }
                return value
            })
        else { return false }
        pending.resume(with: result)
        return true
    }
}

/// The connection was lost while COMMIT was in flight.
struct CommitInterrupted: Error {
    var error: any Error
}

/// JSON text columns, with sorted keys so that equal values are stored identically.
enum JSONText {
    static func encode<Value: Encodable>(_ value: Value) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<Value: Decodable>(_ type: Value.Type, from text: String, what: String) throws -> Value {
        do {
            return try JSONDecoder().decode(type, from: Data(text.utf8))
        } catch {
            throw UnreadableValue(what: what)
        }
    }
}
