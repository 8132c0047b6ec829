import RewindCore

/// A replay input that cannot be read: the file, the line (1-based; 0 for the file as a whole) and what to fix.
public struct ReplayInputError: RewindError, Equatable {
    public var file: String
    public var line: Int
    public var problem: String

    public init(file: String, line: Int, _ problem: String) {
        self.file = file
        self.line = line
        self.problem = problem
    }

    public var code: String { "replay_input" }
    public var message: String { line > 0 ? "\(file):\(line): \(problem)" : "\(file): \(problem)" }
}

/// The largest input file replay reads (a week of 1 s probes of 5 services is about 150 MB of CSV).
let maxInputBytes = 1 << 30

/// Reads a whole input file, or throws what to fix.
func readInput(_ path: String) throws -> String {
    guard let handle = FileHandleReader(path: path) else {
        throw ReplayInputError(file: path, line: 0, "cannot read the file (does it exist, and may Rewind read it?)")
    }
    return try handle.text()
}
