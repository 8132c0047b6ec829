import GRDB

/// Every table of the SQLite store, as one ordered list of migrations. Append new migrations at
/// the end ("v2", "v3", …); never edit one that has shipped.
///
/// Times are INTEGER milliseconds since the Unix epoch. Enums are their raw strings. Composite
/// values (plans, violations, step states, timeline details, service lists) are JSON text.
enum Schema {
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()

        migrator.registerMigration("v1") { db in
            try db.create(table: "deployments") { t in
                t.column("service", .text).notNull()
                t.column("id", .text).notNull()
                t.column("version", .text).notNull()
                t.column("deployed_at", .integer).notNull()
                t.column("trust", .text).notNull()
                t.column("git_commit", .text)
                t.column("author", .text)
                t.column("known_good_at", .integer)
                t.primaryKey(["service", "id"])
            }
            try db.create(index: "deployments_by_time", on: "deployments", columns: ["service", "deployed_at"])

            try db.create(table: "services_live") { t in
                t.primaryKey("service", .text)
                t.column("deployment_id", .text).notNull()
                t.foreignKey(["service", "deployment_id"], references: "deployments", columns: ["service", "id"])
            }

            try db.create(table: "incidents") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("opened_at", .integer).notNull()
                t.column("closed_at", .integer)
                t.column("status", .text).notNull().indexed()
                t.column("trigger", .text).notNull()
                t.column("severity", .text).notNull()
                t.column("strategy", .text)
                t.column("summary", .text).notNull()
                t.column("mode", .text).notNull()
                t.column("reason", .text)
                t.column("services", .text).notNull()
                t.column("plan", .text)
                t.column("violation", .text)
            }

            try db.create(table: "timeline") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("incident_id", .integer).notNull().indexed()
                    .references("incidents", onDelete: .cascade)
                t.column("at", .integer).notNull()
                t.column("kind", .text).notNull()
                t.column("message", .text).notNull()
                t.column("detail", .text)
            }

            // The step journal keeps every record; the latest per step is the step's state.
            try db.create(table: "steps") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("incident_id", .integer).notNull()
                    .references("incidents", onDelete: .cascade)
                t.column("step_id", .text).notNull()
                t.column("state", .text).notNull()
                t.column("at", .integer).notNull()
            }
            try db.create(index: "steps_by_incident", on: "steps", columns: ["incident_id", "step_id"])

            try db.create(table: "automatic_rollbacks") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("service", .text).notNull()
                t.column("at", .integer).notNull()
            }
            try db.create(index: "automatic_rollbacks_by_time", on: "automatic_rollbacks", columns: ["service", "at"])

            // Single-row tables: the CHECK keeps them single.
            try db.create(table: "freeze") { t in
                t.primaryKey("id", .integer).check { $0 == 1 }
                t.column("until", .integer).notNull()
                t.column("reason", .text).notNull()
                t.column("set_at", .integer).notNull()
                t.column("incident_id", .integer)
            }

            try db.create(table: "lease") { t in
                t.primaryKey("id", .integer).check { $0 == 1 }
                t.column("holder", .text).notNull()
                t.column("until", .integer).notNull()
            }
        }

        migrator.registerMigration("v2") { db in
            try db.alter(table: "incidents") { t in
                t.add(column: "acknowledged_at", .integer)
                t.add(column: "acknowledged_by", .text)
            }
            // Composite values are JSON in `entry`/`timer`/`task`/`observation`; the other columns
            // are what the queries select on.
            try db.create(table: "outbox") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("incident_id", .integer).notNull().indexed()
                t.column("channel", .text).notNull()
                t.column("status", .text).notNull()
                t.column("next_attempt_at", .integer).notNull()
                t.column("entry", .text).notNull()
            }
            try db.create(index: "outbox_due", on: "outbox", columns: ["status", "next_attempt_at"])
            try db.create(table: "escalations") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("incident_id", .integer).notNull().indexed()
                t.column("state", .text).notNull()
                t.column("due_at", .integer).notNull()
                t.column("timer", .text).notNull()
            }
            try db.create(table: "tasks") { t in
                t.column("incident_id", .integer).notNull()
                t.column("task_id", .text).notNull()
                t.column("position", .integer).notNull()
                t.column("task", .text).notNull()
                t.primaryKey(["incident_id", "task_id"])
            }
            try db.create(table: "samples") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("incident_id", .integer).notNull().indexed()
                t.column("at", .integer).notNull()
                t.column("observation", .text).notNull()
            }
        }

        // The writer lease gains an epoch that fences out a writer whose lease was taken over. Its
        // row is kept when released (holder NULL), so that the epoch never goes back; a lease held
        // when the file is migrated gets epoch 1.
        migrator.registerMigration("v3") { db in
            try db.create(table: "writer_lease") { t in
                t.primaryKey("id", .integer).check { $0 == 1 }
                t.column("holder", .text)
                t.column("epoch", .integer).notNull()
                t.column("until", .integer).notNull()
            }
            try db.execute(
                sql: "INSERT INTO writer_lease (id, holder, epoch, until) SELECT id, holder, 1, until FROM lease")
            try db.drop(table: "lease")
        }

        // When the live deployment went live: its bake counts from there, not from when the
        // platform built it. Files written before keep NULL (the deployment's deployed_at is used).
        migrator.registerMigration("v4") { db in
            try db.alter(table: "services_live") { t in
                t.add(column: "live_since", .integer)
            }
        }

        // A freeze set by hand records who set it (the API token's name).
        migrator.registerMigration("v5") { db in
            try db.alter(table: "freeze") { t in
                t.add(column: "set_by", .text)
            }
        }

        // Where a deployment was seen: `was_live` (recorded as the live deployment at some time) and
        // `listed` (learnt from the platform's listing, so its version is the platform's). A manual
        // rollback may only name a deployment Rewind saw; a Kubernetes set_image fallback only deploys
        // a listed version. An older Rewind stored deployments only from reports (always made live) and
        // from listings, and which one is not known: every old row counts as seen live, none as listed.
        migrator.registerMigration("v6") { db in
            try db.alter(table: "deployments") { t in
                t.add(column: "was_live", .boolean).notNull().defaults(to: false)
                t.add(column: "listed", .boolean).notNull().defaults(to: false)
            }
            try db.execute(sql: "UPDATE deployments SET was_live = 1")
        }

        // Overdue post-rollback tasks are chased once: `remind_at` is the task's due time while it
        // still needs its reminder (open or in progress, not reminded), NULL otherwise. Tasks stored
        // before keep NULL: an upgrade does not send reminders for old incidents' work.
        migrator.registerMigration("v7") { db in
            try db.alter(table: "tasks") { t in
                t.add(column: "remind_at", .integer)
            }
            try db.create(index: "tasks_remind_at", on: "tasks", columns: ["remind_at"])
        }

        // `rewind pause [SERVICE]`: one row per paused service, `*` for every service.
        migrator.registerMigration("v8") { db in
            try db.create(table: "automation_pauses") { t in
                t.primaryKey("scope", .text)
                t.column("pause", .text).notNull()
            }
        }

        // The lease holder's advertised URL (`server.advertise_url`), published with its grant.
        migrator.registerMigration("v9") { db in
            try db.alter(table: "writer_lease") { t in
                t.add(column: "advertise_url", .text)
            }
        }

        // What the daemon received, for `rewind replay` (``ReceivedEventLog``): accepted alerts (the alert as JSON,
        // its text already redacted) and the pushed values it kept, each with the time it was received. Pruned by
        // receive time and by rows (`retention`).
        migrator.registerMigration("v10") { db in
            try db.create(table: "received_alerts") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("received_at", .integer).notNull().indexed()
                t.column("alert", .text).notNull()
            }
            try db.create(table: "received_values") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("received_at", .integer).notNull().indexed()
                t.column("service", .text).notNull()
                t.column("signal", .text).notNull()
                t.column("value", .double).notNull()
                t.column("at", .integer).notNull()
            }
        }

        // Later migrations go here.

        return migrator
    }()

    /// The migration every Rewind state file has; its absence means "not a Rewind file".
    static let firstMigration = "v1"
}
