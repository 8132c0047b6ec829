import AsyncHTTPClient
import Foundation
import NIOHTTP1
import RewindCore
import RewindPorts
import RewindSpecs

/// A flag service described in the configuration (`type: http`): `request` turns one flag off, `state`
/// (optional) reads one, its `field` (a dotted path) true while the flag is on. `{{flag}}`, `{{service}}` and
/// `{{incident.id}}` are filled in: percent-encoded in the URL, JSON-escaped in the body.
public struct HTTPFlagSwitch: FlagKillSwitch {
    let spec: HTTPFlagsSpec
    public let configuredFlags: [String]
    let service: ServiceName
    let transport: VendorTransport

    public init(
        spec: HTTPFlagsSpec, flags: [String], service: ServiceName, client: HTTPClient,
        timeout: Duration = FeatureFlagsSpec.defaultTimeout, redactor: Redactor
    ) {
        self.spec = spec
        configuredFlags = flags
        self.service = service
        // Secret header values are redacted even when the caller's redactor does not know them.
        let headers = Array(spec.disable.headers.values) + Array(spec.state?.headers.values ?? [:].values)
        let secrets: [ConfigText] = headers.filter(\.isSecret)
        transport = VendorTransport(
            vendor: "the flag service", client: client, timeout: timeout,
            redactor: Redactor(secrets: redactor.secrets + secrets.map(\.value))
        )
    }

    public var kind: String { "http" }

    public func isEnabled(flag: String) async throws -> Bool {
        let purpose = "read flag \(flag) of \(service)"
        guard let state = spec.state else {
            throw ProviderError(.unsupported, "could not \(purpose): the flag service has no state: request configured")
        }
        let (request, answer) = try await send(state, flag: flag, incidentID: nil, purpose: purpose)
        guard let json = answer.json() else {
            throw transport.unreadable(answer, request: request, purpose: purpose, expected: "JSON")
        }
        guard let on = FlagValue.isOn(json.value(at: spec.stateField)) else {
            throw transport.error(
                .badResponse, "the answer has no true/false `\(spec.stateField)` field", request: request,
                purpose: purpose
            )
        }
        return on
    }

    public func disable(flag: String, incidentID: Int64?) async throws {
        _ = try await send(
            spec.disable, flag: flag, incidentID: incidentID, purpose: "turn off flag \(flag) of \(service)")
    }

    // MARK: - Access

    /// Reads each configured flag with `state:`; without it there is no read-only request to check with.
    public func checkAccess(service: ServiceName) async -> [AccessCheck] {
        guard spec.state != nil else {
            return [
                AccessCheck(
                    name: "read flags", passed: false,
                    detail: "no state: request is configured, so access cannot be checked without turning a flag off; "
                        + "add state: {url: …/{{flag}}, field: enabled}"
                )
            ]
        }
        var checks: [AccessCheck] = []
        for flag in configuredFlags {
            do {
                let on = try await isEnabled(flag: flag)
                checks.append(
                    AccessCheck(name: "read flag \(flag)", passed: true, detail: "it is \(on ? "on" : "off")"))
            } catch {
                let detail = (error as? ProviderError)?.message ?? "interrupted"
                checks.append(AccessCheck(name: "read flag \(flag)", passed: false, detail: detail))
            }
        }
        return checks
    }

    // MARK: - Calls

    private func send(
        _ spec: HTTPRequestSpec, flag: String, incidentID: Int64?, purpose: String
    ) async throws
        -> (VendorRequest, VendorAnswer)
    {
        var values = ["flag": flag, "service": service.rawValue]
        if let incidentID { values["incident.id"] = String(incidentID) }
        let rendered: RenderedRequest
        do {
            rendered = try RenderedRequest(spec, values: values)
        } catch {
            throw ProviderError(.rejected, "could not \(purpose): the request body cannot be encoded")
        }
        let request = VendorRequest(
            HTTPMethod(rawValue: rendered.method), rendered.url, headers: rendered.headers, body: rendered.body)
        let answer = try await transport.send(request, purpose: purpose)
        guard spec.accepts(answer.status) else {
            let header = rendered.credentialHeader.map { "the token in the \($0) header" } ?? "the flag service's token"
            let hints = VendorRefusalHints(
                unauthorized: "\(header) is valid",
                forbidden: "\(header) may change flag \(flag)",
                notFound: "the flag service does not know flag \(flag); check disable: and the request url"
            )
            throw transport.refusal(
                answer, request: request, purpose: purpose, said: Self.said(answer), hints: hints,
                retryAfter: RetryAfter.parse(answer.header("Retry-After"))
            )
        }
        return (request, answer)
    }

    /// `error.message`, `error` or `message`.
    private static func said(_ answer: VendorAnswer) -> String? {
        guard let json = answer.json() else { return nil }
        return ["error.message", "error", "message"].lazy.compactMap { json.value(at: $0)?.stringValue }.first
    }
}
