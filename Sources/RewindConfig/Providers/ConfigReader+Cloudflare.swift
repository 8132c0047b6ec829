import RewindCore
import RewindSpecs
import Yams

/// `traffic:` of a service: how Rewind moves traffic off a new version (`type: cloudflare | kubernetes | flagd`).
extension ConfigReader {
    static let trafficTypes = ["cloudflare", "kubernetes", "argo_rollouts", "flagd"]
    static let cloudflareKeys = [
        "type", "token", "account_id", "zone_id", "pool", "stable_origin", "new_origin", "stable_pool", "new_pool",
        "purge", "api_url", "timeout",
    ]

    /// The `traffic:` mapping, dispatched on its `type`.
    mutating func trafficController(_ at: Located) -> TrafficSpec? {
        guard let entries = rawMapping(at) else { return nil }
        guard let typeAt = entries.first(where: { $0.name == "type" })?.value else {
            report(at, "missing required key 'type'; use one of \(Suggestion.list(Self.trafficTypes))")
            return nil
        }
        if case .scalar(let written) = typeAt.node, Self.undocumentedRolloutTypes.contains(written.string) {
            reportUndocumentedRollout(typeAt, type: written.string)
            return nil
        }
        switch choice(typeAt, Self.trafficTypes.map { ($0, $0) }) {
        case "cloudflare": return cloudflareTraffic(at).map(TrafficSpec.cloudflare)
        case "kubernetes": return kubernetesTraffic(at).map(TrafficSpec.kubernetes)
        case "argo_rollouts": return argoRolloutTraffic(at).map(TrafficSpec.argoRollout)
        case "flagd": return flagRollout(at).map(TrafficSpec.flagRollout)
        default: return nil
        }
    }

    /// `traffic: {type: cloudflare, …}`. Every problem is reported; the spec comes back only when there was none.
    mutating func cloudflareTraffic(_ at: Located) -> CloudflareTrafficSpec? {
        guard let fields = mapping(at, allowed: Self.cloudflareKeys) else { return nil }
        let problemsBefore = problems.count
        let token = require(fields, "token", hint: "an API token, e.g. token: ${CLOUDFLARE_API_TOKEN}")
            .flatMap { sourcedToken($0, variable: "CLOUDFLARE_API_TOKEN") }
        let accountID = require(
            fields, "account_id", hint: "the account that owns the pools, e.g. account_id: 0123abcd"
        )
        .flatMap { pathIdentifier($0, what: "an account id") }
        let routing = cloudflareRouting(fields)
        var zoneID: String?
        if let at = fields["zone_id"] { zoneID = pathIdentifier(at, what: "a zone id") }
        var purge: CloudflareTrafficSpec.Purge?
        if let at = fields["purge"] {
            purge = cloudflarePurge(at)
            if purge != nil, fields["zone_id"] == nil {
                report(at, "purging the cache needs the zone: add zone_id: <zone id> next to purge")
            }
        }
        var apiURL = CloudflareTrafficSpec.defaultAPIURL
        if let at = fields["api_url"], let url = httpURL(at) { apiURL = Self.vendorBaseURL(url.value) }
        var timeout = CloudflareTrafficSpec.defaultTimeout
        if let at = fields["timeout"], let value = duration(at, .timeout) { timeout = value }
        guard problems.count == problemsBefore, let token, let accountID, let routing else { return nil }
        return CloudflareTrafficSpec(
            token: token.text, tokenSource: token.source, accountID: accountID, zoneID: zoneID, routing: routing,
            purge: purge, apiURL: apiURL, timeout: timeout
        )
    }

    /// Either `pool` + `stable_origin` + `new_origin`, or `stable_pool` + `new_pool`.
    private mutating func cloudflareRouting(_ fields: Fields) -> CloudflareTrafficSpec.Routing? {
        let originKeys = ["pool", "stable_origin", "new_origin"]
        let poolKeys = ["stable_pool", "new_pool"]
        let usesOrigins = originKeys.contains { fields[$0] != nil }
        let usesPools = poolKeys.contains { fields[$0] != nil }
        switch (usesOrigins, usesPools) {
        case (true, true):
            let at = poolKeys.compactMap { fields[$0] }.first ?? fields.owner
            report(
                at,
                "use either one pool with two origins (pool, stable_origin, new_origin) "
                    + "or two pools (stable_pool, new_pool), not both"
            )
            return nil
        case (false, false):
            report(
                fields.owner,
                "say where the versions run: pool, stable_origin and new_origin (one pool, two origins), "
                    + "or stable_pool and new_pool (two pools)"
            )
            return nil
        case (true, false):
            let pool = require(fields, "pool", hint: "the id of the pool holding both origins")
                .flatMap { pathIdentifier($0, what: "a pool id") }
            let stable = require(fields, "stable_origin", hint: "the origin name of the stable version")
                .flatMap { name($0) }
            let new = require(fields, "new_origin", hint: "the origin name of the new version").flatMap { name($0) }
            guard let pool, let stable, let new else { return nil }
            if stable == new, let at = fields["new_origin"] {
                report(at, "the new origin must differ from the stable origin '\(stable)'")
                return nil
            }
            return .origins(pool: pool, stable: stable, new: new)
        case (false, true):
            let stable = require(fields, "stable_pool", hint: "the id of the stable version's pool")
                .flatMap { pathIdentifier($0, what: "a pool id") }
            let new = require(fields, "new_pool", hint: "the id of the new version's pool")
                .flatMap { pathIdentifier($0, what: "a pool id") }
            guard let stable, let new else { return nil }
            if stable == new, let at = fields["new_pool"] {
                report(at, "the new pool must differ from the stable pool '\(stable)'")
                return nil
            }
            return .pools(stable: stable, new: new)
        }
    }

    /// `purge: everything` or `purge: [https://www.example.com/app.js, …]`.
    private mutating func cloudflarePurge(_ at: Located) -> CloudflareTrafficSpec.Purge? {
        let hint = "write purge: everything, or a list of URLs such as [https://www.example.com/app.js]"
        if case .scalar = at.node, !at.isNull {
            guard let word = word(at, expected: "everything or a list of URLs") else { return nil }
            guard word == "everything" else {
                report(at, "'\(word)' is not a purge; \(hint)")
                return nil
            }
            return .everything
        }
        guard case .sequence = at.node else {
            report(at, "expected everything or a list of URLs, got \(at.shape); \(hint)")
            return nil
        }
        guard let elements = list(at) else { return nil }
        guard !elements.isEmpty else {
            report(at, "the list of URLs is empty; \(hint)")
            return nil
        }
        let urls = elements.compactMap { httpURL($0) }.map(\.value)
        return urls.count == elements.count ? .urls(urls) : nil
    }

    // MARK: - shared by traffic and flags

    /// A vendor token: it must come from `${NAME}` or `${file:…}`. Returns it with what to call it in messages
    /// (the variable or the file), never its value.
    mutating func sourcedToken(_ at: Located, variable: String) -> (text: ConfigText, source: String)? {
        guard let written = word(at, expected: "a token reference like ${\(variable)}") else { return nil }
        guard let value = resolve(written, at: at, secret: "API token") else { return nil }
        guard value.isSecret else {
            report(at, "the token is a credential: put the token in an environment variable: token: ${\(variable)}")
            return nil
        }
        guard !value.value.isEmpty else {
            report(at, "the token is empty; set \(variable) to it")
            return nil
        }
        return (value, credentialSource(of: written))
    }

    /// The variables and files a written value refers to: `CLOUDFLARE_API_TOKEN`, `the file /run/secrets/cf`.
    func credentialSource(of written: String) -> String {
        guard case .success(let parts) = Interpolation.parts(of: written) else { return "the token" }
        let sources: [String] = parts.compactMap { part in
            switch part {
            case .environment(let name): name
            case .file(let path): "the file \(absolutePath(path))"
            case .literal: nil
            }
        }
        return sources.isEmpty ? "the token" : sources.joined(separator: " and ")
    }

    /// An identifier that becomes one segment of an API path (account, zone, pool, project, environment).
    mutating func pathIdentifier(_ at: Located, what: String) -> String? {
        guard let text = word(at, expected: what) else { return nil }
        guard !text.isEmpty, !text.contains(where: { $0.isWhitespace || $0 == "/" || $0 == "?" || $0 == "#" }) else {
            report(at, "'\(text)' is not \(what): use letters, digits, '-', '_' and '.' (no spaces or '/')")
            return nil
        }
        return text
    }

    /// A base URL without trailing slashes, so that API paths can be appended.
    static func vendorBaseURL(_ url: String) -> String {
        var url = url
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }
}
