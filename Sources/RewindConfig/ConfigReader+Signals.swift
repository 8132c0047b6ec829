import Foundation
import RewindCore
import Yams

/// `services.NAME.signals:` (metric triggers) and the top-level `monitoring:` section.
extension ConfigReader {
    static let signalKeys =
        [
            "name", "measure", "category", "prometheus", "probe", "quantile", "pushed", "command", "threshold", "unit",
            "window", "interval", "consecutive", "recovery", "no_data", "min_samples", "baseline", "severity",
            "timeout", "early_warning",
        ] + cohortKeys
    static let signalSources = ["prometheus", "probe", "pushed", "command"]
    static let monitoringKeys = ["prometheus", "alertmanager", "push", "failure_after", "early_warning"]
    static let prometheusKeys = ["url", "headers", "timeout"]
    static let pushKeys = ["max_body_bytes", "max_events"]
    static let alertIntakeKeys = [
        "service_label", "category_label", "severity_label", "default_category", "minimum_severity", "token",
        "hmac_secret",
    ]
    static let phaseKeys = ["enabled", "duration"]

    /// The service's signals: threshold signals, and (with `judge:`) canary comparisons.
    mutating func signals(
        _ at: Located, service: ServiceName, serviceClass: ServiceClass, checks: [HealthCheckPolicy]
    )
        -> (thresholds: [MetricSignalPolicy], canary: [CanarySignalPolicy])
    {
        guard let elements = list(at) else { return ([], []) }
        var signals: [MetricSignalPolicy] = []
        var canary: [CanarySignalPolicy] = []
        var seen: [String: Int] = [:]
        for element in elements {
            let name: String
            if element.node["judge"] != nil {
                guard let fields = mapping(element, allowed: Self.signalKeys),
                    let signal = canarySignal(element, fields: fields, service: service)
                else { continue }
                name = signal.name
                if seen[name] == nil { canary.append(signal) }
            } else {
                guard let signal = signal(element, service: service, serviceClass: serviceClass, checks: checks) else {
                    continue
                }
                name = signal.name
                if seen[name] == nil { signals.append(signal) }
            }
            if let line = seen[name] {
                report(
                    element,
                    "duplicate signal name '\(name)' (first used on line \(line)); add name: to tell them apart")
                continue
            }
            seen[name] = element.line
        }
        return (signals, canary)
    }

    mutating func signal(
        _ at: Located, service: ServiceName, serviceClass: ServiceClass, checks: [HealthCheckPolicy]
    )
        -> MetricSignalPolicy?
    {
        guard let fields = mapping(at, allowed: Self.signalKeys) else { return nil }
        for key in Self.cohortKeys {
            guard let keyAt = fields[key] else { continue }
            report(keyAt, "\(key) belongs to a canary comparison: add judge: to this signal, or remove \(key)")
        }
        guard let measure = measure(fields) else { return nil }
        guard let source = signalSource(fields, at: at, checks: checks) else { return nil }
        guard let category = category(of: measure, fields, at: at) else { return nil }
        let unit = unit(of: measure, fields)
        var threshold = measure.defaultThreshold(for: serviceClass)
        if let at = fields["threshold"] { threshold = self.threshold(at, unit: unit) ?? threshold }
        guard let threshold else {
            report(
                at, "a custom measure needs threshold:, e.g. threshold: \"> 250ms\", \"drop 30%\" or \"rise 5 points\"")
            return nil
        }
        let name = fields["name"].flatMap { self.name($0) } ?? defaultSignalName(measure, source)
        var signal = MetricSignalPolicy.guideDefaults(
            name: name, measure: measure, category: category, source: source, threshold: threshold, unit: unit)
        if let at = fields["window"], let value = duration(at, .window) { signal.window = value }
        if let at = fields["interval"], let value = duration(at, .interval) { signal.interval = value }
        if let at = fields["consecutive"], let value = count(at, CountBounds.consecutive) { signal.consecutive = value }
        if let at = fields["recovery"], let value = duration(at, .delay) { signal.recovery = value }
        if let at = fields["no_data"], let value = choice(at, NoDataPolicy.allCases.map { ($0.rawValue, $0) }) {
            signal.noData = value
        }
        if let at = fields["min_samples"], let value = count(at, CountBounds.minSamples) { signal.minSamples = value }
        if let at = fields["severity"], let value = choice(at, Severity.allCases.map { ($0.rawValue, $0) }) {
            signal.severity = value
        }
        if let at = fields["timeout"], let value = duration(at, .timeout) { signal.timeout = value }
        signal.earlyWarning = earlyWarningDefaults
        if let at = fields["early_warning"] { signal.earlyWarning = earlyWarning(at, over: earlyWarningDefaults) }
        if let at = fields["baseline"] {
            switch word(at, expected: "a duration like 1h, or last_week") {
            case "last_week"?:
                if case .prometheus = source {
                    signal.baseline = .sameHourLastWeek
                } else {
                    report(
                        at,
                        "baseline: last_week needs a prometheus: source (Rewind keeps at most a few hours of values)")
                }
            case .some:
                if let value = duration(at, .window) { signal.baseline = .rolling(value) }
            case nil:
                break
            }
        }
        if signal.window < signal.interval, case .prometheus = source {
            // A Prometheus query carries its own range; the window only documents it.
        } else if signal.window < signal.interval, let at = fields["window"] ?? fields["interval"] {
            report(
                at,
                "window (\(signal.window.rewindDescription)) is shorter than interval (\(signal.interval.rewindDescription)): values between evaluations would be missed"
            )
        }
        return signal
    }

    /// `measure:` (required).
    mutating func measure(_ fields: Fields) -> Measure? {
        let measureAt = require(fields, "measure", hint: "e.g. measure: latency_p95 (or custom)")
        guard let measureAt else { return nil }
        return choice(measureAt, Measure.allCases.map { ($0.rawValue, $0) })
    }

    /// `category:`, or the measure's; a custom measure must say.
    mutating func category(of measure: Measure, _ fields: Fields, at: Located) -> SignalCategory? {
        if let at = fields["category"] { return choice(at, SignalCategory.allCases.map { ($0.rawValue, $0) }) }
        if let category = measure.category { return category }
        report(
            at, "a custom measure needs category: (one of \(Suggestion.list(SignalCategory.allCases.map(\.rawValue))))")
        return nil
    }

    /// `unit:`, or the measure's.
    mutating func unit(of measure: Measure, _ fields: Fields) -> MetricUnit {
        guard let at = fields["unit"] else { return measure.unit }
        return choice(at, MetricUnit.allCases.map { ($0.rawValue, $0) }) ?? measure.unit
    }

    private func defaultSignalName(_ measure: Measure, _ source: SignalSource) -> String {
        switch source {
        case .probeLatency: "\(measure.rawValue)_probe"
        default: measure.rawValue
        }
    }

    /// Exactly one of `prometheus:`, `probe:`, `pushed:` or `command:`.
    private mutating func signalSource(_ fields: Fields, at: Located, checks: [HealthCheckPolicy]) -> SignalSource? {
        let given = Self.signalSources.filter { fields[$0] != nil }
        guard given.count == 1, let key = given.first, let valueAt = fields[key] else {
            report(
                at,
                given.isEmpty
                    ? "say where the values come from: prometheus: QUERY, probe: CHECK, pushed: SIGNAL or command: [ARGV]"
                    : "use one source, not \(given.joined(separator: " and "))")
            return nil
        }
        switch key {
        case "prometheus":
            guard let query = name(valueAt) else { return nil }
            for problem in PromQLPlaceholders.problems(in: query) { report(valueAt, problem) }
            return .prometheus(query: query)
        case "probe":
            guard let check = name(valueAt) else { return nil }
            let names = checks.map(\.name)
            guard names.contains(check) else {
                var message = "no health check named '\(check)' in this service"
                if let suggestion = Suggestion.closest(to: check, among: names) {
                    message += "; did you mean '\(suggestion)'?"
                }
                report(valueAt, message)
                return nil
            }
            var quantile = 0.95
            if let at = fields["quantile"], let text = word(at, expected: "a quantile like 0.95") {
                if let value = Double(text), value > 0, value < 1 {
                    quantile = value
                } else {
                    report(at, "expected a quantile between 0 and 1, like 0.99")
                }
            } else if let measure = fields["measure"].flatMap({ $0.node.string }),
                measure == Measure.latencyP99.rawValue
            {
                quantile = 0.99
            }
            return .probeLatency(check: check, quantile: quantile)
        case "pushed":
            guard let signal = name(valueAt) else { return nil }
            return .pushed(signal: signal)
        default:
            return argumentVector(valueAt).map(SignalSource.command)
        }
    }

    /// The largest threshold magnitude: far beyond any metric, far from where arithmetic loses meaning.
    static let largestThreshold = 1e15

    /// `"> 2s"`, `"< 0.5"`, `"> 90%"`, `"drop 30%"`, `"rise 50%"`, `"rise 5 points"`.
    mutating func threshold(_ at: Located, unit: MetricUnit) -> Threshold? {
        let hint = "write e.g. \"> 2s\", \"> 90%\", \"< 10\", \"drop 30%\", \"rise 50%\" or \"rise 5 points\""
        guard let text = word(at, expected: "a threshold") else { return nil }
        let parts = text.split(separator: " ").map(String.init)
        /// A finite number: `inf`, `nan` and `1e400` are no thresholds (a comparison with them never fires).
        func number(_ word: String) -> Double? {
            let value: Double? =
                if word.hasSuffix("ms") { Double(word.dropLast(2)).map { $0 / 1000 } } else if word.hasSuffix("%") {
                    Double(word.dropLast()).map { $0 / 100 }
                } else if word.hasSuffix("s") { Double(word.dropLast()) } else { Double(word) }
            return value.flatMap { $0.isFinite && abs($0) <= Self.largestThreshold ? $0 : nil }
        }
        switch (parts.first, parts.count) {
        case (">"?, 2), ("<"?, 2):
            guard let value = number(parts[1]) else { break }
            return parts[0] == ">" ? .above(value) : .below(value)
        case ("drop"?, 2) where parts[1].hasSuffix("%"):
            guard let value = number(parts[1]), value > 0, value < 1 else { break }
            return .dropFromBaseline(fraction: value)
        case ("rise"?, 2) where parts[1].hasSuffix("%"):
            guard let value = number(parts[1]), value > 0 else { break }
            return .riseFromBaseline(fraction: value)
        case ("rise"?, 3) where parts[2] == "points" || parts[2] == "point":
            guard let value = number(parts[1]), value > 0 else { break }
            return .riseByPoints(value / 100)
        default:
            break
        }
        report(at, "'\(text)' is not a threshold; \(hint)")
        return nil
    }

    // MARK: - monitoring

    mutating func monitoringPolicy(_ at: Located) -> MonitoringPolicy {
        var policy = MonitoringPolicy()
        guard let fields = mapping(at, allowed: Self.monitoringKeys) else {
            return policy
        }
        if let at = fields["failure_after"], let value = duration(at, .watch) { policy.failureAfter = value }
        if let at = fields["early_warning"] { earlyWarningDefaults = earlyWarning(at, over: EarlyWarningPolicy()) }
        if let at = fields["prometheus"], let prometheus = mapping(at, allowed: Self.prometheusKeys) {
            if let urlAt = require(prometheus, "url", hint: "e.g. url: http://127.0.0.1:9090"), let url = text(urlAt),
                isHTTPURL(url.value, shown: Self.shown(url), at: urlAt, example: "http://127.0.0.1:9090")
            {
                var source = PrometheusSource(url: url)
                if let at = prometheus["headers"] { source.headers = headers(at) }
                if let at = prometheus["timeout"], let value = duration(at, .timeout) { source.timeout = value }
                policy.prometheus = source
            }
        }
        if let at = fields["alertmanager"] { policy.alerts = alertIntake(at) }
        if let at = fields["push"], let push = mapping(at, allowed: Self.pushKeys) {
            if let at = push["max_body_bytes"], let value = count(at, CountBounds.pushBodyBytes) {
                policy.push.maxBodyBytes = value
            }
            if let at = push["max_events"], let value = count(at, CountBounds.pushEvents) {
                policy.push.maxEvents = value
            }
        }
        return policy
    }

    private mutating func alertIntake(_ at: Located) -> AlertIntakePolicy {
        var policy = AlertIntakePolicy()
        guard let fields = mapping(at, allowed: Self.alertIntakeKeys) else { return policy }
        if let at = fields["service_label"], let value = name(at) { policy.serviceLabel = value }
        if let at = fields["category_label"], let value = name(at) { policy.categoryLabel = value }
        if let at = fields["severity_label"], let value = name(at) { policy.severityLabel = value }
        if let at = fields["default_category"],
            let value = choice(at, SignalCategory.allCases.map { ($0.rawValue, $0) })
        {
            policy.defaultCategory = value
        }
        if let at = fields["minimum_severity"], let value = choice(at, Severity.allCases.map { ($0.rawValue, $0) }) {
            policy.minimumSeverity = value
        }
        if let at = fields["token"] {
            policy.token = credential(at, what: "Alertmanager token", variable: "REWIND_ALERT_TOKEN")
        }
        if let at = fields["hmac_secret"] {
            policy.hmacSecret = credential(at, what: "webhook signing secret", variable: "REWIND_ALERT_SECRET")
        }
        return policy
    }

    mutating func validationPhase(_ at: Located, default phase: ValidationPhasePolicy) -> ValidationPhasePolicy {
        var phase = phase
        guard let fields = mapping(at, allowed: Self.phaseKeys) else { return phase }
        if let at = fields["enabled"], let value = bool(at) { phase.enabled = value }
        if let at = fields["duration"], let value = duration(at, .watch) { phase.duration = value }
        return phase
    }
}
