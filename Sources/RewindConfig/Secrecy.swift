import Foundation

/// Which values that `${…}` reads are secrets: never shown in a problem, redacted from logs, incident
/// records, captured output and notifications.
///
/// A value read through `${NAME}` or `${file:…}` is a secret when
/// 1. its key holds a credential — a token, password, API or routing key, webhook URL, signing secret,
///    a header value, an `env:` value or a Railway variable (the reader says so where it reads it); or
/// 2. the variable's name, or the file's name, says it holds one (``namesCredential(_:)``); or
/// 3. it is a URL with user info or a query string (``isCredentialURL(_:)``); or
/// 4. it is written `${secret:NAME}` or `${secret:file:/path}`.
///
/// Anything else — a namespace, a project id, a URL without credentials — is shown as written, so a
/// problem about it can be read and fixed. A value written inline is never a secret: it is in the file
/// for anyone to read (and where it would be a credential, the reader refuses it).
enum Secrecy {
    /// Words that make a variable (or file) name a credential's: `DEPLOY_TOKEN`, `db-password`,
    /// `STRIPE_API_KEY`, `SLACK_WEBHOOK_URL` (a webhook URL carries its secret in its path, so it stays
    /// secret wherever it is used, not only under a channel's `url:`).
    static let credentialWords = [
        "TOKEN", "PASSWORD", "PASSWD", "SECRET", "PASSPHRASE", "CREDENTIAL", "API_KEY", "APIKEY", "PRIVATE_KEY",
        "ACCESS_KEY", "ROUTING_KEY", "WEBHOOK",
    ]

    /// Whether `name` (a variable's name, or a file's name) says that it holds a credential.
    static func namesCredential(_ name: String) -> Bool {
        let normalized = String(name.uppercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
        return credentialWords.contains { normalized.contains($0) }
    }

    /// The name a `${file:…}` reference is judged by: the file's own name, not its folders
    /// (`/var/run/secrets/kubernetes.io/serviceaccount/namespace` is a namespace).
    static func fileName(_ path: String) -> String {
        String(path.split(separator: "/").last ?? Substring(path))
    }

    /// `scheme://user:password@host…`
    static func hasURLPassword(_ text: String) -> Bool {
        guard let authority = authority(of: text), let at = authority.lastIndex(of: "@") else { return false }
        return authority[..<at].contains(":")
    }

    /// A URL carrying a credential: user info (`https://user:pass@…`, `https://token@…`) or a query string
    /// (`?api_key=…`).
    static func isCredentialURL(_ text: String) -> Bool {
        guard let authority = authority(of: text) else { return false }
        return authority.contains("@") || text.contains("?")
    }

    private static func authority(of text: String) -> Substring? {
        guard let scheme = text.range(of: "://") else { return nil }
        return text[scheme.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
    }
}
