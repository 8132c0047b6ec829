import RewindCore
import RewindSpecs
import Yams

/// `provider:` and `fallback:`: how a service is rolled back. The `command` and `http` types are read
/// here; `git`, `railway`, `kubernetes`, `vercel` and `helm` in their own files under Providers/.
extension ConfigReader {
    static let providerTypes = ["command", "http", "git", "railway", "vercel", "kubernetes", "helm"]
    /// Says which provider types exist, for a service that names none.
    static var providerTypeHint: String { "a provider of type \(Suggestion.list(providerTypes))" }
    static let commandKeys = ["type", "rollback", "current", "env", "timeout", "working_directory", "idempotent"]
    static let httpKeys = ["type", "rollback", "current", "status", "timeout"]
    static let requestKeys = ["method", "url", "headers", "body", "expect"]
    /// What `current:` and `status:` of an http provider read besides the request.
    static let currentExtraKeys = ["field"]
    static let statusExtraKeys = ["operation_field", "field", "succeeded", "failed"]
    static let httpMethods = ["GET", "POST", "PUT", "PATCH", "DELETE"]

    mutating func provider(_ at: Located) -> ProviderSpec? {
        guard let entries = rawMapping(at) else { return nil }
        guard let typeEntry = entries.first(where: { $0.name == "type" })?.value else {
            report(at, "missing required key 'type'; use one of \(Suggestion.list(Self.providerTypes))")
            return nil
        }
        guard let type = choice(typeEntry, Self.providerTypes.map { ($0, $0) }) else { return nil }
        switch type {
        case "command": return commandProvider(at).map(ProviderSpec.command)
        case "git": return gitProvider(at).map(ProviderSpec.git)
        case "railway": return railwayProvider(at).map(ProviderSpec.railway)
        case "kubernetes": return kubernetesProvider(at).map(ProviderSpec.kubernetes)
        case "vercel": return vercelProvider(at).map(ProviderSpec.vercel)
        case "helm": return helmProvider(at).map(ProviderSpec.helm)
        default: return httpProvider(at).map(ProviderSpec.http)
        }
    }

    // MARK: - command

    mutating func commandProvider(_ at: Located) -> CommandProviderSpec? {
        guard let fields = mapping(at, allowed: Self.commandKeys) else { return nil }
        let rollback = require(fields, "rollback", hint: "e.g. rollback: [railway, rollback, --service, backend]")
            .flatMap { argumentVector($0) }
        var spec = CommandProviderSpec(rollback: rollback ?? [])
        if let at = fields["current"] { spec.current = argumentVector(at) }
        if let at = fields["env"] { spec.environment = environmentVariables(at) }
        if let at = fields["timeout"] { spec.timeout = duration(at, .timeout) }
        if let at = fields["working_directory"] { spec.workingDirectory = filePath(at) }
        if let at = fields["idempotent"] { spec.idempotent = bool(at) ?? false }
        return rollback == nil ? nil : spec
    }

    /// A command as a list of arguments, never a shell line. An argument holding a secret (`${…}`) is a
    /// warning: a command line is visible to every user of the machine (`ps`), an environment is not.
    mutating func argumentVector(_ at: Located) -> [String]? {
        if case .scalar = at.node, !at.isNull {
            report(at, "write the command as a list of arguments, e.g. [vercel, rollback, \"{{target.id}}\", --yes]")
            return nil
        }
        guard let elements = list(at) else { return nil }
        guard !elements.isEmpty else {
            report(at, "the command is empty; name the program and its arguments, e.g. [railway, rollback]")
            return nil
        }
        var arguments: [String] = []
        var complete = true
        for element in elements {
            guard let argument = text(element) else {
                complete = false
                continue
            }
            checkPlaceholders(argument, at: element)
            if argument.isSecret { warnSecretArgument(element) }
            arguments.append(argument.value)
        }
        if complete, arguments[0].isEmpty {
            report(elements[0], "the program name is empty")
            return nil
        }
        return complete ? arguments : nil
    }

    /// The warning for an argument that holds `${…}`, naming the references (never their values).
    private mutating func warnSecretArgument(_ at: Located) {
        guard case .scalar(let scalar) = at.node, case .success(let parts) = Interpolation.parts(of: scalar.string)
        else { return }
        let references = parts.compactMap { part -> String? in
            switch part {
            case .environment(let name): "${\(name)}"
            case .file(let path): "${file:\(path)}"
            case .literal: nil
            }
        }
        let named = references.joined(separator: ", ")
        let variable =
            parts.lazy.compactMap { if case .environment(let name) = $0 { name } else { nil } }.first ?? "SECRET"
        warn(
            at,
            "this argument holds a secret (\(named)): a command line shows in `ps` to every user of the machine; "
                + "pass it in env: instead (env: { \(variable): \"${\(variable)}\" }) and let the program read it from there"
        )
    }

    mutating func environmentVariables(_ at: Located) -> [String: ConfigText] {
        guard let entries = rawMapping(at) else { return [:] }
        var variables: [String: ConfigText] = [:]
        for (name, value) in entries {
            guard Interpolation.isVariableName(name) else {
                report(value, "'\(name)' is not a valid environment variable name: use letters, digits and _")
                continue
            }
            if let text = text(value, secret: "value of \(name)") { variables[name] = text }
        }
        return variables
    }

    // MARK: - http

    mutating func httpProvider(_ at: Located) -> HTTPProviderSpec? {
        guard let fields = mapping(at, allowed: Self.httpKeys) else { return nil }
        let rollbackAt = require(fields, "rollback", hint: "the request that starts a rollback, with at least a url")
        let rollback = rollbackAt.flatMap { request($0, extraKeys: [], defaultMethod: "POST")?.request }
        var spec = HTTPProviderSpec(rollback: rollback ?? HTTPRequestSpec(url: ""))
        if let at = fields["current"], let current = request(at, extraKeys: Self.currentExtraKeys, defaultMethod: "GET")
        {
            spec.current = current.request
            if let at = current.fields["field"], let value = name(at) { spec.currentField = value }
        }
        if let at = fields["status"],
            let status = request(
                at,
                extraKeys: Self.statusExtraKeys,
                defaultMethod: "GET"
            )
        {
            spec.status = status.request
            if let at = status.fields["operation_field"], let value = name(at) { spec.operationField = value }
            if let at = status.fields["field"], let value = name(at) { spec.statusField = value }
            if let at = status.fields["succeeded"], let values = words(at) {
                if values.isEmpty {
                    report(at, "list at least one value that means the rollback finished, e.g. [succeeded]")
                } else {
                    spec.succeededValues = values
                }
            }
            if let at = status.fields["failed"], let values = words(at) { spec.failedValues = values }
        }
        if let at = fields["timeout"] { spec.timeout = duration(at, .timeout) }
        return rollback == nil ? nil : spec
    }

    /// One HTTP request; `extraKeys` are the keys the caller reads from the same mapping.
    mutating func request(
        _ at: Located,
        extraKeys: [String],
        defaultMethod: String
    ) -> (request: HTTPRequestSpec, fields: Fields)? {
        guard let fields = mapping(at, allowed: Self.requestKeys + extraKeys) else { return nil }
        let url = require(fields, "url").flatMap { httpURL($0, templated: true) }
        var request = HTTPRequestSpec(method: defaultMethod, url: url?.value ?? "")
        if let at = fields["method"], let method = word(at, expected: "an HTTP method") {
            if Self.httpMethods.contains(method.uppercased()) {
                request.method = method.uppercased()
            } else {
                report(at, "'\(method)' is not one of \(Suggestion.list(Self.httpMethods))")
            }
        }
        if let at = fields["headers"] { request.headers = headers(at) }
        if let at = fields["body"] { request.body = json(at) }
        if let at = fields["expect"], let elements = list(at) {
            let statuses = elements.compactMap { httpStatus($0) }
            if statuses.count == elements.count { request.expectedStatuses = statuses }
        }
        return url == nil ? nil : (request, fields)
    }

    mutating func httpStatus(_ at: Located) -> Int? {
        let expected = "an HTTP status (100-599)"
        guard let text = word(at, expected: expected) else { return nil }
        guard let status = Int(text), Self.isHTTPStatus(status) else {
            report(at, "expected \(expected), got \(at.shape)")
            return nil
        }
        return status
    }

    mutating func headers(_ at: Located) -> [String: ConfigText] {
        guard let entries = rawMapping(at) else { return [:] }
        var headers: [String: ConfigText] = [:]
        for (name, value) in entries {
            guard !name.isEmpty, !name.contains(where: { $0 == " " || $0 == ":" || !$0.isASCII }) else {
                report(value, "'\(name)' is not a valid header name")
                continue
            }
            if let text = text(value, secret: "\(name) header") {
                checkPlaceholders(text, at: value)
                headers[name] = text
            }
        }
        return headers
    }

    /// A list of plain words, such as the status values of an asynchronous rollback.
    mutating func words(_ at: Located) -> [String]? {
        guard let elements = list(at) else { return nil }
        let words = elements.compactMap { word($0, expected: "a word") }
        return words.count == elements.count ? words : nil
    }

    /// Any YAML as JSON; strings have `${…}` resolved and their placeholders checked by `check`
    /// (the provider placeholders unless the caller knows others, such as the flags' `{{flag}}`).
    mutating func json(
        _ at: Located,
        check: (inout ConfigReader, ConfigText, Located) -> Void = { $0.checkPlaceholders($1, at: $2) }
    ) -> JSONValue? {
        switch at.node {
        case .mapping:
            guard let entries = rawMapping(at) else { return nil }
            var object: [String: JSONValue] = [:]
            for (name, value) in entries {
                if let converted = json(value, check: check) { object[name] = converted }
            }
            return .object(object)
        case .sequence(let sequence):
            return .array(
                sequence.enumerated().compactMap { json(at.element($0.offset, node: $0.element), check: check) })
        case .alias:
            report(at, "aliases are not supported here; write the value out")
            return nil
        case .scalar(let scalar):
            let isPlain = scalar.style == .plain || scalar.style == .any
            switch isPlain ? at.node.tag.rawValue : Tag.Name.str.rawValue {
            case Tag.Name.null.rawValue: return .null
            case Tag.Name.bool.rawValue: return at.node.bool.map(JSONValue.bool)
            case Tag.Name.int.rawValue, Tag.Name.float.rawValue:
                let isInteger = at.node.tag.rawValue == Tag.Name.int.rawValue
                guard let number = isInteger ? at.node.int.map(Double.init) : at.node.float, number.isFinite else {
                    report(at, "\(at.shape) is not a number JSON can carry: write a finite number, or quote it as text")
                    return nil
                }
                return .number(number)
            default:
                guard let text = resolve(scalar.string, at: at) else { return nil }
                check(&self, text, at)
                return .string(text.value)
            }
        }
    }
}
