import RewindCore

/// How well a policy did on labelled history: the two numbers a team cares about — good deployments rolled
/// back and bad ones kept — and how long a bad one hurt before the decision.
public struct ReplayScore: Sendable, Equatable {
    /// Labelled deployments that went live in the period, and how many of them were bad.
    public var labelled = 0
    public var bad = 0
    /// Bad deployments rolled back.
    public var caught = 0
    /// Deployments labelled good that were rolled back.
    public var falseRollbacks = 0
    /// Deployments labelled bad that were kept.
    public var missed = 0
    /// False rollbacks taken while another service's deployment labelled bad was live: the fault was elsewhere.
    public var wrongServiceBlamed = 0
    /// For each bad deployment rolled back: from its fault (`fault_at`, else going live) to the decision.
    public var delays: [Duration] = []
    /// Bad deployments an early warning was raised on, and for each: from its fault (`fault_at`, else going
    /// live) to the warning — to compare with ``delays``, the time to the decision.
    public var warned = 0
    public var warningDelays: [Duration] = []
    /// Early warnings on deployments labelled good (a notice each, nothing rolled back).
    public var falseWarnings = 0

    /// False rollbacks plus missed bad deployments: what ranks a sweep first.
    public var mistakes: Int { falseRollbacks + missed }
    public var medianDelay: Duration? { Self.percentile(delays, 0.5) }
    public var p90Delay: Duration? { Self.percentile(delays, 0.9) }
    public var maxDelay: Duration? { delays.max() }
    public var medianWarningDelay: Duration? { Self.percentile(warningDelays, 0.5) }

    /// Scores `result` against `labels`; deployments without a label are not scored.
    public init(result: ReplayResult, labels: [DeploymentLabel]) {
        let byKey = Dictionary(
            labels.map { ("\($0.service)\u{0}\($0.deployment)", $0) }, uniquingKeysWith: { first, _ in first })
        func label(_ deployment: ReplayDeployment) -> DeploymentLabel? {
            byKey["\(deployment.service)\u{0}\(deployment.id)"]
        }
        // When each labelled-bad deployment was live: from going live to the service's next deployment.
        var badSpans: [(service: ServiceName, from: Timestamp, to: Timestamp?)] = []
        let verdicts = result.deployments
        for (position, verdict) in verdicts.enumerated() where label(verdict.deployment)?.bad == true {
            let next = verdicts[(position + 1)...].first { $0.deployment.service == verdict.deployment.service }
            badSpans.append((verdict.deployment.service, verdict.deployment.at, next?.deployment.at))
        }
        for verdict in verdicts {
            guard let label = label(verdict.deployment) else { continue }
            labelled += 1
            if let warnedAt = verdict.warnedAt {
                if label.bad {
                    warned += 1
                    warningDelays.append(max(warnedAt - (label.faultAt ?? verdict.deployment.at), .zero))
                } else {
                    falseWarnings += 1
                }
            }
            switch (label.bad, verdict.outcome) {
            case (true, .rolledBack):
                bad += 1
                caught += 1
                if let decided = verdict.decidedAt {
                    delays.append(max(decided - (label.faultAt ?? verdict.deployment.at), .zero))
                }
            case (true, .kept):
                bad += 1
                missed += 1
            case (false, .rolledBack):
                falseRollbacks += 1
                if let decided = verdict.decidedAt,
                    badSpans.contains(where: {
                        $0.service != verdict.deployment.service && $0.from <= decided
                            && ($0.to.map { decided < $0 } ?? true)
                    })
                {
                    wrongServiceBlamed += 1
                }
            case (false, .kept):
                break
            }
        }
        delays.sort()
        warningDelays.sort()
    }

    /// The nearest-rank percentile of sorted `values`.
    public static func percentile(_ values: [Duration], _ fraction: Double) -> Duration? {
        guard !values.isEmpty else { return nil }
        let rank = Int((fraction * Double(values.count)).rounded(.up))
        return values[min(max(rank, 1), values.count) - 1]
    }

    /// Better first: fewer mistakes, then fewer wrong services blamed, then the shorter median and longest delay.
    public static func isBetter(_ lhs: ReplayScore, than rhs: ReplayScore) -> Bool {
        let left = (
            lhs.mistakes, lhs.wrongServiceBlamed, lhs.medianDelay ?? .seconds(Int64.max / 2_000),
            lhs.maxDelay ?? .seconds(Int64.max / 2_000)
        )
        let right = (
            rhs.mistakes, rhs.wrongServiceBlamed, rhs.medianDelay ?? .seconds(Int64.max / 2_000),
            rhs.maxDelay ?? .seconds(Int64.max / 2_000)
        )
        return left < right
    }
}
