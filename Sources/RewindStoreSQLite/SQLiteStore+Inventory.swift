import GRDB
import RewindCore
import RewindPorts

/// What `rewind state migrate` needs to read a whole state out (``StateInventory``).
extension SQLiteStore {
    public func recordedServices() async throws -> [ServiceName] {
        try await read("list the services with recorded state") { db in
            try String.fetchAll(
                db,
                sql: """
                    SELECT service FROM deployments UNION SELECT service FROM services_live
                    UNION SELECT service FROM automatic_rollbacks ORDER BY service
                    """
            ).map(ServiceName.init(rawValue:))
        }
    }

    /// `AUTOINCREMENT` keeps the highest id ever given in `sqlite_sequence`, rows since deleted included.
    public func idCounters() async throws -> IDCounters {
        try await read("read the id counters") { db in
            func highest(_ table: String) throws -> Int64 {
                let given =
                    try db.tableExists("sqlite_sequence")
                    ? try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = ?", arguments: [table])
                    : nil
                let present = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM \(table)")
                return max(given ?? 0, present ?? 0)
            }
            return IDCounters(
                incidents: try highest("incidents"), outbox: try highest("outbox"),
                escalations: try highest("escalations"))
        }
    }
}
