import Foundation

// The libFuzzer entry points. One binary holds every target; `REWIND_FUZZ_TARGET` names the one a run
// fuzzes (`scripts/fuzz TARGET` sets it). Without it, the first input byte picks the target, so that a
// single run can exercise all of them.

/// Every target, by the name `scripts/fuzz` and the corpus folders use.
let fuzzTargets: [(name: String, run: @Sendable ([UInt8]) -> Void)] = [
    ("config", ConfigTarget.run),
    ("alertmanager", AlertmanagerTarget.run),
    ("events", PushedEventsTarget.run),
    ("prometheus", PrometheusTarget.run),
    ("retry-after", RetryAfterTarget.run),
    ("vercel", VercelTarget.run),
    ("railway", RailwayTarget.run),
    ("kubernetes", KubernetesTarget.run),
    ("cloudflare", CloudflareTarget.run),
    ("launchdarkly", LaunchDarklyTarget.run),
    ("unleash", UnleashTarget.run),
    ("flagd", FlagdTarget.run),
    ("notify", NotifyTarget.run),
]

nonisolated(unsafe) private var selectedTarget: (@Sendable ([UInt8]) -> Void)?

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>
) -> CInt {
    guard let name = ProcessInfo.processInfo.environment["REWIND_FUZZ_TARGET"], name != "all" else { return 0 }
    guard let target = fuzzTargets.first(where: { $0.name == name }) else {
        let known = fuzzTargets.map(\.name).joined(separator: ", ")
        FileHandle.standardError.write(Data("unknown REWIND_FUZZ_TARGET '\(name)'; one of: \(known), all\n".utf8))
        exit(64)
    }
    selectedTarget = target.run
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    if let selectedTarget {
        selectedTarget(bytes)
    } else if let first = bytes.first {
        fuzzTargets[Int(first) % fuzzTargets.count].run(Array(bytes.dropFirst()))
    }
    return 0
}
