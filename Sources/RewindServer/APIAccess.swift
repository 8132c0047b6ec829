import RewindCore
import RewindSignals

/// Who may call the daemon's API, and from which `Host`.
///
/// - Tokens: `Authorization: Bearer <token>`, compared in constant time with every configured
///   token. A route needs one scope (``APIScope``); a valid token without it gets 403. With no
///   token configured (the daemon then listens on loopback only) every caller has every scope
///   and is recorded as ``Caller/anonymous``.
/// - Host: a browser page cannot reach the API through DNS rebinding, because a request whose
///   `Host` names something else than the listen address (or a name in `server.allowed_hosts`) is
///   refused before routing. IP literals are accepted when Rewind listens on every address (a
///   name is what rebinding needs), loopback names and addresses when it listens on loopback.
public struct APIAccess: Sendable {
    /// Who made a call: the name recorded as the actor of what it changed.
    public struct Caller: Sendable, Equatable {
        /// The token's name; nil for ``anonymous``.
        public var token: String?
        public var scopes: Set<APIScope>

        /// How timelines and logs name it: `token oncall`, or `anonymous` without tokens.
        public var actor: String { token.map { "token \($0)" } ?? "anonymous" }

        /// Any caller when no token is configured.
        public static let anonymous = Caller(token: nil, scopes: Set(APIScope.allCases))
    }

    public enum Decision: Sendable, Equatable {
        case admitted(Caller)
        /// 401: no token, or one that matches none.
        case unauthenticated
        /// 403: a valid token without the route's scope.
        case forbidden(Caller)
    }

    public var tokens: [APIToken]
    public var listenHost: String
    /// Lowercased host names, without port.
    public var allowedHosts: [String]

    public init(tokens: [APIToken], listenHost: String, allowedHosts: [String] = []) {
        self.tokens = tokens
        self.listenHost = listenHost.lowercased()
        self.allowedHosts = allowedHosts.map { $0.lowercased() }
    }

    // MARK: Tokens

    /// The caller the `Authorization` header names; nil when it names none of the tokens. Every
    /// token is compared, so the time taken does not tell which one was close.
    public func caller(authorization: String?) -> Caller? {
        guard !tokens.isEmpty else { return .anonymous }
        var found: Caller?
        for token in tokens where WebhookAuth.verifyBearer(header: authorization, token: token.token.value) {
            found = found ?? Caller(token: token.name, scopes: token.scopes)
        }
        return found
    }

    /// Whether a request with this `Authorization` header may use a route that needs `scope`.
    public func decide(authorization: String?, scope: APIScope) -> Decision {
        guard let caller = caller(authorization: authorization) else { return .unauthenticated }
        return caller.scopes.contains(scope) ? .admitted(caller) : .forbidden(caller)
    }

    // MARK: Host

    /// Whether `Host` (with or without port) is an address of this server. A request without
    /// `Host` (HTTP/1.0, not a browser) is allowed.
    public func allowsHost(_ header: String?) -> Bool {
        guard let header, !header.isEmpty else { return true }
        guard let host = Self.hostName(header) else { return false }
        if host == listenHost || allowedHosts.contains(host) { return true }
        let listensEverywhere = listenHost == "0.0.0.0" || listenHost == "::"
        if (listensEverywhere || Self.isLoopback(listenHost)) && Self.isLoopback(host) { return true }
        return listensEverywhere && Self.isIPLiteral(host)
    }

    /// The host of a `Host` header: lowercased, without port, brackets or a trailing dot; nil when
    /// it is not a host (spaces, slashes, user info).
    static func hostName(_ header: String) -> String? {
        var text = Substring(header.lowercased())
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let rest = text[text.index(after: close)...]
            guard rest.isEmpty || (rest.hasPrefix(":") && rest.dropFirst().allSatisfy(\.isNumber)) else { return nil }
            text = text[text.index(after: text.startIndex)..<close]
        } else if let colon = text.lastIndex(of: ":") {
            guard text[text.index(after: colon)...].allSatisfy(\.isNumber), !text[..<colon].contains(":") else {
                return nil
            }
            text = text[..<colon]
        }
        if text.hasSuffix(".") { text = text.dropLast() }
        guard !text.isEmpty, !text.contains(where: { $0 == " " || $0 == "/" || $0 == "@" || $0 == "\\" }) else {
            return nil
        }
        return String(text)
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || (isIPv4(host) && host.hasPrefix("127."))
    }

    static func isIPLiteral(_ host: String) -> Bool {
        isIPv4(host) || (host.contains(":") && host.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." })
    }

    static func isIPv4(_ host: String) -> Bool {
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4
            && parts.allSatisfy { $0.count <= 3 && !$0.isEmpty && $0.allSatisfy(\.isNumber) && Int($0)! <= 255 }
    }
}
