import Foundation
import RewindCore
import RewindSpecs

/// The top level of `rewind.yaml` and its policy-wide sections.
extension ConfigReader {
    static let topLevelKeys = [
        "mode", "state", "server", "bake", "health", "strategies", "verification", "safety", "retry",
        "notifications", "escalation", "monitoring", "services", "tracking", "freeze",
        "retention", "log", "tracing", "ha",
    ]
    static let haKeys = ["shards"]
    static let logKeys = ["format"]
    static let trackingKeys = ["interval"]
    static let freezeKeys = ["enforce"]
    static let serverKeys = [
        "listen", "token", "tokens", "allowed_hosts", "idle_timeout", "max_connections", "public_url",
        "advertise_url",
    ]
    static let apiTokenKeys = ["name", "token", "scopes"]
    static let healthKeys = [
        "critical", "non_critical", "recovery", "interval", "timeout", "confirm_interval", "suspect_interval",
        "suspect_window", "record",
    ]
    /// `health.critical` and `health.non_critical` count `failures`, `health.recovery` counts `successes`.
    /// The failure rules (`failures`) also take `min_duration`.
    static func consecutiveRuleKeys(counting countKey: String) -> [String] {
        countKey == "failures" ? [countKey, "within", "min_duration"] : [countKey, "within"]
    }
    static let strategyKeys = ["immediate", "fast", "gradual", "canary"]
    static let immediateKeys = ["timeout", "freeze", "deadline"]
    static let fastKeys = ["timeout"]
    static let gradualKeys = ["reduce_by", "watch", "watch_interval", "traffic_timeout"]
    static let canaryKeys = ["stop_timeout", "route_timeout", "analysis"]
    static let verificationKeys = [
        "interval", "timeout", "max_attempts", "failure_threshold", "performance", "business",
    ]
    static let safetyKeys = ["cooldown", "max_automatic_rollbacks_per_hour"]
    static let retentionKeys = ["closed_incidents", "deployments_per_service", "interval"]
    static let retryKeys = ["attempts", "base_delay", "max_delay"]

    mutating func configuration(_ root: Located, sourcePath: String) -> RewindConfiguration {
        var policy = Policy()
        var statePath = absolutePath("rewind.db")
        var server = ServerSettings()
        var notifications = NotificationSettings()
        var channels = Self.builtInChannels(notifications)
        var platforms: [ServiceName: PlatformSpecs] = [:]
        guard let fields = mapping(root, allowed: Self.topLevelKeys) else {
            return RewindConfiguration(policy: policy, statePath: statePath, sourcePath: sourcePath)
        }
        if let at = fields["mode"], let mode = choice(at, Mode.allCases.map { ($0.rawValue, $0) }) {
            policy.mode = mode
        }
        var stateDatabaseURL: String?
        if let at = fields["state"], let written = word(at, expected: "a file path or a postgresql:// URL") {
            if StateDatabaseURL.isDatabaseURL(written) {
                stateDatabaseURL = databaseURL(written, at: at)
            } else if let path = filePath(at) {
                statePath = path
            }
        }
        if let at = fields["server"] { server = serverSettings(at) }
        if let at = fields["bake"], let bake = duration(at, .delay) { policy.bake = bake }
        if let at = fields["tracking"], let tracking = mapping(at, allowed: Self.trackingKeys),
            let at = tracking["interval"], let interval = duration(at, .pollInterval)
        {
            policy.trackingInterval = interval
        }
        var log = LogSettings()
        if let at = fields["log"], let fields = mapping(at, allowed: Self.logKeys), let at = fields["format"],
            let format = choice(at, LogSettings.Format.allCases.map { ($0.rawValue, $0) })
        {
            log.format = format
        }
        if let at = fields["freeze"], let freeze = mapping(at, allowed: Self.freezeKeys), let at = freeze["enforce"],
            let enforcement = choice(at, FreezeEnforcement.allCases.map { ($0.rawValue, $0) })
        {
            policy.freezeEnforcement = enforcement
        }
        var healthDefaults = CheckDefaults()
        var probeRecordPath: String?
        if let at = fields["health"] {
            (policy.health, healthDefaults, probeRecordPath) = healthRules(at)
        }
        if let at = fields["strategies"] { policy.strategies = strategyTimings(at) }
        if let at = fields["verification"] { policy.verification = verificationPolicy(at) }
        if let at = fields["safety"] { policy.safety = safetyLimits(at) }
        if let at = fields["retention"] { policy.retention = retention(at) }
        if let at = fields["retry"] { policy.retry = retryPolicy(at) }
        if let at = fields["notifications"] { (notifications, policy.notifications, channels) = self.notifications(at) }
        if let at = fields["escalation"] { policy.escalation = escalationPolicy(at) }
        if let at = fields["monitoring"] { policy.monitoring = monitoringPolicy(at) }
        if let at = require(fields, "services", hint: "list the services to watch under 'services:'") {
            (policy.services, platforms) = services(at, checkDefaults: healthDefaults)
            checkGradualWatch(policy, at: fields["strategies"] ?? at)
        }
        // Before the redactor is made: the headers' secrets must be in it.
        let tracing = fields["tracing"].map { tracingSettings($0) } ?? TracingSettings()
        var configuration = RewindConfiguration(
            policy: policy,
            statePath: statePath,
            server: server,
            notifications: notifications,
            channels: channels,
            platforms: platforms,
            redactor: Redactor(secrets: secrets),
            sourcePath: sourcePath
        )
        configuration.stateDatabaseURL = stateDatabaseURL
        configuration.probeRecordPath = probeRecordPath
        configuration.log = log
        configuration.tracing = tracing
        configuration.shards = shardAssignment(fields, services: policy.services, sharedState: stateDatabaseURL != nil)
        return configuration
    }

    /// `state: postgresql://…`: the URL with `${…}` resolved, every reference in it a secret (it
    /// carries the password). A password written in the file itself is refused.
    mutating func databaseURL(_ written: String, at: Located) -> String? {
        if Secrecy.hasURLPassword(written), !StateDatabaseURL.userInfo(of: written).contains("${") {
            report(
                at,
                "the database password is written in the file; write it as ${REWIND_DB_PASSWORD} "
                    + "(postgresql://user:${REWIND_DB_PASSWORD}@host:5432/rewind) or ${file:/path/to/password}")
            return nil
        }
        guard let resolved = resolve(written, at: at, secret: "database password") else { return nil }
        if let problem = StateDatabaseURL.problem(resolved.value) {
            report(at, problem)
            return nil
        }
        return resolved.value
    }

    /// A gradual watch must be able to see improvement: the trigger's signal, evaluated every
    /// `watch_interval`, needs its `consecutive` healthy evaluations within the watch.
    mutating func checkGradualWatch(_ policy: Policy, at: Located) {
        let timings = policy.strategies
        for service in policy.services where service.hasTrafficControl {
            for signal in service.signals where signal.requestedStrategy == .gradual {
                guard
                    !GradualWatch.canSeeImprovement(
                        signal, watch: timings.gradualWatch, interval: timings.gradualWatchInterval)
                else {
                    continue
                }
                let needed = GradualWatch.evaluationsNeeded(signal)
                report(
                    at,
                    "strategies.gradual: a \(timings.gradualWatch.rewindDescription) watch evaluating every "
                        + "\(timings.gradualWatchInterval.rewindDescription) can never see \(service.name)'s \(signal.name) improve "
                        + "(\(needed) healthy evaluations needed): make watch at least "
                        + "\((timings.gradualWatchInterval * needed).rewindDescription) or watch_interval at most "
                        + "\((timings.gradualWatch / needed).rewindDescription)")
            }
        }
    }

    // MARK: - ha

    /// `ha.shards` and each service's `shard:`: how replicas share the watching. More than one shard needs a
    /// state replicas share (PostgreSQL); every `shard:` must name one of the shards.
    mutating func shardAssignment(_ fields: Fields, services: [ServicePolicy], sharedState: Bool) -> ShardAssignment {
        var count = 1
        if let at = fields["ha"], let ha = mapping(at, allowed: Self.haKeys), let at = ha["shards"],
            let shards = self.count(at, CountBounds.shards)
        {
            if shards > 1, !sharedState {
                report(
                    at,
                    "ha.shards: \(shards) needs a state the replicas share: set state: postgresql://… (a SQLite "
                        + "file has one writer), or remove ha.shards")
            } else {
                count = shards
            }
        }
        var overrides: [ServiceName: Int] = [:]
        for service in services {
            guard let shard = service.shard else { continue }
            guard shard < count else {
                if let at = shardLine(of: service.name, in: fields["services"]) {
                    report(
                        at,
                        "shard: \(shard) is not one of the \(count) shard\(count == 1 ? "" : "s") (ha.shards: \(count)); "
                            + "write a shard from 0 to \(count - 1), or raise ha.shards")
                }
                continue
            }
            overrides[service.name] = shard
        }
        return ShardAssignment(count: count, overrides: overrides)
    }

    /// Where `services.NAME.shard` is written, for a problem about its value.
    private mutating func shardLine(of service: ServiceName, in services: Located?) -> Located? {
        guard let services, let entry = rawMapping(services)?.first(where: { $0.name == service.rawValue }) else {
            return nil
        }
        return rawMapping(entry.value)?.first { $0.name == "shard" }?.value
    }

    // MARK: - server

    mutating func serverSettings(_ at: Located) -> ServerSettings {
        var settings = ServerSettings()
        guard let fields = mapping(at, allowed: Self.serverKeys) else { return settings }
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
        if let at = fields["token"], let token = apiSecret(at, hint: "token: ${REWIND_API_TOKEN}") {
            settings.tokens.append(APIToken(name: APIToken.defaultName, token: token, scopes: Set(APIScope.allCases)))
        }
        if let at = fields["tokens"] { settings.tokens += apiTokens(at, after: settings.tokens) }
        if let at = fields["allowed_hosts"], let hosts = list(at) {
            for host in hosts {
                guard let name = word(host, expected: "a host name like rewind.example.com") else { continue }
                if name.isEmpty || name.contains(where: { $0 == "/" || $0 == " " || $0 == ":" || $0 == "@" }) {
                    report(
                        host,
                        "'\(name)' is not a host name: write the name alone, without scheme, port or path (rewind.example.com)"
                    )
                } else {
                    settings.allowedHosts.append(name.lowercased())
                }
            }
        }
        if let at = fields["idle_timeout"], let timeout = duration(at, .idleConnection) {
            settings.idleTimeout = timeout
        }
        if let at = fields["max_connections"], let limit = count(at, CountBounds.connections) {
            settings.maxConnections = limit
        }
        if let at = fields["public_url"], let url = text(at) {
            if isHTTPURL(url.value, shown: url.value, at: at, example: "https://rewind.example.com") {
                settings.publicURL = url.value.hasSuffix("/") ? String(url.value.dropLast()) : url.value
            }
        }
        if let at = fields["advertise_url"], let url = text(at) {
            settings.advertiseURL = advertisedOrigin(url.value, at: at)
        }
        return settings
    }

    /// `server.advertise_url`: an http(s) origin other replicas' clients can reach — a standby's 307 sends the
    /// caller's request (and its token) there, so nothing but scheme, host and port is allowed.
    private mutating func advertisedOrigin(_ text: String, at: Located) -> String? {
        let example = "http://10.0.3.7:8480 or https://rewind-0.rewind.ops.svc:8480"
        guard isHTTPURL(text, shown: text, at: at, example: example), let url = URLComponents(string: text) else {
            return nil
        }
        guard url.user == nil, url.password == nil, url.query == nil, url.fragment == nil,
            url.path.isEmpty || url.path == "/"
        else {
            report(
                at,
                "advertise_url must be this replica's origin only (scheme, host, port), without path, query or "
                    + "credentials; write e.g. \(example)")
            return nil
        }
        if let port = url.port, !(1...65535).contains(port) {
            report(at, "advertise_url: port \(port) is not between 1 and 65535")
            return nil
        }
        return text.hasSuffix("/") ? String(text.dropLast()) : text
    }

    /// A token value: a non-empty secret from `${…}`.
    private mutating func apiSecret(_ at: Located, hint: String) -> ConfigText? {
        guard let token = text(at, secret: "API token") else { return nil }
        if !token.isSecret {
            report(at, "put the token in an environment variable or a file: \(hint)")
            return nil
        }
        if token.value.isEmpty {
            report(at, "the token is empty; set it to a long random value")
            return nil
        }
        return token
    }

    /// `server.tokens`: `{name, token, scopes}` each; names unique (`default` is `server.token`'s), a
    /// secret never shared by two names (the actor would be ambiguous), at least one scope.
    private mutating func apiTokens(_ at: Located, after earlier: [APIToken]) -> [APIToken] {
        guard let entries = list(at) else { return [] }
        var tokens: [APIToken] = []
        let scopeWords = APIScope.allCases.map { ($0.rawValue, $0) }
        for entry in entries {
            guard let fields = mapping(entry, allowed: Self.apiTokenKeys) else { continue }
            var name: String?
            if let at = require(
                fields, "name", hint: "name the token; changes made with it are recorded with this name"),
                let written = self.name(at)
            {
                if !APIToken.isValidName(written) {
                    report(at, "'\(written)' is not a token name: use letters, digits, '.', '_' or '-' (at most 64)")
                } else if (earlier + tokens).contains(where: { $0.name == written }) {
                    report(
                        at,
                        written == APIToken.defaultName
                            ? "'default' is the name of server.token; choose another name"
                            : "another token is already named '\(written)'; names must be unique")
                } else {
                    name = written
                }
            }
            let secret = require(fields, "token", hint: "token: ${REWIND_CI_TOKEN}")
                .flatMap { apiSecret($0, hint: "token: ${REWIND_CI_TOKEN}") }
            var scopes: Set<APIScope> = []
            if let at = require(
                fields, "scopes", hint: "scopes: [\(APIScope.allCases.map(\.rawValue).joined(separator: ", "))]")
            {
                if let words = list(at) {
                    for word in words { if let scope = choice(word, scopeWords) { scopes.insert(scope) } }
                    if words.isEmpty {
                        report(
                            at,
                            "give the token at least one scope: \(APIScope.allCases.map(\.rawValue).joined(separator: ", "))"
                        )
                    }
                }
            }
            if let secret, let tokenAt = fields["token"],
                (earlier + tokens).contains(where: { $0.token.value == secret.value })
            {
                report(tokenAt, "the same secret is given to two token names; give each name its own secret")
                continue
            }
            guard let name, let secret, !scopes.isEmpty else { continue }
            tokens.append(APIToken(name: name, token: secret, scopes: scopes))
        }
        return tokens
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
        var suspectInterval = Defaults.suspectInterval
        var suspectWindow = Defaults.suspectWindow

        /// Reads the keys a check and `health:` share from `fields` over these values.
        mutating func read(_ fields: Fields, with reader: inout ConfigReader) {
            if let at = fields["interval"], let value = reader.duration(at, .interval) { interval = value }
            if let at = fields["timeout"], let value = reader.duration(at, .timeout) { timeout = value }
            if let at = fields["confirm_interval"], let value = reader.duration(at, .interval) {
                confirmInterval = value
            }
            if let at = fields["suspect_interval"], let value = reader.duration(at, .interval) {
                suspectInterval = value
            }
            if let at = fields["suspect_window"], let value = reader.duration(at, .suspectWindow) {
                suspectWindow = value
            }
        }
    }

    /// `health:`: the rules, the checks' defaults, and where probes are recorded (`record`).
    mutating func healthRules(_ at: Located) -> (HealthRules, CheckDefaults, record: String?) {
        var rules = HealthRules()
        var checks = CheckDefaults()
        guard let fields = mapping(at, allowed: Self.healthKeys) else { return (rules, checks, nil) }
        if let at = fields["critical"] {
            rules.critical = consecutiveRule(at, countKey: "failures", base: rules.critical)
        }
        if let at = fields["non_critical"] {
            rules.nonCritical = consecutiveRule(at, countKey: "failures", base: rules.nonCritical)
        }
        if let at = fields["recovery"] {
            rules.recovery = consecutiveRule(at, countKey: "successes", base: rules.recovery)
        }
        checks.read(fields, with: &self)
        let record = fields["record"].flatMap { $0.isNull ? nil : filePath($0) }
        return (rules, checks, record)
    }

    /// `{ failures: 3, within: 2m }` over the defaults in `base`.
    mutating func consecutiveRule(_ at: Located, countKey: String, base: ConsecutiveRule) -> ConsecutiveRule {
        var rule = base
        guard let fields = mapping(at, allowed: Self.consecutiveRuleKeys(counting: countKey)) else { return rule }
        if let at = fields[countKey], let value = count(at, CountBounds.consecutive) { rule.count = value }
        if let at = fields["within"], let value = duration(at, .window) { rule.within = value }
        if let at = fields["min_duration"], let value = duration(at, .failingFor) {
            if value > rule.within {
                report(
                    at,
                    "min_duration \(value.rewindDescription) is longer than the rule's window within "
                        + "(\(rule.within.rewindDescription)): make it at most that, or widen within")
            } else {
                rule.minDuration = value
            }
        }
        return rule
    }

    // MARK: - strategies, verification, safety, retry

    mutating func strategyTimings(_ at: Located) -> StrategyTimings {
        var timings = StrategyTimings()
        guard let fields = mapping(at, allowed: Self.strategyKeys) else { return timings }
        if let at = fields["immediate"], let immediate = mapping(at, allowed: Self.immediateKeys) {
            if let at = immediate["timeout"], let value = duration(at, .timeout) { timings.immediateTimeout = value }
            if let at = immediate["freeze"], let value = duration(at, .delay) {
                timings.immediateFreeze = value
            }
            if let at = immediate["deadline"], let value = duration(at, .deadline) { timings.immediateDeadline = value }
        }
        if let at = fields["fast"], let fast = mapping(at, allowed: Self.fastKeys) {
            if let at = fast["timeout"], let value = duration(at, .timeout) { timings.fastTimeout = value }
        }
        if let at = fields["gradual"],
            let gradual = mapping(at, allowed: Self.gradualKeys)
        {
            if let at = gradual["reduce_by"], let value = fraction(at) { timings.gradualReduction = value }
            if let at = gradual["watch"], let value = duration(at, .watch) { timings.gradualWatch = value }
            if let at = gradual["watch_interval"], let value = duration(at, .interval) {
                timings.gradualWatchInterval = value
            }
            if let at = gradual["traffic_timeout"], let value = duration(at, .timeout) {
                timings.trafficTimeout = value
            }
        }
        if let at = fields["canary"], let canary = mapping(at, allowed: Self.canaryKeys) {
            if let at = canary["stop_timeout"], let value = duration(at, .timeout) { timings.trafficTimeout = value }
            if let at = canary["route_timeout"], let value = duration(at, .timeout) {
                timings.canaryRouteTimeout = value
            }
            if let at = canary["analysis"], let value = duration(at, .due) { timings.canaryAnalysis = value }
        }
        return timings
    }

    /// A share of traffic: `50%` or `0.5`, more than 0 and at most 100 %.
    mutating func fraction(_ at: Located) -> Double? {
        guard let text = word(at, expected: "a percentage") else { return nil }
        let value =
            text.hasSuffix("%")
            ? Double(text.dropLast().trimmingCharacters(in: .whitespaces)).map { $0 / 100 } : Double(text)
        guard let value, value > 0, value <= 1 else {
            report(at, "'\(text)' is not a share of traffic: write a percentage above 0 and at most 100, e.g. 50%")
            return nil
        }
        return value
    }

    mutating func verificationPolicy(_ at: Located) -> VerificationPolicy {
        var policy = VerificationPolicy()
        guard let fields = mapping(at, allowed: Self.verificationKeys) else { return policy }
        if let at = fields["performance"] { policy.performance = validationPhase(at, default: policy.performance) }
        if let at = fields["business"] { policy.business = validationPhase(at, default: policy.business) }
        if let at = fields["interval"], let value = duration(at, .interval) { policy.interval = value }
        if let at = fields["timeout"], let value = duration(at, .timeout) { policy.timeout = value }
        if let at = fields["max_attempts"], let value = count(at, CountBounds.verificationAttempts) {
            policy.maxAttempts = value
        }
        if let at = fields["failure_threshold"], let value = count(at, CountBounds.verificationAttempts) {
            policy.failureThreshold = value
        }
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
        guard let fields = mapping(at, allowed: Self.safetyKeys) else { return limits }
        if let at = fields["cooldown"], let value = duration(at, .delay) { limits.cooldown = value }
        if let at = fields["max_automatic_rollbacks_per_hour"], let value = count(at, CountBounds.rollbacksPerHour) {
            limits.maxAutomaticRollbacksPerHour = value
        }
        return limits
    }

    mutating func retention(_ at: Located) -> RetentionPolicy {
        var retention = RetentionPolicy()
        guard let fields = mapping(at, allowed: Self.retentionKeys) else {
            return retention
        }
        if let at = fields["closed_incidents"], let value = duration(at, .retainedFor) {
            retention.closedIncidents = value
        }
        if let at = fields["deployments_per_service"], let value = count(at, CountBounds.retainedDeployments) {
            retention.deploymentsPerService = value
        }
        if let at = fields["interval"], let value = duration(at, .pruneInterval) { retention.interval = value }
        return retention
    }

    /// Retries over the defaults in `base`. For platform calls `attempts` counts retries after the first call,
    /// so 0 (never retry) is allowed; for notifications it counts every delivery attempt, so at least 1
    /// (``CountBounds``).
    mutating func retryPolicy(
        _ at: Located,
        base: RetryPolicy = RetryPolicy(),
        attempts: ClosedRange<Int> = CountBounds.platformRetries
    ) -> RetryPolicy {
        var policy = base
        guard let fields = mapping(at, allowed: Self.retryKeys) else { return policy }
        if let at = fields["attempts"], let value = count(at, attempts) { policy.attempts = value }
        if let at = fields["base_delay"], let value = duration(at, .retryDelay) { policy.baseDelay = value }
        if let at = fields["max_delay"], let value = duration(at, .retryDelay) { policy.maxDelay = value }
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
