import Foundation

/// A parsed JSON body, for inspecting what a sink received:
/// `message.json?["payload"]?["summary"]?.string`.
public enum SinkJSON: Sendable, Equatable, Decodable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([SinkJSON])
    case object([String: SinkJSON])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let bool = try? container.decode(Bool.self) {
            self = .bool(bool)
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let string = try? container.decode(String.self) {
            self = .string(string)
        } else if let array = try? container.decode([SinkJSON].self) {
            self = .array(array)
        } else {
            self = .object(try container.decode([String: SinkJSON].self))
        }
    }

    /// Parses `data`; nil when it is not JSON.
    public static func parse(_ data: Data) -> SinkJSON? {
        try? JSONDecoder().decode(SinkJSON.self, from: data)
    }

    public subscript(key: String) -> SinkJSON? {
        guard case .object(let object) = self else { return nil }
        return object[key]
    }

    public subscript(index: Int) -> SinkJSON? {
        guard case .array(let array) = self, array.indices.contains(index) else { return nil }
        return array[index]
    }

    public var string: String? {
        guard case .string(let string) = self else { return nil }
        return string
    }

    public var number: Double? {
        guard case .number(let number) = self else { return nil }
        return number
    }

    public var bool: Bool? {
        guard case .bool(let bool) = self else { return nil }
        return bool
    }

    public var array: [SinkJSON]? {
        guard case .array(let array) = self else { return nil }
        return array
    }

    public var object: [String: SinkJSON]? {
        guard case .object(let object) = self else { return nil }
        return object
    }

    public var isNull: Bool { self == .null }
}
