import Foundation

/// The environment a child process gets: always written out in full, never implied.
///
/// Every program Rewind runs (command providers, down-migrations, command probes, git) starts from
/// ``minimal`` and gets the variables its configuration names (`env:`) on top with ``adding(_:)``:
/// a script never sees the daemon's vendor tokens unless its own `env:` passes one. ``inherited`` (the
/// daemon's whole environment) is for tests and tools, not for configured commands.
public struct ChildEnvironment: Sendable, Equatable {
    /// The variables the child receives, by name.
    public private(set) var variables: [String: String]

    public init(_ variables: [String: String]) {
        self.variables = variables
    }

    /// The names ``minimal`` copies from the daemon when the daemon has them: where programs are
    /// (`PATH`), who and where the user is (`HOME`, `USER`, `LOGNAME`), the locale (`LANG`, and every
    /// `LC_*` by ``minimalPrefixes``), the time zone (`TZ`) and the temporary folder (`TMPDIR`).
    public static let minimalNames = ["PATH", "HOME", "USER", "LOGNAME", "LANG", "TZ", "TMPDIR"]

    /// Prefixes of the names ``minimal`` copies as well: the locale categories (`LC_ALL`, `LC_CTYPE`, …).
    public static let minimalPrefixes = ["LC_"]

    /// True when ``minimal`` copies the daemon's variable `name`.
    public static func minimalKeeps(_ name: String) -> Bool {
        minimalNames.contains(name) || minimalPrefixes.contains { name.hasPrefix($0) && name.count > $0.count }
    }

    /// What a program needs to find its tools, its home and its locale, as the daemon has them.
    public static var minimal: ChildEnvironment {
        ChildEnvironment(ProcessInfo.processInfo.environment.filter { minimalKeeps($0.key) })
    }

    /// Everything the daemon has.
    public static var inherited: ChildEnvironment {
        ChildEnvironment(ProcessInfo.processInfo.environment)
    }

    /// These variables on top: a name given here replaces the one already there.
    public func adding(_ more: [String: String]) -> ChildEnvironment {
        ChildEnvironment(variables.merging(more) { $1 })
    }

    public subscript(name: String) -> String? { variables[name] }
}
