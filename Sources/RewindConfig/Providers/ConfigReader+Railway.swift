import Foundation
import RewindCore
import RewindSpecs
import Yams

/// `type: railway`: a Railway service rolled back through the public GraphQL API (see ``RailwayProviderSpec``).
extension ConfigReader {
    static let railwayKeys = [
        "type", "token", "token_type", "project_id", "environment_id", "service_id", "services", "api_url", "timeout",
        "mode", "variables",
    ]
    static let railwayTokenKinds: [(word: String, value: RailwayProviderSpec.TokenKind)] = [
        ("account", .account), ("workspace", .account), ("team", .account), ("project", .project),
    ]

    /// Every problem of the provider is reported; the spec comes back only when there was none.
    mutating func railwayProvider(_ at: Located) -> RailwayProviderSpec? {
        let problemsBefore = problems.count
        guard let fields = mapping(at, allowed: Self.railwayKeys) else { return nil }
        let token = require(fields, "token", hint: "put the token in an environment variable: token: ${RAILWAY_TOKEN}")
            .flatMap { railwayToken($0) }
        let project = require(
            fields,
            "project_id",
            hint: "the Railway project's id, e.g. project_id: ${RAILWAY_PROJECT_ID}"
        )
        .flatMap { railwayIdentifier($0, what: "project id") }
        let environment = require(
            fields,
            "environment_id",
            hint: "the id of the environment to roll back, e.g. environment_id: 9a2e…"
        ).flatMap { railwayIdentifier($0, what: "environment id") }
        var spec = RailwayProviderSpec(
            token: token?.value ?? ConfigText(""),
            tokenSource: token?.source ?? "",
            projectID: project ?? "",
            environmentID: environment ?? ""
        )
        if let at = fields["token_type"], let kind = choice(at, Self.railwayTokenKinds) { spec.tokenKind = kind }
        if let at = fields["service_id"] { spec.serviceID = railwayIdentifier(at, what: "service id") }
        if let at = fields["services"] { spec.serviceIDs = railwayServiceIDs(at) }
        checkRailwayServiceNamed(in: spec, fields: fields)
        if let at = fields["api_url"], let url = httpURL(at) { spec.apiURL = url.value }
        if let at = fields["timeout"], let timeout = duration(at, .timeout) { spec.timeout = timeout }
        let modes = RailwayProviderSpec.Mode.allCases.map { ($0.rawValue, $0) }
        var modeRead = true
        if let at = fields["mode"] {
            if let mode = choice(at, modes) { spec.mode = mode } else { modeRead = false }
        }
        // With a misspelt mode (reported already) whether `variables:` belongs is unknown.
        if modeRead { railwayVariables(into: &spec, fields: fields) }
        return problems.count == problemsBefore ? spec : nil
    }

    /// `variables:` (the stable values `mode: variables` sets back): required, non-empty and with valid
    /// names in that mode, refused in the others. Values are never shown in a problem.
    private mutating func railwayVariables(into spec: inout RailwayProviderSpec, fields: Fields) {
        guard let at = fields["variables"] else {
            if spec.mode == .variables {
                report(
                    fields.owner,
                    "missing required key 'variables'; mode: variables sets them back, "
                        + "e.g. variables: { DATABASE_URL: ${STABLE_DB_URL} }"
                )
            }
            return
        }
        guard spec.mode == .variables else {
            report(
                at,
                "variables: is only used with mode: variables (configuration rollback); add mode: variables "
                    + "or remove variables:"
            )
            return
        }
        let variables = environmentVariables(at)
        if case .mapping(let mapping) = at.node, mapping.isEmpty {
            report(at, "name at least one variable to set back, e.g. variables: { DATABASE_URL: ${STABLE_DB_URL} }")
        }
        spec.variables = variables
    }

    /// The token: it must come from `${NAME}` or `${file:…}`; an inline one is refused without being shown.
    /// Also returns where it came from (the variable's name), for messages that say what to fix.
    private mutating func railwayToken(_ at: Located) -> (value: ConfigText, source: String)? {
        guard let written = word(at, expected: "${RAILWAY_TOKEN}") else { return nil }
        guard let token = resolve(written, at: at, secret: "Railway token") else { return nil }
        guard token.isSecret else {
            report(at, "put the token in an environment variable: token: ${RAILWAY_TOKEN} (an inline token is refused)")
            return nil
        }
        let source = Self.railwayTokenSource(written)
        guard !token.value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            report(at, "the token is empty; set \(source) to a Railway account, workspace or project token")
            return nil
        }
        return (token, source)
    }

    /// A project, environment or service id: non-empty, without spaces.
    private mutating func railwayIdentifier(_ at: Located, what: String) -> String? {
        guard let text = text(at) else { return nil }
        let value = text.value.trimmingCharacters(in: .whitespaces)
        guard !value.isEmpty else {
            report(at, "the \(what) is empty; copy it from the Railway dashboard (Settings) or ${RAILWAY_…_ID}")
            return nil
        }
        guard !value.contains(where: \.isWhitespace) else {
            report(at, "\(Self.shown(text)) is not a valid Railway \(what): ids have no spaces")
            return nil
        }
        return value
    }

    /// `services:`: Railway service ids by Rewind service name.
    private mutating func railwayServiceIDs(_ at: Located) -> [ServiceName: String] {
        guard let entries = rawMapping(at) else { return [:] }
        if entries.isEmpty {
            report(at, "name at least one service, e.g. services: { backend: 4b7d… }, or use service_id")
        }
        var ids: [ServiceName: String] = [:]
        for (name, value) in entries {
            if let id = railwayIdentifier(value, what: "service id") { ids[ServiceName(name)] = id }
        }
        return ids
    }

    /// The Railway service must be known for the Rewind service this provider belongs to.
    private mutating func checkRailwayServiceNamed(in spec: RailwayProviderSpec, fields: Fields) {
        guard spec.serviceID == nil, fields["service_id"] == nil else { return }
        guard let services = fields["services"] else {
            report(fields.owner, "missing required key 'service_id'; the Railway service's id, e.g. service_id: 4b7d")
            return
        }
        guard let owner = Self.owningService(of: fields.owner.path), !spec.serviceIDs.isEmpty,
            spec.serviceIDs[owner] == nil
        else { return }
        report(services, "no Railway service id for \(owner); add \(owner): <service id> here or set service_id")
    }

    /// `backend` for `services.backend.provider` (or `.fallback`); nil elsewhere.
    private static func owningService(of path: String) -> ServiceName? {
        let prefix = "services."
        guard path.hasPrefix(prefix) else { return nil }
        for suffix in [".provider", ".fallback"] where path.hasSuffix(suffix) {
            let name = path.dropFirst(prefix.count).dropLast(suffix.count)
            return name.isEmpty ? nil : ServiceName(String(name))
        }
        return nil
    }

    /// The variable (or file) a written `${…}` value names, e.g. `RAILWAY_TOKEN` or `${file:/run/secrets/railway}`.
    private static func railwayTokenSource(_ written: String) -> String {
        guard case .success(let parts) = Interpolation.parts(of: written) else { return "the Railway token" }
        let sources = parts.compactMap { part -> String? in
            switch part {
            case .environment(let name): name
            case .file(let path): "${file:\(path)}"
            case .literal: nil
            }
        }
        return sources.isEmpty ? "the Railway token" : sources.joined(separator: " and ")
    }
}
