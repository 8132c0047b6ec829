import Foundation
import RewindConfig
import RewindCore
import RewindSpecs
import Testing

@Suite("A full custom file maps to the typed policy")
struct PolicyMappingTests {
    static let yaml = """
        mode: observe
        state: data/state.sqlite
        server:
          listen: 0.0.0.0:9000
          token: ${REWIND_API_TOKEN}
        bake: 1h30m
        health:
          critical: { failures: 4, within: 3m, min_duration: 5s }
          record: probes/backend.csv
          non_critical: { failures: 6 }
          recovery: { successes: 3, within: 10m }
          interval: 15s
          timeout: 3s
          confirm_interval: 250ms
          suspect_interval: 500ms
          suspect_window: 30m
        strategies:
          immediate: { timeout: 45s, freeze: 2h }
          fast: { timeout: 4m }
        verification: { interval: 20s, timeout: 8s, max_attempts: 5, failure_threshold: 3 }
        safety: { cooldown: 30m, max_automatic_rollbacks_per_hour: 2 }
        retry: { attempts: 0, base_delay: 1s, max_delay: 10s }
        notifications:
          console: false
          file: /var/log/rewind/notifications.jsonl
        services:
          api:
            depends_on: [jobs]
            rollback_timeout: 90s
            checks:
              - name: health
                url: https://api.example.com/health
              - name: deep
                url: http://api.internal:8080/deep
                severity: non-critical
                interval: 1m
                timeout: 2s
                confirm_interval: 1s
                suspect_interval: 5s
                suspect_window: 0s
                expect_status: 204
            provider:
              type: http
              timeout: 45s
              rollback:
                url: https://platform.example.com/services/{{service}}/rollback
                headers:
                  Authorization: Bearer ${PLATFORM_TOKEN}
                  X-Request-Source: rewind
                body:
                  deployment: "{{target.id}}"
                  reason: "incident {{incident.id}}"
                  force: true
                  replicas: 3
                  ratio: 0.5
                  tags: [a, b]
                  note: ~
                expect: [200, 202]
              current:
                url: https://platform.example.com/services/{{service}}
                field: deployment.id
              status:
                method: get
                url: https://platform.example.com/operations/{{operation.id}}
                operation_field: operation.id
                field: state
                succeeded: [done]
                failed: [error, timeout]
            fallback:
              type: command
              rollback: [deployctl, rollback, "{{service}}", --to, "{{target.id}}"]
              current: [deployctl, current, "{{service}}"]
              env:
                DEPLOY_TOKEN: ${file:secrets/deploy-token}
                REGION: eu-west-1
              timeout: 1m
              working_directory: tools
          jobs:
            checks:
              - name: health
                url: https://jobs.example.com/health
                expect_status: 200-204
            provider:
              type: command
              rollback: [jobsctl, rollback]
        """

    let configuration: RewindConfiguration

    init() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(
            at: folder.appendingPathComponent("secrets"),
            withIntermediateDirectories: true
        )
        try "deploy-secret-value\n".write(
            to: folder.appendingPathComponent("secrets/deploy-token"),
            atomically: true,
            encoding: .utf8
        )
        let environment = ["REWIND_API_TOKEN": "api-token-1234567", "PLATFORM_TOKEN": "platform-token-abcdef"]
        let result = ConfigLoader.parse(
            yaml: Self.yaml,
            path: folder.appendingPathComponent("rewind.yaml").path,
            environment: environment
        )
        configuration = try result.get()
        folderPath = folder.standardizedFileURL.path
    }

    let folderPath: String

    @Test("mode, bake, state, server and notifications")
    func topLevel() {
        #expect(configuration.policy.mode == .observe)
        #expect(configuration.policy.bake == .seconds(5400))
        #expect(configuration.statePath == folderPath + "/data/state.sqlite")
        #expect(configuration.probeRecordPath == folderPath + "/probes/backend.csv")
        #expect(configuration.sourcePath == folderPath + "/rewind.yaml")
        #expect(configuration.server.host == "0.0.0.0")
        #expect(configuration.server.port == 9000)
        #expect(configuration.server.token == ConfigText("api-token-1234567", isSecret: true))
        #expect(
            configuration.notifications
                == NotificationSettings(console: false, file: "/var/log/rewind/notifications.jsonl")
        )
    }

    @Test("health rules, with a partial rule keeping the other default")
    func health() {
        let health = configuration.policy.health
        #expect(health.critical == ConsecutiveRule(count: 4, within: .seconds(180), minDuration: .seconds(5)))
        #expect(
            health.nonCritical
                == ConsecutiveRule(
                    count: 6, within: Defaults.nonCriticalHealth.within,
                    minDuration: Defaults.nonCriticalHealth.minDuration))
        #expect(health.recovery == ConsecutiveRule(count: 3, within: .seconds(600)))
    }

    @Test("strategies, verification, safety and retry")
    func timings() {
        let policy = configuration.policy
        #expect(
            policy.strategies
                == StrategyTimings(
                    immediateTimeout: .seconds(45),
                    immediateFreeze: .seconds(7200),
                    fastTimeout: .seconds(240)
                )
        )
        #expect(
            policy.verification
                == VerificationPolicy(interval: .seconds(20), timeout: .seconds(8), maxAttempts: 5, failureThreshold: 3)
        )
        #expect(policy.safety == SafetyLimits(cooldown: .seconds(1800), maxAutomaticRollbacksPerHour: 2))
        #expect(policy.retry == RetryPolicy(attempts: 0, baseDelay: .seconds(1), maxDelay: .seconds(10)))
    }

    @Test("services keep their written order, dependencies and checks (health defaults apply, a check overrides them)")
    func services() throws {
        let policy = configuration.policy
        #expect(policy.services.map(\.name) == ["api", "jobs"])
        let api = try #require(policy.service("api"))
        #expect(api.dependsOn == ["jobs"])
        #expect(api.rollbackTimeout == .seconds(90))
        #expect(
            api.checks == [
                HealthCheckPolicy(
                    name: "health",
                    url: "https://api.example.com/health",
                    severity: .critical,
                    interval: .seconds(15),
                    timeout: .seconds(3),
                    confirmInterval: .milliseconds(250),
                    suspectInterval: .milliseconds(500),
                    suspectWindow: .seconds(1800),
                    expectedStatuses: 200...299
                ),
                HealthCheckPolicy(
                    name: "deep",
                    url: "http://api.internal:8080/deep",
                    severity: .nonCritical,
                    interval: .seconds(60),
                    timeout: .seconds(2),
                    confirmInterval: .seconds(1),
                    suspectInterval: .seconds(5),
                    suspectWindow: .zero,
                    expectedStatuses: 204...204
                ),
            ]
        )
        let jobs = try #require(policy.service("jobs"))
        #expect(jobs.checks.first?.expectedStatuses == 200...204)
        #expect(jobs.rollbackTimeout == nil)
        #expect(configuration.platforms["jobs"]?.fallback == nil)
    }

    @Test("the http provider: requests, headers with secrets, JSON body, status polling")
    func httpProvider() throws {
        let api = try #require(configuration.platforms["api"])
        guard case .http(let spec) = api.provider else {
            Issue.record("expected an http provider, got \(String(describing: api.provider))")
            return
        }
        #expect(spec.timeout == .seconds(45))
        #expect(spec.rollback.method == "POST")
        #expect(spec.rollback.url == "https://platform.example.com/services/{{service}}/rollback")
        #expect(
            spec.rollback.headers == [
                "Authorization": ConfigText("Bearer platform-token-abcdef", isSecret: true),
                "X-Request-Source": ConfigText("rewind"),
            ]
        )
        #expect(
            spec.rollback.body
                == .object([
                    "deployment": .string("{{target.id}}"), "reason": .string("incident {{incident.id}}"),
                    "force": .bool(true),
                    "replicas": .number(3), "ratio": .number(0.5), "tags": .array([.string("a"), .string("b")]),
                    "note": .null,
                ])
        )
        #expect(spec.rollback.expectedStatuses == [200, 202])
        #expect(
            spec.current == HTTPRequestSpec(method: "GET", url: "https://platform.example.com/services/{{service}}")
        )
        #expect(spec.currentField == "deployment.id")
        #expect(spec.status?.method == "GET")
        #expect(spec.status?.url == "https://platform.example.com/operations/{{operation.id}}")
        #expect(spec.operationField == "operation.id")
        #expect(spec.statusField == "state")
        #expect(spec.succeededValues == ["done"])
        #expect(spec.failedValues == ["error", "timeout"])
    }

    @Test("the command fallback: argv, env with a file secret, timeout, working directory")
    func commandFallback() throws {
        let api = try #require(configuration.platforms["api"])
        #expect(
            api.fallback
                == .command(
                    CommandProviderSpec(
                        rollback: ["deployctl", "rollback", "{{service}}", "--to", "{{target.id}}"],
                        current: ["deployctl", "current", "{{service}}"],
                        environment: [
                            "DEPLOY_TOKEN": ConfigText("deploy-secret-value", isSecret: true),
                            "REGION": ConfigText("eu-west-1"),
                        ],
                        timeout: .seconds(60),
                        workingDirectory: folderPath + "/tools"
                    )
                )
        )
    }

    @Test("every resolved secret is in the redactor, and nothing else")
    func redactor() {
        #expect(
            Set(configuration.redactor.secrets) == [
                "api-token-1234567", "platform-token-abcdef", "deploy-secret-value",
            ]
        )
        #expect(configuration.redactor.redact("sent Bearer platform-token-abcdef") == "sent Bearer <redacted>")
    }
}
