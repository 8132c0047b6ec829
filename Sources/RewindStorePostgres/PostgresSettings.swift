import Foundation
import PostgresNIO

/// Where a ``PostgresStore`` finds its database: the parts of a `postgresql://` URL.
///
/// ```swift
/// let settings = try PostgresSettings(url: "postgresql://rewind@db.internal:5432/rewind?sslmode=require")
/// ```
///
/// The password is never part of ``description``: messages name `user@host:port/database` only.
public struct PostgresSettings: Sendable, Equatable, CustomStringConvertible {
    /// How the connection is encrypted, by libpq's `sslmode` names.
    public enum SSLMode: String, Sendable, Equatable, CaseIterable {
        /// Plain TCP: for a database on loopback or inside a private network only.
        case disable
        /// TLS when the server offers it, without checking its certificate.
        case prefer
        /// TLS, without checking the server's certificate.
        case require
        /// TLS, the certificate checked against the system's trusted roots and the host name.
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var sslMode: SSLMode
    /// The schema Rewind's tables live in (PostgreSQL's `search_path`); nil: the user's default
    /// (`public`). Lets several states share one database (the tests use one schema each).
    public var schema: String?

    public init(
        host: String, port: Int = 5432, user: String, password: String? = nil, database: String,
        sslMode: SSLMode = .prefer, schema: String? = nil
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.sslMode = sslMode
        self.schema = schema
    }

    /// Parses `postgresql://user[:password]@host[:port]/database[?sslmode=…&search_path=…]` (also
    /// `postgres://`). Throws ``PostgresStoreError`` `store_invalid_settings` saying what is wrong —
    /// never quoting the URL, which may carry the password.
    public init(url: String) throws {
        func invalid(_ problem: String) -> PostgresStoreError {
            PostgresStoreError(.invalidSettings, database: "the configured PostgreSQL URL", message: problem)
        }
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            scheme == "postgresql" || scheme == "postgres"
        else {
            throw invalid("expected a URL like postgresql://user@host:5432/database?sslmode=require")
        }
        guard let host = components.host, !host.isEmpty else {
            throw invalid("the PostgreSQL URL names no host: write postgresql://user@host:5432/database")
        }
        guard let user = components.user.flatMap({ $0.removingPercentEncoding }), !user.isEmpty else {
            throw invalid("the PostgreSQL URL names no user: write postgresql://user@\(host)/database")
        }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else {
            throw invalid("the PostgreSQL URL names no database: write postgresql://\(user)@\(host)/database")
        }
        var sslMode = SSLMode.prefer
        var schema: String?
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let value = item.value, let mode = SSLMode(rawValue: value) else {
                    throw invalid(
                        "sslmode must be one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                sslMode = mode
            case "search_path", "schema":
                schema = item.value.flatMap { $0.isEmpty ? nil : $0 }
            default:
                throw invalid("unknown PostgreSQL URL parameter '\(item.name)' (known: sslmode, search_path)")
            }
        }
        self.init(
            host: host, port: components.port ?? 5432, user: user,
            password: components.password.flatMap { $0.removingPercentEncoding }, database: database,
            sslMode: sslMode, schema: schema)
    }

    /// `user@host:port/database`, with the schema when one is set: never the password.
    public var description: String {
        "\(user)@\(host):\(port)/\(database)" + (schema.map { " (schema \($0))" } ?? "")
    }

    /// What Rewind's connections are called in `pg_stat_activity`: `rewind`, or `rewind SCHEMA`.
    public var applicationName: String {
        String(("rewind" + (schema.map { " \($0)" } ?? "")).prefix(63))
    }

    /// How long the server lets one of Rewind's sessions sit inside a transaction without a statement before it
    /// ends the session, rolling the transaction back. Rewind's transactions send their statements back to back,
    /// so a session idle that long belongs to a process that was paused or cut off mid-transaction; ending it
    /// releases the rows it locked — the lease row above all, which would otherwise keep a standby from taking
    /// over until TCP gave up on the connection, hours later. A process that wakes after this finds its
    /// connection gone: its transaction had committed nothing, and its retry meets the fence. 5 s: longer than the
    /// replicas' lease (3 s), so a takeover waits at most that long for a paused leader's locks, and long enough
    /// that a busy but live process is not cut off between two statements.
    static let abandonedTransactionTimeout = Duration.seconds(5)

    /// The client configuration PostgresNIO connects with.
    var clientConfiguration: PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: tls)
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.maximumConnections = 8
        configuration.options.additionalStartupParameters = startupParameters
        return configuration
    }

    /// The session settings every connection starts with: its name in pg_stat_activity, the limit on an
    /// abandoned transaction, and the schema when one is set.
    var startupParameters: [(String, String)] {
        var parameters = [
            ("application_name", applicationName),
            ("idle_in_transaction_session_timeout", "\(Self.abandonedTransactionTimeout.components.seconds * 1000)"),
        ]
        if let schema { parameters.append(("search_path", schema)) }
        return parameters
    }

    private var tls: PostgresClient.Configuration.TLS {
        var unverified = TLSConfiguration.makeClientConfiguration()
        unverified.certificateVerification = .none
        switch sslMode {
        case .disable: return .disable
        case .prefer: return .prefer(unverified)
        case .require: return .require(unverified)
        case .verifyFull: return .require(.makeClientConfiguration())
        }
    }
}
