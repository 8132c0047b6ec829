import RewindCore
import RewindPorts

/// The values that fill `{{…}}` placeholders in commands, URLs, headers and bodies
/// (names from `Template.knownNames`). A value that is not known in a call is the empty string.
enum TemplateValues {
    static func of(service: ServiceName) -> [String: String] {
        ["service": service.rawValue]
    }

    static func rollback(service: ServiceName, target: Deployment, context: ActionContext) -> [String: String] {
        [
            "service": service.rawValue,
            "target.id": target.id,
            "target.version": target.version,
            "current.id": context.current?.id ?? "",
            "incident.id": String(context.incidentID),
        ]
    }

    static func status(service: ServiceName, target: Deployment, operationID: String) -> [String: String] {
        [
            "service": service.rawValue,
            "target.id": target.id,
            "target.version": target.version,
            "operation.id": operationID,
        ]
    }
}
