/// The points of an incident's journal at which a crash leaves a distinct state for the next leader to resume
/// from — the phases the two-process kill test (`ReplicaKillPhaseTests`) stops a leader at.
///
/// The engine reports each one as it passes it (``EngineDependencies/phaseReached``); nothing listens in a
/// product. A debug build of `rewind serve` started with `REWIND_TEST_STOP_AT=<phase>` stops itself with
/// SIGSTOP there, so that a test can SIGKILL it exactly at that phase (README, "Running several replicas");
/// a release build ignores the variable.
public enum JournalPhase: String, Sendable, CaseIterable {
    /// A rollback step's intent is journaled; the platform was neither re-read nor called.
    case stepIntent = "step-intent"
    /// The platform accepted the rollback call; its answer is not journaled yet.
    case stepCalled = "step-called"
    /// The platform's acceptance is journaled; the operation is not finished (or not polled) yet.
    case stepAccepted = "step-accepted"
    /// The step's outcome is journaled and the service's verification has begun.
    case verifying
    /// The incident's closing write (status, timeline, its notices in the outbox) is stored; its notices are
    /// not sent yet.
    case closingNoticeQueued = "closing-notice-queued"
}
