/// A provider driven by a platform's HTTP API.
public struct HTTPProviderSpec: Sendable, Equatable {
    public var rollback: HTTPRequestSpec
    /// Reads the live deployment: the response's JSON field at `currentField` (dotted path) is its id.
    public var current: HTTPRequestSpec?
    public var currentField: String
    /// Polls an asynchronous rollback: `operationField` is read from the rollback response and
    /// fills `{{operation.id}}`; `statusField` of the status response is compared with the lists.
    public var status: HTTPRequestSpec?
    public var operationField: String
    public var statusField: String
    public var succeededValues: [String]
    public var failedValues: [String]
    public var timeout: Duration?

    public init(
        rollback: HTTPRequestSpec, current: HTTPRequestSpec? = nil, currentField: String = "id",
        status: HTTPRequestSpec? = nil, operationField: String = "id", statusField: String = "status",
        succeededValues: [String] = ["succeeded", "success", "done", "ready"],
        failedValues: [String] = ["failed", "error", "canceled"], timeout: Duration? = nil
    ) {
        self.rollback = rollback
        self.current = current
        self.currentField = currentField
        self.status = status
        self.operationField = operationField
        self.statusField = statusField
        self.succeededValues = succeededValues
        self.failedValues = failedValues
        self.timeout = timeout
    }
}
