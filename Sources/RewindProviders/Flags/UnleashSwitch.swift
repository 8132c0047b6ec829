import AsyncHTTPClient
import Foundation
import NIOHTTP1
import RewindCore
import RewindPorts
import RewindSpecs

/// Unleash's Admin API (platform-apis.md 11.1).
///
/// - `disable`: `POST {url}/api/admin/projects/{project}/features/{flag}/environments/{environment}/off`,
///   200 with an empty (or JSON) body; turning an off flag off is a 200 too.
/// - `disableAll`: one bulk request (`…/bulk_features/environments/{environment}/off`, `{"features": […]}`);
///   when the instance refuses it (403: bulk toggling disabled) or another permanent error makes the bulk call
///   fail, one request per flag, so that each flag's outcome is its own.
/// - `isEnabled`: `GET …/projects/{project}/features/{flag}`, the `environments[]` entry named `environment`.
/// - The token goes raw in `Authorization` (no `Bearer`).
public struct UnleashSwitch: FlagKillSwitch {
    /// The permission turning flags off needs.
    public static let permission = "UPDATE_FEATURE_ENVIRONMENT"

    let spec: UnleashFlagsSpec
    public let configuredFlags: [String]
    let service: ServiceName
    let transport: VendorTransport

    public init(
        spec: UnleashFlagsSpec, flags: [String], service: ServiceName, client: HTTPClient,
        timeout: Duration = FeatureFlagsSpec.defaultTimeout, redactor: Redactor
    ) {
        self.spec = spec
        configuredFlags = flags
        self.service = service
        transport = VendorTransport(
            vendor: "Unleash", client: client, timeout: timeout,
            redactor: Redactor(secrets: redactor.secrets + [spec.token.value])
        )
    }

    public var kind: String { "unleash" }

    public func isEnabled(flag: String) async throws -> Bool {
        let purpose = "read flag \(flag) of \(service) in Unleash"
        let request = VendorRequest(.GET, "\(projectURL)/features/\(VendorRequest.segment(flag))", headers: headers)
        let answer = try await send(request, purpose: purpose, flags: [flag])
        guard case .array(let environments)? = answer.json()?.value(at: "environments") else {
            throw transport.unreadable(
                answer, request: request, purpose: purpose, expected: "a feature with environments")
        }
        guard let environment = environments.first(where: { $0.value(at: "name")?.stringValue == spec.environment })
        else {
            throw transport.error(
                .notFound, "flag \(flag) has no environment \(spec.environment); check environment:", request: request,
                purpose: purpose
            )
        }
        guard let enabled = FlagValue.isOn(environment.value(at: "enabled")) else {
            throw transport.unreadable(
                answer, request: request, purpose: purpose, expected: "an environment with enabled")
        }
        return enabled
    }

    public func disable(flag: String, incidentID: Int64?) async throws {
        let url = "\(projectURL)/features/\(VendorRequest.segment(flag))/environments/\(environmentSegment)/off"
        let request = VendorRequest(.POST, url, headers: headers)
        _ = try await send(request, purpose: "turn off flag \(flag) of \(service) in Unleash", flags: [flag])
    }

    public func disableAll(flags: [String], incidentID: Int64?) async -> [FlagOutcome] {
        guard spec.bulk, flags.count > 1 else { return await disableOneByOne(flags, incidentID: incidentID) }
        let url = "\(projectURL)/bulk_features/environments/\(environmentSegment)/off"
        let body = VendorRequest.encode(["features": flags])
        let request = VendorRequest(.POST, url, headers: headers + [("Content-Type", "application/json")], body: body)
        do {
            _ = try await send(request, purpose: "turn off \(flags.count) flags of \(service) in Unleash", flags: flags)
            return flags.map { FlagOutcome(flag: $0) }
        } catch let error as ProviderError where error.isTransient {
            return flags.map { FlagOutcome(flag: $0, error: error) }
        } catch {
            // Bulk toggling may be disabled on the instance (403), or one unknown flag fails the whole request:
            // one request per flag says which.
            return await disableOneByOne(flags, incidentID: incidentID)
        }
    }

    // MARK: - Access

    /// Reads each configured flag (read-only). Turning flags off needs ``permission``, which reading cannot prove.
    public func checkAccess(service: ServiceName) async -> [AccessCheck] {
        var checks: [AccessCheck] = []
        for flag in configuredFlags {
            let name = "read flag \(flag) in project \(spec.project), environment \(spec.environment)"
            do {
                let enabled = try await isEnabled(flag: flag)
                checks.append(
                    AccessCheck(
                        name: name, passed: true,
                        detail: "the token in \(spec.tokenSource) can read it (\(enabled ? "on" : "off")); turning "
                            + "it off needs \(Self.permission), which a read-only check cannot prove"
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

    private var projectURL: String { "\(spec.url)/api/admin/projects/\(VendorRequest.segment(spec.project))" }
    private var environmentSegment: String { VendorRequest.segment(spec.environment) }

    private var headers: [(name: String, value: String)] {
        [("Authorization", spec.token.value), ("Accept", "application/json")]
    }

    private func send(_ request: VendorRequest, purpose: String, flags: [String]) async throws -> VendorAnswer {
        let answer = try await transport.send(request, purpose: purpose)
        guard answer.isSuccess else {
            let subject = flags.count == 1 ? "flag \(flags[0])" : "one of the flags \(flags.joined(separator: ", "))"
            let hints = VendorRefusalHints(
                unauthorized: "\(spec.tokenSource) holds a valid Unleash admin token or personal access token "
                    + "(sent as is, without Bearer)",
                forbidden: "\(spec.tokenSource) has \(Self.permission) in project \(spec.project), environment "
                    + "\(spec.environment)\(flags.count > 1 ? " (or bulk toggling is disabled on the instance)" : "")",
                notFound: "\(subject), project \(spec.project) or environment \(spec.environment) does not exist; "
                    + "check the flag keys, project: and environment:"
            )
            throw transport.refusal(
                answer, request: request, purpose: purpose, said: Self.said(answer), hints: hints,
                retryAfter: RetryAfter.parse(answer.header("Retry-After"))
            )
        }
        return answer
    }

    /// `{"message", "details": [{"message"}]}`.
    static func said(_ answer: VendorAnswer) -> String? {
        guard let json = answer.json() else { return nil }
        var parts: [String] = []
        if let message = json.value(at: "message")?.stringValue { parts.append(message) }
        if case .array(let details)? = json.value(at: "details") {
            parts += details.compactMap {
                $0.value(at: "message")?.stringValue ?? $0.value(at: "description")?.stringValue
            }
        }
        return parts.isEmpty ? nil : parts.joined(separator: "; ")
    }
}
