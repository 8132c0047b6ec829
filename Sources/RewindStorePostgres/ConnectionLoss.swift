import PostgresNIO

/// Which failures mean "the connection, not the request, failed": the request may be sent again
/// once a connection is back, because PostgreSQL rolled back whatever it had begun.
enum ConnectionLoss {
    /// SQLSTATEs after which the transaction is certainly rolled back and the server, or another
    /// connection, may succeed: connection exceptions (class 08), the server shutting down or
    /// starting (57P01–57P03), a serialization failure or deadlock (40001, 40P01).
    static let retriedStates: Set<String> = ["57P01", "57P02", "57P03", "40001", "40P01"]

    static func isLoss(_ error: any Error) -> Bool {
        if error is StatementTimedOut { return true }
        guard let psql = error as? PSQLError else { return false }
        switch psql.code {
        case .connectionError, .serverClosedConnection, .uncleanShutdown, .clientClosedConnection:
            return true
        case .server:
            guard let state = psql.serverInfo?[.sqlState] else { return false }
            return state.hasPrefix("08") || retriedStates.contains(state)
        default:
            return false
        }
    }

    /// A short reason for a message: the client's code, or the server's SQLSTATE.
    static func reason(_ error: any Error) -> String {
        if error is StatementTimedOut { return "no answer within the statement timeout" }
        guard let psql = error as? PSQLError else { return "\(type(of: error))" }
        if let state = psql.serverInfo?[.sqlState] { return "SQLSTATE \(state)" }
        return "\(psql.code)"
    }
}
