import Testing

@testable import RewindApp

/// The CLI's rule for a standby's redirect (``ReplicaRedirect``): the token follows a 307 only to another replica
/// the user listed, for the same path, once.
@Suite struct ReplicaRedirectTests {
    let rule = ReplicaRedirect(allowed: ["http://10.0.0.1:8480", "https://rewind-1.ops.example:443"])

    func decide(_ location: String?, status: Int = 307, followed: Int = 0) -> ReplicaRedirect.Decision {
        rule.decide(
            status: status, location: location, answeredBy: "http://10.0.0.1:8480", path: "/api/v1/freeze",
            redirectsSoFar: followed)
    }

    @Test func followsAStandbysRedirectToAListedReplica() {
        #expect(
            decide("https://REWIND-1.ops.example/api/v1/freeze")
                == .follow("https://REWIND-1.ops.example/api/v1/freeze"))
        #expect(
            decide("https://rewind-1.ops.example:443/api/v1/freeze", status: 308)
                == .follow("https://rewind-1.ops.example:443/api/v1/freeze"))
    }

    @Test func refusesEverythingElseNamingWhereItPointed() {
        for (status, location, followed, words) in [
            (307, "http://evil.example/api/v1/freeze", 0, ["http://evil.example:80", "REWIND_SERVER"]),
            (307, "http://10.0.0.1:8480/api/v1/freeze", 0, ["standby"]),  // back to the one that answered
            (302, "https://rewind-1.ops.example/api/v1/freeze", 0, ["302"]),  // method and body may change
            (307, "https://rewind-1.ops.example/api/v1/rollbacks", 0, ["another path"]),
            (307, "https://rewind-1.ops.example/api/v1/freeze", 1, ["again"]),
            (307, "ftp://rewind-1.ops.example/api/v1/freeze", 0, ["not an http(s) URL"]),
            (307, "https://user:pw@rewind-1.ops.example/api/v1/freeze", 0, ["not an http(s) URL"]),
        ] as [(Int, String, Int, [String])] {
            guard case .refuse(let reason) = decide(location, status: status, followed: followed) else {
                Issue.record("\(status) to \(location) was followed")
                continue
            }
            for word in words { #expect(reason.contains(word), "\(location): \(reason)") }
        }
        if case .follow = decide(nil) { Issue.record("a redirect without Location was followed") }
    }

    @Test func originsCompareSchemeHostAndPort() {
        #expect(ReplicaRedirect.origin(of: "http://Rewind:8480/x?y") == "http://rewind:8480")
        #expect(ReplicaRedirect.origin(of: "https://rewind") == "https://rewind:443")
        #expect(ReplicaRedirect.origin(of: "http://[::1]:8480") == "http://[::1]:8480")
        #expect(ReplicaRedirect.origin(of: "/api/v1/freeze") == nil)
    }
}
