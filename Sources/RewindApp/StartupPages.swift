import Foundation
import Logging
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// Memory that only start-up used, handed back once `rewind serve` is up (BENCHMARKS.md, "Daemon
/// footprint").
///
/// Loading the binary (the dynamic linker reads its relocations and symbol tables), reading the
/// configuration, opening and migrating the store and composing the engine run code that an idle
/// daemon never runs again; the kernel keeps every page that this touched (and up to 15 neighbours
/// each, fault-around) resident in the process: 37 MiB of the static release binary's code mapping,
/// of which an idle daemon touches 7 MiB in 10 s. Those pages are clean copies of the file, so
/// ``release(logger:)`` unmaps them (`madvise(MADV_DONTNEED)`): they stay in the page cache, and
/// code that runs again (an incident's path included) comes back with a minor fault, no disk read
/// while the cache keeps them. It also returns the heap pages start-up freed to the system
/// (`malloc_trim`).
///
/// Only file-backed mappings (the executable and its shared libraries) that are not writable and
/// hold no anonymous page are released: their every resident page is the file's own and cannot be
/// written, so dropping one loses nothing (a writable or relocated page would lose its contents).
/// Linux with glibc only; a no-op elsewhere.
public enum StartupPages {
    /// What ``release(logger:)`` handed back, in KiB.
    public struct Released: Sendable, Equatable {
        /// Resident pages of read-only file mappings that were unmapped.
        public var mappedKiB: Int
        /// Mappings that qualified.
        public var mappings: Int
    }

    /// One mapping of `/proc/self/smaps`: its range, permissions, path and the sizes that decide.
    struct Mapping: Equatable {
        var start: UInt
        var end: UInt
        var permissions: String
        var path: String
        var rssKiB = 0
        var anonymousKiB = 0

        /// Unmapping loses nothing: file-backed, never writable, no page copied on write.
        var isCleanFileCopy: Bool {
            path.hasPrefix("/") && !path.hasSuffix(" (deleted)") && !permissions.contains("w")
                && anonymousKiB == 0 && rssKiB > 0
        }
    }

    /// The mappings described by the text of `/proc/PID/smaps` (a line that is neither a mapping's
    /// header nor a `Key: N kB` field is skipped).
    static func mappings(smaps text: Substring) -> [Mapping] {
        var found: [Mapping] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let first = fields.first else { continue }
            if first.hasSuffix(":") {
                guard !found.isEmpty, fields.count >= 2, let kib = Int(fields[1]) else { continue }
                switch first {
                case "Rss:": found[found.count - 1].rssKiB = kib
                case "Anonymous:": found[found.count - 1].anonymousKiB = kib
                default: break
                }
                continue
            }
            let range = first.split(separator: "-")
            guard range.count == 2, fields.count >= 5, let start = UInt(range[0], radix: 16),
                let end = UInt(range[1], radix: 16), start < end
            else { continue }
            let path = fields.count >= 6 ? fields[5...].joined(separator: " ") : ""
            found.append(Mapping(start: start, end: end, permissions: String(fields[1]), path: path))
        }
        return found
    }

    /// Hands back what start-up alone used (see the type's documentation) and logs how much.
    @discardableResult
    public static func release(logger: Logger? = nil) -> Released? {
        #if canImport(Glibc)
            _ = GlibcMalloc.trim?(0)
            // Read to the end: `String(contentsOfFile:)` stops after the first read of a /proc file.
            guard let handle = FileHandle(forReadingAtPath: "/proc/self/smaps"),
                let data = try? handle.readToEnd()
            else { return nil }
            let smaps = String(decoding: data, as: UTF8.self)
            var released = Released(mappedKiB: 0, mappings: 0)
            for mapping in mappings(smaps: smaps[...]) where mapping.isCleanFileCopy {
                let address = UnsafeMutableRawPointer(bitPattern: mapping.start)
                guard madvise(address, Int(mapping.end - mapping.start), Int32(MADV_DONTNEED)) == 0 else { continue }
                released.mappedKiB += mapping.rssKiB
                released.mappings += 1
            }
            logger?.debug(
                "handed back start-up pages",
                metadata: ["rewind.released_kib": "\(released.mappedKiB)", "rewind.mappings": "\(released.mappings)"])
            return released
        #else
            return nil
        #endif
    }

    /// Caps glibc's malloc arenas at two (its default is eight per core): each thread that
    /// allocates may otherwise get an arena of its own, each holding pages of its own. Called at the
    /// start of `rewind serve`, before its thread pools start.
    public static func limitMallocArenas() {
        #if canImport(Glibc)
            _ = GlibcMalloc.setOption?(GlibcMalloc.arenaMax, 2)
        #endif
    }
}

/// Runs ``StartupPages/release(logger:)`` once the daemon has settled: `after` the service group
/// started, when the engine holds the lease and ran its first checks and platform sync (their code
/// comes back at once if it is handed back before). Ends at once on shutdown.
public struct StartupPagesRelease: Service {
    let after: Duration
    let logger: Logger

    public init(after: Duration = .seconds(10), logger: Logger) {
        self.after = after
        self.logger = logger
    }

    public func run() async throws {
        do {
            try await cancelWhenGracefulShutdown { try await Task.sleep(for: after) }
        } catch {
            return
        }
        StartupPages.release(logger: logger)
    }
}

#if canImport(Glibc)
    /// glibc's `<malloc.h>` functions, looked up at run time: no Swift module exposes that header (nil
    /// where the C library has no such function).
    private enum GlibcMalloc {
        /// `M_ARENA_MAX` of `<malloc.h>`.
        static let arenaMax: Int32 = -8
        static var trim: (@convention(c) (Int) -> Int32)? {
            symbol("malloc_trim", as: (@convention(c) (Int) -> Int32).self)
        }
        static var setOption: (@convention(c) (Int32, Int32) -> Int32)? {
            symbol("mallopt", as: (@convention(c) (Int32, Int32) -> Int32).self)
        }

        private static func symbol<F>(_ name: String, as type: F.Type) -> F? {
            guard let address = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
            return unsafeBitCast(address, to: type)
        }
    }
#endif
