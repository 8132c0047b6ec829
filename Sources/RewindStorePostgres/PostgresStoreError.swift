import PostgresNIO
import RewindCore

/// Why the PostgreSQL store could not do what was asked.
///
/// The message names the database (`user@host:port/database`, never the password) and the next
/// step. It never carries stored values: only identifiers and PostgreSQL's own SQLSTATE and
/// sentence.
public struct PostgresStoreError: RewindError, Equatable {
    public enum Kind: String, Sendable, Equatable {
        /// The URL or settings are not usable (no host, unknown sslmode, …).
        case invalidSettings = "invalid_settings"
        /// The database could not be reached, or the connection was lost, for longer than the
        /// store retries.
        case unavailable
        /// The connection was lost while the database committed: whether the write was stored is
        /// unknown. Nothing is retried blindly; the caller reads the state again.
        case outcomeUnknown = "outcome_unknown"
        /// The database's schema was migrated by a newer Rewind than this one.
        case newerSchema = "newer_schema"
        /// A deployment, incident, task, notification or timer the call refers to is not stored.
        case notFound = "not_found"
        /// A stored value could not be read back.
        case corrupt
        /// Any other database failure (permissions, a full disk, …).
        case failed
    }

    public var kind: Kind
    /// `user@host:port/database`.
    public var database: String
    public var message: String

    public init(_ kind: Kind, database: String, message: String) {
        self.kind = kind
        self.database = database
        self.message = message
    }

    public var code: String { "store_\(kind.rawValue)" }

    /// Whether the same call may succeed later (the database came back).
    public var isTransient: Bool { kind == .unavailable }
}

extension PostgresStoreError {
    static func notFound(_ what: String, database: String) -> PostgresStoreError {
        PostgresStoreError(
            .notFound, database: database, message: "\(what) is not recorded in the database \(database)")
    }

    static func corrupt(_ what: String, database: String) -> PostgresStoreError {
        PostgresStoreError(
            .corrupt, database: database,
            message: "could not read \(what) from the database \(database); a row was changed by hand or by a "
                + "newer Rewind")
    }

    static func newerSchema(_ version: Int64, database: String) -> PostgresStoreError {
        PostgresStoreError(
            .newerSchema, database: database,
            message: "the database \(database) has schema version \(version), written by a newer Rewind; upgrade "
                + "this rewind binary (replicas are upgraded one at a time, the newest schema first)")
    }

    /// Wraps whatever a database call threw. Rewind's own errors and cancellation pass through.
    static func wrapping(_ error: any Error, database: String, while action: String) -> any Error {
        if error is any RewindError || error is CancellationError { return error }
        if let unreadable = error as? UnreadableValue { return corrupt(unreadable.what, database: database) }
        if ConnectionLoss.isLoss(error) {
            return PostgresStoreError(
                .unavailable, database: database,
                message:
                    "could not \(action): the database \(database) could not be reached (\(ConnectionLoss.reason(error))); "
                    + "check that PostgreSQL runs and accepts this host, and the user and password")
        }
        guard let psql = error as? PSQLError, let state = psql.serverInfo?[.sqlState] else {
            // Only the error's type: its description could quote a bound value.
            return PostgresStoreError(
                .failed, database: database,
                message: "could not \(action) in the database \(database) (\(type(of: error)))")
        }
        // PostgreSQL's own sentence; with extended queries, bound values are not part of it.
        let sentence = psql.serverInfo?[.message] ?? ""
        return PostgresStoreError(
            .failed, database: database,
            message: "could not \(action) in the database \(database) (SQLSTATE \(state): \(sentence)); check the "
                + "user's grants and the server's log")
    }
}

/// A value read back that does not decode (malformed JSON, an unknown raw value).
struct UnreadableValue: Error {
    var what: String
}
