/// The guide's health verification after a rollback.
public struct VerificationPolicy: Sendable, Equatable {
    public var interval: Duration
    public var timeout: Duration
    public var maxAttempts: Int
    public var failureThreshold: Int
    /// The guide's performance validation (5 minutes) after the health checks pass; runs for a
    /// service with performance, throughput or infrastructure signals.
    public var performance: ValidationPhasePolicy
    /// The guide's business validation (15 minutes); runs for a service with business signals.
    public var business: ValidationPhasePolicy

    public init(
        interval: Duration = Defaults.verificationInterval, timeout: Duration = Defaults.verificationTimeout,
        maxAttempts: Int = Defaults.verificationAttempts,
        failureThreshold: Int = Defaults.verificationFailureThreshold,
        performance: ValidationPhasePolicy = .init(duration: Defaults.performanceValidation),
        business: ValidationPhasePolicy = .init(duration: Defaults.businessValidation)
    ) {
        self.performance = performance
        self.business = business
        self.interval = interval
        self.timeout = timeout
        self.maxAttempts = maxAttempts
        self.failureThreshold = failureThreshold
    }
}
