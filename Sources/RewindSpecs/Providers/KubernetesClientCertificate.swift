/// A kubeconfig user's client certificate and private key, for mutual TLS with the API server
/// (`client-certificate-data` + `client-key-data`, or the files `client-certificate` + `client-key`).
public struct KubernetesClientCertificate: Sendable, Equatable {
    /// PEM text, or a PEM file read on every request (so that a rotated certificate is picked up).
    public enum Source: Sendable, Equatable {
        case pem(String)
        case file(String)
    }

    /// The certificate chain, leaf first.
    public var certificate: Source
    public var key: Source

    public init(certificate: Source, key: Source) {
        self.certificate = certificate
        self.key = key
    }

    /// An inline private key is a secret.
    public var secrets: [String] {
        if case .pem(let key) = key { return [key] }
        return []
    }
}
