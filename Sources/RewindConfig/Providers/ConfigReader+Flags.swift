import Foundation
import RewindCore
import RewindSpecs
import Yams

/// `flags:` of a service: the feature-flag kill switch (`type: unleash | launchdarkly | flagd | http`) and the
/// flags it turns off (`disable:`).
extension ConfigReader {
    static let flagTypes = ["unleash", "launchdarkly", "flagd", "http"]
    static let flagCommonKeys = ["type", "disable", "timeout"]
    static let flagKeys: [String: [String]] = [
        "unleash": ["url", "token", "project", "environment", "bulk"],
        "launchdarkly": ["api_url", "token", "project", "environment", "ignore_conflicts", "api_version"],
        "flagd": ["file", "kill", "off_variant"],
        "http": ["request", "state"],
    ]
    static let flagRequestKeys = ["method", "url", "headers", "body", "expect"]
    static let flagdKills = ["default_variant", "disabled"]

    /// `flags: {type: …, disable: [...]}`. Every problem is reported; the spec comes back only when there was none.
    mutating func featureFlags(_ at: Located) -> FeatureFlagsSpec? {
        guard let entries = rawMapping(at) else { return nil }
        guard let typeAt = entries.first(where: { $0.name == "type" })?.value else {
            report(at, "missing required key 'type'; use one of \(Suggestion.list(Self.flagTypes))")
            return nil
        }
        guard let type = choice(typeAt, Self.flagTypes.map { ($0, $0) }) else { return nil }
        guard let fields = mapping(at, allowed: Self.flagCommonKeys + (Self.flagKeys[type] ?? [])) else { return nil }
        let problemsBefore = problems.count
        let flags = require(
            fields, "disable",
            hint: "list the flags to turn off, e.g. disable: [all_features, gradual_rollout, a_b_testing]"
        ).flatMap { flagNames($0) }
        var timeout = FeatureFlagsSpec.defaultTimeout
        if let at = fields["timeout"], let value = duration(at, .timeout) { timeout = value }
        let backend: FlagBackendSpec? =
            switch type {
            case "unleash": unleashFlags(fields).map(FlagBackendSpec.unleash)
            case "launchdarkly": launchDarklyFlags(fields).map(FlagBackendSpec.launchDarkly)
            case "flagd": flagdFlags(fields).map(FlagBackendSpec.flagd)
            default: httpFlags(fields).map(FlagBackendSpec.http)
            }
        guard problems.count == problemsBefore, let backend, let flags else { return nil }
        return FeatureFlagsSpec(backend: backend, disable: flags, timeout: timeout)
    }

    /// The flags to turn off: a non-empty list of distinct keys.
    private mutating func flagNames(_ at: Located) -> [String]? {
        let example = "e.g. disable: [all_features, gradual_rollout, a_b_testing]"
        if case .scalar = at.node, !at.isNull {
            report(at, "write the flags as a list, \(example)")
            return nil
        }
        guard let elements = list(at) else { return nil }
        guard !elements.isEmpty else {
            report(at, "list at least one flag to turn off, \(example)")
            return nil
        }
        var names: [String] = []
        for element in elements {
            guard let name = pathIdentifier(element, what: "a flag key") else { continue }
            if names.contains(name) {
                report(element, "'\(name)' is listed twice; list each flag once")
                continue
            }
            names.append(name)
        }
        return names.count == elements.count ? names : nil
    }

    // MARK: - one reader per type

    private mutating func unleashFlags(_ fields: Fields) -> UnleashFlagsSpec? {
        let url = require(fields, "url", hint: "the Unleash server, e.g. url: https://unleash.example.com")
            .flatMap { httpURL($0) }
        let token = require(fields, "token", hint: "an admin token, e.g. token: ${UNLEASH_API_TOKEN}")
            .flatMap { sourcedToken($0, variable: "UNLEASH_API_TOKEN") }
        let environment = require(fields, "environment", hint: "e.g. environment: production")
            .flatMap { pathIdentifier($0, what: "an environment name") }
        var project = "default"
        if let at = fields["project"], let value = pathIdentifier(at, what: "a project id") { project = value }
        var bulk = true
        if let at = fields["bulk"], let value = bool(at) { bulk = value }
        guard let url, let token, let environment else { return nil }
        return UnleashFlagsSpec(
            url: Self.vendorBaseURL(url.value), token: token.text, tokenSource: token.source, project: project,
            environment: environment, bulk: bulk
        )
    }

    private mutating func launchDarklyFlags(_ fields: Fields) -> LaunchDarklyFlagsSpec? {
        let token = require(fields, "token", hint: "an API access token, e.g. token: ${LAUNCHDARKLY_ACCESS_TOKEN}")
            .flatMap { sourcedToken($0, variable: "LAUNCHDARKLY_ACCESS_TOKEN") }
        let project = require(fields, "project", hint: "the project key, e.g. project: default")
            .flatMap { pathIdentifier($0, what: "a project key") }
        let environment = require(fields, "environment", hint: "the environment key, e.g. environment: production")
            .flatMap { pathIdentifier($0, what: "an environment key") }
        var apiURL = LaunchDarklyFlagsSpec.defaultAPIURL
        if let at = fields["api_url"], let url = httpURL(at) { apiURL = Self.vendorBaseURL(url.value) }
        var ignoreConflicts = false
        if let at = fields["ignore_conflicts"], let value = bool(at) { ignoreConflicts = value }
        var apiVersion: String?
        if let at = fields["api_version"], let value = word(at, expected: "an API version like 20240415") {
            if value == "beta" || (value.count == 8 && value.allSatisfy { $0.isASCII && $0.isNumber }) {
                apiVersion = value
            } else {
                report(at, "'\(value)' is not an API version: write the date form, e.g. api_version: \"20240415\"")
            }
        }
        guard let token, let project, let environment else { return nil }
        return LaunchDarklyFlagsSpec(
            apiURL: apiURL, token: token.text, tokenSource: token.source, project: project, environment: environment,
            ignoreConflicts: ignoreConflicts, apiVersion: apiVersion
        )
    }

    private mutating func flagdFlags(_ fields: Fields) -> FlagdFlagsSpec? {
        let path = require(fields, "file", hint: "the flag file flagd reads, e.g. file: /etc/flagd/flags.json")
            .flatMap { filePath($0) }
        var kill = FlagdFlagsSpec.Kill.defaultVariant("off")
        if let at = fields["kill"], let value = choice(at, Self.flagdKills.map { ($0, $0) }), value == "disabled" {
            kill = .disabledState
        }
        if let at = fields["off_variant"] {
            if kill == .disabledState {
                report(at, "off_variant is used by kill: default_variant only; remove it, or use kill: default_variant")
            } else if let variant = name(at) {
                kill = .defaultVariant(variant)
            }
        }
        return path.map { FlagdFlagsSpec(path: $0, kill: kill) }
    }

    private mutating func httpFlags(_ fields: Fields) -> HTTPFlagsSpec? {
        let example = "e.g. request: {url: \"https://flags.example.com/api/flags/{{flag}}/off\"}"
        let disable = require(fields, "request", hint: "the request that turns one flag off, \(example)")
            .flatMap { flagRequest($0, extraKeys: [], defaultMethod: "POST")?.request }
        var spec = HTTPFlagsSpec(disable: disable ?? HTTPRequestSpec(url: ""))
        if let at = fields["state"], let state = flagRequest(at, extraKeys: Self.currentExtraKeys, defaultMethod: "GET")
        {
            spec.state = state.request
            if let at = state.fields["field"], let value = name(at) { spec.stateField = value }
        }
        if let disable, !Template.names(in: disable.url).contains("flag"),
            !(disable.body.map(Self.mentionsFlag) ?? false),
            let at = fields["request"]
        {
            report(at, "the request does not say which flag: put {{flag}} in its url or body, \(example)")
        }
        return disable == nil ? nil : spec
    }

    // MARK: - http flag requests

    /// One request of the `http` flag service; placeholders are `HTTPFlagsSpec.placeholders`.
    private mutating func flagRequest(
        _ at: Located,
        extraKeys: [String],
        defaultMethod: String
    ) -> (request: HTTPRequestSpec, fields: Fields)? {
        guard let fields = mapping(at, allowed: Self.flagRequestKeys + extraKeys) else { return nil }
        let url = require(fields, "url").flatMap { flagURL($0) }
        var request = HTTPRequestSpec(method: defaultMethod, url: url?.value ?? "")
        if let at = fields["method"], let method = word(at, expected: "an HTTP method") {
            if Self.httpMethods.contains(method.uppercased()) {
                request.method = method.uppercased()
            } else {
                report(at, "'\(method)' is not one of \(Suggestion.list(Self.httpMethods))")
            }
        }
        if let at = fields["headers"] { request.headers = flagHeaders(at) }
        if let at = fields["body"] { request.body = json(at, check: { $0.checkFlagPlaceholders($1, at: $2) }) }
        if let at = fields["expect"], let elements = list(at) {
            let statuses = elements.compactMap { httpStatus($0) }
            if statuses.count == elements.count { request.expectedStatuses = statuses }
        }
        return url == nil ? nil : (request, fields)
    }

    private mutating func flagURL(_ at: Located) -> ConfigText? {
        guard let url = text(at) else { return nil }
        checkFlagPlaceholders(url, at: at)
        let probe = Template.render(url.value, [:], escape: { _ in "x" })
        return isHTTPURL(probe, shown: Self.shown(url), at: at, example: "https://flags.example.com/api/flags/{{flag}}")
            ? url : nil
    }

    private mutating func flagHeaders(_ at: Located) -> [String: ConfigText] {
        guard let entries = rawMapping(at) else { return [:] }
        var headers: [String: ConfigText] = [:]
        for (name, value) in entries {
            guard !name.isEmpty, !name.contains(where: { $0 == " " || $0 == ":" || !$0.isASCII }) else {
                report(value, "'\(name)' is not a valid header name")
                continue
            }
            if let text = text(value, secret: "\(name) header") {
                checkFlagPlaceholders(text, at: value)
                headers[name] = text
            }
        }
        return headers
    }

    private mutating func checkFlagPlaceholders(_ text: ConfigText, at: Located) {
        let known = HTTPFlagsSpec.placeholders.sorted()
        let knownList = known.map { "{{\($0)}}" }.joined(separator: ", ")
        for name in Template.names(in: text.value) where !HTTPFlagsSpec.placeholders.contains(name) {
            let shownName = text.isSecret ? "in a secret value" : "{{\(name)}}"
            var message = "unknown placeholder \(shownName); known here: \(knownList)"
            if !text.isSecret, let suggestion = Suggestion.closest(to: name, among: known) {
                message += "; did you mean {{\(suggestion)}}?"
            }
            report(at, message)
        }
        if let open = text.value.range(of: "{{", options: .backwards),
            text.value[open.upperBound...].range(of: "}}") == nil
        {
            report(at, "'{{' is not closed; placeholders look like {{flag}}")
        }
    }

    private static func mentionsFlag(_ json: JSONValue) -> Bool {
        switch json {
        case .string(let text): Template.names(in: text).contains("flag")
        case .array(let values): values.contains(where: mentionsFlag)
        case .object(let object): object.values.contains(where: mentionsFlag)
        default: false
        }
    }
}
