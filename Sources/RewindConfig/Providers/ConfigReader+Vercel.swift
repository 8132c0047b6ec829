import Foundation
import RewindCore
import RewindSpecs

/// `type: vercel`: a Vercel project rolled back through the REST API (see ``VercelProviderSpec``).
extension ConfigReader {
    static let vercelKeys = ["type", "token", "project", "team_id", "api_url", "target", "timeout", "mode"]

    /// Every problem of the provider is reported; the spec comes back only when there was none.
    mutating func vercelProvider(_ at: Located) -> VercelProviderSpec? {
        let problemsBefore = problems.count
        guard let fields = mapping(at, allowed: Self.vercelKeys) else { return nil }
        let token = require(fields, "token", hint: "put the token in an environment variable: token: ${VERCEL_TOKEN}")
            .flatMap { vercelToken($0) }
        let project = require(fields, "project", hint: "the project's id (prj_…) or name, e.g. project: shop-web")
            .flatMap { vercelIdentifier($0, what: "project") }
        var spec = VercelProviderSpec(
            token: token?.value ?? ConfigText(""),
            tokenSource: token?.source ?? "",
            project: project ?? ""
        )
        if let at = fields["team_id"] { spec.teamID = vercelIdentifier(at, what: "team id") }
        if let at = fields["api_url"], let url = httpURL(at) { spec.apiURL = Self.withoutTrailingSlash(url.value) }
        if let at = fields["target"], let target = vercelIdentifier(at, what: "target environment") {
            spec.target = target
        }
        if let at = fields["timeout"], let timeout = duration(at, .timeout) { spec.timeout = timeout }
        let modes = VercelProviderSpec.Mode.allCases.map { ($0.rawValue, $0) }
        if let at = fields["mode"], let mode = choice(at, modes) { spec.mode = mode }
        return problems.count == problemsBefore ? spec : nil
    }

    /// The token: it must come from `${NAME}` or `${file:…}`; an inline one is refused without being shown.
    /// Also returns where it came from (the variable's name), for messages that say what to fix.
    private mutating func vercelToken(_ at: Located) -> (value: ConfigText, source: String)? {
        guard let written = word(at, expected: "${VERCEL_TOKEN}") else { return nil }
        guard let token = resolve(written, at: at, secret: "Vercel token") else { return nil }
        guard token.isSecret else {
            report(at, "put the token in an environment variable: token: ${VERCEL_TOKEN} (an inline token is refused)")
            return nil
        }
        guard !token.value.isEmpty else {
            report(at, "the token is empty; set \(Self.tokenSource(written)) to a Vercel access token")
            return nil
        }
        return (token, Self.tokenSource(written))
    }

    /// A project, team or environment: non-empty, one path segment, no spaces.
    private mutating func vercelIdentifier(_ at: Located, what: String) -> String? {
        guard let text = text(at) else { return nil }
        let value = text.value.trimmingCharacters(in: .whitespaces)
        guard !value.isEmpty else {
            report(at, "the \(what) is empty")
            return nil
        }
        guard !value.contains(where: { $0 == "/" || $0 == "?" || $0 == "#" || $0 == " " }) else {
            report(at, "\(Self.shown(text)) is not a valid \(what): no spaces, '/', '?' or '#'")
            return nil
        }
        return value
    }

    /// The variable (or file) a written `${…}` value names, e.g. `VERCEL_TOKEN` or `${file:/run/secrets/vercel}`.
    static func tokenSource(_ written: String) -> String {
        guard case .success(let parts) = Interpolation.parts(of: written) else { return "the Vercel token" }
        let sources = parts.compactMap { part -> String? in
            switch part {
            case .environment(let name): name
            case .file(let path): "${file:\(path)}"
            case .literal: nil
            }
        }
        return sources.isEmpty ? "the Vercel token" : sources.joined(separator: " and ")
    }

    static func withoutTrailingSlash(_ url: String) -> String {
        var url = Substring(url)
        while url.hasSuffix("/") { url = url.dropLast() }
        return String(url)
    }
}
