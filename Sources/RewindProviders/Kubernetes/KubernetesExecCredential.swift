import Foundation
import RewindCore
import RewindSpecs

/// What an exec credential plugin answered: an `ExecCredential` (`client.authentication.k8s.io/v1` or `v1beta1`)
/// whose `status` holds a bearer token, a client certificate and key, or both, and when they expire.
///
/// ```json
/// {"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential",
///  "status": {"token": "…", "expirationTimestamp": "2026-12-07T01:15:00Z"}}
/// ```
struct KubernetesExecCredential: Sendable, Equatable {
    var token: String?
    var clientCertificatePEM: String?
    var clientKeyPEM: String?
    /// Nil: the credential does not expire (kept until the API server refuses it).
    var expiresAt: Timestamp?

    /// The values to take out of every message.
    var secrets: [String] { [token, clientKeyPEM].compactMap { $0 } }

    /// The client certificate, when the plugin gave one.
    var clientCertificate: KubernetesClientCertificate? {
        guard let clientCertificatePEM, let clientKeyPEM else { return nil }
        return KubernetesClientCertificate(certificate: .pem(clientCertificatePEM), key: .pem(clientKeyPEM))
    }

    /// Earliest and latest expiry accepted: an RFC 3339 time outside them is not a credential's lifetime.
    static let plausibleYears = 1970...9999

    /// The credential in `output`, or what is wrong with it (never quoting a value of `status`).
    static func parse(
        _ output: Data, expected apiVersion: KubernetesExecPlugin.APIVersion
    ) -> Result<KubernetesExecCredential, Problem> {
        guard let object = try? JSONSerialization.jsonObject(with: output) as? [String: Any] else {
            return .failure(Problem("its output is not a JSON object"))
        }
        guard object["kind"] as? String == "ExecCredential" else {
            return .failure(Problem("its output is not kind ExecCredential"))
        }
        guard let written = object["apiVersion"] as? String, written == apiVersion.rawValue else {
            let shown = (object["apiVersion"] as? String).map { "'\($0.prefix(80))'" } ?? "none"
            return .failure(
                Problem("it answered apiVersion \(shown), but the kubeconfig asks for \(apiVersion.rawValue)"))
        }
        guard let status = object["status"] as? [String: Any] else {
            return .failure(Problem("its ExecCredential has no status"))
        }
        let token = nonEmpty(status["token"])
        let certificate = nonEmpty(status["clientCertificateData"])
        let key = nonEmpty(status["clientKeyData"])
        if (certificate == nil) != (key == nil) {
            return .failure(Problem("its ExecCredential has clientCertificateData or clientKeyData without the other"))
        }
        guard token != nil || certificate != nil else {
            return .failure(Problem("its ExecCredential has neither status.token nor status.clientCertificateData"))
        }
        if let certificate, !certificate.contains("-----BEGIN") {
            return .failure(Problem("its status.clientCertificateData is not PEM"))
        }
        if let key, !key.contains("PRIVATE KEY-----") {
            return .failure(Problem("its status.clientKeyData is not a PEM private key"))
        }
        var expiresAt: Timestamp?
        if let expiry = status["expirationTimestamp"] {
            guard let text = expiry as? String, let parsed = KubernetesRollout.timestamp(text),
                plausibleYears.contains(Int(text.prefix(4)) ?? 0)
            else {
                return .failure(Problem("its status.expirationTimestamp is not an RFC 3339 time"))
            }
            expiresAt = parsed
        }
        return .success(
            KubernetesExecCredential(
                token: token, clientCertificatePEM: certificate, clientKeyPEM: key, expiresAt: expiresAt)
        )
    }

    private static func nonEmpty(_ value: Any?) -> String? {
        (value as? String).flatMap { $0.isEmpty ? nil : $0 }
    }

    struct Problem: Error, Equatable {
        var reason: String

        init(_ reason: String) {
            self.reason = reason
        }
    }
}
