import RewindCore

/// An alert as the daemon received it.
public struct ReceivedAlert: Sendable, Equatable {
    public var alert: ExternalAlert
    /// When the daemon received it (its own clock; the alert's `at` is the sender's).
    public var receivedAt: Timestamp

    public init(_ alert: ExternalAlert, receivedAt: Timestamp) {
        self.alert = alert
        self.receivedAt = receivedAt
    }
}

/// A pushed metric value as the daemon received it.
public struct ReceivedValue: Sendable, Equatable {
    public var value: PushedValue
    /// When the daemon received it; the value enters its window then, at the time the application gave (`value.at`).
    public var receivedAt: Timestamp

    public init(_ value: PushedValue, receivedAt: Timestamp) {
        self.value = value
        self.receivedAt = receivedAt
    }
}

/// A batch of received alerts and values, each list in the order received.
public struct ReceivedEvents: Sendable, Equatable {
    public var alerts: [ReceivedAlert]
    public var values: [ReceivedValue]

    public init(alerts: [ReceivedAlert] = [], values: [ReceivedValue] = []) {
        self.alerts = alerts
        self.values = values
    }

    public var isEmpty: Bool { alerts.isEmpty && values.isEmpty }
    public var count: Int { alerts.count + values.count }
}

/// What one ``ReceivedEventLog/pruneReceived(before:keepingNewest:)`` removed.
public struct ReceivedEventsPruned: Sendable, Equatable {
    public var alerts: Int
    public var values: Int

    public init(alerts: Int = 0, values: Int = 0) {
        self.alerts = alerts
        self.values = values
    }
}
