import Foundation
import Logging
import PostgresNIO

/// Every table of the PostgreSQL store, as numbered migrations. Append new ones at the end; never
/// edit one that has shipped.
///
/// Times are `bigint` milliseconds since the Unix epoch. Each domain value is stored whole as JSON
/// text beside the columns the queries select and order on. Rows whose order the ports promise
/// ("in the order recorded") carry a `seq` from a sequence; ids the ports promise never to reuse
/// come from `id_counters`, updated inside the writing transaction.
enum PostgresSchema {
    struct Migration {
        var version: Int64
        var description: String
        var statements: [PostgresQuery]
    }

    /// The name of the advisory lock held while migrating `schema`: replicas starting at once
    /// migrate one after the other, and the second finds nothing left to do. States in other
    /// schemas of the database migrate independently.
    static func migrationLock(schema: String?) -> String {
        "rewind migrations: " + (schema ?? "public")
    }

    static let migrations: [Migration] = [
        Migration(
            version: 1, description: "the store's tables",
            statements: [
                "CREATE TABLE id_counters (name text PRIMARY KEY, last bigint NOT NULL)",
                "INSERT INTO id_counters (name, last) VALUES ('incidents', 0), ('outbox', 0), ('escalations', 0)",
                """
                CREATE TABLE deployments (
                    service text NOT NULL, id text NOT NULL, seq bigserial NOT NULL, deployed_at bigint NOT NULL,
                    deployment text NOT NULL, PRIMARY KEY (service, id))
                """,
                "CREATE INDEX deployments_by_time ON deployments (service, deployed_at, seq)",
                """
                CREATE TABLE services_live (
                    service text PRIMARY KEY, deployment_id text NOT NULL, live_since bigint NOT NULL,
                    FOREIGN KEY (service, deployment_id) REFERENCES deployments (service, id))
                """,
                "CREATE TABLE automatic_rollbacks (seq bigserial PRIMARY KEY, service text NOT NULL, at bigint NOT NULL)",
                "CREATE INDEX automatic_rollbacks_by_time ON automatic_rollbacks (service, at, seq)",
                "CREATE TABLE deployment_freeze (id int PRIMARY KEY CHECK (id = 1), value text NOT NULL)",
                "CREATE TABLE incidents (id bigint PRIMARY KEY, status text NOT NULL, incident text NOT NULL)",
                "CREATE INDEX incidents_by_status ON incidents (status, id)",
                """
                CREATE TABLE timeline (
                    seq bigserial PRIMARY KEY, incident_id bigint NOT NULL REFERENCES incidents (id), at bigint NOT NULL,
                    event text NOT NULL)
                """,
                "CREATE INDEX timeline_by_incident ON timeline (incident_id, at, seq)",
                // The step journal keeps every record; the latest per step is the step's state.
                """
                CREATE TABLE steps (
                    seq bigserial PRIMARY KEY, incident_id bigint NOT NULL REFERENCES incidents (id), step_id text NOT NULL,
                    record text NOT NULL)
                """,
                "CREATE INDEX steps_by_incident ON steps (incident_id, step_id, seq)",
                """
                CREATE TABLE outbox (
                    id bigint PRIMARY KEY, incident_id bigint NOT NULL, status text NOT NULL, next_attempt_at bigint NOT NULL,
                    entry text NOT NULL)
                """,
                "CREATE INDEX outbox_due ON outbox (status, next_attempt_at, id)",
                "CREATE INDEX outbox_by_incident ON outbox (incident_id, id)",
                """
                CREATE TABLE escalations (
                    id bigint PRIMARY KEY, incident_id bigint NOT NULL, state text NOT NULL, due_at bigint NOT NULL,
                    timer text NOT NULL)
                """,
                "CREATE INDEX escalations_due ON escalations (state, due_at, id)",
                "CREATE INDEX escalations_by_incident ON escalations (incident_id, due_at, id)",
                """
                CREATE TABLE tasks (
                    incident_id bigint NOT NULL, task_id text NOT NULL, seq bigserial NOT NULL, task text NOT NULL,
                    PRIMARY KEY (incident_id, task_id))
                """,
                """
                CREATE TABLE samples (
                    seq bigserial PRIMARY KEY, incident_id bigint NOT NULL, at bigint NOT NULL, observation text NOT NULL)
                """,
                "CREATE INDEX samples_by_incident ON samples (incident_id, at, seq)",
                // One row, kept when released so that the epoch never goes back; epoch 0: never taken.
                """
                CREATE TABLE writer_lease (
                    id int PRIMARY KEY CHECK (id = 1), holder text, epoch bigint NOT NULL, until_ms bigint NOT NULL)
                """,
                "INSERT INTO writer_lease (id, holder, epoch, until_ms) VALUES (1, NULL, 0, 0)",
            ]),
        // Overdue post-rollback tasks are chased once: `remind_at` is the task's due time while it still needs
        // its reminder (TaskReminder.dueAt), NULL otherwise.
        Migration(
            version: 2, description: "task reminders",
            statements: [
                "ALTER TABLE tasks ADD COLUMN remind_at bigint",
                "CREATE INDEX tasks_remind_at ON tasks (remind_at)",
            ]),
        // `rewind pause [SERVICE]`: one row per paused service, `*` for every service.
        Migration(
            version: 3, description: "automation pauses",
            statements: ["CREATE TABLE automation_pauses (scope text PRIMARY KEY, value text NOT NULL)"]),
        // The lease holder's advertised URL (`server.advertise_url`), for standbys' 307s. It counts only while
        // `advertise_epoch` is the lease's epoch: a replica of an older version, which does not write it, that takes
        // the lease over during a rolling upgrade leaves a URL that is then ignored, never followed.
        Migration(
            version: 4, description: "advertised URL of the lease holder",
            statements: [
                "ALTER TABLE writer_lease ADD COLUMN advertise_url text",
                "ALTER TABLE writer_lease ADD COLUMN advertise_epoch bigint",
            ]),
        // `ha.shards`: one lease row per shard (created by its first acquire, kept when released so that its epoch
        // never goes back; epoch 0: never taken), and each replica's announcement, so that replicas holding no shard
        // yet are counted when the shards are shared out.
        Migration(
            version: 5, description: "shard leases",
            statements: [
                """
                CREATE TABLE shard_leases (
                    shard int PRIMARY KEY CHECK (shard >= 0), holder text, epoch bigint NOT NULL,
                    until_ms bigint NOT NULL, advertise_url text)
                """,
                "CREATE TABLE replicas (instance text PRIMARY KEY, until_ms bigint NOT NULL)",
            ]),
        // What the daemon received, for `rewind replay` (``ReceivedEventLog``): accepted alerts (the alert as JSON,
        // its text already redacted) and the pushed values it kept, each with the time it was received; `seq` is the
        // order recorded. Pruned by receive time and by rows (`retention`).
        Migration(
            version: 6, description: "received alerts and pushed values",
            statements: [
                "CREATE TABLE received_alerts (seq bigserial PRIMARY KEY, received_at bigint NOT NULL, alert text NOT NULL)",
                "CREATE INDEX received_alerts_by_time ON received_alerts (received_at, seq)",
                """
                CREATE TABLE received_values (
                    seq bigserial PRIMARY KEY, received_at bigint NOT NULL, service text NOT NULL, signal text NOT NULL,
                    value double precision NOT NULL, at bigint NOT NULL)
                """,
                "CREATE INDEX received_values_by_time ON received_values (received_at, seq)",
            ]),
        // `ha.shards`: what each shard's holder forwards to the coordinator (``ShardTriggerRelay``), the trigger as
        // JSON; rows are deleted once the coordinator decided on them.
        Migration(
            version: 7, description: "triggers forwarded by shard holders",
            statements: [
                """
                CREATE TABLE forwarded_triggers (
                    id bigserial PRIMARY KEY, shard int NOT NULL, epoch bigint NOT NULL, at_ms bigint NOT NULL,
                    trigger text NOT NULL)
                """
            ]),
        // `ha.shards`: what each shard's holder last showed of its checks and signals (``ShardStatusBoard``), so that
        // every replica's status shows every service; one row per shard, replaced by its holder.
        Migration(
            version: 8, description: "shard statuses",
            statements: [
                """
                CREATE TABLE shard_statuses (
                    shard int PRIMARY KEY, holder text NOT NULL, epoch bigint NOT NULL, at_ms bigint NOT NULL,
                    statuses text NOT NULL)
                """
            ]),
        // Later migrations go here.
    ]

    static var latestVersion: Int64 { migrations.last?.version ?? 0 }

    /// Applies the missing migrations in one transaction under ``migrationLock``. Returns the
    /// versions it applied (none when another replica was first). Throws `store_newer_schema`
    /// when the database has a version this Rewind does not know.
    static func migrate(_ session: Session, schema: String?, database: String) async throws -> [Int64] {
        try await session.transaction { session in
            try await session.run("SELECT pg_advisory_xact_lock(hashtext(\(migrationLock(schema: schema))))")
            if let schema {
                // The search_path names it; tables are created there once it exists.
                try await session.run(
                    PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(quotedIdentifier(schema))"))
            }
            try await session.run(
                """
                CREATE TABLE IF NOT EXISTS rewind_migrations (
                    version bigint PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())
                """)
            let applied = Set(try await session.integers("SELECT version FROM rewind_migrations"))
            if let newest = applied.max(), newest > latestVersion {
                throw PostgresStoreError.newerSchema(newest, database: database)
            }
            var done: [Int64] = []
            for migration in migrations where !applied.contains(migration.version) {
                for statement in migration.statements { try await session.run(statement) }
                try await session.run(
                    "INSERT INTO rewind_migrations (version, description) VALUES (\(migration.version), \(migration.description))"
                )
                done.append(migration.version)
            }
            return done
        }
    }
}

/// `name` as a PostgreSQL identifier: double-quoted, inner quotes doubled.
func quotedIdentifier(_ name: String) -> String {
    "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}

extension PostgresStore {
    /// Brings the schema up to date (see ``PostgresSchema``).
    @discardableResult
    func migrate() async throws -> [Int64] {
        let database = database
        let schema = settings.schema
        return try await read("update the schema") { session in
            try await PostgresSchema.migrate(session, schema: schema, database: database)
        }
    }

    /// The migrations applied to the database, in order.
    public func schemaVersions() async throws -> [Int64] {
        try await read("read the schema version") { session in
            try await session.integers("SELECT version FROM rewind_migrations ORDER BY version")
        }
    }
}
