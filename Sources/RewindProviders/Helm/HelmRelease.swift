import Foundation
import RewindCore

/// What `helm history RELEASE -o json` prints: one entry per revision, oldest first. The fields are Helm's
/// `releaseInfo` (pkg/cmd/history.go): `revision` (int), `updated` (RFC 3339 time), `status`, `chart`
/// (`NAME-VERSION`), `app_version`, `description`.
struct HelmRevision: Decodable, Sendable, Equatable {
    var revision: Int
    var updated: String?
    var status: String
    var chart: String?
    var appVersion: String?
    var description: String?

    private enum CodingKeys: String, CodingKey {
        case revision, updated, status, chart, description
        case appVersion = "app_version"
    }
}

/// The parts of `helm status RELEASE -o json` the provider reads: Helm's `release.Release`
/// (`name`, `version` = the revision, `namespace`, `info.status`, `info.description`,
/// `info.last_deployed`, `chart.metadata.version`/`appVersion`).
struct HelmReleaseStatus: Decodable, Sendable, Equatable {
    struct Info: Decodable, Sendable, Equatable {
        var status: String?
        var description: String?
        var lastDeployed: String?

        private enum CodingKeys: String, CodingKey {
            case status, description
            case lastDeployed = "last_deployed"
        }
    }

    struct Chart: Decodable, Sendable, Equatable {
        struct Metadata: Decodable, Sendable, Equatable {
            var name: String?
            var version: String?
            var appVersion: String?
        }
        var metadata: Metadata?
    }

    var name: String?
    var namespace: String?
    var version: Int
    var info: Info?
    var chart: Chart?
}

/// Reading Helm's answers: revisions range-checked, statuses named, what a rollback revision restores.
enum HelmAnswers {
    /// Helm stores revisions as an `int`; anything outside 1…Int32.max is not a revision Helm printed.
    static let revisions: ClosedRange<Int> = 1...Int(Int32.max)
    /// Statuses of a revision that is, or was, live.
    static let listedStatuses: Set<String> = ["deployed", "superseded", "failed"]
    /// Statuses of a release with an operation running on it.
    static let pendingStatuses: Set<String> = [
        "pending-install", "pending-upgrade", "pending-rollback", "uninstalling",
    ]

    /// The revision number written as a deployment id (`"7"`), or nil when `id` is not one.
    static func revision(fromID id: String) -> Int? {
        guard !id.isEmpty, id.count <= 10, id.allSatisfy(\.isASCII), id.allSatisfy(\.isNumber), !id.hasPrefix("0"),
            let value = Int(id), revisions.contains(value)
        else { return nil }
        return value
    }

    /// The revision a rollback revision restores: Helm describes one as `Rollback to N`.
    static func restoredRevision(_ description: String?) -> Int? {
        guard let description, description.hasPrefix("Rollback to ") else { return nil }
        let number = description.dropFirst("Rollback to ".count).prefix { $0.isNumber }
        return revision(fromID: String(number))
    }

    /// The history, checked: every revision in range, no duplicate; nil when the answer is not Helm's shape.
    static func history(_ stdout: String) -> [HelmRevision]? {
        guard let entries = try? JSONDecoder().decode([HelmRevision].self, from: Data(stdout.utf8)) else { return nil }
        guard entries.allSatisfy({ revisions.contains($0.revision) }),
            Set(entries.map(\.revision)).count == entries.count
        else { return nil }
        return entries
    }

    static func status(_ stdout: String) -> HelmReleaseStatus? {
        guard let status = try? JSONDecoder().decode(HelmReleaseStatus.self, from: Data(stdout.utf8)),
            revisions.contains(status.version)
        else { return nil }
        return status
    }

    /// A revision as a deployment: id the revision number, version the app version (the chart without one).
    static func deployment(_ entry: HelmRevision) -> PlatformDeployment {
        PlatformDeployment(
            id: String(entry.revision),
            version: version(appVersion: entry.appVersion, chart: entry.chart),
            createdAt: entry.updated.flatMap(timestamp),
            restores: restoredRevision(entry.description).map(String.init)
        )
    }

    static func deployment(_ status: HelmReleaseStatus) -> PlatformDeployment {
        let metadata = status.chart?.metadata
        let chart = metadata.map { "\($0.name ?? "chart")-\($0.version ?? "?")" }
        return PlatformDeployment(
            id: String(status.version),
            version: version(appVersion: metadata?.appVersion, chart: chart),
            createdAt: status.info?.lastDeployed.flatMap(timestamp),
            restores: restoredRevision(status.info?.description).map(String.init)
        )
    }

    private static func version(appVersion: String?, chart: String?) -> String? {
        let chosen = [appVersion, chart].compactMap { $0 }.first { !$0.isEmpty }
        return chosen.map { String($0.prefix(200)) }
    }

    /// Helm prints Go's `time.Time` (RFC 3339, with or without fractional seconds and with any offset).
    static func timestamp(_ written: String) -> Timestamp? {
        guard written.utf8.count <= 64 else { return nil }
        let text = millisecondPrecision(written)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var date = formatter.date(from: text)
        if date == nil {
            formatter.formatOptions = [.withInternetDateTime]
            date = formatter.date(from: text)
        }
        return date.map { Timestamp(millisecondsSinceEpoch: Int64(($0.timeIntervalSince1970 * 1000).rounded())) }
    }

    /// Go prints up to nine fractional digits; the formatter reads three.
    private static func millisecondPrecision(_ text: String) -> String {
        guard let dot = text.firstIndex(of: ".") else { return text }
        let digits = text[text.index(after: dot)...].prefix { $0.isASCII && $0.isNumber }
        guard digits.count > 3 else { return text }
        return String(text[...dot]) + digits.prefix(3) + text[digits.endIndex...]
    }
}
