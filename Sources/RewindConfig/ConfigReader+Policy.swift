import RewindCore

/// The top level of `rewind.yaml` and its policy-wide sections.
extension ConfigReader {
    static let topLevelKeys = [
        "mode", "state", "server", "bake", "health", "strategies", "verification", "safety", "retry",
        "notifications", "escalation", "monitoring", "services", "tracking",
    ]

    mutating func configuration(_ root: Located, sourcePath: String) -> RewindConfiguration {
        var policy = Policy()
        var statePath = absolutePath("rewind.db")
        var server = ServerSettings()
        var notifications = NotificationSettings()
        guard let fields = mapping(root, allowed: Self.topLevelKeys) else {
            return RewindConfiguration(policy: policy, statePath: statePath, sourcePath: sourcePath)
        }
        if let at = fields["mode"], let mode = choice(at, Mode.allCases.map { ($0.rawValue, $0) }) {
            policy.mode = mode
        }
        if let at = fields["state"], let path = filePath(at) { statePath = path }
        if let at = fields["server"] { server = serverSettings(at) }
        if let at = fields["bake"], let bake = duration(at, allowZero: true) { policy.bake = bake }
        if let at = fields["tracking"], let tracking = mapping(at, allowed: ["interval"]),
            let at = tracking["interval"], let interval = duration(at)
        {
            policy.trackingInterval = interval
        }
        let healthDefaults: CheckDefaults
        if let at = fields["health"] {
            (policy.health, healthDefaults) = healthRules(at)
        } else {
            healthDefaults = CheckDefaults()
        }
        if let at = fields["strategies"] { policy.strategies = strategyTimings(at) }
        if let at = fields["verification"] { policy.verification = verificationPolicy(at) }
        if let at = fields["safety"] { policy.safety = safetyLimits(at) }
        if let at = fields["retry"] { policy.retry = retryPolicy(at) }
        if let at = fields["notifications"] { (notifications, policy.notifications) = self.notifications(at) }
        if let at = fields["escalation"] { policy.escalation = escalationPolicy(at) }
        if let at = fields["monitoring"] { policy.monitoring = monitoringPolicy(at) }
        if let at = require(fields, "services", hint: "list the services to watch under 'services:'") {
            policy.services = services(at, checkDefaults: healthDefaults)
        }
        return RewindConfiguration(
            policy: policy,
            statePath: statePath,
            server: server,
            notifications: notifications,
            redactor: Redactor(secrets: secrets),
            sourcePath: sourcePath
        )
    }

    // MARK: - server

    mutating func serverSettings(_ at: Located) -> ServerSettings {
        var settings = ServerSettings()
        guard let fields = mapping(at, allowed: ["listen", "token"]) else { return settings }
        if let at = fields["listen"],
            let text = word(at, expected: "host:port like \(Defaults.listenHost):\(Defaults.listenPort)")
        {
            if let (host, port) = Self.hostAndPort(text) {
                settings.host = host
                settings.port = port
            } else {
                report(
                    at,
                    "'\(text)' is not host:port; write e.g. listen: \(Defaults.listenHost):\(Defaults.listenPort)"
                )
            }
        }
        if let at = fields["token"], let token = text(at) {
            if !token.isSecret {
                report(at, "put the token in an environment variable or a file: token: ${REWIND_API_TOKEN}")
            } else if token.value.isEmpty {
                report(at, "the token is empty; set it to a long random value")
            } else {
                settings.token = token
            }
        }
        return settings
    }

    /// `host:port`, `[::1]:8786`; port 0 asks the system for a free port.
    static func hostAndPort(_ text: String) -> (String, Int)? {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                return nil
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") { return nil }  // IPv6 needs brackets
        }
        guard !host.isEmpty, !host.contains(where: { $0 == " " || $0 == "/" }),
            portText.allSatisfy(\.isASCII), let port = Int(portText), (0...65535).contains(port)
        else { return nil }
        return (String(host), port)
    }

    // MARK: - health

    /// Check settings that `health:` sets for every check and each check may override.
    struct CheckDefaults {
        var interval = Defaults.checkInterval
        var timeout = Defaults.checkTimeout
        var confirmInterval = Defaults.confirmInterval
    }

    mutating func healthRules(_ at: Located) -> (HealthRules, CheckDefaults) {
        var rules = HealthRules()
        var checks = CheckDefaults()
        let allowed = ["critical", "non_critical", "recovery", "interval", "timeout", "confirm_interval"]
        guard let fields = mapping(at, allowed: allowed) else { return (rules, checks) }
        if let at = fields["critical"] {
            rules.critical = consecutiveRule(at, countKey: "failures", base: rules.critical)
        }
        if let at = fields["non_critical"] {
            rules.nonCritical = consecutiveRule(at, countKey: "failures", base: rules.nonCritical)
        }
        if let at = fields["recovery"] {
            rules.recovery = consecutiveRule(at, countKey: "successes", base: rules.recovery)
        }
        if let at = fields["interval"], let value = duration(at) { checks.interval = value }
        if let at = fields["timeout"], let value = duration(at) { checks.timeout = value }
        if let at = fields["confirm_interval"], let value = duration(at) { checks.confirmInterval = value }
        return (rules, checks)
    }

    /// `{ failures: 3, within: 2m }` over the defaults in `base`.
    mutating func consecutiveRule(_ at: Located, countKey: String, base: ConsecutiveRule) -> ConsecutiveRule {
        var rule = base
        guard let fields = mapping(at, allowed: [countKey, "within"]) else { return rule }
        if let at = fields[countKey], let value = count(at) { rule.count = value }
        if let at = fields["within"], let value = duration(at) { rule.within = value }
        return rule
    }

    // MARK: - strategies, verification, safety, retry

    mutating func strategyTimings(_ at: Located) -> StrategyTimings {
        var timings = StrategyTimings()
        guard let fields = mapping(at, allowed: ["immediate", "fast", "gradual", "canary"]) else { return timings }
        if let at = fields["immediate"], let immediate = mapping(at, allowed: ["timeout", "freeze", "deadline"]) {
            if let at = immediate["timeout"], let value = duration(at) { timings.immediateTimeout = value }
            if let at = immediate["freeze"], let value = duration(at, allowZero: true) {
                timings.immediateFreeze = value
            }
            if let at = immediate["deadline"], let value = duration(at) { timings.immediateDeadline = value }
        }
        if let at = fields["fast"], let fast = mapping(at, allowed: ["timeout"]) {
            if let at = fast["timeout"], let value = duration(at) { timings.fastTimeout = value }
        }
        if let at = fields["gradual"], let gradual = mapping(at, allowed: ["reduce_by", "watch", "traffic_timeout"]) {
            if let at = gradual["reduce_by"], let value = fraction(at) { timings.gradualReduction = value }
            if let at = gradual["watch"], let value = duration(at) { timings.gradualWatch = value }
            if let at = gradual["traffic_timeout"], let value = duration(at) { timings.trafficTimeout = value }
        }
        if let at = fields["canary"], let canary = mapping(at, allowed: ["stop_timeout", "route_timeout", "analysis"]) {
            if let at = canary["stop_timeout"], let value = duration(at) { timings.trafficTimeout = value }
            if let at = canary["route_timeout"], let value = duration(at) { timings.canaryRouteTimeout = value }
            if let at = canary["analysis"], let value = duration(at) { timings.canaryAnalysis = value }
        }
        return timings
    }

    /// A share of traffic: `50%` or `0.5`, more than 0 and at most 100 %.
    mutating func fraction(_ at: Located) -> Double? {
        guard let text = word(at, expected: "a percentage") else { return nil }
        let value = text.hasSuffix("%") ? Double(text.dropLast().trimmingCharacters(in: .whitespaces)).map { $0 / 100 } : Double(text)
        guard let value, value > 0, value <= 1 else {
            report(at, "'\(text)' is not a share of traffic: write a percentage above 0 and at most 100, e.g. 50%")
            return nil
        }
        return value
    }

    mutating func verificationPolicy(_ at: Located) -> VerificationPolicy {
        var policy = VerificationPolicy()
        let allowed = ["interval", "timeout", "max_attempts", "failure_threshold", "performance", "business"]
        guard let fields = mapping(at, allowed: allowed) else { return policy }
        if let at = fields["performance"] { policy.performance = validationPhase(at, default: policy.performance) }
        if let at = fields["business"] { policy.business = validationPhase(at, default: policy.business) }
        if let at = fields["interval"], let value = duration(at) { policy.interval = value }
        if let at = fields["timeout"], let value = duration(at) { policy.timeout = value }
        if let at = fields["max_attempts"], let value = count(at) { policy.maxAttempts = value }
        if let at = fields["failure_threshold"], let value = count(at) { policy.failureThreshold = value }
        if policy.failureThreshold > policy.maxAttempts, let at = fields["failure_threshold"] ?? fields["max_attempts"]
        {
            report(
                at,
                "failure_threshold (\(policy.failureThreshold)) is more than max_attempts (\(policy.maxAttempts)), "
                    + "so verification could never fail; lower it or raise max_attempts"
            )
        }
        return policy
    }

    mutating func safetyLimits(_ at: Located) -> SafetyLimits {
        var limits = SafetyLimits()
        guard let fields = mapping(at, allowed: ["cooldown", "max_automatic_rollbacks_per_hour"]) else { return limits }
        if let at = fields["cooldown"], let value = duration(at, allowZero: true) { limits.cooldown = value }
        if let at = fields["max_automatic_rollbacks_per_hour"], let value = count(at) {
            limits.maxAutomaticRollbacksPerHour = value
        }
        return limits
    }

    /// Retries over the defaults in `base`. For platform calls `attempts` counts retries after the first call,
    /// so 0 (never retry) is allowed; for notifications it counts every delivery attempt, so at least 1.
    mutating func retryPolicy(
        _ at: Located,
        base: RetryPolicy = RetryPolicy(),
        minimumAttempts: Int = 0
    ) -> RetryPolicy {
        var policy = base
        guard let fields = mapping(at, allowed: ["attempts", "base_delay", "max_delay"]) else { return policy }
        if let at = fields["attempts"], let value = count(at, minimum: minimumAttempts) { policy.attempts = value }
        if let at = fields["base_delay"], let value = duration(at) { policy.baseDelay = value }
        if let at = fields["max_delay"], let value = duration(at) { policy.maxDelay = value }
        if policy.baseDelay > policy.maxDelay, let at = fields["base_delay"] ?? fields["max_delay"] {
            report(
                at,
                "base_delay (\(policy.baseDelay.rewindDescription)) is longer than max_delay "
                    + "(\(policy.maxDelay.rewindDescription)); make base_delay the shorter one"
            )
        }
        return policy
    }
}
