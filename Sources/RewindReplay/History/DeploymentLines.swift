import RewindCore

/// `--deployments FILE`: one deployment per line, when it went live:
///
/// ```
/// {"service":"backend","id":"dep-41","version":"v41","at":"2026-11-03T10:00:00Z"}
/// {"service":"web","id":"web-7","version":"v7","at":1762164000,"canary_share":0.1,"track":"canary"}
/// ```
///
/// `at` is RFC 3339 or Unix seconds; `canary_share` (0 < share ≤ 1) and `track` (`canary` or `stable`) describe a
/// canary rollout. Blank lines and `#` comments are skipped.
public enum DeploymentLines {
    static let fields: Set<String> = ["service", "id", "version", "at", "canary_share", "track"]

    public static func read(path: String) throws -> [ReplayDeployment] {
        try parse(try readInput(path), file: path)
    }

    public static func parse(_ text: String, file: String) throws -> [ReplayDeployment] {
        var seen: Set<String> = []
        return try JSONLine.lines(of: text, file: file, allowed: fields).map { line in
            let service = ServiceName(try line.string("service"))
            let id = try line.string("id")
            guard seen.insert("\(service)\u{0}\(id)").inserted else {
                throw line.fail("deployment \(id) of \(service) is listed twice; keep one line per deployment")
            }
            let track = try line.optionalString("track")
            if let track, track != "canary", track != "stable" {
                throw line.fail("\"track\" must be canary or stable, not \(track)")
            }
            return ReplayDeployment(
                service: service, id: id, version: try line.optionalString("version") ?? id, at: try line.time("at"),
                canaryShare: try line.optionalNumber(
                    "canary_share", in: Double.leastNonzeroMagnitude...1, "a share above 0 and at most 1 (0.1 is 10 %)"),
                track: track)
        }
    }
}
