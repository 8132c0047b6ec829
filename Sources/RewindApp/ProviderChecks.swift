import AsyncHTTPClient
import RewindConfig
import RewindCore
import RewindPorts
import RewindSignals

/// `rewind providers check`: the guide's troubleshooting steps "check authentication" and "check
/// permissions", for every configured provider and monitoring source, with read-only calls only. A
/// fallback that uses the credential the platform just refused for the provider is not checked again.
public enum ProviderChecks {
    public struct Row: Codable, Sendable, Equatable {
        public var service: String
        /// `provider`, `fallback`, `traffic`, `flags` or `monitoring`.
        public var role: String
        public var kind: String
        public var checks: [AccessCheck]
        public var passed: Bool { checks.allSatisfy(\.passed) }
    }

    public static func run(_ configuration: RewindConfiguration, client: HTTPClient) async -> [Row] {
        let providers = Composition.providers(for: configuration, client: client)
        let controls = Composition.rollbackControls(for: configuration, client: client)
        var rows: [Row] = []
        for service in configuration.policy.services {
            // Credentials the platform refused in this run: a check with the same one would send the same
            // request and be refused the same way.
            var refused: Set<CredentialID> = []
            for (role, provider) in [
                ("provider", providers.primary[service.name]), ("fallback", providers.fallback[service.name]),
            ] {
                guard let provider else { continue }
                let checks: [AccessCheck]
                if let credential = provider.credential, refused.contains(credential) {
                    checks = [
                        AccessCheck(
                            name: "read-only check", passed: false,
                            detail:
                                "not checked: it uses the same credential (\(credential)) that was just refused above; fix that first"
                        )
                    ]
                } else if let checkable = provider as? any AccessCheckable {
                    checks = await checkable.checkAccess(service: service.name)
                } else {
                    checks = [
                        AccessCheck(
                            name: "read-only check", passed: true,
                            detail:
                                "a \(provider.kind) provider has no read-only call to test; run `rewind drill` against a staging environment instead"
                        )
                    ]
                }
                if let credential = provider.credential, checks.contains(where: \.refusedCredential) {
                    refused.insert(credential)
                }
                rows.append(Row(service: service.name.rawValue, role: role, kind: provider.kind, checks: checks))
            }
            let extras: [(String, String, (any AccessCheckable)?)] = [
                (
                    "traffic", controls.traffic[service.name]?.kind ?? "",
                    controls.traffic[service.name] as? any AccessCheckable
                ),
                (
                    "flags", controls.flags[service.name]?.kind ?? "",
                    controls.flags[service.name] as? any AccessCheckable
                ),
            ]
            for (role, kind, checkable) in extras {
                guard let checkable else { continue }
                rows.append(
                    Row(
                        service: service.name.rawValue, role: role, kind: kind,
                        checks: await checkable.checkAccess(service: service.name)))
            }
        }
        if let source = configuration.policy.monitoring.prometheus {
            let prometheus = PrometheusClient(
                baseURL: source.url.value, client: client, headers: source.headers, timeout: source.timeout)
            let ready = await prometheus.ready()
            rows.append(
                Row(
                    service: "-", role: "monitoring", kind: "prometheus",
                    checks: [
                        AccessCheck(
                            name: "Prometheus answers /-/ready", passed: ready,
                            detail: ready
                                ? "ready at \(Redactor.safeURL(source.url.value))"
                                : "no answer from \(Redactor.safeURL(source.url.value)): check monitoring.prometheus.url and its headers"
                        )
                    ]))
        }
        return rows
    }

    public static func render(_ rows: [Row]) -> String {
        if rows.isEmpty { return "No providers configured" }
        return rows.map { row in
            (["\(row.service) \(row.role) (\(row.kind)): \(row.passed ? "ok" : "FAILED")"]
                + row.checks.map { "  \($0.passed ? "✓" : "✗") \($0.name): \($0.detail)" }).joined(separator: "\n")
        }.joined(separator: "\n")
    }
}
