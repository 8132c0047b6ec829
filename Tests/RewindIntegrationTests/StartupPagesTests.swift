import Foundation
import Testing

@testable import RewindApp

/// What `rewind serve` hands back once it is up: only pages that are the executable's own clean,
/// unwritable copies of the file.
@Suite("Start-up pages")
struct StartupPagesTests {
    static let executable = "/usr/local/bin/rewind"

    /// Three mappings of the executable and two others, as /proc/PID/smaps lists them.
    static let smaps = """
        55d0c0000000-55d0c0400000 r--p 00000000 fd:01 1234                       /usr/local/bin/rewind
        Size:               4096 kB
        Rss:                1200 kB
        Anonymous:             0 kB
        VmFlags: rd mr mw me
        55d0c0400000-55d0c2400000 r-xp 00400000 fd:01 1234                       /usr/local/bin/rewind
        Rss:               30000 kB
        Anonymous:             0 kB
        55d0c2400000-55d0c2580000 r--p 02400000 fd:01 1234                       /usr/local/bin/rewind
        Rss:                1536 kB
        Anonymous:          1536 kB
        55d0c2580000-55d0c2600000 rw-p 02580000 fd:01 1234                       /usr/local/bin/rewind
        Rss:                 512 kB
        Anonymous:             0 kB
        7f0000000000-7f0000100000 r-xp 00000000 fd:01 99                         /usr/lib/x86_64-linux-gnu/libc.so.6
        Rss:                 900 kB
        Anonymous:             0 kB
        7f0000200000-7f0000300000 rw-p 00000000 00:00 0
        Rss:                 300 kB
        Anonymous:           300 kB
        not a mapping line
        """

    @Test("smaps is read mapping by mapping: range, permissions, path, Rss and Anonymous")
    func parsesSmaps() {
        let mappings = StartupPages.mappings(smaps: Self.smaps[...])
        #expect(mappings.count == 6)
        #expect(mappings[1].start == 0x55d0_c040_0000 && mappings[1].end == 0x55d0_c240_0000)
        #expect(mappings[1].permissions == "r-xp" && mappings[1].path == Self.executable)
        #expect(mappings[1].rssKiB == 30000 && mappings[1].anonymousKiB == 0)
        #expect(mappings[2].anonymousKiB == 1536)
        #expect(mappings[5].path.isEmpty && mappings[5].anonymousKiB == 300)
    }

    @Test("only unwritable file mappings without a copied page qualify")
    func qualifies() {
        let qualifying = StartupPages.mappings(smaps: Self.smaps[...]).filter(\.isCleanFileCopy)
        // Not the relocated read-only data (its pages were written before they were made read-only),
        // not the writable data, not anonymous memory.
        #expect(qualifying.map(\.permissions) == ["r--p", "r-xp", "r-xp"])
        #expect(qualifying.map(\.path) == [Self.executable, Self.executable, "/usr/lib/x86_64-linux-gnu/libc.so.6"])
        #expect(qualifying.map(\.rssKiB).reduce(0, +) == 32100)
    }

    @Test("handing back this process's start-up pages leaves it running, and says how much went")
    func releasesInThisProcess() throws {
        let released = try #require(StartupPages.release())
        #expect(released.mappings >= 1)
        #expect(released.mappedKiB > 0)
        // The code just handed back runs again (it comes back from the page cache).
        #expect(StartupPages.mappings(smaps: "").isEmpty)
        let again = try #require(StartupPages.release())
        #expect(again.mappings >= 1)
    }
}
