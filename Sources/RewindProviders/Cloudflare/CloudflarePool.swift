import RewindCore

/// A load-balancing pool as the API returned it. Kept as JSON so that fields Rewind does not know (`header`,
/// `port`, `virtual_network_id`, …) go back unchanged when the origins array is sent back whole.
struct CloudflarePool: Sendable {
    /// One origin of the pool.
    struct Origin: Sendable, Equatable {
        var name: String
        var enabled: Bool
        /// 0…1, default 1.
        var weight: Double
        var disabledAt: String?

        /// The weight traffic is split by: a disabled origin gets nothing.
        var effectiveWeight: Double { enabled ? weight : 0 }
    }

    let id: String
    let fields: [String: JSONValue]

    /// Nil when `result` is not a pool object with an `origins` list.
    init?(id: String, result: JSONValue) {
        guard case .object(let fields) = result, case .array? = fields["origins"] else { return nil }
        self.id = id
        self.fields = fields
    }

    /// The pool's name, or its id when it has none.
    var name: String { fields["name"]?.stringValue ?? id }
    /// A disabled pool gets no traffic (default true).
    var enabled: Bool { Self.bool(fields["enabled"]) ?? true }
    /// Read-only health as Cloudflare's monitors see it; nil when the pool has no monitor.
    var healthy: Bool? { Self.bool(fields["healthy"]) }

    var originObjects: [[String: JSONValue]] {
        guard case .array(let elements)? = fields["origins"] else { return [] }
        return elements.compactMap { element in
            if case .object(let object) = element { return object }
            return nil
        }
    }

    var originNames: [String] { originObjects.compactMap { $0["name"]?.stringValue } }

    func origin(named name: String) -> Origin? {
        guard let object = originObjects.first(where: { $0["name"]?.stringValue == name }) else { return nil }
        return Origin(
            name: name,
            enabled: Self.bool(object["enabled"]) ?? true,
            weight: Self.weight(object["weight"]),
            disabledAt: object["disabled_at"]?.stringValue
        )
    }

    /// The full origins array with new weights for the named origins, ready for a PATCH. Read-only fields are
    /// left out; every other field goes back as it was read.
    func origins(settingWeights weights: [String: Double]) -> [JSONValue] {
        originObjects.map { object in
            var origin = object
            origin.removeValue(forKey: "disabled_at")
            if let name = object["name"]?.stringValue, let weight = weights[name] { origin["weight"] = .number(weight) }
            return .object(origin)
        }
    }

    private static func bool(_ value: JSONValue?) -> Bool? {
        if case .bool(let flag)? = value { return flag }
        return nil
    }

    /// Cloudflare's weights are 0 to 1 (absent: 1). Whatever an answer says, the weight read stays in that
    /// range, so that no share computed from it is NaN or traps when printed as a percentage.
    private static func weight(_ value: JSONValue?) -> Double {
        guard let weight = number(value), weight.isFinite else { return 1 }
        return min(max(weight, 0), 1)
    }

    private static func number(_ value: JSONValue?) -> Double? {
        switch value {
        case .number(let number)?: number
        case .string(let text)?: Double(text)
        default: nil
        }
    }
}

/// Cloudflare's envelope: `{"success", "errors": [{"code", "message"}], "messages", "result"}`.
struct CloudflareEnvelope: Sendable {
    var success: Bool?
    var errors: [String]
    var result: JSONValue?

    /// Nil when the body is not a JSON object.
    init?(_ json: JSONValue?) {
        guard case .object(let object)? = json else { return nil }
        if case .bool(let success)? = object["success"] { self.success = success }
        result = object["result"]
        var errors: [String] = []
        if case .array(let items)? = object["errors"] {
            for item in items {
                let code = item.value(at: "code")?.stringValue
                let message = item.value(at: "message")?.stringValue
                switch (code, message) {
                case (let code?, let message?): errors.append("code \(code): \(message)")
                case (nil, let message?): errors.append(message)
                case (let code?, nil): errors.append("code \(code)")
                case (nil, nil): break
                }
            }
        }
        self.errors = errors
    }

    /// The errors as one line, for messages.
    var said: String? { errors.isEmpty ? nil : errors.joined(separator: "; ") }
}
