import Logging
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#endif

/// The heap that only start-up used, handed back once `rewind serve` is up, and glibc's malloc kept
/// to two arenas (BENCHMARKS.md, "Daemon footprint", breaks the resident memory down).
///
/// Reading the configuration, opening and migrating the store and composing the engine allocate and
/// free more than the idle daemon ever holds again; glibc keeps the freed pages until asked
/// (`malloc_trim`). The binary's code pages that start-up touched are left alone: they are clean,
/// shared copies of the file, and an incident runs much of that code again. Linux with glibc only;
/// a no-op elsewhere.
public enum StartupPages {
    /// Returns the free heap pages to the system; true when glibc released any.
    @discardableResult
    public static func release(logger: Logger? = nil) -> Bool {
        #if canImport(Glibc)
            let released = (GlibcMalloc.trim?(0) ?? 0) == 1
            logger?.debug("returned start-up's free heap pages", metadata: ["rewind.released": "\(released)"])
            return released
        #else
            return false
        #endif
    }

    /// Caps glibc's malloc arenas at two (its default is eight per core): each thread that allocates
    /// may otherwise get an arena of its own, each holding pages of its own. Called at the start of
    /// `rewind serve`, before its thread pools start. True when glibc took the setting.
    @discardableResult
    public static func limitMallocArenas() -> Bool {
        #if canImport(Glibc)
            return (GlibcMalloc.setOption?(GlibcMalloc.arenaMax, 2) ?? 0) == 1
        #else
            return false
        #endif
    }
}

/// Runs ``StartupPages/release(logger:)`` once the daemon has settled: `after` the service group
/// started, when the engine holds the lease and ran its first checks and platform sync. Ends at once
/// on shutdown.
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
    enum GlibcMalloc {
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
