import Foundation

/// Whether the CLI follows a standby's 307 to the leader — the one redirect it may follow, since a redirect
/// carries the request's bearer token to wherever `Location` says.
///
/// The rule: a redirect is followed only when
/// - it is a 307 or 308 (same method, same body),
/// - its `Location` is an absolute http(s) URL whose origin (scheme, host, port) is one of the replica
///   addresses the user listed in `--server` / `REWIND_SERVER` (comma-separated), other than the one that
///   answered,
/// - its path and query are the request's own (a standby only changes where a request goes, never what it
///   asks),
/// - and it is the first redirect of this request (a second one is a loop or a confused deployment).
///
/// Anything else is not followed: the command fails (exit 69) naming the address the daemon pointed at, so that
/// a person can check it and add it to `REWIND_SERVER`. With `--config` (the policy's `server.listen`), the list
/// holds that one address: no redirect is followed.
struct ReplicaRedirect: Equatable {
    /// The origins the token may go to: the replica addresses the user listed.
    var allowed: [String]

    enum Decision: Equatable {
        /// Send the same request to this URL.
        case follow(String)
        /// Do not follow; the sentence says why and what to do.
        case refuse(String)
    }

    /// What to do with a redirect `status` to `location`, answered by `answeredBy` (an origin) to a request
    /// for `path` (path and query); `redirectsSoFar` counts the redirects already followed for it.
    func decide(status: Int, location: String?, answeredBy: String, path: String, redirectsSoFar: Int) -> Decision {
        guard let location, let target = Self.origin(of: location) else {
            return .refuse(
                "\(answeredBy)\(path) answered \(status) redirecting to \(location?.prefix(200) ?? "nowhere"), which is not "
                    + "an http(s) URL; the CLI does not follow it")
        }
        let leader = "the replica that leads is at \(target)"
        guard status == 307 || status == 308 else {
            return .refuse(
                "\(answeredBy)\(path) answered \(status) redirecting to \(target); the CLI follows only a standby's 307 "
                    + "to another listed replica: point --server at the daemon itself")
        }
        guard allowed.contains(target), target != Self.origin(of: answeredBy) else {
            return .refuse(
                "\(answeredBy) is a standby replica: \(leader). The CLI sends its token only to the addresses in "
                    + "--server / REWIND_SERVER, so it did not follow; if \(target) is one of your Rewind replicas, list "
                    + "it (REWIND_SERVER=\(([answeredBy] + [target]).joined(separator: ","))) or use --server \(target)"
            )
        }
        guard Self.pathAndQuery(of: location) == path else {
            return .refuse(
                "\(answeredBy) redirected \(path) to another path (\(location.prefix(200))); the CLI does not follow it"
            )
        }
        guard redirectsSoFar == 0 else {
            return .refuse(
                "\(answeredBy) redirected \(path) again after a redirect (\(leader)): the replicas disagree on who "
                    + "leads; try again in a few seconds")
        }
        return .follow(location)
    }

    /// `scheme://host:port` in lower case with the scheme's default port filled in; nil for anything but an
    /// absolute http(s) URL without credentials.
    static func origin(of url: String) -> String? {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host?.lowercased(), !host.isEmpty,
            components.user == nil, components.password == nil
        else { return nil }
        let port = components.port ?? (scheme == "https" ? 443 : 80)
        guard (1...65535).contains(port) else { return nil }
        let shownHost = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return "\(scheme)://\(shownHost):\(port)"
    }

    /// The path and query of an absolute URL, as the request sent them.
    static func pathAndQuery(of url: String) -> String? {
        guard let components = URLComponents(string: url) else { return nil }
        let path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        return path + (components.percentEncodedQuery.map { "?\($0)" } ?? "")
    }
}
