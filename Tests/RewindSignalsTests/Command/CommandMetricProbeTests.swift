import Foundation
import RewindCore
import RewindSignals
import RewindTestSupport
import Testing

/// Not serialized: the runner reads without dispatch sources, so the runs of these tests may overlap freely.
@Suite("Command metric probe")
struct CommandMetricProbeTests {
    struct Run: Sendable, CustomTestStringConvertible {
        var command: [String]
        var expected: CommandMetricReading
        var testDescription: String { command.joined(separator: " ") }
    }

    static let runs: [Run] = [
        Run(command: ["/bin/sh", "-c", "echo 1234"], expected: .value(1234)),
        Run(command: ["printf", "(integer) 1234\\n"], expected: .value(1234)),
        Run(command: ["printf", "\\n  \\n 0.031 \\nignored\\n"], expected: .value(0.031)),
        Run(command: ["echo", "-7.5e2"], expected: .value(-750)),
        Run(command: ["true"], expected: .noData("the metric command printed nothing on stdout")),
        Run(
            command: ["printf", "\\n\\n"],
            expected: .noData("the metric command printed nothing on stdout")
        ),
        Run(
            command: ["echo", "abc"],
            expected: .error("expected a number on the first line, got 'abc'")
        ),
        // One argument, never a shell line: the `;` is printed, not run.
        Run(
            command: ["printf", "%s\\n", "1; echo 2"],
            expected: .error("expected a number on the first line, got '1; echo 2'")
        ),
        Run(
            command: ["sh", "-c", "echo 12; echo 'connection refused' >&2; exit 3"],
            expected: .error("the metric command `sh` exited with status 3: connection refused")
        ),
        Run(
            command: ["sh", "-c", "kill -9 $$"],
            expected: .error("the metric command `sh` was killed by signal 9")
        ),
        Run(
            command: ["rewind-no-such-metric-tool", "llen"],
            expected: .error(
                "the metric command could not start: executable `rewind-no-such-metric-tool` was not found on PATH"
            )
        ),
        Run(
            command: [],
            expected: .error("the metric command could not start: no command is configured")
        ),
    ]

    @Test("readings from real commands, run as argument vectors", arguments: runs)
    func reading(_ run: Run) async {
        let probe = CommandMetricProbe(command: run.command, timeout: .seconds(20))
        #expect(await probe.read() == run.expected)
    }

    @Test("a command that outlives its timeout is stopped and reported")
    func timeout() async {
        let probe = CommandMetricProbe(
            command: ["sh", "-c", "echo 5; sleep 30"],
            timeout: .milliseconds(300)
        )
        #expect(
            await probe.read()
                == .error("the metric command `sh` did not finish within 300ms and was stopped")
        )
    }

    @Test("the command gets a minimal environment plus its env:, never the daemon's other variables")
    func minimalEnvironment() async {
        daemonVariable("REWIND_TEST_DAEMON_PROBE_SECRET", "daemon-only-2d7e")
        let leaks = CommandMetricProbe(command: ["sh", "-c", "printenv REWIND_TEST_DAEMON_PROBE_SECRET || echo 0"])
        #expect(await leaks.read() == .value(0), "the daemon's variable must not reach the probe")
        let configured = CommandMetricProbe(
            command: ["sh", "-c", "echo $QUEUE_DEPTH_HINT"], environment: ["QUEUE_DEPTH_HINT": ConfigText("7")])
        #expect(await configured.read() == .value(7))
    }

    @Test("the configured environment is passed; a secret never reaches a message")
    func environmentAndRedaction() async {
        let secret = "redis-pass-8c1f2a"
        let environment = [
            "REDISCLI_AUTH": ConfigText(secret, isSecret: true), "QUEUE": ConfigText("task_queue"),
        ]
        let redactor = Redactor(secrets: [secret])

        let echo = CommandMetricProbe(
            command: ["sh", "-c", "echo \"$REDISCLI_AUTH $QUEUE\""],
            environment: environment,
            redactor: redactor
        )
        #expect(
            await echo.read()
                == .error("expected a number on the first line, got '<redacted> task_queue'")
        )

        let failing = CommandMetricProbe(
            command: ["sh", "-c", "echo \"AUTH $REDISCLI_AUTH failed\" >&2; exit 1"],
            environment: environment,
            redactor: redactor
        )
        #expect(
            await failing.read()
                == .error("the metric command `sh` exited with status 1: AUTH <redacted> failed")
        )
    }

    @Test(
        "what counts as a number on the first line",
        arguments: [
            ("1234", .value(1234)),
            ("  1234  \n5678", .value(1234)),
            ("(integer) 0", .value(0)),
            ("(double) 1.5", .value(1.5)),
            ("\"2.25\"", .value(2.25)),
            ("+3", .value(3)),
            ("1e3", .value(1000)),
            ("", .noData("the metric command printed nothing on stdout")),
            ("1,234", .error("expected a number on the first line, got '1,234'")),
            ("1234 items", .error("expected a number on the first line, got '1234 items'")),
            ("0x10", .error("expected a number on the first line, got '0x10'")),
            ("(nil)", .error("expected a number on the first line, got '(nil)'")),
            ("nan", .error("expected a finite number on the first line, got 'nan'")),
            ("-inf", .error("expected a finite number on the first line, got '-inf'")),
            ("1e999", .error("expected a finite number on the first line, got '1e999'")),
            ("--1", .error("expected a number on the first line, got '--1'")),
        ] as [(String, CommandMetricReading)]
    )
    func parsing(stdout: String, expected: CommandMetricReading) {
        #expect(CommandMetricProbe.reading(fromStdout: stdout) == expected)
    }
}
