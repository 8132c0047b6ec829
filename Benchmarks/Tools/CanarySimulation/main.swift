// The canary judge's error rates, by seeded simulation (BENCHMARKS.md, "Canary judge").
//
//     cd Benchmarks && swift run -c release canary-simulation [seed]
//
// Each simulated canary is watched for 30 looks, one a minute. Before each look each cohort gains the
// 6 values its latency query gives over the last minute at a 10 s step: log-normal, median 100 ms,
// σ = 0.2 of the logarithm (per-step latency of a service is noisy, not a constant). The looks go
// through the real `CanaryJudgeState` (merging by timestamp, min_samples, α-spending, the score) with
// the shipped judge settings: `increase` is bad, α 5 % over 30 looks, min_effect 5 %, min_samples 10.
//
// - A/A: 1,000 canaries identical to stable. Figure: the fraction the judge failed at any look
//   (the false-failure rate; must be ≤ α = 5 %). For comparison, the same samples judged at a fixed
//   α = 5 % on every look (Kayenta's way).
// - Slower: 1,000 canaries whose median is 10 % higher. Figure: the fraction failed within 30 looks
//   (the power; must be ≥ 90 %), and the median look of detection.
import Foundation
import RewindCore

/// SplitMix64: small, fast, and the same sequence on every platform for a seed.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A standard normal value (Box–Muller).
    mutating func normal() -> Double {
        let u1 = Double.random(in: Double.ulpOfOne..<1, using: &self)
        let u2 = Double.random(in: 0..<1, using: &self)
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}

struct Scenario {
    var name: String
    /// The canary's median over stable's.
    var slowdown: Double
}

let canaries = 1000
let looks = 30
let valuesPerLook = 6
let step = Duration.seconds(10)
let sigma = 0.2
let medianSeconds = 0.100
let seed = CommandLine.arguments.dropFirst().first.flatMap(UInt64.init) ?? 20_261_207

let judge = CanaryJudgePolicy(direction: .increase)
let signal = CanarySignalPolicy(
    name: "latency_p50", measure: .custom, category: .performance, unit: .seconds,
    cohorts: CohortQueries(template: "histogram_quantile(0.5, …{track=\"{{track}}\"})"), judge: judge)
let start = Timestamp(millisecondsSinceEpoch: 1_800_000_000_000)

func simulate(_ scenario: Scenario, generator: inout SeededGenerator) -> (failed: Int, fixedAlpha: Int, looks: [Int]) {
    var failed = 0
    var failedAtFixedAlpha = 0
    var detectionLooks: [Int] = []
    for _ in 0..<canaries {
        var state = CanaryJudgeState(service: "web", signals: [signal])
        var canary: [Double] = []
        var stable: [Double] = []
        var fixedFailed = false
        var detected: Int?
        for look in 1...looks {
            let end = start + .seconds(Int64(60 * look))
            func values(_ median: Double) -> [CohortSample] {
                (0..<valuesPerLook).map { index in
                    CohortSample(
                        at: end - step * (valuesPerLook - 1 - index),
                        value: median * exp(sigma * generator.normal()))
                }
            }
            let newCanary = values(medianSeconds * scenario.slowdown)
            let newStable = values(medianSeconds)
            canary += newCanary.map(\.value)
            stable += newStable.map(\.value)
            let reading = CohortReading(
                signal: signal.name, outcome: .samples(canary: newCanary, stable: newStable),
                queries: signal.cohorts)
            if case .fired = state.observe(CanaryLook(at: end, suspectSince: start, readings: [reading])),
                detected == nil
            {
                detected = look
            }
            // Kayenta's way: every look at the full α.
            var fixed = judge
            fixed.maxLooks = 1
            if case .fail = CanaryJudge.judge(canary: canary, stable: stable, policy: fixed, look: 1) {
                fixedFailed = true
            }
        }
        if let detected {
            failed += 1
            detectionLooks.append(detected)
        }
        if fixedFailed { failedAtFixedAlpha += 1 }
    }
    return (failed, failedAtFixedAlpha, detectionLooks.sorted())
}

func percent(_ count: Int) -> String {
    String(format: "%.1f %%", 100 * Double(count) / Double(canaries))
}

print("canary judge: \(canaries) canaries × \(looks) looks, \(valuesPerLook) values per cohort per look,")
print("log-normal σ \(sigma), α \(judge.alpha) spent over \(judge.maxLooks) looks (O'Brien–Fleming), ")
print("min_effect \(judge.minEffect), min_samples \(judge.minSamples), seed \(seed)")
var generator = SeededGenerator(state: seed)
let clock = ContinuousClock()
let began = clock.now
let aa = simulate(Scenario(name: "A/A", slowdown: 1), generator: &generator)
let slow = simulate(Scenario(name: "10 % slower", slowdown: 1.1), generator: &generator)
let elapsed = clock.now - began
print("")
print("| canaries | failed within \(looks) looks | target | fixed α every look (Kayenta) |")
print("|---|---|---|---|")
print("| A/A (identical) | \(percent(aa.failed)) | ≤ 5 % | \(percent(aa.fixedAlpha)) |")
let medianLook = slow.looks.isEmpty ? 0 : slow.looks[slow.looks.count / 2]
print(
    "| 10 % slower at the median | \(percent(slow.failed)) (median look \(medianLook)) | ≥ 90 % | \(percent(slow.fixedAlpha)) |"
)
print("")
print("simulated in \(elapsed)")
let met = Double(aa.failed) <= 0.05 * Double(canaries) && Double(slow.failed) >= 0.9 * Double(canaries)
exit(met ? 0 : 1)
