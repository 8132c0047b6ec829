import RewindCore
import Synchronization

/// The provider's last read of the project, so that one decision is made on one read
/// (platform-apis.md 1.5: poll the project "~1–2 s" apart in a controller).
///
/// A step asks three questions in a few milliseconds: is the target live (`currentDeployment`), may
/// the rollback be sent (`rollback` re-reads for a running job), and how is it going (the first
/// `status`). A read younger than ``reuseWindow`` answers the next of those questions, except:
/// - after Rewind sent a rollback or promote the read is stale (the job it started must be seen);
/// - a status poll never answers the next status poll (the engine paces polls with `pollInterval`).
final class VercelProjectReads: Sendable {
    /// How long a read answers the next decision: the documented pace of a controller's polls.
    static let reuseWindow: Duration = .seconds(1)

    enum Reader: Sendable {
        case currentDeployment, rollback, status
    }

    private struct Read {
        var project: VercelProject
        var at: Timestamp
        var by: Reader
    }

    private let last = Mutex<Read?>(nil)

    /// The last read, when it may answer `reader` at `now`; it then counts as `reader`'s read (so a
    /// read that answered a status poll answers no further poll).
    func reusable(for reader: Reader, now: Timestamp) -> VercelProject? {
        last.withLock { read in
            guard let found = read, now - found.at < Self.reuseWindow, now >= found.at else { return nil }
            if reader == .status, found.by == .status { return nil }
            read?.by = reader
            return found.project
        }
    }

    func remember(_ project: VercelProject, by reader: Reader, at now: Timestamp) {
        last.withLock { $0 = Read(project: project, at: now, by: reader) }
    }

    /// Something was sent that changes the project: no earlier read answers anything now.
    func forget() {
        last.withLock { $0 = nil }
    }
}
