import AsyncHTTPClient
import Foundation
import RewindCore
import RewindPorts
import RewindSpecs

/// The `http` platform: a platform API described in the configuration.
///
/// - `rollback` sends `spec.rollback`. With `spec.status` configured the rollback is asynchronous:
///   the response's `operationField` is the operation id, polled with `status`; without it the
///   accepted response means the rollback is done.
/// - `status` sends `spec.status` with `{{operation.id}}` and compares `statusField` with the
///   succeeded and failed values (anything else is still in progress).
/// - `currentDeployment` reads `currentField` (a dotted path) from `spec.current`; nil without it.
/// - `listDeployments` returns `[]`: the spec has no list request.
///
/// Every request has the deadline `spec.timeout` (default 30 s). Errors are classified for the
/// engine's retries: timeouts, connection failures, 429 and 5xx are transient; 401/403, 404, other
/// 4xx and unreadable answers are permanent.
public struct HTTPProvider: PlatformProvider {
    public static let defaultTimeout: Duration = .seconds(30)

    private let spec: HTTPProviderSpec
    private let exchange: HTTPExchange

    public init(spec: HTTPProviderSpec, client: HTTPClient, redactor: Redactor) {
        self.spec = spec
        exchange = HTTPExchange(client: client, redactor: redactor, timeout: spec.timeout ?? Self.defaultTimeout)
    }

    public var kind: String { "http" }

    public func listDeployments(service: ServiceName) async throws -> [PlatformDeployment] { [] }

    public func currentDeployment(service: ServiceName) async throws -> PlatformDeployment? {
        guard let current = spec.current else { return nil }
        let request = try render(current, TemplateValues.of(service: service))
        let answer = try await exchange.send(
            request, purpose: "read the live deployment", service: service, accepts: current.accepts
        )
        let json = try parse(answer, request, purpose: "read the live deployment", service: service)
        guard let id = json.value(at: spec.currentField)?.stringValue, !id.isEmpty else {
            throw missingField(spec.currentField, request, purpose: "read the live deployment", service: service)
        }
        return PlatformDeployment(id: id, version: siblingVersion(of: spec.currentField, in: json))
    }

    public func rollback(
        service: ServiceName, to target: Deployment, context: ActionContext
    ) async throws
        -> RollbackOperation
    {
        let purpose = "roll back to \(target.label)"
        let values = try TemplateValues.rollback(service: service, target: target, context: context)
        let request = try render(spec.rollback, values)
        let answer = try await exchange.send(
            request, purpose: purpose, service: service, accepts: spec.rollback.accepts
        )
        guard spec.status != nil else { return RollbackOperation(finished: true) }
        let json = try parse(answer, request, purpose: purpose, service: service)
        guard let id = json.value(at: spec.operationField)?.stringValue, !id.isEmpty else {
            throw missingField(spec.operationField, request, purpose: purpose, service: service)
        }
        return RollbackOperation(id: id, finished: false)
    }

    public func status(
        of operation: RollbackOperation, service: ServiceName, target: Deployment
    ) async throws
        -> OperationStatus
    {
        guard !operation.finished, let status = spec.status else { return .succeeded }
        let purpose = "read the status of the rollback to \(target.label)"
        guard let operationID = operation.id else {
            throw ProviderError(.badResponse, "could not \(purpose) for \(service): the rollback has no operation id")
        }
        let values = try TemplateValues.status(service: service, target: target, operationID: operationID)
        let request = try render(status, values)
        let answer = try await exchange.send(request, purpose: purpose, service: service, accepts: status.accepts)
        let json = try parse(answer, request, purpose: purpose, service: service)
        guard let value = json.value(at: spec.statusField)?.stringValue else {
            throw missingField(spec.statusField, request, purpose: purpose, service: service)
        }
        let normalized = value.lowercased()
        if spec.succeededValues.contains(where: { $0.lowercased() == normalized }) { return .succeeded }
        if spec.failedValues.contains(where: { $0.lowercased() == normalized }) { return .failed(value) }
        return .inProgress
    }

    // MARK: Helpers

    private func render(_ request: HTTPRequestSpec, _ values: [String: String]) throws -> RenderedRequest {
        do {
            return try RenderedRequest(request, values: values)
        } catch let refused as RenderedRequest.DotSegment {
            throw ProviderError(.rejected, "refused to send a request: \(refused.message); nothing was sent")
        } catch {
            throw ProviderError(.rejected, "the request body of \(Redactor.safeURL(request.url)) cannot be encoded")
        }
    }

    private func parse(
        _ answer: HTTPAnswer, _ request: RenderedRequest, purpose: String, service: ServiceName
    ) throws
        -> JSONValue
    {
        guard let json = answer.json() else {
            throw failure(request, purpose: purpose, service: service)
                .error(.badResponse, "the platform answered \(answer.status) with something that is not JSON")
        }
        return json
    }

    private func missingField(
        _ field: String, _ request: RenderedRequest, purpose: String, service: ServiceName
    )
        -> ProviderError
    {
        failure(request, purpose: purpose, service: service)
            .error(.badResponse, "the response has no `\(field)` field")
    }

    private func failure(_ request: RenderedRequest, purpose: String, service: ServiceName) -> FailureContext {
        exchange.failure(request, purpose: purpose, service: service)
    }

    /// `version` next to the id field (`deployment.version` for `deployment.id`), when there is one.
    private func siblingVersion(of field: String, in json: JSONValue) -> String? {
        var path = field.split(separator: ".").dropLast().map(String.init)
        path.append("version")
        return json.value(at: path.joined(separator: "."))?.stringValue
    }
}
