import Foundation
import RewindConfig
import RewindCore
import Testing

@Suite("Problems: every one reported, with line, path and a fix")
struct ProblemReportTests {
    @Test("a file with many problems reports all of them, in line order, at the right lines")
    func allProblemsAtOnce() {
        let yaml = """
            mode: enforced
            bake: 5 minutes
            server:
              listen: localhost
            health:
              intervall: 10s
              critical: { failures: 0, within: 2m }
            verification: { max_attempts: [3] }
            services:
              frontend:
                depends_on: [backnd]
                checks:
                  - name: health
                    url: ftp://frontend.example.com/health
                  - name: health
                    url: https://frontend.example.com/other
                    severity: fatal
                provider:
                  type: command
                  rollback: [vercel, rollback, "{{targt.id}}"]
              backend:
                checks: []
                provider:
                  type: ssh
            """
        let found = problems(yaml)
        let expected: [(Int, String, String)] = [
            (1, "mode", "'enforced' is not one of 'enforce' or 'observe'; did you mean 'enforce'?"),
            (2, "bake", "invalid duration '5 minutes': use 30s, 2m, 1h, 1h30m or 250ms"),
            (4, "server.listen", "'localhost' is not host:port; write e.g. listen: 127.0.0.1:8786"),
            (6, "health.intervall", "unknown key 'intervall'; did you mean 'interval'?"),
            (7, "health.critical.failures", "expected a whole number from 1 to 1000, got the number 0"),
            (8, "verification.max_attempts", "expected a whole number from 1 to 100, got a list"),
            (11, "services.frontend.depends_on[0]", "unknown service 'backnd'; did you mean 'backend'?"),
            (
                14, "services.frontend.checks[0].url",
                "'ftp://frontend.example.com/health' is not an http:// or https:// URL"
            ),
            (
                15, "services.frontend.checks[1]",
                "duplicate check name 'health' (first used on line 13); give each check its own name"
            ),
            (17, "services.frontend.checks[1].severity", "'fatal' is not one of 'critical' or 'non-critical'"),
            (
                20, "services.frontend.provider.rollback[2]",
                "unknown placeholder {{targt.id}}; known: {{current.id}}, {{incident.id}}, {{operation.id}}, "
                    + "{{service}}, "
                    + "{{target.id}}, {{target.version}}; did you mean {{target.id}}?"
            ),
            (22, "services.backend.checks", "add at least one health check with a name and a url"),
            (
                24, "services.backend.provider.type",
                "'ssh' is not one of 'command', 'http', 'git', 'railway', 'vercel', 'kubernetes' or 'helm'"
            ),
        ]
        #expect(found.count == expected.count, "\(found.map(\.description).joined(separator: "\n"))")
        for (problem, (line, path, message)) in zip(found, expected) {
            #expect(problem.line == line, "\(problem)")
            #expect(problem.path == path, "\(problem)")
            #expect(problem.message == message, "\(problem)")
            #expect(problem.file == "/etc/rewind/rewind.yaml")
        }
    }

    @Test("ConfigErrors lists every problem as FILE:LINE: path: message under code config_invalid")
    func errorsFormat() {
        let errors = ConfigErrors(problems: [
            ConfigProblem(file: "rewind.yaml", line: 3, path: "bake", message: "invalid duration '90'"),
            ConfigProblem(file: "rewind.yaml", line: 0, path: "", message: "the file is empty"),
        ])
        #expect(errors.code == "config_invalid")
        #expect(errors.message == "rewind.yaml:3: bake: invalid duration '90'\nrewind.yaml: the file is empty")
        #expect(errors.description == errors.message)
    }

    @Test("unknown keys get a did-you-mean, or the list of allowed keys")
    func unknownKeys() {
        let typo = problems("servces: {}\n")
        #expect(
            typo.contains {
                $0.line == 1 && $0.path == "servces" && $0.message == "unknown key 'servces'; did you mean 'services'?"
            }
        )
        let prefix = problems("verification: { max_attempt: 3 }\n" + minimalServices)
        #expect(prefix.map(\.message) == ["unknown key 'max_attempt'; did you mean 'max_attempts'?"])
        let unrelated = problems("retry: { backoff: 2s }\n" + minimalServices)
        #expect(
            unrelated.map(\.message) == ["unknown key 'backoff'; allowed keys here: attempts, base_delay, max_delay"]
        )
    }

    @Test("malformed YAML is one problem at the parser's line")
    func malformedYAML() {
        let found = problems("mode: enforce\nservices:\n  backend:\n    checks: [a, b\n  worker: {}\n")
        #expect(found.count == 1)
        #expect(found.first?.line == 5)
        #expect(found.first?.path == "")
        #expect(found.first?.message.hasPrefix("invalid YAML: ") == true)
    }

    @Test("a key written twice is a problem at its line")
    func duplicateKeys() {
        let found = problems("mode: enforce\nbake: 1h\nmode: observe\n")
        #expect(found.count == 1)
        #expect(found.first?.line == 1)
        #expect(found.first?.message == "invalid YAML: 'mode' appears more than once in the same mapping; keep one")
    }

    @Test("an empty file, a file that is not a mapping, and a file without services")
    func wholeFileProblems() {
        #expect(
            problems("# nothing yet\n").map(\.message) == [
                "the file is empty; start from: rewind init > /etc/rewind/rewind.yaml"
            ]
        )
        #expect(problems("- a\n- b\n").map(\.message) == ["expected a mapping of keys to values, got a list"])
        let noServices = problems("mode: enforce\n")
        #expect(
            noServices.map(\.message) == [
                "missing required key 'services'; list the services to watch under 'services:'"
            ]
        )
        #expect(noServices.first?.line == 1)
        #expect(
            problems("services: {}\n").map(\.message) == [
                "list at least one service to watch, e.g. backend: with checks and a provider"
            ]
        )
    }

    @Test("required keys of services, checks and providers")
    func requiredKeys() {
        let found = problems(
            """
            services:
              backend:
                checks:
                  - url: https://api.example.com/health
                provider:
                  rollback: [railway, rollback]
              worker:
                checks:
                  - name: health
                    url: https://worker.example.com/health
            """
        )
        #expect(
            found.map(\.description) == [
                "/etc/rewind/rewind.yaml:4: services.backend.checks[0]: missing required key 'name'",
                "/etc/rewind/rewind.yaml:5: services.backend.provider: missing required key 'type'; "
                    + "use one of 'command', 'http', 'git', 'railway', 'vercel', 'kubernetes' or 'helm'",
                "/etc/rewind/rewind.yaml:7: services.worker: missing required key 'provider'; "
                    + "say how to roll back: a provider of type 'command', 'http', 'git', 'railway', 'vercel', 'kubernetes' or 'helm'",
            ]
        )
    }

    @Test("wrong types say what was expected and what was found")
    func wrongTypes() {
        let found = problems(
            """
            bake: [1h]
            safety: { cooldown: 15m, max_automatic_rollbacks_per_hour: three }
            notifications: { console: "yes please" }
            health: fast
            """ + "\n" + minimalServices
        )
        #expect(
            found.map(\.message) == [
                "expected a duration like 30s, got a list",
                "expected a whole number from 1 to 1000, got 'three'",
                "expected true or false, got 'yes please'",
                "expected a mapping of keys to values, got 'fast'",
            ]
        )
        #expect(
            found.map(\.path) == ["bake", "safety.max_automatic_rollbacks_per_hour", "notifications.console", "health"]
        )
    }

    @Test("dependency cycles are reported with the chain")
    func dependencyCycle() {
        let found = problems(
            """
            services:
              a:
                depends_on: [b]
                checks: [{ name: h, url: "https://a.example.com" }]
                provider: { type: command, rollback: [a] }
              b:
                depends_on: [a]
                checks: [{ name: h, url: "https://b.example.com" }]
                provider: { type: command, rollback: [b] }
            """
        )
        #expect(
            found.map(\.description) == [
                "/etc/rewind/rewind.yaml:3: services.a.depends_on: dependency cycle a → b → a; "
                    + "a service cannot depend on itself, directly or through others"
            ]
        )
    }

    @Test(
        "listen must be host:port",
        arguments: [
            ("127.0.0.1:8786", "127.0.0.1", 8786), ("0.0.0.0:0", "0.0.0.0", 0), ("[::1]:9000", "::1", 9000),
            ("rewind.internal:80", "rewind.internal", 80),
        ]
    )
    func listenAccepted(listen: String, host: String, port: Int) throws {
        let configuration = try #require(parse("server: { listen: \"\(listen)\" }\n" + minimalServices).configuration)
        #expect(configuration.server.host == host)
        #expect(configuration.server.port == port)
    }

    @Test(
        "listen rejects what is not host:port",
        arguments: ["8786", "localhost", ":8786", "host:99999", "::1:80", "host:http"]
    )
    func listenRejected(listen: String) {
        let found = problems("server:\n  listen: \"\(listen)\"\n" + minimalServices)
        #expect(found.map(\.path) == ["server.listen"])
        #expect(found.first?.line == 2)
    }

    @Test("http provider problems: bad method, bad status, missing url, bad placeholder in a header")
    func httpProviderProblems() {
        let found = problems(
            """
            services:
              api:
                checks: [{ name: h, url: "https://api.example.com" }]
                provider:
                  type: http
                  rollback:
                    method: FETCH
                    url: https://platform.example.com/{{servce}}
                    headers: { X-Deploy: "{{target.idd}}" }
                    expect: [200, 700]
                  status:
                    field: state
                  command: [x]
            """
        )
        #expect(
            found.map(\.path) == [
                "services.api.provider.rollback.method", "services.api.provider.rollback.url",
                "services.api.provider.rollback.headers.X-Deploy", "services.api.provider.rollback.expect[1]",
                "services.api.provider.status", "services.api.provider.command",
            ]
        )
        #expect(found[0].message == "'FETCH' is not one of 'GET', 'POST', 'PUT', 'PATCH' or 'DELETE'")
        #expect(found[1].message.hasSuffix("did you mean {{service}}?"))
        #expect(found[2].message.hasSuffix("did you mean {{target.id}}?"))
        #expect(found[3].message == "expected an HTTP status (100-599), got the number 700")
        #expect(found[4].message == "missing required key 'url'")
        #expect(
            found[5].message == "unknown key 'command'; allowed keys here: type, rollback, current, status, timeout"
        )
    }

    @Test("command provider problems: a shell line instead of argv, an empty command, a bad env name")
    func commandProviderProblems() {
        let found = problems(
            """
            services:
              api:
                checks: [{ name: h, url: "https://api.example.com" }]
                provider:
                  type: command
                  rollback: railway rollback --service api
                  current: []
                  env: { "BAD NAME": x }
                  timeout: 90
            """
        )
        #expect(
            found.map(\.message) == [
                "write the command as a list of arguments, e.g. [vercel, rollback, \"{{target.id}}\", --yes]",
                "the command is empty; name the program and its arguments, e.g. [railway, rollback]",
                "'BAD NAME' is not a valid environment variable name: use letters, digits and _",
                "invalid duration '90': use 30s, 2m, 1h, 1h30m or 250ms",
            ]
        )
    }

    @Test("verification that could never fail and retry delays in the wrong order are problems")
    func crossFieldChecks() {
        let found = problems(
            """
            verification: { max_attempts: 2, failure_threshold: 3 }
            retry: { base_delay: 10s, max_delay: 1s }
            """ + "\n" + minimalServices
        )
        #expect(found.map(\.path) == ["verification.failure_threshold", "retry.base_delay"])
        #expect(found.map(\.line) == [1, 2])
    }

    @Test(
        "expect_status accepts a status or a range and rejects the rest",
        arguments: [
            ("200", 200...200), ("200-299", 200...299), ("204-204", 204...204),
        ]
    )
    func expectStatusAccepted(text: String, range: ClosedRange<Int>) throws {
        let yaml = serviceWithCheck("expect_status: \(text)")
        let configuration = try #require(parse(yaml).configuration)
        #expect(configuration.policy.services.first?.checks.first?.expectedStatuses == range)
    }

    @Test("expect_status rejects what is not a status range", arguments: ["2xx", "299-200", "99", "200-", "[200]"])
    func expectStatusRejected(text: String) {
        let yaml = serviceWithCheck("expect_status: \(text)")
        #expect(problems(yaml).map(\.path) == ["services.backend.checks[0].expect_status"])
    }
}

@Suite("URL and status-list problems")
struct URLProblemTests {
    @Test("check URLs take no placeholders, must parse, and need a host")
    func checkURLs() {
        let cases = [
            (
                "https://api.example.com/{{service}}",
                "placeholders such as {{service}} work in provider requests only; "
                    + "a check URL is used as written"
            ),
            (
                "https://exa mple.com/health",
                "'https://exa mple.com/health' is not a valid URL; "
                    + "write e.g. https://api.example.com/health"
            ),
            ("https:///health", "'https:///health' has no host; write e.g. https://api.example.com/health"),
            ("api.example.com/health", "'api.example.com/health' is not an http:// or https:// URL"),
        ]
        for (url, message) in cases {
            let found = problems(
                serviceWithCheck("expect_status: 200").replacingOccurrences(
                    of: "https://api.example.com/health",
                    with: "\"\(url)\""
                )
            )
            #expect(found.map(\.message) == [message], "\(url)")
            #expect(found.first?.line == 5)
        }
    }

    @Test("an empty list of success values is a problem")
    func emptySucceeded() {
        let found = problems(
            """
            services:
              api:
                checks: [{ name: h, url: "https://api.example.com" }]
                provider:
                  type: http
                  rollback: { url: "https://platform.example.com/rollback" }
                  status: { url: "https://platform.example.com/ops/{{operation.id}}", succeeded: [] }
            """
        )
        #expect(found.map(\.path) == ["services.api.provider.status.succeeded"])
    }
}
