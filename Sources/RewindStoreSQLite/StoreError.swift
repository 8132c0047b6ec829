import Foundation
import GRDB
import RewindCore

/// Why the SQLite store could not do what was asked.
///
/// The message names the state file and the next step. It never carries stored values (a
/// timeline message, a captured output): only identifiers such as a service name, a deployment
/// id or an incident number, and SQLite's own description of the failure.
public struct StoreError: RewindError, Equatable {
    public enum Kind: String, Sendable, Equatable {
        /// `openExisting` was given a path where there is no file.
        case missingFile = "missing_file"
        /// SQLite could not open or create the file (directory missing, permissions, not a database).
        case cannotOpen = "cannot_open"
        /// The file is an SQLite database but holds no Rewind state.
        case notRewindDatabase = "not_rewind_database"
        /// The file was migrated by a newer Rewind than this one.
        case newerSchema = "newer_schema"
        /// Another process held the database longer than the busy timeout.
        case busy
        /// A deployment or incident the call refers to is not stored.
        case notFound = "not_found"
        /// A stored value could not be read back (hand-edited or damaged file).
        case corrupt
        /// Any other SQLite failure (disk full, I/O error, …).
        case failed
    }

    public var kind: Kind
    /// The state file.
    public var path: String
    public var message: String

    public init(_ kind: Kind, path: String, message: String) {
        self.kind = kind
        self.path = path
        self.message = message
    }

    public var code: String { "store_\(kind.rawValue)" }

    /// A busy database is worth retrying; nothing else is.
    public var isTransient: Bool { kind == .busy }
}

extension StoreError {
    static func missingFile(_ path: String) -> StoreError {
        StoreError(
            .missingFile, path: path,
            message: "the state file \(path) does not exist; start the daemon (rewind serve) once to create it, "
                + "or check the configured state path")
    }

    static func notRewindDatabase(_ path: String) -> StoreError {
        StoreError(
            .notRewindDatabase, path: path,
            message: "\(path) is not a Rewind state file; check the configured state path")
    }

    static func newerSchema(_ path: String) -> StoreError {
        StoreError(
            .newerSchema, path: path,
            message: "the state file \(path) was written by a newer Rewind; upgrade this rewind binary")
    }

    static func notFound(_ what: String, path: String) -> StoreError {
        StoreError(.notFound, path: path, message: "\(what) is not recorded in the state file \(path)")
    }

    static func corrupt(_ what: String, path: String) -> StoreError {
        StoreError(
            .corrupt, path: path,
            message: "could not read \(what) from the state file \(path); the file may be damaged — restore it "
                + "from a backup or move it aside")
    }

    /// Wraps whatever a database call threw. Rewind's own errors (``StoreError``, `StoreFenced`,
    /// `InvalidStateChange`) and cancellation pass through unchanged.
    static func wrapping(_ error: any Error, path: String, while action: String) -> any Error {
        if error is any RewindError || error is CancellationError { return error }
        if let unreadable = error as? UnreadableValue { return corrupt(unreadable.what, path: path) }
        guard let database = error as? DatabaseError else {
            // Only the error's type: its description could quote a stored value.
            return StoreError(
                .failed, path: path,
                message: "could not \(action) in the state file \(path) (\(type(of: error)))")
        }
        // `DatabaseError.message` is SQLite's own sentence; it never contains bound values.
        let reason = database.message ?? "\(database.resultCode)"
        switch database.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return StoreError(
                .busy, path: path,
                message: "could not \(action): the state file \(path) stayed locked by another process; retry, "
                    + "and check that no other program holds it open")
        case .SQLITE_CANTOPEN, .SQLITE_NOTADB, .SQLITE_PERM, .SQLITE_AUTH:
            return StoreError(
                .cannotOpen, path: path,
                message: "could not open the state file \(path) (\(reason)); check that its directory exists, "
                    + "that it is writable, and that the path names a Rewind state file")
        case .SQLITE_CORRUPT:
            return StoreError(
                .corrupt, path: path,
                message: "the state file \(path) is damaged (\(reason)); restore it from a backup or move it aside")
        default:
            return StoreError(
                .failed, path: path,
                message: "could not \(action) in the state file \(path) (\(reason)); check free disk space and "
                    + "file permissions")
        }
    }
}
