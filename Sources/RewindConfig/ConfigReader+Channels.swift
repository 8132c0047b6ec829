import RewindCore
import RewindSpecs
import Yams

/// The channel types of `notifications.channels`, with the keys each one takes besides `type` and `templates`.
enum ChannelType: String, CaseIterable {
    case slackWebhook = "slack_webhook"
    case slackChat = "slack_chat"
    case pagerDuty = "pagerduty"
    case email
    case teams
    case opsgenie
    case webhook

    var keys: [String] {
        switch self {
        case .slackWebhook, .teams: ["url"]
        case .slackChat: ["token", "channel", "api_url", "signing_secret"]
        case .pagerDuty: ["routing_key", "url"]
        case .email: ["host", "port", "security", "username", "password", "from", "to", "ca_file", "timeout"]
        case .opsgenie: ["api_key", "url"]
        case .webhook: ["url", "secret"]
        }
    }

    /// The vendor's own API, used when `url`/`api_url` is left out (the sandbox's emulators replace it in tests).
    static let slackAPI = "https://slack.com/api"
    static let pagerDutyEvents = "https://events.pagerduty.com"
    static let opsgenieAPI = "https://api.opsgenie.com"
}

/// `notifications.channels`: one named channel per entry, credentials only from `${…}`.
extension ConfigReader {
    /// The keys a channel of `type` takes.
    static func channelKeys(_ type: ChannelType) -> [String] { ["type"] + type.keys + ["templates"] }

    /// The valid channels, and the name of every channel written (valid or not), so that a route naming a
    /// channel with a problem does not report a second one.
    mutating func channels(_ at: Located) -> (channels: [ChannelSpec], declared: [String]) {
        guard let entries = rawMapping(at) else { return ([], []) }
        var channels: [ChannelSpec] = []
        var declared: [String] = []
        for (name, value) in entries {
            if Self.builtInChannelNames.contains(name) {
                let fix = name == "console" ? "notifications.console: true" : "notifications.file: <path>"
                report(value, "'\(name)' is the name of the built-in \(name) channel; turn it on with \(fix)")
                continue
            }
            if !Self.isServiceName(name) {
                report(value, "'\(name)' is not a valid channel name: use letters, digits, '-' and '_'")
            }
            declared.append(name)
            if let channel = channel(name, value) { channels.append(channel) }
        }
        return (channels, declared)
    }

    private mutating func channel(_ name: String, _ at: Located) -> ChannelSpec? {
        guard let entries = rawMapping(at) else { return nil }
        let types = ChannelType.allCases.map(\.rawValue)
        guard let typeAt = entries.first(where: { $0.name == "type" })?.value else {
            report(at, "missing required key 'type'; use one of \(Suggestion.list(types))")
            return nil
        }
        guard let type = choice(typeAt, ChannelType.allCases.map { ($0.rawValue, $0) }) else { return nil }
        guard let fields = mapping(at, allowed: Self.channelKeys(type)) else { return nil }
        let templates = fields["templates"].map { self.templates($0) } ?? [:]
        let kind: ChannelKind? =
            switch type {
            case .slackWebhook: slackWebhook(fields, channel: name)
            case .slackChat: slackChat(fields, channel: name)
            case .pagerDuty: pagerDuty(fields, channel: name)
            case .email: email(fields, channel: name).map(ChannelKind.email)
            case .teams: teams(fields, channel: name)
            case .opsgenie: opsgenie(fields, channel: name)
            case .webhook: webhook(fields, channel: name)
            }
        return kind.map { ChannelSpec(name: name, kind: $0, templates: templates) }
    }

    /// `templates: { initiated: "…", … }`: Mustache text kept as written; RewindNotify compiles it at startup.
    private mutating func templates(_ at: Located) -> [NoticeKind: String] {
        keyed(at, by: NoticeKind.allCases, what: "event") { reader, at in
            guard let template = reader.word(at, expected: "a Mustache template") else { return nil }
            guard !template.allSatisfy(\.isWhitespace) else {
                reader.report(at, "the template is empty; leave the event out to use the built-in message")
                return nil
            }
            return template
        }
    }

    // MARK: - one reader per type

    private mutating func slackWebhook(_ fields: Fields, channel: String) -> ChannelKind? {
        let key = variable(channel, "WEBHOOK_URL")
        let url = require(fields, "url", hint: "the incoming webhook URL, e.g. url: ${\(key)}")
            .flatMap { credentialURL($0, what: "webhook URL", variable: key) }
        return url.map { .slackWebhook(url: $0) }
    }

    private mutating func slackChat(_ fields: Fields, channel: String) -> ChannelKind? {
        let key = variable(channel, "TOKEN")
        let token = require(fields, "token", hint: "a bot token, e.g. token: ${\(key)}")
            .flatMap { credential($0, what: "bot token", variable: key) }
        let slackChannel = require(fields, "channel", hint: "e.g. channel: \"#alerts-critical\"").flatMap {
            slackChannelName($0)
        }
        let apiURL = fields["api_url"].map { vendorURL($0) } ?? ChannelType.slackAPI
        let signingKey = variable(channel, "SIGNING_SECRET")
        let signingSecret = fields["signing_secret"].map {
            credential($0, what: "Slack app signing secret", variable: signingKey)
        }
        guard let token, let slackChannel, let apiURL, signingSecret != .some(nil) else { return nil }
        return .slackChat(token: token, channel: slackChannel, apiURL: apiURL, signingSecret: signingSecret ?? nil)
    }

    private mutating func pagerDuty(_ fields: Fields, channel: String) -> ChannelKind? {
        let key = variable(channel, "ROUTING_KEY")
        let routingKey = require(fields, "routing_key", hint: "the integration key, e.g. routing_key: ${\(key)}")
            .flatMap { credential($0, what: "routing key", variable: key) }
        let url = fields["url"].map { vendorURL($0) } ?? ChannelType.pagerDutyEvents
        guard let routingKey, let url else { return nil }
        return .pagerDuty(routingKey: routingKey, url: url)
    }

    private mutating func teams(_ fields: Fields, channel: String) -> ChannelKind? {
        let key = variable(channel, "WEBHOOK_URL")
        let url = require(fields, "url", hint: "the workflow webhook URL, e.g. url: ${\(key)}")
            .flatMap { credentialURL($0, what: "webhook URL", variable: key) }
        return url.map { .teams(url: $0) }
    }

    private mutating func opsgenie(_ fields: Fields, channel: String) -> ChannelKind? {
        let key = variable(channel, "API_KEY")
        let apiKey = require(fields, "api_key", hint: "e.g. api_key: ${\(key)}")
            .flatMap { credential($0, what: "API key", variable: key) }
        let url = fields["url"].map { vendorURL($0) } ?? ChannelType.opsgenieAPI
        guard let apiKey, let url else { return nil }
        return .opsgenie(apiKey: apiKey, url: url)
    }

    /// The URL of a generic webhook is not a credential (the signing secret is), so it may be written inline.
    private mutating func webhook(_ fields: Fields, channel: String) -> ChannelKind? {
        let url = require(fields, "url", hint: "e.g. url: \(Self.hookExample)").flatMap { plainURL($0) }
        let key = variable(channel, "WEBHOOK_SECRET")
        var secret: ConfigText?
        if let at = fields["secret"] {
            secret = credential(at, what: "signing secret", variable: key)
            if secret == nil { return nil }
        }
        return url.map { .webhook(url: $0, secret: secret) }
    }

    // MARK: - email

    /// Every problem of the channel is reported; the spec comes back only when there was none.
    private mutating func email(_ fields: Fields, channel: String) -> EmailSpec? {
        let problemsBefore = problems.count
        let host = require(fields, "host", hint: "the SMTP relay, e.g. host: smtp.example.com").flatMap { smtpHost($0) }
        let from = require(fields, "from", hint: "e.g. from: rewind@example.com").flatMap { emailAddress($0) }
        let to = require(fields, "to", hint: "e.g. to: [oncall@example.com]").flatMap { recipients($0) }
        var spec = EmailSpec(host: host ?? "", from: from ?? "", to: to ?? [])
        let securities = EmailSpec.Security.allCases.map { ($0.rawValue, $0) }
        if let at = fields["security"], let security = choice(at, securities) { spec.security = security }
        spec.port = Self.defaultPort(spec.security)
        if let at = fields["port"], let port = port(at) { spec.port = port }
        let passwordVariable = variable(channel, "PASSWORD")
        if let at = fields["username"] { spec.username = text(at, secret: "SMTP username") }
        if let at = fields["password"] {
            spec.password = credential(at, what: "SMTP password", variable: passwordVariable)
        }
        checkLogin(fields, security: spec.security, host: host, passwordVariable: passwordVariable)
        if let at = fields["ca_file"] { spec.caFile = filePath(at) }
        if let at = fields["timeout"], let timeout = duration(at, .timeout) { spec.timeout = timeout }
        return problems.count == problemsBefore ? spec : nil
    }

    static func defaultPort(_ security: EmailSpec.Security) -> Int {
        switch security {
        case .starttls: 587
        case .tls: 465
        case .none: 25
        }
    }

    /// A username needs a password and the other way round; a password never crosses the network in clear.
    private mutating func checkLogin(
        _ fields: Fields,
        security: EmailSpec.Security,
        host: String?,
        passwordVariable: String
    ) {
        switch (fields["username"], fields["password"]) {
        case (let at?, nil):
            report(at, "a username needs a password; add password: ${\(passwordVariable)}")
        case (nil, let at?):
            report(at, "a password needs a username; add username: next to it")
        case (_, let at?) where security == .none && host.map(Self.isLoopback) == false:
            report(
                at,
                "security: none would send the password unencrypted to \(host ?? ""); use starttls or tls "
                    + "(none is for relays on this machine only)"
            )
        default:
            break
        }
    }

    static func isLoopback(_ host: String) -> Bool {
        ["localhost", "127.0.0.1", "::1", "[::1]"].contains(host.lowercased())
    }

    private mutating func smtpHost(_ at: Located) -> String? {
        guard let host = word(at, expected: "a host name") else { return nil }
        guard !host.isEmpty, !host.contains(where: { $0.isWhitespace || $0 == "/" || $0 == "@" }) else {
            report(at, "'\(host)' is not a host name; write e.g. host: smtp.example.com")
            return nil
        }
        return host
    }

    private mutating func port(_ at: Located) -> Int? {
        let expected = "a port number from 1 to 65535"
        guard let text = word(at, expected: expected) else { return nil }
        guard let port = Int(text), (1...65535).contains(port) else {
            report(at, "expected \(expected), got \(at.shape)")
            return nil
        }
        return port
    }

    private mutating func recipients(_ at: Located) -> [String]? {
        if case .scalar = at.node, !at.isNull {
            report(at, "write the recipients as a list, e.g. to: [oncall@example.com]")
            return nil
        }
        guard let elements = list(at) else { return nil }
        guard !elements.isEmpty else {
            report(at, "name at least one recipient, e.g. to: [oncall@example.com]")
            return nil
        }
        let addresses = elements.compactMap { emailAddress($0) }
        return addresses.count == elements.count ? addresses : nil
    }

    /// An address checked loosely: something@something, no spaces, no display name.
    private mutating func emailAddress(_ at: Located) -> String? {
        guard let address = word(at, expected: "an email address") else { return nil }
        if let sign = address.lastIndex(of: "@"), address.startIndex < sign,
            address.index(after: sign) < address.endIndex,
            !address.contains(where: { $0.isWhitespace || "<>,;\"".contains($0) })
        {
            return address
        }
        report(at, "'\(address)' does not look like an email address; write e.g. oncall@example.com")
        return nil
    }

    // MARK: - credentials and URLs

    /// A credential: it must come from `${NAME}` or `${file:…}`. An inline value is refused without being shown,
    /// with the variable to use instead.
    mutating func credential(_ at: Located, what: String, variable: String) -> ConfigText? {
        guard let value = text(at, secret: what) else { return nil }
        guard value.isSecret else {
            let key = at.path.split(separator: ".").last.map(String.init) ?? "value"
            report(
                at,
                "the \(what) is a credential: move it to an environment variable or a file, "
                    + "e.g. \(key): ${\(variable)}"
            )
            return nil
        }
        guard !value.value.isEmpty else {
            report(at, "the \(what) is empty; set \(variable) to it")
            return nil
        }
        return value
    }

    /// A credential that is a URL (Slack and Teams webhooks): from `${…}`, and an http(s) URL.
    private mutating func credentialURL(_ at: Located, what: String, variable: String) -> ConfigText? {
        guard let url = credential(at, what: what, variable: variable) else { return nil }
        return isHTTPURL(url.value, shown: Self.shown(url), at: at, example: Self.hookExample) ? url : nil
    }

    /// A URL that is not a credential; it may still come from `${…}`.
    private mutating func plainURL(_ at: Located) -> ConfigText? {
        guard let url = text(at) else { return nil }
        return isHTTPURL(url.value, shown: Self.shown(url), at: at, example: Self.hookExample) ? url : nil
    }

    /// A vendor's base URL (`api_url`, `url`), overridable so that the sandbox stands in for the vendor.
    private mutating func vendorURL(_ at: Located) -> String? {
        guard let url = text(at) else { return nil }
        let valid = isHTTPURL(url.value, shown: Self.shown(url), at: at, example: "https://api.example.com")
        return valid ? url.value : nil
    }

    /// `#alerts-critical` or a channel id; `#` must be quoted, or YAML reads the rest as a comment.
    private mutating func slackChannelName(_ at: Located) -> String? {
        let example = "channel: \"#alerts-critical\""
        if at.isNull {
            report(at, "expected a Slack channel; quote it, since # starts a YAML comment: \(example)")
            return nil
        }
        guard let name = word(at, expected: "a Slack channel like \"#alerts-critical\"") else { return nil }
        guard !name.isEmpty else {
            report(at, "the Slack channel is empty; write e.g. \(example)")
            return nil
        }
        return name
    }

    static let hookExample = "https://hooks.example.com/rewind"

    /// The environment variable to suggest for a channel's credential: `slack-critical` + `WEBHOOK_URL` →
    /// `SLACK_CRITICAL_WEBHOOK_URL`; a word the channel name already ends with is not repeated.
    func variable(_ channel: String, _ suffix: String) -> String {
        var words = channel.uppercased().split(whereSeparator: { !($0.isASCII && ($0.isLetter || $0.isNumber)) })
            .map(String.init)
        var suffixWords = suffix.split(separator: "_").map(String.init)
        if let last = words.last, last == suffixWords.first { suffixWords.removeFirst() }
        words += suffixWords
        let name = words.joined(separator: "_")
        return name.first?.isNumber == true ? "REWIND_" + name : name
    }
}
