import RewindCore
import RewindPorts

/// Incremental listing for the deployment tracker (platform-apis.md §4.1–4.2): the cursor is the workload's
/// `metadata.resourceVersion`. A poll first GETs the workload; when its `resourceVersion` is the cursor,
/// nothing changed — no new revision, the same live one — and the revisions (ReplicaSets, ControllerRevisions)
/// are not listed (`live: .unchanged`). Otherwise they are listed as `kubectl rollout undo` lists them (the
/// history is bounded by `spec.revisionHistoryLimit`) and the live one is read from the same answers.
///
/// Every change that can add a revision or move the live one (a new template, a rollback, the controller
/// recording the new revision in the Deployment's annotation or the StatefulSet's status) writes the workload and
/// so changes its `resourceVersion`. The API server
/// documents no ETag for these reads; a watch (§4.3) would stream the same information but needs a long-lived
/// connection, which a poll every minute does not.
extension KubernetesProvider: IncrementalListing {
    public func listDeployments(service: ServiceName, since cursor: ListingCursor?) async throws -> ListingPage {
        let purpose = "list the revisions of \(workloadLabel)"
        let workload = try await readWorkload(service: service, purpose: purpose)
        let version = workload.metadata.resourceVersion.map(ListingCursor.init)
        if let cursor, cursor == version {
            return ListingPage(deployments: [], cursor: cursor, incremental: true, live: .unchanged)
        }
        let history = try await history(of: workload, service: service, purpose: purpose)
        let live = workload.current(in: history).map(KubernetesRollout.platformDeployment)
        return ListingPage(
            deployments: history.map(KubernetesRollout.platformDeployment), cursor: version, incremental: false,
            live: .current(live)
        )
    }
}
