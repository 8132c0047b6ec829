import Foundation
import RewindCore
import RewindPorts
import RewindSpecs

/// A GraphQL answer: `data.<field>` decoded as `Value`, and the `errors[]` entries. Tolerant: unknown
/// fields are ignored, and `data` is decoded only as far as the caller needs.
struct RailwayReply<Value: Decodable> {
    var errors: [RailwayGraphQLError] = []
    /// `.success(nil)` when `data` or the field is missing or null.
    var data: Result<Value?, any Error> = .success(nil)
    var isJSON = false

    init(_ body: Data, field: String, as type: Value.Type) {
        guard let json = try? JSONDecoder().decode(JSONValue.self, from: body) else {
            data = .failure(RailwayDecodingError())
            return
        }
        isJSON = true
        if case .array(let entries)? = json.value(at: "errors") {
            errors = entries.map(RailwayGraphQLError.init)
        }
        guard let value = json.value(at: "data")?.value(at: field), value != .null else { return }
        data = Result { try JSONDecoder().decode(Value.self, from: JSONEncoder().encode(value)) }
    }
}

struct RailwayDecodingError: Error {}

/// One entry of a GraphQL `errors[]`. Railway answers them with HTTP 200; the CLI tells them apart by
/// their message (`Not Authorized`, `Project Token not found`, `Two Factor Authentication Required`).
struct RailwayGraphQLError: Sendable {
    enum Kind: Sendable {
        case twoFactor, projectTokenNotFound, auth, notFound, rejected, rateLimited, server

        /// Lower is more permanent: when several errors come back, the most permanent one is reported.
        var rank: Int {
            switch self {
            case .twoFactor: 0
            case .projectTokenNotFound: 1
            case .auth: 2
            case .notFound: 3
            case .rejected: 4
            case .rateLimited: 5
            case .server: 6
            }
        }
    }

    var message: String
    var code: String?
    var workspaceName: String?

    init(_ json: JSONValue) {
        message = json.value(at: "message")?.stringValue ?? "(no message)"
        code = json.value(at: "extensions.code")?.stringValue
        workspaceName = json.value(at: "extensions.workspaceName")?.stringValue
    }

    var shortMessage: String {
        let line = message.split(whereSeparator: \.isNewline).first.map(String.init) ?? message
        return line.count > 200 ? String(line.prefix(200)) + "…" : line
    }

    var kind: Kind {
        let text = message.lowercased()
        let code = (code ?? "").uppercased()
        if text.contains("two factor authentication required") { return .twoFactor }
        if text.contains("project token not found") { return .projectTokenNotFound }
        if ["UNAUTHENTICATED", "UNAUTHORIZED", "FORBIDDEN"].contains(code)
            || ["not authorized", "unauthorized", "unauthenticated", "forbidden", "invalid token"].contains(
                where: text.contains
            )
        {
            return .auth
        }
        if code == "NOT_FOUND" || text.contains("not found") || text.contains("does not exist") { return .notFound }
        if ["RATE_LIMITED", "TOO_MANY_REQUESTS"].contains(code) || text.contains("rate limit")
            || text.contains("too many requests")
        {
            return .rateLimited
        }
        if code == "INTERNAL_SERVER_ERROR" || text.contains("problem processing request")
            || text.contains("internal server error")
        {
            return .server
        }
        return .rejected
    }
}

/// `DeploymentStatus`, with values added later kept as `.unknown`.
enum RailwayStatus: Sendable, Equatable, Decodable {
    case building, crashed, deploying, failed, initializing, needsApproval, queued, removed, removing, skipped
    case sleeping, success, waiting
    case unknown(String)

    /// What a status means for a rollback that created this deployment.
    enum Phase: Sendable, Equatable {
        /// `SUCCESS`, or `SLEEPING` (scaled to zero): serving.
        case live
        /// Not finished yet.
        case inFlight
        /// `FAILED` (never served) or `CRASHED` (served, then died).
        case broken
        /// `REMOVING`, `REMOVED` or `SKIPPED`: replaced by another deployment.
        case superseded
        case unknown
    }

    init(_ raw: String) {
        switch raw.uppercased() {
        case "BUILDING": self = .building
        case "CRASHED": self = .crashed
        case "DEPLOYING": self = .deploying
        case "FAILED": self = .failed
        case "INITIALIZING": self = .initializing
        case "NEEDS_APPROVAL": self = .needsApproval
        case "QUEUED": self = .queued
        case "REMOVED": self = .removed
        case "REMOVING": self = .removing
        case "SKIPPED": self = .skipped
        case "SLEEPING": self = .sleeping
        case "SUCCESS": self = .success
        case "WAITING": self = .waiting
        default: self = .unknown(raw)
        }
    }

    init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode(String.self))
    }

    var phase: Phase {
        switch self {
        case .success, .sleeping: .live
        case .initializing, .queued, .waiting, .needsApproval, .building, .deploying: .inFlight
        case .failed, .crashed: .broken
        case .removing, .removed, .skipped: .superseded
        case .unknown: .unknown
        }
    }

    var rawValue: String {
        switch self {
        case .building: "BUILDING"
        case .crashed: "CRASHED"
        case .deploying: "DEPLOYING"
        case .failed: "FAILED"
        case .initializing: "INITIALIZING"
        case .needsApproval: "NEEDS_APPROVAL"
        case .queued: "QUEUED"
        case .removed: "REMOVED"
        case .removing: "REMOVING"
        case .skipped: "SKIPPED"
        case .sleeping: "SLEEPING"
        case .success: "SUCCESS"
        case .waiting: "WAITING"
        case .unknown(let raw): raw
        }
    }

    /// The statuses of deployments that ran: what `listDeployments` asks for.
    static let ran = ["SUCCESS", "SLEEPING", "CRASHED", "REMOVING", "REMOVED"]
}

/// A `Deployment` object, with the fields Rewind asks for.
struct RailwayDeployment: Sendable, Decodable {
    var id: String
    var status: RailwayStatus
    var createdAt: String?
    var canRollback: Bool?
    var canRedeploy: Bool?
    var serviceId: String?
    /// An untyped JSON scalar; its keys are not specified (`commitHash`, `image`, `reason` are read when present).
    var meta: JSONValue?

    var created: Timestamp? { createdAt.flatMap(RailwayTime.parse) }

    /// It went live: it serves (`SUCCESS`, `SLEEPING`) or served and crashed (`CRASHED`).
    var served: Bool { status.phase == .live || status == .crashed }

    /// What was deployed: the commit, or the image for image-based services.
    var release: String? {
        let value = meta?.value(at: "commitHash")?.stringValue ?? meta?.value(at: "image")?.stringValue
        return value?.isEmpty == false ? value : nil
    }

    /// Why Railway created it (`rollback`, `redeploy`, `deploy`, …), when `meta` says.
    var reason: String? { meta?.value(at: "reason")?.stringValue?.lowercased() }

    /// The deployment as the engine lists it: the commit's first 7 characters (or the image) as version.
    var platformDeployment: PlatformDeployment {
        let commit = meta?.value(at: "commitHash")?.stringValue
        let version = commit.map { String($0.prefix(7)) } ?? meta?.value(at: "image")?.stringValue
        return PlatformDeployment(id: id, version: version?.isEmpty == false ? version : nil, createdAt: created)
    }

    /// Whether this deployment brings `source` back: it is `source`, or Railway made it from `source`
    /// (`meta.reason` says it is a rollback — or, in redeploy mode, a redeploy — of the same release,
    /// created after `source`). Without those `meta` keys only the id counts.
    func restores(_ source: RailwayDeployment, mode: RailwayProviderSpec.Mode) -> Bool {
        if id == source.id { return true }
        let reasons: Set<String> = mode == .rollback ? ["rollback"] : ["rollback", "redeploy"]
        guard let reason, reasons.contains(reason), let release, release == source.release else { return false }
        if let mine = created, let theirs = source.created, mine <= theirs { return false }
        return true
    }
}

struct RailwayConnection: Sendable, Decodable {
    struct Edge: Sendable, Decodable {
        var cursor: String?
        var node: RailwayDeployment
    }

    struct PageInfo: Sendable, Decodable {
        var hasNextPage: Bool?
        var endCursor: String?
    }

    var edges: [Edge]
    var pageInfo: PageInfo?
}

struct RailwayServiceInstance: Sendable, Decodable {
    var latestDeployment: RailwayDeployment?
    var activeDeployments: [RailwayDeployment]?

    /// The deployment that serves (or last served) the service: the newest active one that went live
    /// (`SUCCESS`, `SLEEPING`, or `CRASHED` after serving), else the latest one when it did. A deployment
    /// still building or one that failed never replaced the live one.
    var live: RailwayDeployment? {
        if let newest = (activeDeployments ?? []).filter(\.served).max(by: Self.older) { return newest }
        return latestDeployment.flatMap { $0.served ? $0 : nil }
    }

    private static func older(_ a: RailwayDeployment, _ b: RailwayDeployment) -> Bool {
        (a.created?.millisecondsSinceEpoch ?? 0) < (b.created?.millisecondsSinceEpoch ?? 0)
    }
}

/// Railway's `DateTime`: RFC 3339 in UTC, with or without fractional seconds.
enum RailwayTime {
    static func parse(_ text: String) -> Timestamp? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) ?? plain(text) {
            return Timestamp(secondsSinceEpoch: date.timeIntervalSince1970)
        }
        return nil
    }

    private static func plain(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }
}
