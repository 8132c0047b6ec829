import Foundation
import RewindEngine

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// `REWIND_TEST_STOP_AT=<phase>` (a ``JournalPhase``'s name, like `step-called`): the daemon stops itself with
/// SIGSTOP when an incident passes that phase, after saying so on standard error
/// (`rewind: stopped at journal phase step-called`), so that a test can SIGKILL it exactly there
/// (`ReplicaKillPhaseTests`).
///
/// Compiled into debug builds only — the ones `swift test` runs; a release build has no such hook and ignores
/// the variable, so no environment can make a production daemon stop.
enum TestStop {
    static let variable = "REWIND_TEST_STOP_AT"

    /// The hook for `environment`, or nil when it names no phase (or in a release build). Throws for a name that
    /// is not a phase, so that a test with a typo fails at once instead of never stopping.
    static func hook(_ environment: [String: String]) throws -> (@Sendable (JournalPhase) -> Void)? {
        #if DEBUG
            guard let name = environment[variable], !name.isEmpty else { return nil }
            guard let phase = JournalPhase(rawValue: name) else {
                throw AppError.usage(
                    "\(variable)=\(name.prefix(60)) is not a journal phase; use one of "
                        + JournalPhase.allCases.map(\.rawValue).joined(separator: ", "))
            }
            return { reached in
                guard reached == phase else { return }
                FileHandle.standardError.write(Data("rewind: stopped at journal phase \(phase.rawValue)\n".utf8))
                raise(SIGSTOP)
            }
        #else
            return nil
        #endif
    }
}
