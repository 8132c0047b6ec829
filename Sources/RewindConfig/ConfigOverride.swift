import RewindCore
import Yams

/// A value set over the configuration file for one run — `rewind replay --sweep KEY=V1,V2,…` tries each value —
/// read and validated by the configuration reader exactly as if it were written in the file.
///
/// | key | sets |
/// |---|---|
/// | `health.critical.failures`, `.within`, `.min_duration` | the critical checks' failure rule |
/// | `health.non_critical.failures`, `.within`, `.min_duration` | the non-critical checks' failure rule |
/// | `health.recovery.successes`, `.within` | the recovery rule |
/// | `signals.SERVICE.SIGNAL.consecutive`, `.threshold`, `.recovery`, `.no_data`, `.min_samples` | one signal of a service |
/// | `bake` | the bake period |
public struct ConfigOverride: Sendable, Equatable, CustomStringConvertible {
    public var key: String
    public var value: String

    public init(key: String, value: String) {
        self.key = key
        self.value = value
    }

    public var description: String { "\(key)=\(value)" }

    static let healthFields = [
        "critical": ["failures", "within", "min_duration"], "non_critical": ["failures", "within", "min_duration"],
        "recovery": ["successes", "within"],
    ]
    static let signalFields = ["consecutive", "threshold", "recovery", "no_data", "min_samples"]

    /// The keys an override may set, for messages.
    public static let keyForms =
        "health.critical.failures|within|min_duration, health.non_critical.failures|within|min_duration, "
        + "health.recovery.successes|within, signals.SERVICE.SIGNAL.consecutive|threshold|recovery|no_data|min_samples, "
        + "bake"

    /// Why `key` cannot be overridden (without looking at a file); nil when its form is one of ``keyForms``.
    public static func problem(key: String) -> String? {
        let parts = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        switch parts.first {
        case "bake" where parts.count == 1:
            return nil
        case "health" where parts.count == 3:
            guard let fields = healthFields[parts[1]] else {
                return "health.\(parts[1]) is not a rule; use critical, non_critical or recovery"
            }
            return fields.contains(parts[2])
                ? nil : "health.\(parts[1]) has no \(parts[2]); use \(fields.joined(separator: ", "))"
        case "signals" where parts.count == 4:
            return signalFields.contains(parts[3])
                ? nil : "a signal's \(parts[3]) cannot be swept; use \(signalFields.joined(separator: ", "))"
        default:
            return "unknown key \(key); the keys are \(keyForms)"
        }
    }

    /// Sets this override in the composed document; returns why it cannot.
    func apply(to root: inout Node) -> String? {
        if let problem = Self.problem(key: key) { return problem }
        let parts = key.split(separator: ".").map(String.init)
        let value = Node(self.value)
        switch parts[0] {
        case "bake":
            return Self.set(&root, ["bake"][...], value)
        case "health":
            return Self.set(&root, parts[...], value)
        default:
            let (service, signal, field) = (parts[1], parts[2], parts[3])
            guard var services = root["services"]?.mapping, var serviceNode = services[service]?.mapping else {
                return "the policy has no service \(service)"
            }
            guard var list = serviceNode["signals"]?.sequence,
                let index = list.firstIndex(where: { element in
                    let name = element["name"]?.string ?? element["measure"]?.string
                    return name == signal
                })
            else {
                return "\(service) has no signal \(signal) (a signal's name is its name:, else its measure)"
            }
            guard var mapping = list[index].mapping else { return "\(service)'s signal \(signal) is not a mapping" }
            mapping[field] = value
            list[index] = .mapping(mapping)
            serviceNode["signals"] = .sequence(list)
            services[service] = .mapping(serviceNode)
            root["services"] = .mapping(services)
            return nil
        }
    }

    /// Sets `path` (mappings, created when missing) to `value`.
    private static func set(_ node: inout Node, _ path: ArraySlice<String>, _ value: Node) -> String? {
        guard let key = path.first else {
            node = value
            return nil
        }
        var mapping: Node.Mapping
        if let existing = node.mapping {
            mapping = existing
        } else if let scalar = node.scalar, ["", "~", "null"].contains(scalar.string) {
            mapping = Node.Mapping([])
        } else {
            return "the file's value above \(key) is not a mapping"
        }
        var child = mapping[key] ?? .mapping(Node.Mapping([]))
        if let problem = set(&child, path.dropFirst(), value) { return problem }
        mapping[key] = child
        node = .mapping(mapping)
        return nil
    }
}
