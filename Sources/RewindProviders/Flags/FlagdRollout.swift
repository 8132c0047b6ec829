import Foundation
import RewindCore
import RewindPorts
import RewindSpecs
import Synchronization

/// `traffic: {type: flagd, …}`: a flagd flag's `fractional` targeting as the new version's share of traffic
/// (platform-apis.md 11.3: flagd re-reads its JSON flag file when it changes, so Rewind rewrites the file).
///
/// - The share is `weight(new_variant) / (weight(new_variant) + weight(stable_variant))` of the flag's one
///   `fractional` rule (wherever it sits in `targeting`; weights are relative, a missing weight counts 1). A flag
///   without targeting answers its `defaultVariant`: share 1 when that is the new variant, 0 when the stable one.
///   A `DISABLED` flag serves neither variant: share 0.
/// - Setting share `s` writes the weights `new = ⌊100·s⌋` and `stable = 100 − new` (never more to the new
///   version than asked; 100 in total, which every flagd version accepts). A flag without targeting gets
///   `{"fractional": [[new, n], [stable, 100 − n]]}`; an existing rule keeps its bucketing expression and order.
///   Setting the share the file already gives writes nothing (idempotent).
/// - The file is replaced atomically (a temporary file in the same folder, then a rename), other flags and fields
///   kept, written back as sorted, indented JSON.
/// - Refused (`.unsupported`): targeting without a `fractional` rule, several `fractional` rules, a rule that gives
///   weight to a third variant. `.rejected`: a variant the flag does not define, a share outside 0…1, a
///   `DISABLED` flag asked for a share above 0, a file Rewind may not write. `.notFound`: no file or no such flag.
///   `.badResponse`: a file that is not a flagd flag file.
public struct FlagdRollout: TrafficController, AccessCheckable {
    /// Weights are written out of this total.
    static let totalWeight = 100
    /// Serializes this controller's read-modify-write cycles in this process.
    private static let rewriting = Mutex(())

    let spec: FlagRolloutSpec
    let path: String

    public init(spec: FlagRolloutSpec, path: String) {
        self.spec = spec
        self.path = path
    }

    /// The controller a service's `traffic: {type: flagd, …}` describes.
    public static func make(_ spec: FlagRolloutSpec) -> any TrafficController & AccessCheckable {
        switch spec.backend {
        case .flagd(let path): FlagdRollout(spec: spec, path: path)
        }
    }

    public var kind: String { "flagd-rollout" }

    public func newVersionShare(service: ServiceName) async throws -> Double {
        let purpose = "read the rollout of flag \(spec.flag) of \(service)"
        let (_, definition) = try Self.rewriting.withLock { _ in try readFlag(purpose: purpose) }
        return try split(purpose: purpose).share(of: definition)
    }

    public func setNewVersionShare(_ share: Double, service: ServiceName) async throws {
        let percent =
            share.isFinite ? Int((share * Double(Self.totalWeight) + 1e-9).rounded(.down)) : -1
        let purpose =
            "give \(service)'s new version (variant \(spec.newVariant) of flag \(spec.flag)) \(percent)% "
            + "of the traffic"
        guard share.isFinite, (0...1).contains(share) else {
            throw ProviderError(
                .rejected,
                "cannot give \(service)'s new version \(share) of the traffic: use 0…1"
            )
        }
        try Self.rewriting.withLock { _ in
            var (document, definition) = try readFlag(purpose: purpose)
            guard let rewritten = try split(purpose: purpose).setting(newWeight: percent, in: definition)
            else { return }
            definition = rewritten
            guard case .object(var flags)? = document["flags"] else { return }
            flags[spec.flag] = .object(definition)
            document["flags"] = .object(flags)
            try write(document, purpose: purpose)
        }
    }

    // MARK: - Access

    /// Reads the file, finds the flag and its split (read-only), and checks that the file and its folder are
    /// writable (the rename needs both).
    public func checkAccess(service: ServiceName) async -> [AccessCheck] {
        let read = "read the rollout of flag \(spec.flag) in \(path)"
        var checks: [AccessCheck] = []
        do {
            let share = try await newVersionShare(service: service)
            checks.append(
                AccessCheck(
                    name: read,
                    passed: true,
                    detail:
                        "variant \(spec.newVariant) gets \(Int((share * 100).rounded()))% of the evaluations"
                )
            )
        } catch {
            checks.append(
                AccessCheck(
                    name: read,
                    passed: false,
                    detail: (error as? ProviderError)?.message ?? "failed"
                )
            )
        }
        let write = "rewrite \(path)"
        let folder = (path as NSString).deletingLastPathComponent
        if FileManager.default.isWritableFile(atPath: folder),
            FileManager.default.isWritableFile(atPath: path)
        {
            checks.append(
                AccessCheck(name: write, passed: true, detail: "the file and its folder are writable")
            )
        } else {
            checks.append(
                AccessCheck(
                    name: write,
                    passed: false,
                    detail:
                        "Rewind cannot write \(path) or its folder \(folder); give the user Rewind runs as write "
                        + "access to both (the file is replaced by a rename)"
                )
            )
        }
        return checks
    }

    // MARK: - File

    private func split(purpose: String) -> FlagdSplit {
        FlagdSplit(
            flag: spec.flag,
            new: spec.newVariant,
            stable: spec.stableVariant,
            purpose: purpose,
            path: path
        )
    }

    /// The whole document and the flag's definition.
    private func readFlag(
        purpose: String
    ) throws -> (
        document: [String: JSONValue], flag: [String: JSONValue]
    ) {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw ProviderError(
                exists ? .rejected : .notFound,
                "could not \(purpose): \(path) "
                    + (exists ? "cannot be read; check its permissions" : "does not exist")
            )
        }
        guard case .object(let document)? = try? JSONDecoder().decode(JSONValue.self, from: data),
            case .object(let flags)? = document["flags"]
        else {
            throw ProviderError(
                .badResponse,
                "could not \(purpose): \(path) is not a flagd JSON flag file with a \"flags\" object"
            )
        }
        guard case .object(let definition)? = flags[spec.flag] else {
            let known = flags.keys.sorted().joined(separator: ", ")
            throw ProviderError(
                .notFound,
                "could not \(purpose): \(path) has no flag \(spec.flag) "
                    + "(flags in it: \(known.isEmpty ? "none" : known)); check flag:"
            )
        }
        return (document, definition)
    }

    /// Writes a temporary file next to the original, with its permissions, and renames it over the original.
    private func write(_ document: [String: JSONValue], purpose: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let target = URL(fileURLWithPath: path)
        let temporary = target.deletingLastPathComponent()
            .appendingPathComponent(".\(target.lastPathComponent).rewind-\(UUID().uuidString).tmp")
        do {
            var data = try encoder.encode(JSONValue.object(document))
            data.append(0x0A)
            try data.write(to: temporary)
            if let permissions = try? FileManager.default.attributesOfItem(atPath: path)[
                .posixPermissions
            ] {
                try FileManager.default.setAttributes(
                    [.posixPermissions: permissions],
                    ofItemAtPath: temporary.path
                )
            }
            guard rename(temporary.path, target.path) == 0 else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: target.path])
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw ProviderError(
                .rejected,
                "could not \(purpose): writing \(path) failed (\(error.localizedDescription)); check that Rewind may "
                    + "write the file and its folder"
            )
        }
    }
}

/// How one flagd flag splits its evaluations between a new and a stable variant: reading the share, and the
/// definition that gives another one. Pure: no file access.
struct FlagdSplit {
    var flag: String
    var new: String
    var stable: String
    var purpose: String
    var path: String

    /// The new variant's share of evaluations.
    func share(of definition: [String: JSONValue]) throws -> Double {
        try checkVariants(definition)
        if definition["state"]?.stringValue == "DISABLED" { return 0 }
        guard let targeting = Self.targeting(definition) else {
            return try defaultVariantShare(definition)
        }
        return try rule(in: targeting).share
    }

    /// The definition with `newWeight` (out of ``FlagdRollout/totalWeight``) for the new variant, or nil when the
    /// flag already gives that share.
    func setting(newWeight: Int, in definition: [String: JSONValue]) throws -> [String: JSONValue]? {
        let total = FlagdRollout.totalWeight
        let target = Double(newWeight) / Double(total)
        if abs(try share(of: definition) - target) < 0.005 { return nil }
        if definition["state"]?.stringValue == "DISABLED" {
            throw problem(
                .rejected,
                "the flag is DISABLED, so no evaluation gets variant \(new); set its state to ENABLED first"
            )
        }
        var rewritten = definition
        if let targeting = Self.targeting(definition) {
            var rule = try rule(in: targeting)
            rule.setWeights(
                new: newWeight,
                stable: total - newWeight,
                newVariant: new,
                stableVariant: stable
            )
            rewritten["targeting"] = Self.replacingFractional(in: targeting, with: rule.json)
        } else {
            let weights: JSONValue = .array([
                .array([.string(new), .number(Double(newWeight))]),
                .array([.string(stable), .number(Double(total - newWeight))]),
            ])
            rewritten["targeting"] = .object(["fractional": weights])
        }
        return rewritten
    }

    // MARK: - Reading

    private func checkVariants(_ definition: [String: JSONValue]) throws {
        guard case .object(let variants)? = definition["variants"] else {
            throw problem(.badResponse, "the flag has no \"variants\" object")
        }
        let missing = [new, stable].filter { variants[$0] == nil }
        guard missing.isEmpty else {
            throw problem(
                .rejected,
                "the flag has no variant \(missing.map { "'\($0)'" }.joined(separator: " or ")) (variants: "
                    + "\(variants.keys.sorted().joined(separator: ", "))); set new_variant and stable_variant"
            )
        }
    }

    /// The targeting, or nil when there is none (`{}`, `null` or absent).
    private static func targeting(_ definition: [String: JSONValue]) -> JSONValue? {
        switch definition["targeting"] {
        case nil, .null?, .object([:])?: nil
        case let targeting?: targeting
        }
    }

    private func defaultVariantShare(_ definition: [String: JSONValue]) throws -> Double {
        switch definition["defaultVariant"]?.stringValue {
        case new: return 1
        case stable: return 0
        case let other:
            throw problem(
                .unsupported,
                "the flag has no targeting and its defaultVariant \(other.map { "'\($0)'" } ?? "is missing, so it") "
                    + "serves neither '\(new)' nor '\(stable)'; set defaultVariant to one of them"
            )
        }
    }

    /// The one `fractional` rule of `targeting`.
    private func rule(in targeting: JSONValue) throws -> FractionalRule {
        let rules = Self.fractionalArguments(in: targeting)
        guard rules.count == 1, let arguments = rules.first else {
            let example = "{\"fractional\": [[\"\(new)\", 50], [\"\(stable)\", 50]]}"
            throw problem(
                .unsupported,
                rules.isEmpty
                    ? "its targeting has no fractional rule, which is how Rewind splits traffic; use one, e.g. "
                        + example
                    : "its targeting has \(rules.count) fractional rules; Rewind can only move one, so keep one"
            )
        }
        guard let rule = FractionalRule(arguments) else {
            throw problem(.badResponse, "its fractional rule is not a list of [variant, weight] pairs")
        }
        let others = rule.buckets.filter { $0.variant != new && $0.variant != stable && $0.weight > 0 }
        guard others.isEmpty else {
            throw problem(
                .unsupported,
                "its fractional rule also gives weight to \(others.map { "'\($0.variant)'" }.joined(separator: ", ")); "
                    + "Rewind splits traffic between '\(new)' and '\(stable)' only"
            )
        }
        let newWeight = rule.weight(of: new)
        let total = newWeight + rule.weight(of: stable)
        guard total > 0 else {
            throw problem(.unsupported, "its fractional rule gives no weight to '\(new)' or '\(stable)'")
        }
        return rule.with(share: newWeight / total)
    }

    /// The arguments of every `{"fractional": […]}` in `value`, depth first.
    private static func fractionalArguments(in value: JSONValue) -> [[JSONValue]] {
        switch value {
        case .object(let object):
            if object.count == 1, case .array(let arguments)? = object["fractional"] {
                return [arguments]
            }
            return object.keys.sorted().flatMap { fractionalArguments(in: object[$0] ?? .null) }
        case .array(let elements):
            return elements.flatMap(fractionalArguments)
        default:
            return []
        }
    }

    private static func replacingFractional(in value: JSONValue, with rule: JSONValue) -> JSONValue {
        switch value {
        case .object(let object):
            if object.count == 1, case .array? = object["fractional"] { return rule }
            return .object(object.mapValues { replacingFractional(in: $0, with: rule) })
        case .array(let elements):
            return .array(elements.map { replacingFractional(in: $0, with: rule) })
        default:
            return value
        }
    }

    private func problem(_ kind: ProviderError.Kind, _ reason: String) -> ProviderError {
        ProviderError(kind, "could not \(purpose): flag \(flag) in \(path): \(reason)")
    }
}

/// `{"fractional": [bucketBy?, [variant, weight], …]}`: an optional bucketing expression, then weighted variants
/// (a missing weight counts 1).
struct FractionalRule {
    struct Bucket {
        var variant: String
        var weight: Double
    }

    var bucketBy: JSONValue?
    var buckets: [Bucket]
    /// The new variant's share, once computed.
    var share: Double = 0

    init?(_ arguments: [JSONValue]) {
        var rest = arguments[...]
        if let first = rest.first, !Self.isBucket(first) {
            bucketBy = first
            rest = rest.dropFirst()
        }
        var buckets: [Bucket] = []
        for element in rest {
            guard case .array(let pair) = element, case .string(let variant)? = pair.first else {
                return nil
            }
            var weight = 1.0
            if pair.count > 1 {
                guard case .number(let number) = pair[1], number >= 0 else { return nil }
                weight = number
            }
            buckets.append(Bucket(variant: variant, weight: weight))
        }
        self.buckets = buckets
    }

    private static func isBucket(_ value: JSONValue) -> Bool {
        if case .array(let pair) = value, case .string? = pair.first { return true }
        return false
    }

    func weight(of variant: String) -> Double {
        buckets.filter { $0.variant == variant }.reduce(0) { $0 + $1.weight }
    }

    func with(share: Double) -> FractionalRule {
        var rule = self
        rule.share = share
        return rule
    }

    /// Sets both weights in place (keeping the order), adding a bucket that is missing. A variant listed in
    /// several buckets (flagd adds their weights up) keeps its first bucket, with the whole weight; the others
    /// are removed, so that the variant gets exactly the weight asked for.
    mutating func setWeights(new: Int, stable: Int, newVariant: String, stableVariant: String) {
        for (variant, weight) in [(newVariant, new), (stableVariant, stable)] {
            guard let first = buckets.firstIndex(where: { $0.variant == variant }) else {
                buckets.append(Bucket(variant: variant, weight: Double(weight)))
                continue
            }
            buckets[first].weight = Double(weight)
            buckets = buckets.enumerated().filter { $0.offset <= first || $0.element.variant != variant }.map(\.element)
        }
    }

    var json: JSONValue {
        let pairs = buckets.map { JSONValue.array([.string($0.variant), .number($0.weight)]) }
        return .object(["fractional": .array((bucketBy.map { [$0] } ?? []) + pairs)])
    }
}
