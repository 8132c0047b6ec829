// swift-tools-version:6.1
import PackageDescription

import class Foundation.ProcessInfo

// Rewind's benchmarks: a separate package so that the main package's build and tests never
// compile package-benchmark. Run from this folder:
//     swift package --allow-writing-to-package-directory benchmark
// See ../BENCHMARKS.md for what is measured and the figures.
//
// REWIND_PACKAGE_PATH benchmarks another checkout of Rewind (for example an export of an older
// commit, to compare); by default the benchmarks use the enclosing package.
let rewindPath = ProcessInfo.processInfo.environment["REWIND_PACKAGE_PATH"] ?? ".."

let package = Package(
    name: "rewind-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "rewind", path: rewindPath),
        // The trait list replaces the defaults: MallocInterposer avoids jemalloc, and leaving out
        // RuntimeInterposer avoids a dependency that is not needed for these wall-clock figures.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.24.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.5.0"),
    ],
    targets: [
        .executableTarget(
            name: "Detection",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "RewindApp", package: "rewind"),
                .product(name: "RewindConfig", package: "rewind"),
                .product(name: "RewindCore", package: "rewind"),
                .product(name: "RewindEngine", package: "rewind"),
                .product(name: "RewindPorts", package: "rewind"),
                .product(name: "RewindSandbox", package: "rewind"),
                .product(name: "RewindSignals", package: "rewind"),
                .product(name: "RewindStoreSQLite", package: "rewind"),
            ],
            path: "Benchmarks/Detection",
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // Metric triggers: sliding P95/P99 windows, the trigger state, Prometheus evaluation rounds.
        .executableTarget(
            name: "Signals",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "RewindCore", package: "rewind"),
                .product(name: "RewindSandbox", package: "rewind"),
                .product(name: "RewindSignals", package: "rewind"),
                // The Prometheus emulator is test kit, not part of the sandbox the demo runs.
                .product(name: "RewindTestSupport", package: "rewind"),
            ],
            path: "Benchmarks/Signals",
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The canary judge's false-failure rate and power, by seeded simulation (no I/O, RewindCore only).
        .executableTarget(
            name: "canary-simulation",
            dependencies: [
                .product(name: "RewindCore", package: "rewind")
            ],
            path: "Tools/CanarySimulation",
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]
        ),
        // `rewind replay`: one week of synthetic history replayed in memory, and a 27-combination sweep.
        .executableTarget(
            name: "Replay",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "RewindCore", package: "rewind"),
                .product(name: "RewindReplay", package: "rewind"),
            ],
            path: "Benchmarks/Replay",
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The loopback target farm of the scale benchmark (scripts/scale.py): one HTTP server answering
        // every health check of thousands of services, and their platforms' `current`.
        .executableTarget(
            name: "target-farm",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird")
            ],
            path: "Tools/TargetFarm",
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]
        ),
    ]
)
