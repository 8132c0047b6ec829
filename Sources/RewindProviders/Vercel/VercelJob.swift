import RewindCore
import RewindSpecs

/// A rollback or promote Rewind asked Vercel for. Vercel has no job id: the operation id Rewind
/// journals is `<type>:<deployment>` (`rollback:dpl_7Qm3rX`), with `:queued` when a promote waits
/// behind an active rolling release (HTTP 202).
struct VercelOperation: Sendable, Equatable {
    var type: VercelProviderSpec.Mode
    var deploymentID: String
    var queued = false

    var id: String { "\(type.rawValue):\(deploymentID)" + (queued ? ":queued" : "") }

    init(type: VercelProviderSpec.Mode, deploymentID: String, queued: Bool = false) {
        self.type = type
        self.deploymentID = deploymentID
        self.queued = queued
    }

    init?(id: String) {
        guard let colon = id.firstIndex(of: ":"), let type = VercelProviderSpec.Mode(rawValue: String(id[..<colon]))
        else { return nil }
        var rest = id[id.index(after: colon)...]
        if rest.hasSuffix(":queued") {
            rest = rest.dropLast(":queued".count)
            queued = true
        }
        guard !rest.isEmpty else { return nil }
        self.type = type
        deploymentID = String(rest)
    }
}

/// What the project's latest alias job says about an operation: the official CLI's polling loop
/// (platform-apis.md 1.5), as a pure function of what Vercel answered.
enum VercelJobVerdict: Sendable, Equatable {
    case inProgress
    case succeeded
    /// The job failed: the failed domains are worth reading before reporting.
    case jobFailed
    case failed(String)

    /// - Parameters:
    ///   - job: the project's `lastAliasRequest` (or `lastRollbackTarget`).
    ///   - serving: the deployment production serves now, when the project says.
    static func of(
        _ operation: VercelOperation,
        job: VercelAliasJob?,
        serving: String?,
        now: Timestamp
    ) -> VercelJobVerdict {
        let target = operation.deploymentID
        if let job, job.isFresh(now: now), job.toDeploymentId == target {
            switch job.jobStatus {
            case "succeeded": return .succeeded
            case "pending", "in-progress": return .inProgress
            case "failed": return .jobFailed
            case "skipped" where job.type == nil || job.type == operation.type.rawValue: return .succeeded
            case "skipped": break
            default: return .failed("Vercel reports an unknown job status '\(job.jobStatus ?? "none")'")
            }
        }
        // No job of ours in progress: production decides.
        if serving == target { return .succeeded }
        if operation.queued { return .inProgress }
        let production = serving.map { "production serves \($0)" } ?? "Vercel does not say what production serves"
        if let job, job.isFresh(now: now), let other = job.toDeploymentId, other != target {
            return .failed("a newer \(job.type ?? "alias") job toward \(other) replaced it; \(production)")
        }
        return .failed(
            "Vercel shows no rollback or promote job toward \(target) in the last 3 minutes and \(production)"
        )
    }
}
