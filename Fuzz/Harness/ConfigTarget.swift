import Foundation

@testable import RewindConfig

/// `rewind.yaml` → policy (`ConfigLoader.parse`): any text gives a configuration or problems, never a trap;
/// every problem points at a line of the file; no problem shows a secret the file resolved.
///
/// Inputs that name device, proc or sys files, the home folder or `..` are skipped: the reader opens the
/// files a configuration names (`${file:…}`, `kubeconfig:`), and reading `/dev/zero` tests the machine, not
/// the parser. Relative `${file:token}` and `kubeconfig: kubeconfig` find small files in a scratch folder.
enum ConfigTarget {
    static let environment: [String: String] = [
        "REWIND_TOKEN": "fuzz-secret-api-token-7f3a",
        "SLACK_WEBHOOK_URL": "https://hooks.slack.test/services/fuzz-secret-slack-7f3a",
        "SLACK_TOKEN": "xoxb-fuzz-secret-slack-token-7f3a",
        "PAGERDUTY_ROUTING_KEY": "fuzz-secret-pagerduty-7f3a",
        "OPSGENIE_API_KEY": "fuzz-secret-opsgenie-7f3a",
        "VERCEL_TOKEN": "fuzz-secret-vercel-7f3a",
        "RAILWAY_TOKEN": "fuzz-secret-railway-7f3a",
        "KUBE_TOKEN": "fuzz-secret-kube-7f3a",
        "CLOUDFLARE_API_TOKEN": "fuzz-secret-cloudflare-7f3a",
        "LAUNCHDARKLY_TOKEN": "api-fuzz-secret-launchdarkly-7f3a",
        "UNLEASH_TOKEN": "fuzz-secret-unleash-7f3a",
        "WEBHOOK_SECRET": "fuzz-secret-webhook-7f3a",
        "SMTP_PASSWORD": "fuzz-secret-smtp-7f3a",
        "DATABASE_URL": "postgres://rewind:fuzz-secret-db-7f3a@db.test/rewind",
    ]

    static let fileSecret = "fuzz-secret-file-7f3a"

    /// A scratch folder holding `token` and `kubeconfig`, made once per process.
    static let folder: String = {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("rewind-fuzz-config-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: folder + "/token", contents: Data((fileSecret + "\n").utf8))
        let kubeconfig = """
            apiVersion: v1
            kind: Config
            current-context: fuzz
            clusters: [{name: fuzz, cluster: {server: "https://127.0.0.1:6443", insecure-skip-tls-verify: true}}]
            users: [{name: fuzz, user: {token: fuzz-secret-kubeconfig-7f3a}}]
            contexts: [{name: fuzz, context: {cluster: fuzz, user: fuzz, namespace: shop}}]
            """
        _ = FileManager.default.createFile(atPath: folder + "/kubeconfig", contents: Data(kubeconfig.utf8))
        return folder
    }()

    static let unsafePaths = ["/dev", "/proc", "/sys", "..", "~"].map { Array($0.utf8) }

    /// Lines as YAML counts them: LF, CR LF, a lone CR, NEL, LS and PS each end one.
    static func lineCount(_ text: String) -> Int {
        var lines = 1
        var previous: Unicode.Scalar?
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": if previous != "\r" { lines += 1 }
            case "\r", "\u{85}", "\u{2028}", "\u{2029}": lines += 1
            default: break
            }
            previous = scalar
        }
        return lines
    }

    static func run(_ bytes: [UInt8]) {
        guard let yaml = String(validating: bytes, as: UTF8.self) else { return }  // `load` refuses non-UTF-8
        for path in unsafePaths where bytes.indices.contains(where: { bytes[$0...].starts(with: path) }) { return }
        let result = ConfigLoader.parse(yaml: yaml, path: folder + "/rewind.yaml", environment: environment)
        let secrets = (Array(environment.values) + [fileSecret, "fuzz-secret-kubeconfig-7f3a"])
            .filter { !yaml.contains($0) }
        switch result {
        case .success(let configuration):
            expect(!configuration.policy.services.isEmpty, "a configuration without services was accepted")
        case .failure(let errors):
            expect(!errors.problems.isEmpty, "a refused configuration names no problem")
            let lines = lineCount(yaml)
            for problem in errors.problems {
                expect(
                    (0...lines + 1).contains(problem.line),
                    "problem at line \(problem.line) of a \(lines)-line file: \(problem.message)")
                expectNoSecret(problem.description, secrets, "a configuration problem")
            }
        }
    }
}
