import RewindConfig
import RewindCore
import Testing

@Suite("state: a PostgreSQL database URL")
struct StateDatabaseConfigTests {
    @Test("a postgresql:// URL puts the state in PostgreSQL; the password comes from ${…} and is redacted")
    func databaseURL() throws {
        let yaml =
            "state: postgresql://rewind:${REWIND_DB_PASSWORD}@db.internal:5432/rewind?sslmode=require\n"
            + minimalServices
        let configuration = try #require(parse(yaml, environment: ["REWIND_DB_PASSWORD": "s3cret-pw"]).configuration)
        #expect(
            configuration.stateDatabaseURL == "postgresql://rewind:s3cret-pw@db.internal:5432/rewind?sslmode=require")
        #expect(configuration.stateDescription == "postgresql://rewind@db.internal:5432/rewind?sslmode=require")
        #expect(!configuration.redactor.redact("connecting with s3cret-pw").contains("s3cret-pw"))
        // The SQLite path keeps its default, unused.
        #expect(configuration.statePath == "/etc/rewind/rewind.db")
    }

    @Test("postgres:// is accepted too; a path stays a SQLite file")
    func schemesAndPaths() throws {
        let short = try #require(parse("state: postgres://rewind@127.0.0.1/rewind\n" + minimalServices).configuration)
        #expect(short.stateDatabaseURL == "postgres://rewind@127.0.0.1/rewind")
        let file = try #require(parse("state: /var/lib/rewind/state.db\n" + minimalServices).configuration)
        #expect(file.stateDatabaseURL == nil)
        #expect(file.stateDescription == "/var/lib/rewind/state.db")
    }

    @Test("a password written in the file is refused, naming how to pass it")
    func inlinePassword() {
        let found = problems("state: postgresql://rewind:hunter2@db:5432/rewind\n" + minimalServices)
        #expect(found.count == 1)
        #expect(found.first?.message.contains("${REWIND_DB_PASSWORD}") == true)
        #expect(found.first?.message.contains("hunter2") == false)
    }

    @Test(
        "a URL without host, user or database, or with an unknown sslmode or parameter, is a problem",
        arguments: [
            ("postgresql:///rewind", "no host"),
            ("postgresql://db:5432/rewind", "no user"),
            ("postgresql://rewind@db:5432/", "no database"),
            ("postgresql://rewind@db/rewind?sslmode=sometimes", "sslmode must be one of"),
            ("postgresql://rewind@db/rewind?pool=9", "unknown database URL parameter 'pool'"),
        ])
    func invalidURL(_ url: String, _ expected: String) {
        let found = problems("state: \(url)\n" + minimalServices)
        #expect(found.map(\.message).contains { $0.contains(expected) }, "\(found)")
    }

    @Test("a missing password variable is a problem naming the variable, not a value")
    func missingVariable() {
        let found = problems("state: postgresql://rewind:${REWIND_DB_PASSWORD}@db/rewind\n" + minimalServices)
        #expect(found.map(\.message).contains { $0.contains("REWIND_DB_PASSWORD") && $0.contains("database password") })
    }
}
