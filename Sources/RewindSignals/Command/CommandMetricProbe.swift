import RewindCore
import RewindProcess

/// What one run of a metric command gave.
public enum CommandMetricReading: Sendable, Equatable {
    case value(Double)
    /// The command succeeded but printed nothing: "no data", handled by the signal's no-data policy.
    case noData(String)
    /// The command failed, timed out or printed something that is not a number.
    case error(String)
}

/// A metric read by running a local program, e.g. `["redis-cli", "llen", "task_queue"]` for the
/// guide's queue-backlog check.
///
/// - The command is an argument vector run by ``CommandRunner``, never through a shell. The
///   environment is ``ChildEnvironment/minimal`` plus `environment` (never the daemon's other variables).
/// - Exit 0 and a number on the first non-empty line of stdout is `.value`. Accepted: `1234`,
///   `-0.5`, `1e3`, redis-cli's tty forms `(integer) 1234` and `(double) 1.5`, and a quoted `"1.5"`.
/// - Exit 0 with nothing on stdout is `.noData`.
/// - A non-zero exit, a signal, the timeout, a command that cannot start, or a first line that is
///   not a finite number is `.error` with a sentence saying which. Every message is redacted.
///
/// Never throws; a cancelled read is an `.error`.
public struct CommandMetricProbe: Sendable {
    public static let defaultTimeout: Duration = .seconds(10)

    public let command: [String]
    private let environment: [String: ConfigText]
    private let timeout: Duration
    private let redactor: Redactor

    public init(
        command: [String],
        environment: [String: ConfigText] = [:],
        timeout: Duration = defaultTimeout,
        redactor: Redactor = Redactor()
    ) {
        self.command = command
        self.environment = environment
        self.timeout = timeout
        self.redactor = redactor
    }

    public func read() async -> CommandMetricReading {
        let invocation = CommandInvocation(
            arguments: command,
            environment: .minimal.adding(environment.mapValues(\.value)),
            timeout: timeout,
            redactor: redactor
        )
        let program = redactor.redact(command.first ?? "")
        let result: CommandResult
        do {
            result = try await CommandRunner.run(invocation)
        } catch let failure as CommandLaunchFailure {
            return .error(redactor.redact("the metric command could not start: \(failure.reason)"))
        } catch {
            return .error("the metric command `\(program)` was cancelled")
        }
        guard let failure = result.failure else { return Self.reading(fromStdout: result.stdout) }
        return .error(redactor.redact("the metric command `\(program)` \(failure)"))
    }

    /// The reading for what a successful command printed (already redacted).
    public static func reading(fromStdout stdout: String) -> CommandMetricReading {
        guard let line = OutputText.firstLine(of: stdout, limit: 80) else {
            return .noData("the metric command printed nothing on stdout")
        }
        guard let number = number(in: line) else {
            return .error("expected a number on the first line, got '\(line)'")
        }
        guard number.isFinite else {
            return .error("expected a finite number on the first line, got '\(line)'")
        }
        return .value(number)
    }

    /// A decimal number, alone or in one of redis-cli's tty forms.
    private static func number(in line: String) -> Double? {
        var text = Substring(line)
        for prefix in ["(integer)", "(double)"] where text.hasPrefix(prefix) {
            text = text.dropFirst(prefix.count).drop(while: { $0 == " " })
        }
        if text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") {
            text = text.dropFirst().dropLast()
        }
        let decimal = text.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "-"),
                UInt8(ascii: "."),
                UInt8(ascii: "e"), UInt8(ascii: "E"):
                true
            default:
                false
            }
        }
        guard decimal else {
            // `inf` and `nan` parse but are not readings; everything else with letters is not a number.
            let lowered = text.lowercased()
            return ["inf", "+inf", "-inf", "infinity", "nan"].contains(lowered) ? Double(lowered) : nil
        }
        return Double(text)
    }
}
