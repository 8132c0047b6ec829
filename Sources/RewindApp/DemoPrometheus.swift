import AsyncHTTPClient
import Foundation
import RewindCore
import RewindPorts
import RewindSandbox
import RewindSignals

/// A real Prometheus for `rewind demo`, when one is installed: it scrapes the sandbox's request
/// metrics every second, and the demo's latency and error-rate signals query it.
struct DemoPrometheus {
    let process: Process
    let url: String

    /// Starts `prometheus` on a free loopback port; nil (with the reason) when it is not installed
    /// or does not become ready within 20 s.
    static func start(
        scraping metrics: String, directory: String, client: HTTPClient
    ) async -> Result<DemoPrometheus, DemoPrometheusUnavailable> {
        guard
            let binary = ["/usr/bin/prometheus", "/usr/local/bin/prometheus", "/opt/prometheus/prometheus"]
                .first(where: { FileManager.default.isExecutableFile(atPath: $0) })
        else { return .failure(.init(reason: "Prometheus is not installed")) }
        guard let port = try? freeLoopbackPort(), let target = URL(string: metrics), let host = target.host,
            let targetPort = target.port
        else {
            return .failure(.init(reason: "no free port for Prometheus"))
        }
        let folder = "\(directory)/prometheus"
        try? FileManager.default.removeItem(atPath: folder)
        try? FileManager.default.createDirectory(atPath: "\(folder)/data", withIntermediateDirectories: true)
        let config = """
            global: { scrape_interval: 1s, evaluation_interval: 1s }
            scrape_configs:
              - job_name: sandbox
                static_configs: [{ targets: ["\(host):\(targetPort)"] }]
            """
        do {
            try config.write(toFile: "\(folder)/prometheus.yml", atomically: true, encoding: .utf8)
        } catch {
            return .failure(.init(reason: "could not write its configuration: \(error)"))
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = [
            "--config.file=\(folder)/prometheus.yml", "--storage.tsdb.path=\(folder)/data",
            "--web.listen-address=127.0.0.1:\(port)",
            "--log.level=warn",
        ]
        let log =
            FileHandle(forWritingAtPath: "\(folder)/prometheus.log")
            ?? (FileManager.default.createFile(atPath: "\(folder)/prometheus.log", contents: nil)
                ? FileHandle(forWritingAtPath: "\(folder)/prometheus.log") : nil)
        process.standardOutput = log
        process.standardError = log
        do { try process.run() } catch { return .failure(.init(reason: "could not start \(binary): \(error)")) }
        let prometheus = DemoPrometheus(process: process, url: "http://127.0.0.1:\(port)")
        let probe = PrometheusClient(baseURL: prometheus.url, client: client, timeout: .seconds(1))
        let clock = SystemClock()
        let deadline = clock.now + Duration.seconds(20)
        while clock.now < deadline, process.isRunning {
            if await probe.ready() { return .success(prometheus) }
            try? await clock.sleep(for: .milliseconds(200))
        }
        prometheus.stop()
        return .failure(.init(reason: "Prometheus did not become ready within 20 s (see \(folder)/prometheus.log)"))
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}

struct DemoPrometheusUnavailable: Error {
    var reason: String
}
