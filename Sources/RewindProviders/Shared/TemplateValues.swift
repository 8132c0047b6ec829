import RewindCore
import RewindPorts

/// The values that fill `{{…}}` placeholders in commands, URLs, headers and bodies
/// (names from `Template.knownNames`). A value that is not known in a call is the empty string.
///
/// Deployment ids and versions come from outside Rewind (a report through the API, a listing): before
/// any of them fills a placeholder it must pass ``DeploymentIdentifier``'s rule, so a value starting
/// with `-` never becomes an option and `..` never climbs a path. A refusal is `.rejected`, made
/// before anything runs or is sent.
enum TemplateValues {
    static func of(service: ServiceName) -> [String: String] {
        ["service": service.rawValue]
    }

    static func rollback(service: ServiceName, target: Deployment, context: ActionContext) throws -> [String: String] {
        try checked(target, role: "target", service: service)
        if let current = context.current { try checked(current, role: "current", service: service) }
        return [
            "service": service.rawValue,
            "target.id": target.id,
            "target.version": target.version,
            "current.id": context.current?.id ?? "",
            "incident.id": String(context.incidentID),
        ]
    }

    static func status(service: ServiceName, target: Deployment, operationID: String) throws -> [String: String] {
        try checked(target, role: "target", service: service)
        return [
            "service": service.rawValue,
            "target.id": target.id,
            "target.version": target.version,
            "operation.id": operationID,
        ]
    }

    /// Throws `.rejected` naming the rule when the deployment's id or version breaks it.
    static func checked(_ deployment: Deployment, role: String, service: ServiceName) throws {
        guard
            let invalid = DeploymentIdentifier.check(deployment.id, as: "id")
                ?? DeploymentIdentifier.check(deployment.version, as: "version")
        else { return }
        throw ProviderError(
            .rejected, "refused to roll back \(service): the \(role) \(invalid.message); nothing was run or sent")
    }
}
