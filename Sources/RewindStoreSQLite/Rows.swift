import Foundation
import GRDB
import RewindCore
import RewindPorts

// Rows map one table row to one domain value and back. Column names follow `Schema`.

/// A stored value that does not decode: an unknown enum raw value or malformed JSON. The store
/// turns it into ``StoreError/Kind/corrupt`` with the file's path.
struct UnreadableValue: Error {
    var what: String
}

/// JSON text columns, with sorted keys so that equal values are stored identically.
enum JSONText {
    static func encode<Value: Encodable>(_ value: Value) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func encode<Value: Encodable>(_ value: Value?) throws -> String? {
        try value.map { try encode($0) }
    }

    static func decode<Value: Decodable>(_ type: Value.Type, from text: String, what: String) throws -> Value {
        do {
            return try JSONDecoder().decode(type, from: Data(text.utf8))
        } catch {
            throw UnreadableValue(what: what)
        }
    }

    static func decode<Value: Decodable>(_ type: Value.Type, from text: String?, what: String) throws -> Value? {
        try text.map { try decode(type, from: $0, what: what) }
    }
}

extension Row {
    /// Reads an enum stored as its raw string.
    func rawValue<Value: RawRepresentable>(_ column: String, what: String) throws -> Value
    where Value.RawValue == String {
        let text: String = self[column]
        guard let value = Value(rawValue: text) else { throw UnreadableValue(what: what) }
        return value
    }

    func optionalRawValue<Value: RawRepresentable>(_ column: String, what: String) throws -> Value?
    where Value.RawValue == String {
        guard let text: String = self[column] else { return nil }
        guard let value = Value(rawValue: text) else { throw UnreadableValue(what: what) }
        return value
    }

    func timestamp(_ column: String) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: self[column])
    }

    func optionalTimestamp(_ column: String) -> Timestamp? {
        (self[column] as Int64?).map(Timestamp.init(millisecondsSinceEpoch:))
    }
}

struct DeploymentRow: FetchableRecord, PersistableRecord {
    static let databaseTableName = "deployments"

    var deployment: Deployment

    init(_ deployment: Deployment) {
        self.deployment = deployment
    }

    init(row: Row) throws {
        let service = ServiceName(row["service"] as String)
        let id: String = row["id"]
        deployment = Deployment(
            service: service,
            id: id,
            version: row["version"],
            deployedAt: row.timestamp("deployed_at"),
            trust: try row.rawValue("trust", what: "the trust of deployment \(service)/\(id)"),
            commit: row["git_commit"],
            author: row["author"],
            knownGoodAt: row.optionalTimestamp("known_good_at"),
            wasLive: row["was_live"],
            listed: row["listed"])
    }

    func encode(to container: inout PersistenceContainer) {
        container["service"] = deployment.service.rawValue
        container["id"] = deployment.id
        container["version"] = deployment.version
        container["deployed_at"] = deployment.deployedAt.millisecondsSinceEpoch
        container["trust"] = deployment.trust.rawValue
        container["git_commit"] = deployment.commit
        container["author"] = deployment.author
        container["known_good_at"] = deployment.knownGoodAt?.millisecondsSinceEpoch
        container["was_live"] = deployment.wasLive
        container["listed"] = deployment.listed
    }

    static func find(_ db: Database, service: ServiceName, id: String) throws -> DeploymentRow? {
        try fetchOne(db, key: ["service": service.rawValue, "id": id])
    }
}

struct IncidentRow: FetchableRecord, PersistableRecord {
    static let databaseTableName = "incidents"

    var incident: Incident
    /// False when inserting: SQLite assigns the id.
    var includesID = true

    init(_ incident: Incident, includesID: Bool = true) {
        self.incident = incident
        self.includesID = includesID
    }

    init(row: Row) throws {
        let id: Int64 = row["id"]
        let what = "incident \(id)"
        incident = Incident(
            id: id,
            openedAt: row.timestamp("opened_at"),
            closedAt: row.optionalTimestamp("closed_at"),
            services: try JSONText.decode(
                [ServiceName].self, from: row["services"] as String, what: "\(what) services"),
            trigger: try row.rawValue("trigger", what: "\(what) trigger"),
            severity: try row.rawValue("severity", what: "\(what) severity"),
            strategy: try row.optionalRawValue("strategy", what: "\(what) strategy"),
            status: try row.rawValue("status", what: "\(what) status"),
            summary: row["summary"],
            plan: try JSONText.decode(Plan.self, from: row["plan"] as String?, what: "\(what) plan"),
            violation: try JSONText.decode(
                Violation.self, from: row["violation"] as String?, what: "\(what) violation"),
            reason: row["reason"],
            mode: try row.rawValue("mode", what: "\(what) mode"),
            acknowledgedAt: row.optionalTimestamp("acknowledged_at"),
            acknowledgedBy: row["acknowledged_by"])
    }

    func encode(to container: inout PersistenceContainer) throws {
        if includesID { container["id"] = incident.id }
        container["opened_at"] = incident.openedAt.millisecondsSinceEpoch
        container["closed_at"] = incident.closedAt?.millisecondsSinceEpoch
        container["status"] = incident.status.rawValue
        container["trigger"] = incident.trigger.rawValue
        container["severity"] = incident.severity.rawValue
        container["strategy"] = incident.strategy?.rawValue
        container["summary"] = incident.summary
        container["mode"] = incident.mode.rawValue
        container["reason"] = incident.reason
        container["services"] = try JSONText.encode(incident.services)
        container["plan"] = try JSONText.encode(incident.plan)
        container["violation"] = try JSONText.encode(incident.violation)
        container["acknowledged_at"] = incident.acknowledgedAt?.millisecondsSinceEpoch
        container["acknowledged_by"] = incident.acknowledgedBy
    }
}

struct TimelineRow: FetchableRecord, PersistableRecord {
    static let databaseTableName = "timeline"

    var event: TimelineEvent

    init(_ event: TimelineEvent) {
        self.event = event
    }

    init(row: Row) throws {
        let incidentID: Int64 = row["incident_id"]
        let what = "a timeline event of incident \(incidentID)"
        event = TimelineEvent(
            incidentID: incidentID,
            at: row.timestamp("at"),
            kind: try row.rawValue("kind", what: what),
            message: row["message"],
            detail: try JSONText.decode(JSONValue.self, from: row["detail"] as String?, what: what))
    }

    func encode(to container: inout PersistenceContainer) throws {
        container["incident_id"] = event.incidentID
        container["at"] = event.at.millisecondsSinceEpoch
        container["kind"] = event.kind.rawValue
        container["message"] = event.message
        container["detail"] = try JSONText.encode(event.detail)
    }
}

struct StepRow: FetchableRecord, PersistableRecord {
    static let databaseTableName = "steps"

    var record: StepRecord

    init(_ record: StepRecord) {
        self.record = record
    }

    init(row: Row) throws {
        let incidentID: Int64 = row["incident_id"]
        let stepID: String = row["step_id"]
        record = StepRecord(
            incidentID: incidentID,
            stepID: stepID,
            state: try JSONText.decode(
                StepRecord.State.self, from: row["state"] as String,
                what: "step \(stepID) of incident \(incidentID)"),
            at: row.timestamp("at"))
    }

    func encode(to container: inout PersistenceContainer) throws {
        container["incident_id"] = record.incidentID
        container["step_id"] = record.stepID
        container["state"] = try JSONText.encode(record.state)
        container["at"] = record.at.millisecondsSinceEpoch
    }
}

struct FreezeRow: FetchableRecord, PersistableRecord {
    static let databaseTableName = "freeze"
    static let onlyID: Int64 = 1

    var freeze: Freeze

    init(_ freeze: Freeze) {
        self.freeze = freeze
    }

    init(row: Row) {
        freeze = Freeze(
            until: row.timestamp("until"),
            reason: row["reason"],
            setAt: row.timestamp("set_at"),
            incidentID: row["incident_id"],
            setBy: row["set_by"])
    }

    func encode(to container: inout PersistenceContainer) {
        container["id"] = Self.onlyID
        container["until"] = freeze.until.millisecondsSinceEpoch
        container["reason"] = freeze.reason
        container["set_at"] = freeze.setAt.millisecondsSinceEpoch
        container["incident_id"] = freeze.incidentID
        container["set_by"] = freeze.setBy
    }
}

struct LeaseRow: FetchableRecord, PersistableRecord {
    static let databaseTableName = "writer_lease"
    static let onlyID: Int64 = 1

    var record: LeaseRecord

    init(_ record: LeaseRecord) {
        self.record = record
    }

    init(row: Row) {
        record = LeaseRecord(
            holder: row["holder"], epoch: row["epoch"], until: row.timestamp("until"),
            advertiseURL: row["advertise_url"])
    }

    func encode(to container: inout PersistenceContainer) {
        container["id"] = Self.onlyID
        container["holder"] = record.holder
        container["epoch"] = record.epoch
        container["until"] = record.until.millisecondsSinceEpoch
        container["advertise_url"] = record.advertiseURL
    }

    static func current(_ db: Database) throws -> LeaseRecord? {
        try fetchOne(db, key: onlyID)?.record
    }
}
