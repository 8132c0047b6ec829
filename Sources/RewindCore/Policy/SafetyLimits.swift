/// What keeps automatic rollbacks from looping: a cooldown per service and a cap per hour.
public struct SafetyLimits: Sendable, Equatable {
    public var cooldown: Duration
    public var maxAutomaticRollbacksPerHour: Int

    public init(
        cooldown: Duration = Defaults.cooldown,
        maxAutomaticRollbacksPerHour: Int = Defaults.maxAutomaticRollbacksPerHour
    ) {
        self.cooldown = cooldown
        self.maxAutomaticRollbacksPerHour = maxAutomaticRollbacksPerHour
    }
}
