import Foundation
import RewindCore
import RewindPorts
import RewindSpecs
import Synchronization

/// OpenFeature flagd (platform-apis.md 11.3). flagd has no write API: it re-reads its flag file when the file
/// changes, so Rewind kills a flag by rewriting the file — atomically: the new content goes to a temporary
/// file in the same folder (same permissions), which is then renamed over the original, so flagd never reads
/// half a file.
///
/// - `.defaultVariant(off)`: `defaultVariant` becomes the safe variant and `targeting` becomes `{}`: every
///   evaluation answers that variant (reason `STATIC`). The flag's `state` is left as it is.
/// - `.disabledState`: `"state": "DISABLED"`: evaluations fail with `FLAG_DISABLED` and callers use their own
///   default value.
///
/// A flag already killed is not rewritten (idempotent). Other flags, `$schema` and every other field are kept;
/// the file is written back as sorted, indented JSON.
public struct FlagdSwitch: FlagKillSwitch {
    /// Serializes rewrites in this process: two read-modify-write cycles never interleave.
    private static let rewriting = Mutex(())

    let spec: FlagdFlagsSpec
    public let configuredFlags: [String]
    let service: ServiceName

    public init(spec: FlagdFlagsSpec, flags: [String], service: ServiceName) {
        self.spec = spec
        configuredFlags = flags
        self.service = service
    }

    public var kind: String { "flagd" }

    public func isEnabled(flag: String) async throws -> Bool {
        let flags = try readFlags(purpose: "read flag \(flag) of \(service)")
        guard let definition = flags[flag] else { throw missing(flag, purpose: "read flag \(flag) of \(service)") }
        return Self.isOn(definition, kill: spec.kill)
    }

    public func disable(flag: String, incidentID: Int64?) async throws {
        if let error = rewrite([flag]).first?.error { throw error }
    }

    /// One rewrite for all flags; a flag that is missing or has no safe variant fails alone.
    public func disableAll(flags: [String], incidentID: Int64?) async -> [FlagOutcome] {
        rewrite(flags)
    }

    // MARK: - Access

    /// Reads the file and finds each configured flag; checks that its folder is writable (the rename needs it).
    public func checkAccess(service: ServiceName) async -> [AccessCheck] {
        let name = "read and rewrite \(spec.path)"
        let flags: [String: JSONValue]
        do {
            flags = try readFlags(purpose: "read the flag file of \(service)")
        } catch {
            return [AccessCheck(name: name, passed: false, detail: (error as? ProviderError)?.message ?? "unreadable")]
        }
        let folder = (spec.path as NSString).deletingLastPathComponent
        guard FileManager.default.isWritableFile(atPath: folder), FileManager.default.isWritableFile(atPath: spec.path)
        else {
            return [
                AccessCheck(
                    name: name, passed: false,
                    detail: "Rewind cannot write \(spec.path) or its folder \(folder); give the user Rewind runs as "
                        + "write access to both (the file is replaced by a rename)"
                )
            ]
        }
        let missing = configuredFlags.filter { flags[$0] == nil }
        guard missing.isEmpty else {
            return [
                AccessCheck(
                    name: name, passed: false,
                    detail: "\(spec.path) has no flag \(missing.joined(separator: ", ")); flags in it: "
                        + flags.keys.sorted().joined(separator: ", ")
                )
            ]
        }
        return [
            AccessCheck(
                name: name, passed: true, detail: "\(configuredFlags.count) flag(s) found; the file is writable")
        ]
    }

    // MARK: - Rewriting

    private func rewrite(_ names: [String]) -> [FlagOutcome] {
        let purpose = names.count == 1 ? "turn off flag \(names[0]) of \(service)" : "turn off the flags of \(service)"
        return Self.rewriting.withLock { _ in
            var document: [String: JSONValue]
            var flags: [String: JSONValue]
            do {
                (document, flags) = try readDocument(purpose: purpose)
            } catch {
                let error = error as? ProviderError ?? ProviderError(.rejected, "could not \(purpose)")
                return names.map { FlagOutcome(flag: $0, error: error) }
            }
            var outcomes: [FlagOutcome] = []
            var changed = false
            for name in names {
                guard case .object(let definition)? = flags[name] else {
                    outcomes.append(FlagOutcome(flag: name, error: missing(name, purpose: "turn off flag \(name)")))
                    continue
                }
                do {
                    let killed = try kill(definition, name: name)
                    if killed != definition {
                        flags[name] = .object(killed)
                        changed = true
                    }
                    outcomes.append(FlagOutcome(flag: name))
                } catch let error as ProviderError {
                    outcomes.append(FlagOutcome(flag: name, error: error))
                } catch {
                    outcomes.append(
                        FlagOutcome(flag: name, error: ProviderError(.rejected, "could not turn off \(name)")))
                }
            }
            guard changed else { return outcomes }
            document["flags"] = .object(flags)
            do {
                try write(document)
            } catch {
                let error = ProviderError(
                    .rejected,
                    "could not \(purpose): writing \(spec.path) failed (\(error.localizedDescription)); "
                        + "check that Rewind may write the file and its folder"
                )
                return outcomes.map { $0.succeeded ? FlagOutcome(flag: $0.flag, error: error) : $0 }
            }
            return outcomes
        }
    }

    /// The flag definition with the kill applied.
    private func kill(_ definition: [String: JSONValue], name: String) throws -> [String: JSONValue] {
        var killed = definition
        switch spec.kill {
        case .disabledState:
            killed["state"] = .string("DISABLED")
        case .defaultVariant(let variant):
            guard case .object(let variants)? = definition["variants"], variants[variant] != nil else {
                let known =
                    (definition["variants"].flatMap { value -> [String]? in
                        if case .object(let variants) = value { return variants.keys.sorted() }
                        return nil
                    } ?? []).joined(separator: ", ")
                throw ProviderError(
                    .rejected,
                    "could not turn off flag \(name) of \(service): it has no variant '\(variant)' (variants: "
                        + "\(known.isEmpty ? "none" : known)); set off_variant: to its safe variant, "
                        + "or use kill: disabled"
                )
            }
            killed["defaultVariant"] = .string(variant)
            killed["targeting"] = .object([:])
        }
        return killed
    }

    /// Off when `DISABLED`, or when without targeting the default variant is the configured safe one or `false`.
    static func isOn(_ definition: JSONValue, kill: FlagdFlagsSpec.Kill) -> Bool {
        if definition.value(at: "state")?.stringValue == "DISABLED" { return false }
        let targeting = definition.value(at: "targeting")
        let untargeted = targeting == nil || targeting == .object([:]) || targeting == .null
        guard untargeted, let defaultVariant = definition.value(at: "defaultVariant")?.stringValue else { return true }
        if case .defaultVariant(let safe) = kill, defaultVariant == safe { return false }
        guard case .object(let variants)? = definition.value(at: "variants") else { return true }
        return variants[defaultVariant] != .bool(false)
    }

    // MARK: - File

    private func readFlags(purpose: String) throws -> [String: JSONValue] {
        try Self.rewriting.withLock { _ in try readDocument(purpose: purpose).flags }
    }

    private func readDocument(purpose: String) throws -> (document: [String: JSONValue], flags: [String: JSONValue]) {
        guard let data = FileManager.default.contents(atPath: spec.path) else {
            let exists = FileManager.default.fileExists(atPath: spec.path)
            throw ProviderError(
                exists ? .rejected : .notFound,
                "could not \(purpose): \(spec.path) "
                    + (exists ? "cannot be read; check its permissions" : "does not exist")
            )
        }
        guard case .object(let document)? = try? JSONDecoder().decode(JSONValue.self, from: data),
            case .object(let flags)? = document["flags"]
        else {
            throw ProviderError(
                .badResponse, "could not \(purpose): \(spec.path) is not a flagd JSON flag file with a \"flags\" object"
            )
        }
        return (document, flags)
    }

    private func missing(_ flag: String, purpose: String) -> ProviderError {
        ProviderError(.notFound, "could not \(purpose): \(spec.path) has no flag \(flag); check disable:")
    }

    /// Writes a temporary file next to the original, with its permissions, and renames it over the original.
    private func write(_ document: [String: JSONValue]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(JSONValue.object(document))
        data.append(0x0A)
        let target = URL(fileURLWithPath: spec.path)
        let temporary = target.deletingLastPathComponent()
            .appendingPathComponent(".\(target.lastPathComponent).rewind-\(UUID().uuidString).tmp")
        do {
            try data.write(to: temporary)
            if let permissions = try? FileManager.default.attributesOfItem(atPath: spec.path)[.posixPermissions] {
                try FileManager.default.setAttributes([.posixPermissions: permissions], ofItemAtPath: temporary.path)
            }
            guard rename(temporary.path, target.path) == 0 else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: target.path])
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
    }
}
