import Foundation
import Testing

@testable import RewindApp

/// What `rewind serve` does to its memory once it is up: glibc's functions are found at run time,
/// so a C library without them would turn the feature off silently — these tests say so first.
@Suite("Start-up pages")
struct StartupPagesTests {
    #if canImport(Glibc)
        @Test("glibc's malloc_trim and mallopt are found, and mallopt takes the arena cap")
        func findsGlibcsMallocFunctions() {
            #expect(GlibcMalloc.trim != nil)
            #expect(GlibcMalloc.setOption != nil)
            #expect(StartupPages.limitMallocArenas())
        }

        @Test("freed heap is returned: pages freed in the middle of the heap leave the process")
        func returnsFreedHeap() throws {
            // Runs of 63 freed blocks between blocks still held: glibc keeps those pages (they are not at the
            // heap's top, where free() would give them back itself) until malloc_trim returns them.
            var blocks: [UnsafeMutableRawPointer] = []
            for _ in 0..<4_096 {
                let block = try #require(malloc(1_024))
                memset(block, 1, 1_024)
                blocks.append(block)
            }
            for (index, block) in blocks.enumerated() where index % 64 != 63 { free(block) }
            #expect(StartupPages.release())
            for (index, block) in blocks.enumerated() where index % 64 == 63 { free(block) }
        }
    #endif
}
