import RewindCore

/// The team's own knowledge of one deployment (`--labels`): whether it was bad, and when its fault began.
public struct DeploymentLabel: Sendable, Equatable {
    public var service: ServiceName
    public var deployment: String
    public var bad: Bool
    /// When the fault began (nil: when the deployment went live).
    public var faultAt: Timestamp?

    public init(service: ServiceName, deployment: String, bad: Bool, faultAt: Timestamp? = nil) {
        self.service = service
        self.deployment = deployment
        self.bad = bad
        self.faultAt = faultAt
    }
}

/// `--labels FILE`: one label per line.
///
/// ```
/// {"service":"backend","deployment":"dep-41","bad":true,"fault_at":"2026-11-03T10:04:00Z"}
/// {"service":"backend","deployment":"dep-42","bad":false}
/// ```
public enum LabelLines {
    static let fields: Set<String> = ["service", "deployment", "bad", "fault_at"]

    public static func read(path: String) throws -> [DeploymentLabel] {
        try parse(try readInput(path), file: path)
    }

    public static func parse(_ text: String, file: String) throws -> [DeploymentLabel] {
        var seen: Set<String> = []
        return try JSONLine.lines(of: text, file: file, allowed: fields).map { line in
            let label = DeploymentLabel(
                service: ServiceName(try line.string("service")), deployment: try line.string("deployment"),
                bad: try line.bool("bad"), faultAt: try line.optionalTime("fault_at"))
            guard seen.insert("\(label.service)\u{0}\(label.deployment)").inserted else {
                throw line.fail("deployment \(label.deployment) of \(label.service) is labelled twice; keep one line")
            }
            if !label.bad, label.faultAt != nil {
                throw line.fail("\"fault_at\" is set on a deployment labelled good; set \"bad\": true or drop fault_at")
            }
            return label
        }
    }
}
