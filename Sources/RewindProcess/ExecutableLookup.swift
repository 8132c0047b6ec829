import Foundation

/// Finds the program of an argument vector the way a shell would, without a shell: a name with a
/// slash is a path (relative to the working directory), a bare name is searched on `PATH`.
enum ExecutableLookup {
    static let defaultSearchPath = "/usr/local/bin:/usr/bin:/bin"

    static func resolve(_ program: String, searchPath: String?, workingDirectory: String?) -> URL? {
        let files = FileManager.default
        if program.contains("/") {
            let base = workingDirectory ?? files.currentDirectoryPath
            let path = program.hasPrefix("/") ? program : base + "/" + program
            return files.isExecutableFile(atPath: path) ? URL(fileURLWithPath: path) : nil
        }
        for directory in (searchPath ?? defaultSearchPath).split(separator: ":") where !directory.isEmpty {
            let path = directory + "/" + program
            var isDirectory: ObjCBool = false
            if files.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                files.isExecutableFile(atPath: path)
            {
                return URL(fileURLWithPath: path)
            }
        }
        return nil
    }
}
