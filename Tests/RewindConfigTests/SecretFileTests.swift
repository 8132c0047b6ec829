import Foundation
import RewindConfig
import RewindCore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `${file:…}` reads a small regular file, never blocks and never reads without bound.
@Suite("Secret files")
struct SecretFileTests {
    private func tokenProblems(_ reference: String, folder: URL) -> [ConfigProblem] {
        parse(
            "server:\n  token: \"\(reference)\"\n" + minimalServices,
            path: folder.appendingPathComponent("rewind.yaml").path
        ).problems
    }

    @Test("a FIFO is refused at once, without waiting for a writer", .timeLimit(.minutes(1)))
    func fifo() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("token-pipe").path
        #expect(mkfifo(path, 0o600) == 0)
        let found = tokenProblems("${file:token-pipe}", folder: folder)
        #expect(found.map(\.path) == ["server.token"])
        #expect(found.first?.line == 2)
        #expect(
            found.first?.message
                == "\(path) is a FIFO (named pipe), not a regular file: ${file:…} reads a small file holding the value")
    }

    @Test("a device is refused, not read (an endless /dev/zero, an empty /dev/null)")
    func device() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for device in ["/dev/null", "/dev/zero"] {
            let found = tokenProblems("${file:\(device)}", folder: folder)
            #expect(found.first?.message.hasPrefix("\(device) is a device, not a regular file") == true, "\(found)")
        }
    }

    @Test("a folder is refused")
    func folder() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let found = tokenProblems("${file:\(folder.path)}", folder: folder)
        #expect(found.first?.message.hasPrefix("\(folder.path) is a folder, not a regular file") == true, "\(found)")
    }

    @Test("a file over 64 KiB is refused; one of exactly 64 KiB is read")
    func sizeLimit() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let large = folder.appendingPathComponent("large")
        try Data(repeating: UInt8(ascii: "a"), count: 64 * 1024 + 1).write(to: large)
        let found = tokenProblems("${file:large}", folder: folder)
        #expect(
            found.first?.message
                == "\(large.path) is 65537 bytes; ${file:…} reads at most 64 KiB: point it at the file that holds only the value"
        )
        let limit = folder.appendingPathComponent("limit")
        try Data(repeating: UInt8(ascii: "b"), count: 64 * 1024).write(to: limit)
        let configuration = parse(
            "server:\n  token: ${file:limit}\n" + minimalServices,
            path: folder.appendingPathComponent("rewind.yaml").path
        ).configuration
        #expect(configuration?.server.token?.value.count == 64 * 1024)
    }

    @Test("a file that is not UTF-8 is refused")
    func binary() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data([0xff, 0xfe, 0x00, 0x41]).write(to: folder.appendingPathComponent("binary"))
        let found = tokenProblems("${file:binary}", folder: folder)
        #expect(
            found.first?.message.hasSuffix("is not UTF-8 text; ${file:…} reads a text value such as a token") == true)
    }

    @Test("a symbolic link to a regular file is read")
    func symlink() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try "linked-token-value\n".write(to: folder.appendingPathComponent("real"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(
            atPath: folder.appendingPathComponent("link").path, withDestinationPath: "real")
        let configuration = parse(
            "server:\n  token: ${file:link}\n" + minimalServices,
            path: folder.appendingPathComponent("rewind.yaml").path
        ).configuration
        #expect(configuration?.server.token?.value == "linked-token-value")
    }
}
