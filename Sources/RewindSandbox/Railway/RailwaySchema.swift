/// The slice of Railway's public schema the emulator serves (platform-apis.md §2.2), used to validate a
/// request the way a GraphQL server does — unknown fields and arguments, a selection set on a scalar
/// (`deploymentRollback` is `Boolean!`), an object without one, a required argument missing — and to
/// answer exactly the fields that were asked for.
enum RailwaySchema {
    enum FieldType: Sendable {
        /// A scalar, with its type as GraphQL prints it (`Boolean!`, `EnvironmentVariables!`).
        case scalar(String)
        case object(String, nonNull: Bool)
        case list(String)

        var printed: String {
            switch self {
            case .scalar(let name): name
            case .object(let name, let nonNull): nonNull ? "\(name)!" : name
            case .list(let name): "[\(name)!]!"
            }
        }
    }

    struct Argument: Sendable {
        var type: String
        var isRequired: Bool { type.hasSuffix("!") }
    }

    struct FieldDefinition: Sendable {
        var type: FieldType
        var arguments: [String: Argument] = [:]
    }

    private static func scalar(_ name: String) -> FieldDefinition { FieldDefinition(type: .scalar(name)) }

    private static let deploymentConnectionArguments: [String: Argument] = [
        "input": Argument(type: "DeploymentListInput!"), "first": Argument(type: "Int"),
        "after": Argument(type: "String"), "last": Argument(type: "Int"), "before": Argument(type: "String"),
    ]
    private static let idArgument: [String: Argument] = ["id": Argument(type: "String!")]

    static let types: [String: [String: FieldDefinition]] = [
        "Query": [
            "deployments": FieldDefinition(
                type: .object("QueryDeploymentsConnection", nonNull: true),
                arguments: deploymentConnectionArguments
            ),
            "deployment": FieldDefinition(type: .object("Deployment", nonNull: true), arguments: idArgument),
            "serviceInstance": FieldDefinition(
                type: .object("ServiceInstance", nonNull: true),
                arguments: ["environmentId": Argument(type: "String!"), "serviceId": Argument(type: "String!")]
            ),
            "variables": FieldDefinition(
                type: .scalar("EnvironmentVariables!"),
                arguments: [
                    "projectId": Argument(type: "String!"), "environmentId": Argument(type: "String!"),
                    "serviceId": Argument(type: "String"), "unrendered": Argument(type: "Boolean"),
                ]
            ),
        ],
        "Mutation": [
            "deploymentRollback": FieldDefinition(type: .scalar("Boolean!"), arguments: idArgument),
            "deploymentRedeploy": FieldDefinition(
                type: .object("Deployment", nonNull: true),
                arguments: ["id": Argument(type: "String!"), "usePreviousImageTag": Argument(type: "Boolean")]
            ),
            "deploymentRestart": FieldDefinition(type: .scalar("Boolean!"), arguments: idArgument),
            "variableUpsert": FieldDefinition(
                type: .scalar("Boolean!"),
                arguments: ["input": Argument(type: "VariableUpsertInput!")]
            ),
        ],
        "QueryDeploymentsConnection": [
            "edges": FieldDefinition(type: .list("QueryDeploymentsConnectionEdge")),
            "pageInfo": FieldDefinition(type: .object("PageInfo", nonNull: true)),
        ],
        "QueryDeploymentsConnectionEdge": [
            "cursor": scalar("String!"),
            "node": FieldDefinition(type: .object("Deployment", nonNull: true)),
        ],
        "PageInfo": [
            "hasNextPage": scalar("Boolean!"), "hasPreviousPage": scalar("Boolean!"), "startCursor": scalar("String"),
            "endCursor": scalar("String"),
        ],
        "Deployment": [
            "id": scalar("String!"), "status": scalar("DeploymentStatus!"), "createdAt": scalar("DateTime!"),
            "updatedAt": scalar("DateTime!"), "statusUpdatedAt": scalar("DateTime"), "url": scalar("String"),
            "staticUrl": scalar("String"), "meta": scalar("DeploymentMeta"), "canRollback": scalar("Boolean!"),
            "canRedeploy": scalar("Boolean!"), "deploymentStopped": scalar("Boolean!"), "projectId": scalar("String!"),
            "environmentId": scalar("String!"), "serviceId": scalar("String"), "snapshotId": scalar("String"),
        ],
        "ServiceInstance": [
            "id": scalar("String!"), "serviceId": scalar("String!"), "environmentId": scalar("String!"),
            "numReplicas": scalar("Int"), "healthcheckPath": scalar("String"),
            "latestDeployment": FieldDefinition(type: .object("Deployment", nonNull: false)),
            "activeDeployments": FieldDefinition(type: .list("Deployment")),
        ],
    ]

    /// The validation errors of `operation`, in the words graphql-js uses; empty when it is valid.
    static func validate(_ operation: RailwayGQL.Operation) -> [String] {
        var errors: [String] = []
        let root = operation.type == .query ? "Query" : "Mutation"
        validate(operation.selections, on: root, errors: &errors)
        let defined = Set(operation.variables.map(\.name))
        for field in operation.selections {
            for name in field.arguments.flatMap(\.value.variableNames) where !defined.contains(name) {
                errors.append("Variable \"$\(name)\" is not defined by operation \"\(operation.name ?? "")\".")
            }
        }
        return errors
    }

    private static func validate(_ fields: [RailwayGQL.Field], on typeName: String, errors: inout [String]) {
        let definitions = types[typeName] ?? [:]
        for field in fields {
            if field.name == "__typename" { continue }
            guard let definition = definitions[field.name] else {
                errors.append("Cannot query field \"\(field.name)\" on type \"\(typeName)\".")
                continue
            }
            for argument in field.arguments where definition.arguments[argument.name] == nil {
                errors.append("Unknown argument \"\(argument.name)\" on field \"\(typeName).\(field.name)\".")
            }
            for (name, argument) in definition.arguments.sorted(by: { $0.key < $1.key })
            where argument.isRequired && !field.arguments.contains(where: { $0.name == name }) {
                errors.append(
                    "Field \"\(field.name)\" argument \"\(name)\" of type \"\(argument.type)\" is required, "
                        + "but it was not provided."
                )
            }
            switch definition.type {
            case .scalar(let scalar):
                if field.selections != nil {
                    errors.append(
                        "Field \"\(field.name)\" must not have a selection since type \"\(scalar)\" has no subfields."
                    )
                }
            case .object(let object, _), .list(let object):
                guard let selections = field.selections else {
                    errors.append(
                        "Field \"\(field.name)\" of type \"\(definition.type.printed)\" must have a selection of "
                            + "subfields. Did you mean \"\(field.name) { ... }\"?"
                    )
                    continue
                }
                validate(selections, on: object, errors: &errors)
            }
        }
    }

    /// `value` (a full object of `typeName`) cut down to the fields `selections` asks for, under their aliases.
    static func project(_ value: RailwayJSON, _ selections: [RailwayGQL.Field], on typeName: String) -> RailwayJSON {
        if case .array(let elements) = value {
            return .array(elements.map { project($0, selections, on: typeName) })
        }
        guard case .object(let object) = value else { return value }
        var result: [String: RailwayJSON] = [:]
        for field in selections {
            if field.name == "__typename" {
                result[field.responseKey] = .string(typeName)
                continue
            }
            let fieldValue = object[field.name] ?? .null
            if let nested = field.selections, case .object(let child, _)? = types[typeName]?[field.name]?.type {
                result[field.responseKey] = project(fieldValue, nested, on: child)
            } else if let nested = field.selections, case .list(let child)? = types[typeName]?[field.name]?.type {
                result[field.responseKey] = project(fieldValue, nested, on: child)
            } else {
                result[field.responseKey] = fieldValue
            }
        }
        return .object(result)
    }

    /// The type a root field answers with, for ``project(_:_:on:)``.
    static func rootType(of field: String, in operation: RailwayGQL.OperationType) -> String? {
        let root = operation == .query ? "Query" : "Mutation"
        switch types[root]?[field]?.type {
        case .object(let name, _)?, .list(let name)?: return name
        default: return nil
        }
    }
}
