import AsyncHTTPClient
import Foundation
import NIOHTTP1
import RewindCore
import RewindPorts
import RewindSpecs

/// LaunchDarkly's semantic patch (platform-apis.md 11.2).
///
/// - `disable`: `PATCH {apiURL}/flags/{project}/{flag}` with
///   `Content-Type: application/json; domain-model=launchdarkly.semanticpatch` and
///   `{"environmentKey", "comment", "instructions": [{"kind": "turnFlagOff"}]}`; the comment names the incident
///   ("Rewind incident 7: kill switch"). `ignoreConflicts=true` is added when configured. 200 with the flag.
/// - `isEnabled`: `GET {apiURL}/flags/{project}/{flag}?env={environment}`, `environments.<env>.on`.
/// - The token goes raw in `Authorization`; `LD-API-Version` is sent when configured.
/// - 429: `Retry-After`, else `X-Ratelimit-Reset` (epoch milliseconds).
public struct LaunchDarklySwitch: FlagKillSwitch {
    public static let semanticPatch = "application/json; domain-model=launchdarkly.semanticpatch"

    let spec: LaunchDarklyFlagsSpec
    public let configuredFlags: [String]
    let service: ServiceName
    let transport: VendorTransport

    public init(
        spec: LaunchDarklyFlagsSpec, flags: [String], service: ServiceName, client: HTTPClient,
        timeout: Duration = FeatureFlagsSpec.defaultTimeout, redactor: Redactor
    ) {
        self.spec = spec
        configuredFlags = flags
        self.service = service
        transport = VendorTransport(
            vendor: "LaunchDarkly", client: client, timeout: timeout,
            redactor: Redactor(secrets: redactor.secrets + [spec.token.value])
        )
    }

    public var kind: String { "launchdarkly" }

    public func isEnabled(flag: String) async throws -> Bool {
        let purpose = "read flag \(flag) of \(service) in LaunchDarkly"
        let environment = VendorRequest.segment(spec.environment)
        let request = VendorRequest(.GET, "\(flagURL(flag))?env=\(environment)", headers: headers)
        let answer = try await send(request, purpose: purpose, flag: flag, writing: false)
        guard let json = answer.json() else {
            throw transport.unreadable(answer, request: request, purpose: purpose, expected: "a JSON flag")
        }
        guard let on = FlagValue.isOn(Self.environment(spec.environment, of: json)?.value(at: "on")) else {
            throw transport.error(
                .notFound, "flag \(flag) has no environment \(spec.environment); check environment:",
                request: request, purpose: purpose
            )
        }
        return on
    }

    public func disable(flag: String, incidentID: Int64?) async throws {
        let purpose = "turn off flag \(flag) of \(service) in LaunchDarkly"
        let comment = incidentID.map { "Rewind incident \($0): kill switch" } ?? "Rewind kill switch"
        let body = VendorRequest.encode(
            SemanticPatch(
                environmentKey: spec.environment, comment: comment, instructions: [.init(kind: "turnFlagOff")])
        )
        let url = flagURL(flag) + (spec.ignoreConflicts ? "?ignoreConflicts=true" : "")
        let request = VendorRequest(.PATCH, url, headers: headers + [("Content-Type", Self.semanticPatch)], body: body)
        let answer = try await send(request, purpose: purpose, flag: flag, writing: true)
        guard let json = answer.json() else {
            throw transport.unreadable(answer, request: request, purpose: purpose, expected: "the JSON flag")
        }
        if FlagValue.isOn(Self.environment(spec.environment, of: json)?.value(at: "on")) == true {
            throw transport.error(
                .badResponse,
                "LaunchDarkly answered \(answer.status) but still reports the flag on in "
                    + "\(spec.environment)", request: request, purpose: purpose
            )
        }
    }

    // MARK: - Access

    /// Reads each configured flag (read-only). Turning flags off needs a writer role, which reading cannot prove.
    public func checkAccess(service: ServiceName) async -> [AccessCheck] {
        var checks: [AccessCheck] = []
        for flag in configuredFlags {
            let name = "read flag \(flag) in project \(spec.project), environment \(spec.environment)"
            do {
                let on = try await isEnabled(flag: flag)
                checks.append(
                    AccessCheck(
                        name: name, passed: true,
                        detail: "the token in \(spec.tokenSource) can read it (\(on ? "on" : "off")); turning it off "
                            + "needs a writer role on it, which a read-only check cannot prove"
                    )
                )
            } catch {
                checks.append(
                    AccessCheck(name: name, passed: false, detail: (error as? ProviderError)?.message ?? "interrupted"))
            }
        }
        return checks
    }

    // MARK: - Calls

    private struct SemanticPatch: Encodable {
        struct Instruction: Encodable { var kind: String }
        var environmentKey: String
        var comment: String
        var instructions: [Instruction]
    }

    private func flagURL(_ flag: String) -> String {
        "\(spec.apiURL)/flags/\(VendorRequest.segment(spec.project))/\(VendorRequest.segment(flag))"
    }

    private var headers: [(name: String, value: String)] {
        var headers = [(name: "Authorization", value: spec.token.value), (name: "Accept", value: "application/json")]
        if let version = spec.apiVersion { headers.append(("LD-API-Version", version)) }
        return headers
    }

    /// `environments.<key>`, looked up by key (the key may hold dots).
    private static func environment(_ key: String, of flag: JSONValue) -> JSONValue? {
        guard case .object(let environments)? = flag.value(at: "environments") else { return nil }
        return environments[key]
    }

    private func send(
        _ request: VendorRequest, purpose: String, flag: String, writing: Bool
    ) async throws
        -> VendorAnswer
    {
        let answer = try await transport.send(request, purpose: purpose)
        guard answer.isSuccess else {
            let hints = VendorRefusalHints(
                unauthorized: "\(spec.tokenSource) holds a valid LaunchDarkly API access token (sent as is, "
                    + "without Bearer)",
                forbidden: "\(spec.tokenSource) has a \(writing ? "writer" : "reader") role on flag \(flag) in "
                    + "project \(spec.project), environment \(spec.environment)",
                notFound: "flag \(flag) or project \(spec.project) does not exist; check the flag keys and project:"
            )
            let advice =
                answer.status == 400 && writing && !spec.ignoreConflicts
                ? "if a pending scheduled change or approval request blocks it, set ignore_conflicts: true" : nil
            throw transport.refusal(
                answer, request: request, purpose: purpose, said: Self.said(answer), hints: hints,
                retryAfter: Self.retryAfter(answer, now: Date()), advice: advice
            )
        }
        return answer
    }

    /// `{"code", "message"}`.
    static func said(_ answer: VendorAnswer) -> String? {
        guard let json = answer.json() else { return nil }
        let code = json.value(at: "code")?.stringValue
        let message = json.value(at: "message")?.stringValue
        switch (code, message) {
        case (let code?, let message?): return "\(code): \(message)"
        case (nil, let message?): return message
        case (let code?, nil): return code
        case (nil, nil): return nil
        }
    }

    /// `Retry-After`, else `X-Ratelimit-Reset` (epoch milliseconds) from `now`.
    static func retryAfter(_ answer: VendorAnswer, now: Date) -> Duration? {
        if let retryAfter = RetryAfter.parse(answer.header("Retry-After"), now: now) { return retryAfter }
        guard
            let reset = answer.header("X-Ratelimit-Reset").flatMap({
                Saturating.integer($0.trimmingCharacters(in: .whitespaces))
            })
        else { return nil }
        return RetryAfter.until(epochMilliseconds: reset, now: Timestamp(secondsSinceEpoch: now.timeIntervalSince1970))
    }
}
