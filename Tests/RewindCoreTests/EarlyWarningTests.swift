import RewindCore
import Testing

/// The early-warning detector: robust baselines computed by hand, the robust z, the signal's bad direction,
/// persistence, "no baseline", and at most one warning per deployment.
@Suite("Early warning: robust baseline and detector")
struct EarlyWarningTests {
    static let service: ServiceName = "backend"
    static let at = Timestamp(millisecondsSinceEpoch: 1_790_000_000_000)

    static func signal(
        _ threshold: Threshold = .above(1), policy: EarlyWarningPolicy = EarlyWarningPolicy()
    )
        -> MetricSignalPolicy
    {
        var signal = MetricSignalPolicy.guideDefaults(
            name: "latency_p95", measure: .latencyP95, category: .performance, source: .prometheus(query: "q"),
            threshold: threshold, unit: .seconds)
        signal.earlyWarning = policy
        return signal
    }

    /// median 3, |deviations| 2 1 0 1 97 → MAD 1, scale 1.4826: one wild value does not move it.
    static let baseline = RobustBaseline([1, 2, 3, 4, 100], origin: .pastWeeks, minSamples: 3)!

    @Test("median and MAD by hand: odd and even counts, one outlier ignored")
    func medianAndMAD() throws {
        #expect(Self.baseline.median == 3)
        #expect(Self.baseline.mad == 1)
        #expect(Self.baseline.scale == 1.4826)
        #expect(abs(Self.baseline.z(10) - 7 / 1.4826) < 1e-12)  // 4.7214…
        #expect(Self.baseline.z(3) == 0)
        let even = try #require(RobustBaseline([4, 1, 3, 2], origin: .lastHours, minSamples: 4))
        #expect(even.median == 2.5)
        #expect(even.mad == 1)  // |deviations| 1.5 0.5 0.5 1.5
        #expect(even.samples == 4)
        #expect(even.origin == .lastHours)
    }

    @Test("MAD 0: the mean absolute deviation × 1.2533, then a tenth of the median, then 1e-6 at 0")
    func madFloor() throws {
        // 5 5 5 5 9: MAD 0, mean |deviation| 0.8 → scale 1.00264.
        let mostlyFlat = try #require(RobustBaseline([5, 5, 5, 5, 9], origin: .pastWeeks, minSamples: 5))
        #expect(mostlyFlat.mad == 0)
        #expect(abs(mostlyFlat.scale - 1.2533 * 0.8) < 1e-12)
        let flat = try #require(RobustBaseline([2, 2, 2], origin: .pastWeeks, minSamples: 3))
        #expect(abs(flat.scale - 0.2) < 1e-12)
        #expect(abs(flat.z(3) - 5) < 1e-9)
        let zero = try #require(RobustBaseline([0, 0, 0], origin: .pastWeeks, minSamples: 3))
        #expect(zero.scale == 1e-6)
        #expect(zero.z(0) == 0)
    }

    @Test("non-finite values are no data; too few values is no baseline")
    func noBaseline() throws {
        let sample: [Double] = [1, .nan, 2, .infinity, 3, -.infinity]
        let baseline = try #require(RobustBaseline(sample, origin: .pastWeeks, minSamples: 3))
        #expect(baseline.samples == 3)
        #expect(baseline.median == 2)
        #expect(RobustBaseline(sample, origin: .pastWeeks, minSamples: 4) == nil)
        #expect(RobustBaseline([], origin: .pastWeeks, minSamples: 0) == nil)

        var state = EarlyWarningState(service: Self.service, signal: Self.signal(policy: .init(persistence: 1)))
        for second in 0..<5 {
            let warning = state.observe(
                1000, at: Self.at + .seconds(Int64(second)), deploymentID: "v2", baseline: nil, triggerFiring: false)
            #expect(warning == nil)
        }
    }

    @Test("persistence: three values beyond 3.5 in a row warn once; no data breaks the run; reset re-arms")
    func persistence() throws {
        var state = EarlyWarningState(service: Self.service, signal: Self.signal())
        func feed(_ value: Double?, _ second: Int64, firing: Bool = false) -> EarlyWarning? {
            state.observe(
                value, at: Self.at + .seconds(second), deploymentID: "v2", baseline: Self.baseline,
                triggerFiring: firing)
        }
        #expect(feed(10, 0) == nil)  // z 4.72: run 1
        #expect(feed(10, 1) == nil)  // run 2
        #expect(feed(nil, 2) == nil)  // no data: the run is broken
        #expect(feed(.nan, 3) == nil)  // NaN is no data too
        #expect(feed(10, 4) == nil)
        #expect(feed(8, 5) == nil)  // z 3.37: not beyond 3.5, broken again
        #expect(feed(10, 6) == nil)
        #expect(feed(10, 7) == nil)
        let warning = try #require(feed(10, 8))
        #expect(warning.at == Self.at + .seconds(8))
        #expect(warning.deploymentID == "v2")
        #expect(warning.value == 10)
        #expect(abs(warning.z - 4.721435316336166) < 1e-12)
        #expect(warning.median == 3)
        #expect(warning.mad == 1)
        #expect(warning.baselineSamples == 5)
        #expect(warning.baselineOrigin == "past_weeks")
        #expect(warning.summary.contains("no threshold has fired"))
        // At most one per deployment: no storm.
        for second in Int64(9)...20 { #expect(feed(10, second) == nil) }
        state.reset()
        #expect(feed(10, 21) == nil)
        #expect(feed(10, 22) == nil)
        #expect(feed(10, 23) != nil)
    }

    @Test("direction from the threshold: a drop warns a drop signal, a rise does not")
    func direction() {
        #expect(Threshold.above(1).badDirection == .increase)
        #expect(Threshold.riseFromBaseline(fraction: 0.5).badDirection == .increase)
        #expect(Threshold.riseByPoints(0.05).badDirection == .increase)
        #expect(Threshold.below(1).badDirection == .decrease)
        #expect(Threshold.dropFromBaseline(fraction: 0.3).badDirection == .decrease)

        var state = EarlyWarningState(
            service: Self.service, signal: Self.signal(.dropFromBaseline(fraction: 0.3), policy: .init(persistence: 1)))
        #expect(
            state.observe(50, at: Self.at, deploymentID: "v2", baseline: Self.baseline, triggerFiring: false) == nil)
        let warning = state.observe(-10, at: Self.at, deploymentID: "v2", baseline: Self.baseline, triggerFiring: false)
        #expect(warning.map { $0.z < -3.5 } == true)
    }

    @Test("silent once the threshold fired, and when turned off")
    func silentWhenFiringOrOff() {
        var firing = EarlyWarningState(service: Self.service, signal: Self.signal(policy: .init(persistence: 1)))
        #expect(
            firing.observe(10, at: Self.at, deploymentID: "v2", baseline: Self.baseline, triggerFiring: true) == nil)
        var off = EarlyWarningState(
            service: Self.service, signal: Self.signal(policy: .init(enabled: false, persistence: 1)))
        #expect(off.observe(10, at: Self.at, deploymentID: "v2", baseline: Self.baseline, triggerFiring: false) == nil)
    }
}
