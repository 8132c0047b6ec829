extension Demo {
    /// What `rewind demo --output json` prints: one object per run.
    public struct Summary: Codable, Sendable, Equatable {
        public var scenario: String
        /// The trigger that fired, if one did.
        public var trigger: String?
        /// The strategy the incident took (immediate, fast, gradual, canary).
        public var strategy: String?
        public var rolledBack: Bool
        public var recovered: Bool
        public var faultToDetectionS: Double?
        public var faultToRollbackS: Double?
        public var faultToRecoveryS: Double?
        public var incident: Int64?
        public var report: String?
        public var asExpected: Bool
        /// The plan's steps as they ran, in the order they finished.
        public var steps: [Step] = []
        /// The share of the affected service's traffic its new version had when the fault landed, and at the end
        /// (services behind a load balancer only).
        public var newVersionShareBefore: Double?
        public var newVersionShareAfter: Double?
        /// The post-rollback tasks recorded on the incident (`investigation.analyze_canary_data`, …).
        public var tasks: [String] = []
        /// The platform the affected service runs on (vercel, railway).
        public var platform: String = ""
        /// Notifications delivered per channel.
        public var notifications: [String: Int] = [:]
        /// Where latency and error rate came from: `prometheus`, or Rewind's probe latencies and pushed events.
        public var signalsFrom: String = ""

        /// One plan step: what it ended with and when, in seconds after the fault.
        public struct Step: Codable, Sendable, Equatable {
            public var id: String
            public var outcome: String
            public var startedS: Double?
            public var finishedS: Double
            /// For a traffic step: the new version's share before and after it, as the step read them.
            public var shareBefore: Double?
            public var shareAfter: Double?

            enum CodingKeys: String, CodingKey {
                case id, outcome
                case startedS = "started_s"
                case finishedS = "finished_s"
                case shareBefore = "share_before"
                case shareAfter = "share_after"
            }

            public func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(id, forKey: .id)
                try c.encode(outcome, forKey: .outcome)
                try c.encode(startedS, forKey: .startedS)
                try c.encode(finishedS, forKey: .finishedS)
                try c.encodeIfPresent(shareBefore, forKey: .shareBefore)
                try c.encodeIfPresent(shareAfter, forKey: .shareAfter)
            }
        }

        enum CodingKeys: String, CodingKey {
            case scenario, trigger, strategy, recovered, incident, report, steps, tasks, platform
            case rolledBack = "rolled_back"
            case faultToDetectionS = "fault_to_detection_s"
            case faultToRollbackS = "fault_to_rollback_s"
            case faultToRecoveryS = "fault_to_recovery_s"
            case asExpected = "as_expected"
            case newVersionShareBefore = "new_version_share_before"
            case newVersionShareAfter = "new_version_share_after"
            case notifications
            case signalsFrom = "signals_from"
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(scenario, forKey: .scenario)
            try c.encode(trigger, forKey: .trigger)
            try c.encode(strategy, forKey: .strategy)
            try c.encode(rolledBack, forKey: .rolledBack)
            try c.encode(recovered, forKey: .recovered)
            try c.encode(faultToDetectionS, forKey: .faultToDetectionS)
            try c.encode(faultToRollbackS, forKey: .faultToRollbackS)
            try c.encode(faultToRecoveryS, forKey: .faultToRecoveryS)
            try c.encode(incident, forKey: .incident)
            try c.encode(report, forKey: .report)
            try c.encode(asExpected, forKey: .asExpected)
            try c.encode(steps, forKey: .steps)
            try c.encode(newVersionShareBefore, forKey: .newVersionShareBefore)
            try c.encode(newVersionShareAfter, forKey: .newVersionShareAfter)
            try c.encode(tasks, forKey: .tasks)
            try c.encode(platform, forKey: .platform)
            try c.encode(notifications, forKey: .notifications)
            try c.encode(signalsFrom, forKey: .signalsFrom)
        }

        /// The outcome the step ended with (`succeeded`, `no improvement: …`), by id.
        func outcome(of step: String) -> String? { steps.first { $0.id == step }?.outcome }
    }
}
