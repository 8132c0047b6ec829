import Foundation
import RewindCore
import RewindSpecs

/// `services:`: each watched service, its health checks and its dependencies.
extension ConfigReader {
    static let serviceKeys = [
        "depends_on", "rollback_timeout", "checks", "provider", "fallback", "class", "signals", "traffic", "flags",
        "migration",
        "rollout", "gitops", "canary_score", "shard",
    ]
    static let checkKeys = [
        "name", "url", "severity", "interval", "timeout", "confirm_interval", "suspect_interval", "suspect_window",
        "expect_status",
    ]

    /// A service's `depends_on` entries, checked once every service name is known.
    private struct Dependency {
        let name: String
        let at: Located
    }

    /// Each service's policy, and how its platform, traffic, flags and migration are reached.
    mutating func services(
        _ at: Located, checkDefaults: CheckDefaults
    )
        -> ([ServicePolicy], [ServiceName: PlatformSpecs])
    {
        guard let entries = rawMapping(at) else { return ([], [:]) }
        guard !entries.isEmpty else {
            report(at, "list at least one service to watch, e.g. backend: with checks and a provider")
            return ([], [:])
        }
        var services: [ServicePolicy] = []
        var platforms: [ServiceName: PlatformSpecs] = [:]
        var dependencies: [(service: Int, dependency: Dependency)] = []
        var dependsOnLines: [ServiceName: Located] = [:]
        for (name, value) in entries {
            let (service, specs, dependsOn, dependsOnAt) = service(name, value, checkDefaults: checkDefaults)
            dependencies += dependsOn.map { (services.count, $0) }
            dependsOnLines[service.name] = dependsOnAt
            services.append(service)
            platforms[service.name] = specs
        }
        resolve(dependencies, into: &services)
        if let cycle = Planner.dependencyCycle(in: services), let first = cycle.first {
            let chain = cycle.map(\.rawValue).joined(separator: " → ")
            report(
                dependsOnLines[first] ?? at,
                "dependency cycle \(chain); a service cannot depend on itself, directly or through others"
            )
        }
        return (services, platforms)
    }

    /// One service and its specs; its `depends_on` names are returned unchecked, with where they were written.
    private mutating func service(
        _ name: String,
        _ at: Located,
        checkDefaults: CheckDefaults
    )
        -> (ServicePolicy, PlatformSpecs, [Dependency], dependsOnAt: Located?)
    {
        if !Self.isServiceName(name) {
            report(at, "'\(name)' is not a valid service name: use letters, digits, '-' and '_'")
        }
        var service = ServicePolicy(name: ServiceName(name))
        var platforms = PlatformSpecs()
        guard let fields = mapping(at, allowed: Self.serviceKeys) else { return (service, platforms, [], nil) }
        var dependencies: [Dependency] = []
        if let at = fields["depends_on"], let entries = list(at) {
            for entry in entries {
                if let dependency = word(entry, expected: "a service name") {
                    dependencies.append(Dependency(name: dependency, at: entry))
                }
            }
        }
        if let at = fields["rollback_timeout"] { service.rollbackTimeout = duration(at, .timeout) }
        if let at = require(fields, "checks", hint: "add at least one health check with a name and a url") {
            service.checks = checks(at, defaults: checkDefaults)
        }
        checkProvider(fields["provider"], gitOps: fields["gitops"], service: fields)
        if let at = fields["provider"] { platforms.provider = provider(at) }
        if let at = fields["gitops"] { platforms.gitops = gitOps(at) }
        if let at = fields["fallback"] { platforms.fallback = provider(at) }
        if let at = fields["class"], let value = choice(at, ServiceClass.allCases.map { ($0.rawValue, $0) }) {
            service.serviceClass = value
        }
        if let at = fields["signals"] {
            (service.signals, service.canarySignals) = signals(
                at, service: service.name, serviceClass: service.serviceClass, checks: service.checks)
        }
        if let at = fields["canary_score"] { service.canaryScore = canaryScore(at) }
        if let at = fields["shard"] { service.shard = count(at, 0...(CountBounds.shards.upperBound - 1)) }
        if let at = fields["traffic"] { platforms.traffic = trafficController(at) }
        if let at = fields["flags"] { platforms.flags = featureFlags(at) }
        if let at = fields["migration"] { platforms.migration = migration(at) }
        service.adopt(platforms)
        if let at = fields["rollout"], let value = choice(at, Rollout.allCases.map { ($0.rawValue, $0) }) {
            service.rollout = value
            if value == .canary, fields["traffic"] == nil {
                report(
                    at,
                    "a canary rollout needs traffic control to stop the canary: add traffic: (type: cloudflare, kubernetes, or a flag rollout)"
                )
            }
        }
        return (service, platforms, dependencies, fields["depends_on"])
    }

    /// Fills `dependsOn` with the names that exist; unknown names are problems with a did-you-mean.
    private mutating func resolve(
        _ dependencies: [(service: Int, dependency: Dependency)],
        into services: inout [ServicePolicy]
    ) {
        let names = services.map(\.name.rawValue)
        for (index, dependency) in dependencies {
            guard names.contains(dependency.name) else {
                var message = "unknown service '\(dependency.name)'"
                if let suggestion = Suggestion.closest(to: dependency.name, among: names) {
                    message += "; did you mean '\(suggestion)'?"
                } else {
                    message += "; services in this file: \(names.joined(separator: ", "))"
                }
                report(dependency.at, message)
                continue
            }
            let name = ServiceName(dependency.name)
            if !services[index].dependsOn.contains(name) { services[index].dependsOn.append(name) }
        }
    }

    static func isServiceName(_ name: String) -> Bool {
        func isLetterOrDigit(_ scalar: Unicode.Scalar) -> Bool {
            ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
        }
        guard let first = name.unicodeScalars.first, isLetterOrDigit(first) else { return false }
        return name.unicodeScalars.allSatisfy { isLetterOrDigit($0) || $0 == "-" || $0 == "_" }
    }

    // MARK: - checks

    mutating func checks(_ at: Located, defaults: CheckDefaults) -> [HealthCheckPolicy] {
        guard let elements = list(at) else { return [] }
        guard !elements.isEmpty else {
            report(at, "add at least one health check with a name and a url")
            return []
        }
        var checks: [HealthCheckPolicy] = []
        var seen: [String: Int] = [:]
        for element in elements {
            guard let check = check(element, defaults: defaults) else { continue }
            if let firstLine = seen[check.name] {
                report(
                    element,
                    "duplicate check name '\(check.name)' (first used on line \(firstLine)); "
                        + "give each check its own name"
                )
                continue
            }
            seen[check.name] = element.line
            checks.append(check)
        }
        return checks
    }

    mutating func check(_ at: Located, defaults: CheckDefaults) -> HealthCheckPolicy? {
        guard let fields = mapping(at, allowed: Self.checkKeys) else { return nil }
        let name = require(fields, "name").flatMap { self.name($0) }
        let url = require(fields, "url").flatMap { httpURL($0) }
        var settings = defaults
        settings.read(fields, with: &self)
        var check = HealthCheckPolicy(
            name: name ?? "",
            url: url?.value ?? "",
            interval: settings.interval,
            timeout: settings.timeout,
            confirmInterval: settings.confirmInterval,
            suspectInterval: settings.suspectInterval,
            suspectWindow: settings.suspectWindow
        )
        if let at = fields["severity"], let value = choice(at, CheckSeverity.allCases.map { ($0.rawValue, $0) }) {
            check.severity = value
        }
        if let at = fields["expect_status"], let value = statusRange(at) { check.expectedStatuses = value }
        return name == nil ? nil : check
    }

    /// `200` or `200-299`.
    mutating func statusRange(_ at: Located) -> ClosedRange<Int>? {
        let expected = "a status like 200 or a range like 200-299"
        guard let text = word(at, expected: expected) else { return nil }
        let bounds = text.split(separator: "-", omittingEmptySubsequences: false).map {
            Int($0.trimmingCharacters(in: .whitespaces))
        }
        guard (1...2).contains(bounds.count), let low = bounds.first ?? nil, let high = bounds.last ?? nil,
            Self.isHTTPStatus(low), Self.isHTTPStatus(high), low <= high
        else {
            report(at, "expected \(expected) (statuses are 100-599), got \(at.shape)")
            return nil
        }
        return low...high
    }

    static func isHTTPStatus(_ value: Int) -> Bool { (100...599).contains(value) }

    // MARK: - URLs

    /// An http or https URL with a host. `{{…}}` placeholders are allowed, and checked, only when `templated`.
    mutating func httpURL(_ at: Located, templated: Bool = false) -> ConfigText? {
        guard let url = text(at) else { return nil }
        if templated {
            checkPlaceholders(url, at: at)
        } else if url.value.contains("{{") {
            report(
                at,
                "placeholders such as {{service}} work in provider requests only; a check URL is used as written"
            )
            return nil
        }
        let probe = templated ? Template.render(url.value, [:], escape: { _ in "x" }) : url.value
        return isHTTPURL(probe, shown: Self.shown(url), at: at, example: "https://api.example.com/health") ? url : nil
    }

    /// Whether `text` parses as an http or https URL with a host; reports the problem when not.
    /// `shown` is how the value appears in messages (never a secret); `example` is a URL to suggest.
    mutating func isHTTPURL(_ text: String, shown: String, at: Located, example: String) -> Bool {
        guard let components = URLComponents(string: text) else {
            report(at, "\(shown) is not a valid URL; write e.g. \(example)")
            return false
        }
        guard let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https" else {
            report(at, "\(shown) is not an http:// or https:// URL")
            return false
        }
        guard let host = components.host, !host.isEmpty else {
            report(at, "\(shown) has no host; write e.g. \(example)")
            return false
        }
        return true
    }

    /// Reports `{{names}}` that are not in `Template.knownNames`, and `{{` left open.
    mutating func checkPlaceholders(_ text: ConfigText, at: Located) {
        let known = Template.knownNames.sorted()
        let knownList = known.map { "{{\($0)}}" }.joined(separator: ", ")
        for name in Template.names(in: text.value) where !Template.knownNames.contains(name) {
            let shownName = text.isSecret ? "in a secret value" : "{{\(name)}}"
            var message = "unknown placeholder \(shownName); known: \(knownList)"
            if !text.isSecret, let suggestion = Suggestion.closest(to: name, among: known) {
                message += "; did you mean {{\(suggestion)}}?"
            }
            report(at, message)
        }
        if let open = text.value.range(of: "{{", options: .backwards),
            text.value[open.upperBound...].range(of: "}}") == nil
        {
            report(at, "'{{' is not closed; placeholders look like {{target.id}}")
        }
    }
}
