/// Why a check failed. Each is a failure by the guide's definition: a non-2xx status, a
/// connection error or a timeout.
public enum CheckFailure: Sendable, Equatable, Hashable, Codable {
    case status(Int)
    case timeout
    case connection(String)
    case invalidResponse(String)

    public var summary: String {
        switch self {
        case .status(let code): "HTTP \(code)"
        case .timeout: "timed out"
        case .connection(let reason): "connection failed: \(reason)"
        case .invalidResponse(let reason): "invalid response: \(reason)"
        }
    }
}

/// The result of one health check.
public enum CheckResult: Sendable, Equatable, Hashable, Codable {
    case success(status: Int)
    case failure(CheckFailure)

    public var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }

    public var summary: String {
        switch self {
        case .success(let status): "HTTP \(status)"
        case .failure(let failure): failure.summary
        }
    }
}

/// One check of one service at one time: the unit every trigger reads.
public struct Observation: Sendable, Equatable, Hashable, Codable {
    public var service: ServiceName
    public var check: String
    public var at: Timestamp
    public var result: CheckResult
    /// How long the check took, in milliseconds.
    public var latencyMs: Int64

    public init(service: ServiceName, check: String, at: Timestamp, result: CheckResult, latencyMs: Int64 = 0) {
        self.service = service
        self.check = check
        self.at = at
        self.result = result
        self.latencyMs = latencyMs
    }
}
