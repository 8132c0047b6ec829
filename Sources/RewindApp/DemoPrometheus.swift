import AsyncHTTPClient
import Foundation
import RewindCore
import RewindPorts
import RewindSignals

#if canImport(Glibc)
import Glibc
#endif

/// A real Prometheus for `rewind demo`, when one is installed: it scrapes the sandbox's request
/// metrics every second, and the demo's latency and error-rate signals query it.
struct DemoPrometheus {
    let process: Process
    let url: String

    /// Starts `prometheus` on a free loopback port; nil (with the reason) when it is not installed
    /// or does not become ready within 20 s.
    static func start(scraping metrics: String, directory: String, client: HTTPClient) async -> Result<DemoPrometheus, DemoPrometheusUnavailable> {
        guard let binary = ["/usr/bin/prometheus", "/usr/local/bin/prometheus", "/opt/prometheus/prometheus"]
            .first(where: { FileManager.default.isExecutableFile(atPath: $0) })
        else { return .failure(.init(reason: "Prometheus is not installed")) }
        guard let port = freeLoopbackPort(), let target = URL(string: metrics), let host = target.host, let targetPort = target.port else {
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
            "--config.file=\(folder)/prometheus.yml", "--storage.tsdb.path=\(folder)/data", "--web.listen-address=127.0.0.1:\(port)",
            "--log.level=warn",
        ]
        let log = FileHandle(forWritingAtPath: "\(folder)/prometheus.log")
            ?? (FileManager.default.createFile(atPath: "\(folder)/prometheus.log", contents: nil) ? FileHandle(forWritingAtPath: "\(folder)/prometheus.log") : nil)
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

    private static func freeLoopbackPort() -> Int? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        return bound ? Int(UInt16(bigEndian: address.sin_port)) : nil
    }
}

struct DemoPrometheusUnavailable: Error {
    var reason: String
}
