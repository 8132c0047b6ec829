import Foundation

/// An input file read whole, refused beyond ``maxInputBytes`` and when it is not UTF-8.
struct FileHandleReader {
    let path: String
    let handle: FileHandle

    init?(path: String) {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        self.path = path
        self.handle = handle
    }

    func text() throws -> String {
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: maxInputBytes + 1) ?? Data()
        } catch {
            throw ReplayInputError(file: path, line: 0, "cannot read the file: \(error)")
        }
        guard data.count <= maxInputBytes else {
            throw ReplayInputError(
                file: path, line: 0, "the file is larger than \(maxInputBytes >> 20) MiB; replay a shorter period")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ReplayInputError(file: path, line: 0, "the file is not UTF-8 text")
        }
        return text
    }
}
