import Foundation
import RewindCore

/// The parts of an Argo CD `Application` (argoproj.io/v1alpha1, as `GET /api/v1/applications/{name}` answers it)
/// the provider reads. Decoding is tolerant: unknown fields are ignored, and every field but the name may be absent.
///
/// - `spec.syncPolicy.automated`: present (an object) while automated sync is on; absent or null when it is off.
/// - `status.history[]`: `RevisionHistory` — `id` (int64, increasing), `revision` (the git commit or chart version
///   synced), `deployedAt` (RFC 3339), `deployStartedAt`.
/// - `status.sync`: `status` (`Synced`, `OutOfSync`, `Unknown`) and `revision`.
/// - `status.health`: `status` (`Healthy`, `Progressing`, `Degraded`, `Suspended`, `Missing`, `Unknown`), `message`.
/// - `status.operationState`: the last operation's `phase` (`Running`, `Succeeded`, `Failed`, `Error`,
///   `Terminating`), `message`, and `syncResult.revision`.
struct ArgoCDApplication: Decodable, Sendable {
    struct Metadata: Decodable, Sendable {
        var name: String
        var namespace: String?
    }

    struct Spec: Decodable, Sendable {
        struct SyncPolicy: Decodable, Sendable {
            var automated: JSONValue?
        }
        var syncPolicy: SyncPolicy?
    }

    struct HistoryEntry: Decodable, Sendable {
        var id: Int64
        var revision: String?
        var deployedAt: String?

        private enum CodingKeys: String, CodingKey { case id, revision, deployedAt }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            // grpc-gateway may write an int64 as a JSON string.
            if let number = try? container.decode(Int64.self, forKey: .id) {
                id = number
            } else if let text = try? container.decode(String.self, forKey: .id), let number = Int64(text) {
                id = number
            } else {
                throw DecodingError.dataCorruptedError(
                    forKey: .id, in: container, debugDescription: "id is not an int64")
            }
            revision = try container.decodeIfPresent(String.self, forKey: .revision)
            deployedAt = try container.decodeIfPresent(String.self, forKey: .deployedAt)
        }
    }

    struct Status: Decodable, Sendable {
        struct Sync: Decodable, Sendable {
            var status: String?
            var revision: String?
        }
        struct Health: Decodable, Sendable {
            var status: String?
            var message: String?
        }
        struct OperationState: Decodable, Sendable {
            struct SyncResult: Decodable, Sendable { var revision: String? }
            var phase: String?
            var message: String?
            var syncResult: SyncResult?
        }
        var history: [HistoryEntry]?
        var sync: Sync?
        var health: Health?
        var operationState: OperationState?
    }

    var metadata: Metadata
    var spec: Spec?
    var status: Status?

    /// Automated sync is on: `spec.syncPolicy.automated` is an object (null or absent is off).
    var autoSyncEnabled: Bool {
        switch spec?.syncPolicy?.automated {
        case .object?: true
        default: false
        }
    }

    /// History ids Rewind accepts: 0 … 2^53 (a JSON number keeps them exact).
    static let historyIDs: ClosedRange<Int64> = 0...(1 << 53)

    /// The history entries with a usable id and revision, newest (highest id) first.
    var usableHistory: [HistoryEntry] {
        (status?.history ?? [])
            .filter { entry in
                Self.historyIDs.contains(entry.id)
                    && entry.revision.map { DeploymentIdentifier.problem($0) == nil } == true
            }
            .sorted { $0.id > $1.id }
    }

    /// The revisions synced, newest first, each once (a rollback syncs an old revision again: its newest entry
    /// counts). A deployment's id is the revision.
    var deployments: [PlatformDeployment] {
        var seen: Set<String> = []
        return usableHistory.compactMap { entry in
            guard let revision = entry.revision, seen.insert(revision).inserted else { return nil }
            return Self.deployment(entry, revision: revision)
        }
    }

    /// The revision of the newest history entry: what Argo CD last synced.
    var live: PlatformDeployment? {
        guard let newest = usableHistory.first, let revision = newest.revision else { return nil }
        return Self.deployment(newest, revision: revision)
    }

    /// The newest history entry that synced `revision`: the id the rollback request names.
    func historyID(of revision: String) -> Int64? {
        usableHistory.first { $0.revision == revision }?.id
    }

    private static func deployment(_ entry: HistoryEntry, revision: String) -> PlatformDeployment {
        PlatformDeployment(
            id: revision, version: String(revision.prefix(12)),
            createdAt: entry.deployedAt.flatMap(ArgoCDApplication.timestamp))
    }

    static func timestamp(_ text: String) -> Timestamp? {
        guard text.utf8.count <= 64 else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text).map {
            Timestamp(millisecondsSinceEpoch: Int64(($0.timeIntervalSince1970 * 1000).rounded()))
        }
    }
}
