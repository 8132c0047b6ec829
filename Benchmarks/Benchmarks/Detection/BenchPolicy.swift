import RewindConfig
import RewindSandbox

/// The benchmark's `rewind.yaml`: the guide's critical rule (3 consecutive failures, failing for
/// `min_duration`: the shipped 2s or `0s`, the count alone) with a 1 s check interval, the shipped
/// suspect cadence (every 250 ms for 15 minutes after a deployment goes live), 100 ms confirmation
/// checks and a 500 ms check timeout, against the sandbox's services and its platform API (the
/// http provider). Cooldown and the hourly cap are lifted so that 25 back-to-back rollbacks of the
/// same service are all automatic.
enum BenchPolicy {
    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    static func configuration(
        endpoints: SandboxEndpoints, directory: String, minDuration: String
    ) throws -> RewindConfiguration {
        let path = "\(directory)/rewind.yaml"
        switch ConfigLoader.parse(
            yaml: yaml(endpoints: endpoints, minDuration: minDuration), path: path, environment: [:])
        {
        case .success(let configuration): return configuration
        case .failure(let errors):
            throw Invalid(description: errors.problems.map(\.description).joined(separator: "\n"))
        }
    }

    static func yaml(endpoints: SandboxEndpoints, minDuration: String) -> String {
        func url(_ service: String) -> String { endpoints.services[service] ?? "http://127.0.0.1:1" }
        let platform = endpoints.platform
        let provider = """
                provider:
                  type: http
                  rollback:
                    method: POST
                    url: \(platform)/v1/services/{{service}}/rollback
                    body: { deployment: "{{target.id}}" }
                    expect: [202]
                  current:
                    url: \(platform)/v1/services/{{service}}/current
                    field: id
                  status:
                    url: \(platform)/v1/operations/{{operation.id}}
                    operation_field: id
                    field: status
                    succeeded: [succeeded]
                    failed: [failed]
                  timeout: 5s
            """
        return """
            mode: enforce
            state: state.db
            bake: 1h
            health:
              critical: { failures: 3, within: 2m, min_duration: \(minDuration) }
              non_critical: { failures: 5, within: 5m, min_duration: \(minDuration) }
              recovery: { successes: 2, within: 5m }
              interval: 1s
              timeout: 500ms
              confirm_interval: 100ms
              suspect_interval: 250ms
              suspect_window: 15m
            strategies:
              immediate: { timeout: 10s, freeze: 1h }
              fast: { timeout: 10s }
            verification: { interval: 500ms, timeout: 1s, max_attempts: 3, failure_threshold: 2 }
            safety:
              cooldown: 0s
              max_automatic_rollbacks_per_hour: 1000
            notifications:
              console: false
              file: notifications.jsonl
            services:
              frontend:
                depends_on: [backend]
                checks:
                  - { name: health, url: \(url("frontend"))/health, severity: critical }
            \(provider)
              backend:
                depends_on: [worker]
                checks:
                  - { name: health, url: \(url("backend"))/health, severity: critical }
            \(provider)
              worker:
                checks:
                  - { name: health, url: \(url("worker"))/health, severity: non-critical }
            \(provider)

            """
    }
}
