import RewindCore

/// An error the CLI reports with a sentence and an exit code.
/// Exit codes: 64 usage, 78 configuration, 69 unavailable, 3 frozen and 4 cannot tell (for
/// `freeze status`), 1 other.
public struct AppError: RewindError {
    public var code: String
    public var message: String
    public var exitCode: Int32

    public init(code: String, message: String, exitCode: Int32) {
        self.code = code
        self.message = message
        self.exitCode = exitCode
    }

    public static func config(_ message: String) -> AppError {
        AppError(code: "config_invalid", message: message, exitCode: 78)
    }
    public static func unavailable(_ message: String) -> AppError {
        AppError(code: "unavailable", message: message, exitCode: 69)
    }
    public static func usage(_ message: String) -> AppError { AppError(code: "usage", message: message, exitCode: 64) }
    public static func other(_ message: String) -> AppError { AppError(code: "failed", message: message, exitCode: 1) }
    /// `freeze status` cannot say whether deployments are frozen: a CI gate must not deploy.
    public static func cannotTell(_ message: String) -> AppError {
        AppError(code: "cannot_tell", message: message, exitCode: ExitCodes.cannotTell)
    }
}

public enum ExitCodes {
    public static let usage: Int32 = 64
    public static let config: Int32 = 78
    public static let unavailable: Int32 = 69
    public static let frozen: Int32 = 3
    /// `freeze status` could reach neither a daemon nor the state database (fail closed).
    public static let cannotTell: Int32 = 4
}
