import Foundation

/// A new, empty directory under the system's temporary directory, for one test; ``remove()`` deletes it with
/// everything in it.
public struct TemporaryDirectory: Sendable {
    public let url: URL
    public var path: String { url.path }

    /// Creates `rewind-<prefix>-<UUID>`.
    public init(_ prefix: String = "test") throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("rewind-\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// The path of `name` inside the directory.
    public func file(_ name: String) -> String { url.appendingPathComponent(name).path }

    public func remove() { try? FileManager.default.removeItem(at: url) }
}

/// Runs `body` with a new ``TemporaryDirectory`` and removes it afterwards, whatever `body` did.
public func withTemporaryDirectory<T>(
    _ prefix: String = "test", _ body: (TemporaryDirectory) async throws -> T
)
    async throws -> T
{
    let directory = try TemporaryDirectory(prefix)
    defer { directory.remove() }
    return try await body(directory)
}
