import AsyncHTTPClient
import RewindCore
import RewindPorts
import RewindSpecs

/// A Railway service's variables in the provider's environment, for configuration rollback: read them
/// before a change, set one back to its previous value.
///
/// Values are returned and sent as they are (they are the caller's to keep); they never appear in an
/// error message. Values are read *unrendered*, so a reference such as `${{Postgres.DATABASE_URL}}` comes
/// back as written and can be set back as written.
///
/// ```swift
/// let variables = RailwayVariables(spec: spec, client: client, redactor: redactor)
/// let before = try await variables.variables(service: "backend")
/// …
/// try await variables.setVariable(name: "FEATURE_CHECKOUT_V2", value: before["FEATURE_CHECKOUT_V2"] ?? "false",
///                                 service: "backend")           // Railway redeploys the service
/// ```
public struct RailwayVariables: Sendable {
    let spec: RailwayProviderSpec
    let api: RailwayAPI

    public init(spec: RailwayProviderSpec, client: HTTPClient, redactor: Redactor) {
        self.spec = spec
        api = RailwayAPI(spec: spec, client: client, redactor: redactor)
    }

    init(spec: RailwayProviderSpec, api: RailwayAPI) {
        self.spec = spec
        self.api = api
    }

    /// The service's variables (name → unrendered value), shared ones included as Railway resolves them
    /// for the service.
    public func variables(service: ServiceName) async throws -> [String: String] {
        let purpose = RailwayAPI.Purpose(
            action: "read the variables",
            service: service,
            notFound: "Railway does not know the project, environment or service of \(service)"
        )
        let serviceID = try api.serviceID(service, purpose: purpose)
        let variables: [String: JSONValue] = [
            "projectId": .string(spec.projectID), "environmentId": .string(spec.environmentID),
            "serviceId": .string(serviceID), "unrendered": .bool(true),
        ]
        let values = try await api.perform(.variables, variables: variables, as: [String: JSONValue].self, purpose)
        return values.compactMapValues { $0 == .null ? nil : $0.stringValue }
    }

    /// Sets `name` to `value` on the service (`variableUpsert`; idempotent on the value). With `redeploy`
    /// (the default) Railway redeploys the service so that the value takes effect; without it the value
    /// waits for the next deployment (`skipDeploys: true`).
    public func setVariable(name: String, value: String, service: ServiceName, redeploy: Bool = true) async throws {
        let purpose = RailwayAPI.Purpose(
            action: "set the variable \(name)",
            service: service,
            notFound: "Railway does not know the project, environment or service of \(service)"
        )
        guard !name.isEmpty else { throw api.failure(purpose).refusal(.rejected, "the variable name is empty") }
        let serviceID = try api.serviceID(service, purpose: purpose)
        let input: JSONValue = .object([
            "projectId": .string(spec.projectID), "environmentId": .string(spec.environmentID),
            "serviceId": .string(serviceID), "name": .string(name), "value": .string(value),
            "skipDeploys": .bool(!redeploy),
        ])
        let accepted = try await api.perform(.variableUpsert, variables: ["input": input], as: Bool.self, purpose)
        guard accepted else { throw api.failure(purpose).error(.rejected, "Railway answered false to variableUpsert") }
    }

    /// Sets back every variable of `stable` whose value on the service differs (`mode: variables`) and
    /// returns their names, sorted; nothing is sent when all match. The differing variables but the last are
    /// staged (`skipDeploys: true`) and the last is sent with `skipDeploys: false`, so Railway redeploys the
    /// service once, with all of them. A retry after a failure re-reads and sends only what still differs.
    @discardableResult
    public func restore(_ stable: [String: String], service: ServiceName) async throws -> [String] {
        let current = try await variables(service: service)
        let differing = stable.keys.sorted().filter { current[$0] != stable[$0] }
        for (index, name) in differing.enumerated() {
            try await setVariable(
                name: name,
                value: stable[name] ?? "",
                service: service,
                redeploy: index == differing.count - 1
            )
        }
        return differing
    }
}
