import RewindCore

/// One point of a check's or a signal's recent history: the value (a check's latency in
/// milliseconds, a signal's value; nil for no data or an error) and whether it was healthy (the
/// check passed, the signal did not violate). Points are at most one per ``RecentValues/spacing``:
/// a point holds the latest value of its interval and is unhealthy if any reading in it was.
public struct RecentPoint: Sendable, Equatable, Codable {
    public var at: Timestamp
    public var value: Double?
    public var ok: Bool

    public init(at: Timestamp, value: Double?, ok: Bool) {
        self.at = at
        self.value = value
        self.ok = ok
    }
}

/// The last hour of one check or signal, for the dashboard's charts (``RewindEngine/recentValues``).
public struct RecentSeries: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable {
        case check, signal
    }

    public var service: ServiceName
    public var kind: Kind
    public var name: String
    public var points: [RecentPoint]

    public init(service: ServiceName, kind: Kind, name: String, points: [RecentPoint]) {
        self.service = service
        self.kind = kind
        self.name = name
        self.points = points
    }
}

/// A bounded ring of ``RecentPoint``s: one per `spacing`, none older than `span` before the newest.
/// With the defaults (15 s over an hour) it holds at most 241 points, whatever the reading rate.
public struct RecentValues: Sendable, Equatable {
    public static let spacing = Duration.seconds(15)
    public static let span = Duration.seconds(3600)

    public private(set) var points: [RecentPoint] = []

    public init() {}

    /// Adds a reading: it joins the newest point when it falls in the same interval, else starts one; a
    /// reading older than the newest point is ignored. Points older than `span` before it are dropped.
    public mutating func add(at: Timestamp, value: Double?, ok: Bool) {
        let interval = Self.spacing.milliseconds
        if let last = points.last, last.at.millisecondsSinceEpoch / interval == at.millisecondsSinceEpoch / interval {
            points[points.count - 1] = RecentPoint(at: at, value: value, ok: last.ok && ok)
        } else if points.last.map({ $0.at < at }) ?? true {
            points.append(RecentPoint(at: at, value: value, ok: ok))
        }
        let oldest = at - Self.span
        if let keep = points.firstIndex(where: { $0.at >= oldest }), keep > 0 { points.removeFirst(keep) }
    }
}
