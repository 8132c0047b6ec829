// swift-tools-version:6.1
import PackageDescription

// Targets and their allowed dependencies follow ../shared/DESIGN.md ("Modules").
// `scripts/check-architecture` verifies this manifest keeps them.
let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "rewind",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "rewind", targets: ["rewind"]),
        .library(name: "RewindCore", targets: ["RewindCore"]),
        .library(name: "RewindApp", targets: ["RewindApp"]),
        .library(name: "RewindConfig", targets: ["RewindConfig"]),
        .library(name: "RewindPorts", targets: ["RewindPorts"]),
        .library(name: "RewindEngine", targets: ["RewindEngine"]),
        .library(name: "RewindSandbox", targets: ["RewindSandbox"]),
        .library(name: "RewindSignals", targets: ["RewindSignals"]),
        .library(name: "RewindStoreSQLite", targets: ["RewindStoreSQLite"]),
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
    ],
    targets: [
        .target(name: "RewindCore", swiftSettings: strict),
        .target(
            name: "RewindConfig",
            dependencies: ["RewindCore", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict
        ),
        .target(
            name: "RewindPorts",
            dependencies: ["RewindCore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .target(
            name: "RewindSignals",
            dependencies: [
                "RewindPorts",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                // Probe latencies are held in HDR histograms for sliding P95/P99 windows.
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "RewindProviders",
            dependencies: [
                "RewindPorts",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                // A Kubernetes API server is trusted through its own cluster CA.
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "RewindNotify",
            dependencies: [
                "RewindPorts",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Mustache", package: "swift-mustache"),
                // SMTP speaks raw TCP (STARTTLS included); webhooks are signed with HMAC-SHA256.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "RewindStoreSQLite",
            dependencies: ["RewindPorts", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict
        ),
        .target(
            name: "RewindEngine",
            dependencies: [
                "RewindCore", "RewindPorts",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
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
            ],
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
            ],
            swiftSettings: strict
        ),
        .target(
            name: "RewindApp",
            dependencies: [
                "RewindCore", "RewindConfig", "RewindPorts", "RewindSignals", "RewindProviders",
                "RewindNotify", "RewindStoreSQLite", "RewindEngine", "RewindServer", "RewindSandbox",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "rewind",
            dependencies: ["RewindApp", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict
        ),
        .testTarget(name: "RewindCoreTests", dependencies: ["RewindCore"]),
        .testTarget(name: "RewindConfigTests", dependencies: ["RewindConfig"]),
        .testTarget(name: "RewindStoreTests", dependencies: ["RewindStoreSQLite"]),
        .testTarget(
            name: "RewindProvidersTests",
            dependencies: [
                "RewindProviders", "RewindSandbox",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .testTarget(
            name: "RewindNotifyTests",
            dependencies: [
                "RewindNotify", "RewindSandbox",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .testTarget(
            name: "RewindSignalsTests",
            dependencies: [
                "RewindSignals", "RewindNotify", "RewindSandbox", "RewindProviders",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        .testTarget(name: "RewindEngineTests", dependencies: ["RewindEngine", "RewindStoreSQLite", "RewindPorts"]),
        .testTarget(
            name: "RewindIntegrationTests",
            dependencies: [
                "RewindApp", "RewindSandbox", "RewindSignals", "RewindProviders",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
    ]
)
