// swift-tools-version:6.1
import PackageDescription

// Targets and their allowed dependencies follow ../shared/DESIGN.md ("Modules").
// `scripts/check-architecture` verifies this manifest keeps them.
/// Every target, tests included: `any` spelled out, and a member is visible only where its module is imported
/// (so no file leans on an import another file of the target happens to make).
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"), .enableUpcomingFeature("MemberImportVisibility"),
]

/// How a release `rewind` is linked on Linux (BENCHMARKS.md, "What the link costs"), for less resident memory:
/// - with lld, exporting none of the binary's own symbols: the static Swift library link exports all 73,000, and the
///   loader hashes and resolves them at every start;
/// - with the 178,000 relocations of a position-independent binary packed as RELR, which the loader reads in 36 KiB
///   instead of 4.1 MiB (needs glibc 2.36 or later where it is built and where it runs: Debian 12, Ubuntu 24.04,
///   RHEL 10);
/// - with the functions the daemon runs laid out first and together (`Sources/rewind/hot-code.order`, written by
///   `Benchmarks/scripts/hot-code-order.sh`), so the pages it keeps resident hold little else.
let leanReleaseLink: [LinkerSetting] = [
    .unsafeFlags(
        [
            "-use-ld=lld", "-Xlinker", "--no-export-dynamic", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs",
            "-Xlinker", "--symbol-ordering-file=\(Context.packageDirectory)/Sources/rewind/hot-code.order",
            "-Xlinker", "--no-warn-symbol-ordering",
        ],
        .when(platforms: [.linux], configuration: .release))
]

let package = Package(
    name: "rewind",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "rewind", targets: ["rewind"]),
        .library(name: "RewindCore", targets: ["RewindCore"]),
        .library(name: "RewindApp", targets: ["RewindApp"]),
        .library(name: "RewindConfig", targets: ["RewindConfig"]),
        .library(name: "RewindPorts", targets: ["RewindPorts"]),
        .library(name: "RewindReplay", targets: ["RewindReplay"]),
        .library(name: "RewindEngine", targets: ["RewindEngine"]),
        // The sandbox and the test kit are products only for the benchmarks package (../Benchmarks).
        .library(name: "RewindSandbox", targets: ["RewindSandbox"]),
        .library(name: "RewindTestSupport", targets: ["RewindTestSupport"]),
        .library(name: "RewindSignals", targets: ["RewindSignals"]),
        .library(name: "RewindStoreSQLite", targets: ["RewindStoreSQLite"]),
        .library(name: "RewindStorePostgres", targets: ["RewindStorePostgres"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.24.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.70.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.27.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.1.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.20.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
        // Spans of incidents, steps and API requests (the Tracing API), exported over OTLP/HTTP by swift-otel when
        // `tracing.otlp_endpoint` is set. Only the HTTP exporter: the gRPC one would build grpc-swift for nothing.
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.1.0"),
        // Already in the graph through async-http-client: the HTTP/2 stream codec a status guard is placed after.
        .package(url: "https://github.com/apple/swift-nio-http2", from: "1.30.0"),
        .package(url: "https://github.com/swift-otel/swift-otel", from: "1.6.0", traits: ["OTLPHTTP"]),
    ],
    targets: [
        .target(name: "RewindCore", swiftSettings: strict),
        // How Rewind reaches each vendor (platforms, traffic, flags, migrations, notification channels):
        // the contract between RewindConfig, which builds these specs from YAML, and the adapters.
        .target(name: "RewindSpecs", dependencies: ["RewindCore"], swiftSettings: strict),
        .target(
            name: "RewindConfig",
            dependencies: ["RewindCore", "RewindSpecs", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict
        ),
        .target(
            name: "RewindPorts",
            dependencies: ["RewindCore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .target(
            name: "RewindProcess",
            dependencies: [
                "RewindPorts", .product(name: "Subprocess", package: "swift-subprocess"),
                // Subprocess speaks swift-system's types (file paths, errno, descriptors).
                .product(name: "SystemPackage", package: "swift-system"),
                "RewindCore",
            ],
            swiftSettings: strict
        ),
        .target(
            name: "RewindSignals",
            dependencies: [
                "RewindPorts", "RewindProcess",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                // Probe latencies are held in HDR histograms for sliding P95/P99 windows.
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                "RewindCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                // The probe record (health.record) is appended through a file descriptor; a failed write is logged.
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
                // FinalStatusGuard sits after the HTTP/2 stream codec of async-http-client's connections too.
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "RewindProviders",
            dependencies: [
                "RewindPorts", "RewindSpecs", "RewindProcess",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                // A Kubernetes API server is trusted through its own cluster CA.
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                "RewindCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "RewindNotify",
            dependencies: [
                "RewindPorts", "RewindSpecs",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Mustache", package: "swift-mustache"),
                // SMTP speaks raw TCP (STARTTLS included); webhooks are signed with HMAC-SHA256.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                "RewindCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "RewindStoreSQLite",
            dependencies: ["RewindPorts", .product(name: "GRDB", package: "GRDB.swift"), "RewindCore"],
            swiftSettings: strict
        ),
        // The same ports on PostgreSQL, for replicas sharing one database.
        .target(
            name: "RewindStorePostgres",
            dependencies: [
                "RewindPorts", "RewindCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "RewindEngine",
            dependencies: [
                "RewindCore", "RewindPorts",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                // An incident, its steps and its verifications are spans (a no-op tracer unless the daemon exports).
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: strict
        ),
        .target(
            // `rewind replay`: the supervisor machine on a virtual clock over recorded history.
            name: "RewindReplay",
            dependencies: [
                "RewindCore", "RewindPorts", "RewindSignals",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "RewindServer",
            dependencies: [
                "RewindEngine", "RewindSignals",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                // Alertmanager webhooks may be signed with HMAC-SHA256.
                .product(name: "Crypto", package: "swift-crypto"),
                "RewindCore",
                "RewindPorts",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                // The dashboard's HTML is rendered from Mustache templates (values HTML-escaped).
                .product(name: "Mustache", package: "swift-mustache"),
                // A live stream ends when the server shuts down gracefully.
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // The API's contract, served at /openapi.json: compiled in, so the static binary needs no file beside it.
            resources: [.embedInCode("OpenAPI/openapi.json")],
            swiftSettings: strict
        ),
        .target(
            name: "RewindSandbox",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                // The SMTP sink speaks raw TCP; the webhook sink checks HMAC signatures.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                // Sandbox services expose a latency histogram and request counters for a real Prometheus.
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "RewindTestSupport",
            dependencies: [
                "RewindSandbox",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                // The harnesses run loopback servers in a ServiceGroup and talk to them with an HTTP client.
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                // The Kubernetes emulator can serve HTTPS that requires a client certificate (mutual TLS).
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "RewindApp",
            dependencies: [
                "RewindCore", "RewindSpecs", "RewindConfig", "RewindPorts", "RewindSignals", "RewindProviders",
                "RewindNotify", "RewindStoreSQLite", "RewindStorePostgres", "RewindEngine", "RewindServer",
                "RewindSandbox", "RewindReplay",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "OTel", package: "swift-otel"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "rewind",
            dependencies: [
                "RewindApp", .product(name: "ArgumentParser", package: "swift-argument-parser"), "RewindConfig",
                "RewindCore", "RewindServer", "RewindSignals",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"), .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            exclude: ["hot-code.order"],
            swiftSettings: strict,
            linkerSettings: leanReleaseLink
        ),
        // The loopback world `scripts/kill-campaign` and `scripts/overload` run a real daemon against (test tooling:
        // no product depends on it, and it is not a product).
        .executableTarget(
            name: "rewind-campaign-world",
            dependencies: [
                "RewindSandbox", "RewindCore", "RewindStoreSQLite",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                "RewindPorts",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Tests/CampaignWorld",
            swiftSettings: strict
        ),
        .testTarget(name: "RewindCoreTests", dependencies: ["RewindCore"]),
        .testTarget(name: "RewindSpecsTests", dependencies: ["RewindSpecs", "RewindCore"]),
        .testTarget(
            name: "RewindConfigTests",
            dependencies: ["RewindConfig", "RewindSpecs", "RewindCore", .product(name: "Yams", package: "Yams")]),
        .testTarget(
            name: "RewindStoreTests",
            // GRDB: the migration tests write a state file as an older Rewind did.
            dependencies: [
                "RewindStoreSQLite", "RewindStorePostgres", "RewindPorts", "RewindCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                // PostgresNIO: the PostgreSQL tests create and drop a schema per test, and cut connections.
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "RewindProcessTests", dependencies: ["RewindProcess", "RewindCore"]),
        .testTarget(
            name: "RewindProvidersTests",
            dependencies: [
                "RewindProviders", "RewindSpecs", "RewindProcess", "RewindSandbox", "RewindTestSupport",
                // A git process held open by a test is started with swift-subprocess, never Foundation's Process.
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                "RewindCore",
                "RewindPorts",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        .testTarget(
            name: "RewindNotifyTests",
            dependencies: [
                "RewindNotify", "RewindSpecs", "RewindSandbox", "RewindTestSupport",
                // The aiosmtpd test server is started with swift-subprocess, never Foundation's Process.
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                "RewindCore",
                "RewindPorts",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "RewindSignalsTests",
            dependencies: [
                "RewindSignals", "RewindSandbox", "RewindTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                "RewindCore",
                "RewindPorts",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                // An HTTP/2 server over TLS answering `:status: 000`, with a throwaway certificate (openssl).
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "NIOHPACK", package: "swift-nio-http2"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                "RewindProcess",
            ]
        ),
        .testTarget(
            name: "RewindReplayTests",
            dependencies: [
                "RewindReplay", "RewindCore", "RewindPorts", "RewindSignals", "RewindTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .testTarget(
            name: "RewindEngineTests",
            dependencies: [
                "RewindEngine", "RewindStoreSQLite", "RewindPorts",
                // The replay agreement test: the live engine and `rewind replay` decide alike on one recorded history.
                "RewindReplay", "RewindSignals", "RewindTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                "RewindCore",
                .product(name: "Logging", package: "swift-log"),
                // The library's own recording tracer: the spans an incident leaves, checked without an exporter.
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            // Recorded Prometheus answers the replay agreement test reads by path.
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "RewindIntegrationTests",
            dependencies: [
                "RewindApp", "RewindSandbox", "RewindTestSupport", "RewindSignals", "RewindProviders", "RewindProcess",
                // Daemons under test are started with swift-subprocess, never Foundation's Process.
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                // The API's router answered in process (its contract and error shape), no socket needed.
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                // What the daemon hands swift-otel for `tracing:`.
                .product(name: "OTel", package: "swift-otel"),
                "RewindConfig",
                "RewindCore",
                "RewindEngine",
                "RewindPorts",
                "RewindServer",
                "RewindSpecs",
                "RewindStorePostgres",
                "RewindStoreSQLite",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
    ]
)

for target in package.targets where target.swiftSettings == nil {
    target.swiftSettings = strict
}
