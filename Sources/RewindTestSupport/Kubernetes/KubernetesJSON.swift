import Foundation

/// A JSON value as the Kubernetes emulator stores objects and applies patches to them: RFC 6902 JSON patch,
/// RFC 7386 merge patch and the strategic merge patch's list rule for containers (merged by `name`).
public enum KubernetesJSON: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([KubernetesJSON])
    case object([String: KubernetesJSON])

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
        } else if let array = try? container.decode([KubernetesJSON].self) {
            self = .array(array)
        } else {
            self = .object(try container.decode([String: KubernetesJSON].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let bool): try container.encode(bool)
        case .number(let number):
            // Whole numbers are written without a fraction, as the API server writes them.
            if number == number.rounded(), abs(number) < 9e15 {
                try container.encode(Int64(number))
            } else {
                try container.encode(number)
            }
        case .string(let string): try container.encode(string)
        case .array(let array): try container.encode(array)
        case .object(let object): try container.encode(object)
        }
    }

    /// Parses `data`; nil when it is not JSON.
    public static func parse(_ data: Data) -> KubernetesJSON? {
        try? JSONDecoder().decode(KubernetesJSON.self, from: data)
    }

    /// Sorted keys, so equal values encode to equal bytes (the pod-template hash depends on it).
    var encoded: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(self)) ?? Data("null".utf8)
    }

    public subscript(key: String) -> KubernetesJSON? {
        get {
            guard case .object(let object) = self else { return nil }
            return object[key]
        }
        set {
            guard case .object(var object) = self else { return }
            object[key] = newValue
            self = .object(object)
        }
    }

    public subscript(index: Int) -> KubernetesJSON? {
        guard case .array(let array) = self, array.indices.contains(index) else { return nil }
        return array[index]
    }

    public var string: String? {
        guard case .string(let string) = self else { return nil }
        return string
    }

    public var int: Int? {
        guard case .number(let number) = self, number == number.rounded() else { return nil }
        return Int(number)
    }

    public var bool: Bool? {
        guard case .bool(let bool) = self else { return nil }
        return bool
    }

    public var array: [KubernetesJSON]? {
        guard case .array(let array) = self else { return nil }
        return array
    }

    public var object: [String: KubernetesJSON]? {
        guard case .object(let object) = self else { return nil }
        return object
    }

    /// A `[String: String]` map (labels, annotations); nil when any value is not a string.
    var stringMap: [String: String]? {
        guard let object else { return nil }
        var map: [String: String] = [:]
        for (key, value) in object {
            guard let string = value.string else { return nil }
            map[key] = string
        }
        return map
    }

    static func strings(_ map: [String: String]) -> KubernetesJSON {
        .object(map.mapValues(KubernetesJSON.string))
    }
}

// MARK: - Patches

/// Why a patch could not be applied: the API server answers 422 (or 400 for a patch that is not one).
struct KubernetesPatchError: Error {
    var status: Int
    var message: String
}

extension KubernetesJSON {
    /// Applies RFC 6902 operations (`add`, `remove`, `replace`, `test`, `copy`, `move`).
    func applyingJSONPatch(_ patch: KubernetesJSON) throws(KubernetesPatchError) -> KubernetesJSON {
        guard let operations = patch.array else {
            throw KubernetesPatchError(status: 400, message: "a JSON patch must be a list of operations")
        }
        var document = self
        for operation in operations {
            guard let op = operation["op"]?.string, let path = operation["path"]?.string else {
                throw KubernetesPatchError(status: 400, message: "every JSON patch operation needs op and path")
            }
            let pointer = try Self.pointer(path)
            switch op {
            case "add":
                document = try document.setting(pointer, to: try Self.value(of: operation, op), mode: .add)
            case "replace":
                document = try document.setting(pointer, to: try Self.value(of: operation, op), mode: .replace)
            case "remove":
                document = try document.removing(pointer)
            case "test":
                let expected = try Self.value(of: operation, op)
                guard document.value(at: pointer) == expected else {
                    throw KubernetesPatchError(status: 422, message: "testing value \(path) failed: test failed")
                }
            case "copy", "move":
                guard let from = operation["from"]?.string, let value = document.value(at: try Self.pointer(from))
                else {
                    throw KubernetesPatchError(status: 422, message: "\(op): from path does not exist")
                }
                if op == "move" { document = try document.removing(try Self.pointer(from)) }
                document = try document.setting(pointer, to: value, mode: .add)
            default:
                throw KubernetesPatchError(status: 400, message: "unknown JSON patch operation '\(op)'")
            }
        }
        return document
    }

    /// RFC 7386: objects merge key by key, `null` deletes, anything else (lists included) replaces.
    func applyingMergePatch(_ patch: KubernetesJSON) -> KubernetesJSON {
        guard case .object(let changes) = patch else { return patch }
        var object = self.object ?? [:]
        for (key, change) in changes {
            if change == .null {
                object.removeValue(forKey: key)
            } else {
                object[key] = (object[key] ?? .null).applyingMergePatch(change)
            }
        }
        return .object(object)
    }

    /// The strategic merge patch as far as the emulator needs it: a merge patch in which lists of objects
    /// that all have a `name` (containers, env, ports) are merged element by element by that name.
    func applyingStrategicMergePatch(_ patch: KubernetesJSON) -> KubernetesJSON {
        switch (self, patch) {
        case (.object(var object), .object(let changes)):
            for (key, change) in changes {
                if change == .null {
                    object.removeValue(forKey: key)
                } else {
                    object[key] = (object[key] ?? .null).applyingStrategicMergePatch(change)
                }
            }
            return .object(object)
        case (.array(let current), .array(let changes)) where Self.allNamed(current) && Self.allNamed(changes):
            var merged = current
            for change in changes {
                if let index = merged.firstIndex(where: { $0["name"] == change["name"] }) {
                    merged[index] = merged[index].applyingStrategicMergePatch(change)
                } else {
                    merged.append(change)
                }
            }
            return .array(merged)
        case (_, .object):
            return KubernetesJSON.object([:]).applyingStrategicMergePatch(patch)
        default:
            return patch
        }
    }

    private static func allNamed(_ elements: [KubernetesJSON]) -> Bool {
        !elements.isEmpty && elements.allSatisfy { $0["name"]?.string != nil }
    }

    // MARK: JSON pointers (RFC 6901)

    private enum SetMode {
        case add, replace
    }

    private static func value(
        of operation: KubernetesJSON, _ op: String
    ) throws(KubernetesPatchError)
        -> KubernetesJSON
    {
        guard let value = operation["value"] else {
            throw KubernetesPatchError(status: 400, message: "the \(op) operation needs a value")
        }
        return value
    }

    private static func pointer(_ path: String) throws(KubernetesPatchError) -> [String] {
        guard path.isEmpty || path.hasPrefix("/") else {
            throw KubernetesPatchError(status: 400, message: "'\(path)' is not a JSON pointer")
        }
        return path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    private func value(at pointer: [String]) -> KubernetesJSON? {
        var node: KubernetesJSON? = self
        for token in pointer {
            switch node {
            case .object(let object)?: node = object[token]
            case .array(let array)?: node = Int(token).flatMap { array.indices.contains($0) ? array[$0] : nil }
            default: return nil
            }
        }
        return node
    }

    private func setting(
        _ pointer: [String], to value: KubernetesJSON, mode: SetMode
    ) throws(KubernetesPatchError)
        -> KubernetesJSON
    {
        guard let token = pointer.first else { return value }
        let rest = Array(pointer.dropFirst())
        switch self {
        case .object(var object):
            if rest.isEmpty {
                if mode == .replace, object[token] == nil {
                    throw KubernetesPatchError(
                        status: 422, message: "replace operation does not apply: doc is missing key: \(token)")
                }
                object[token] = value
            } else {
                guard let child = object[token] else {
                    throw KubernetesPatchError(status: 422, message: "doc is missing path: \(token)")
                }
                object[token] = try child.setting(rest, to: value, mode: mode)
            }
            return .object(object)
        case .array(var array):
            if rest.isEmpty, mode == .add, token == "-" {
                array.append(value)
                return .array(array)
            }
            guard let index = Int(token), index >= 0, index <= array.count, !(index == array.count && !rest.isEmpty)
            else {
                throw KubernetesPatchError(status: 422, message: "array index \(token) is out of bounds")
            }
            if rest.isEmpty {
                if mode == .add {
                    array.insert(value, at: index)
                } else {
                    guard index < array.count else {
                        throw KubernetesPatchError(status: 422, message: "array index \(token) is out of bounds")
                    }
                    array[index] = value
                }
            } else {
                array[index] = try array[index].setting(rest, to: value, mode: mode)
            }
            return .array(array)
        default:
            throw KubernetesPatchError(status: 422, message: "cannot set \(token) in a scalar")
        }
    }

    private func removing(_ pointer: [String]) throws(KubernetesPatchError) -> KubernetesJSON {
        guard let token = pointer.first else {
            throw KubernetesPatchError(status: 422, message: "cannot remove the whole document")
        }
        let rest = Array(pointer.dropFirst())
        switch self {
        case .object(var object):
            guard let child = object[token] else {
                throw KubernetesPatchError(
                    status: 422, message: "remove operation does not apply: doc is missing key: \(token)")
            }
            if rest.isEmpty {
                object.removeValue(forKey: token)
            } else {
                object[token] = try child.removing(rest)
            }
            return .object(object)
        case .array(var array):
            guard let index = Int(token), array.indices.contains(index) else {
                throw KubernetesPatchError(status: 422, message: "array index \(token) is out of bounds")
            }
            if rest.isEmpty {
                array.remove(at: index)
            } else {
                array[index] = try array[index].removing(rest)
            }
            return .array(array)
        default:
            throw KubernetesPatchError(status: 422, message: "cannot remove \(token) from a scalar")
        }
    }
}
