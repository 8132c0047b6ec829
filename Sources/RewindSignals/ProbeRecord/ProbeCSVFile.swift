import Logging
import RewindCore
import RewindPorts
import Synchronization
import SystemPackage

/// `health.record: FILE`: every probe appended to FILE as one line of ``ProbeCSV``, the header first when the
/// file is new or empty. The file is opened for appending (mode 0640), so `logrotate`'s `copytruncate` works
/// and several restarts keep adding to one file; lines are written whole, one writer at a time.
///
/// A write that fails (a full disk) never fails the probe: the record is dropped and the failure logged once
/// until a write succeeds again.
public final class ProbeCSVFile: ProbeLog {
    private let path: String
    private let logger: Logger
    /// The open file, and whether the last write failed (so that a failure is logged once per episode).
    private let state: Mutex<(file: FileDescriptor, failing: Bool)>

    /// Opens `path` for appending, creating it; throws what the system said when it cannot.
    public init(path: String, logger: Logger) throws {
        let file = try FileDescriptor.open(
            FilePath(path), .writeOnly, options: [.append, .create, .closeOnExec],
            permissions: [.ownerReadWrite, .groupRead])
        do {
            if try file.seek(offset: 0, from: .end) == 0 { try file.writeAll((ProbeCSV.header + "\n").utf8) }
        } catch {
            try? file.close()
            throw error
        }
        self.path = path
        self.logger = logger
        self.state = Mutex((file, false))
    }

    deinit {
        state.withLock { try? $0.file.close() }
    }

    public func record(_ observation: Observation) {
        let line = ProbeCSV.line(observation) + "\n"
        let failure: String? = state.withLock { state in
            do {
                try state.file.writeAll(line.utf8)
                state.failing = false
                return nil
            } catch {
                defer { state.failing = true }
                return state.failing ? nil : "\(error)"
            }
        }
        if let failure {
            logger.warning(
                "could not write to the probe record; probes go unrecorded until a write succeeds",
                metadata: ["rewind.file": "\(path)", "rewind.error": "\(failure)"])
        }
    }
}
