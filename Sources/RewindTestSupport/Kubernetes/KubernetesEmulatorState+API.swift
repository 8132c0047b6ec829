import Foundation

/// The API server's side: routing, authentication, RBAC, and each verb on each resource.
extension KubernetesEmulatorState {
    /// Answers one request (an injected fault when one matches) and records it.
    mutating func answer(_ request: KubernetesRequest) -> KubernetesAnswer {
        let answer = takeFault(for: request) ?? route(request)
        received.append(
            KubernetesReceivedRequest(
                method: request.method, path: request.path, query: request.query, contentType: request.contentType,
                bearerToken: request.bearerToken, clientCertificate: request.clientCertificate,
                body: String(decoding: request.body, as: UTF8.self),
                json: KubernetesJSON.parse(request.body), status: answer.status
            )
        )
        return answer
    }

    private mutating func takeFault(for request: KubernetesRequest) -> KubernetesAnswer? {
        guard let index = faults.firstIndex(where: { $0.remaining > 0 && $0.matches(request) }) else { return nil }
        faults[index].remaining -= 1
        let fault = faults[index]
        if faults[index].remaining == 0 { faults.remove(at: index) }
        switch fault.kind {
        case .interference(let key):
            // Another writer changes the workload just before this request is answered.
            updateWorkload(key.kind, namespace: key.key.namespace, name: key.key.name) {
                $0.labels["changed-by"] = "another-writer"
            }
            return nil
        case .malformed:
            return KubernetesAnswer(
                status: 200, headers: ["Content-Type": "application/json"],
                body: Data(#"{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"#.utf8)
            )
        case .status(let status, let retryAfter):
            let message =
                switch status {
                case 429: "Too many requests, please try again later."
                case 401: "Unauthorized"
                default: "the server reported an injected failure (\(status))"
                }
            return .failure(
                status, reason: KubernetesAnswer.reason(for: status), message: message,
                headers: retryAfter.map { ["Retry-After": $0] } ?? [:]
            )
        }
    }

    // MARK: - Routing

    private mutating func route(_ request: KubernetesRequest) -> KubernetesAnswer {
        if let token, request.bearerToken != token, !request.clientCertificate {
            return .failure(401, reason: "Unauthorized", message: "Unauthorized")
        }
        let parts = request.path.split(separator: "/").map(String.init)
        if parts == ["apis", "authorization.k8s.io", "v1", "selfsubjectaccessreviews"] {
            return request.method == "POST" ? accessReview(request) : methodNotAllowed(request)
        }
        if parts.count == 5, Array(parts[0..<3]) == ["api", "v1", "namespaces"] {
            return coreRoute(namespace: parts[3], resource: parts[4], request)
        }
        if parts.count >= 6, Array(parts[0..<4]) == ["apis", "argoproj.io", "v1alpha1", "namespaces"] {
            return rolloutRoute(parts, request)
        }
        if let answer = fluxRoute(parts, request) { return answer }
        guard parts.count >= 6, Array(parts[0..<4]) == ["apis", "apps", "v1", "namespaces"] else {
            return .failure(404, reason: "NotFound", message: "the server could not find the requested resource")
        }
        let namespace = parts[4]
        let rest = Array(parts[5...])
        if rest.count == 2,
            let kind = [KubernetesRevisionedKind.statefulSet, .daemonSet].first(where: {
                $0.resource == rest[0]
            })
        {
            return workloadRoute(EmulatedWorkloadKey(kind: kind, key: KubernetesKey(namespace, rest[1])), request)
        }
        switch rest.count {
        case 1 where rest[0] == "controllerrevisions":
            guard request.method == "GET" else { return methodNotAllowed(request) }
            return authorized("list", "controllerrevisions", name: nil, namespace) {
                $0.listControllerRevisions(namespace, request)
            }
        case 1 where rest[0] == "replicasets":
            guard request.method == "GET" else { return methodNotAllowed(request) }
            return authorized("list", "replicasets", name: nil, namespace) { $0.listReplicaSets(namespace, request) }
        case 1 where rest[0] == "deployments":
            guard request.method == "GET" else { return methodNotAllowed(request) }
            return authorized("list", "deployments", name: nil, namespace) { $0.listDeployments(namespace) }
        case 2 where rest[0] == "deployments":
            let key = KubernetesKey(namespace, rest[1])
            switch request.method {
            case "GET": return authorized("get", "deployments", name: key.name, namespace) { $0.getDeployment(key) }
            case "PATCH":
                return authorized("patch", "deployments", name: key.name, namespace) {
                    $0.patchDeployment(key, request)
                }
            default: return methodNotAllowed(request)
            }
        case 3 where rest[0] == "deployments" && rest[2] == "scale":
            let key = KubernetesKey(namespace, rest[1])
            switch request.method {
            case "GET": return authorized("get", "deployments/scale", name: key.name, namespace) { $0.getScale(key) }
            case "PATCH":
                return authorized("patch", "deployments/scale", name: key.name, namespace) {
                    $0.patchScale(key, request)
                }
            default: return methodNotAllowed(request)
            }
        case 3 where rest[0] == "deployments" && rest[2] == "status":
            let key = KubernetesKey(namespace, rest[1])
            guard request.method == "GET" else { return methodNotAllowed(request) }
            return authorized("get", "deployments/status", name: key.name, namespace) { $0.getDeployment(key) }
        default:
            return .failure(404, reason: "NotFound", message: "the server could not find the requested resource")
        }
    }

    /// Pods (`list`) and Events (`create`) in the core group.
    private mutating func coreRoute(
        namespace: String, resource: String, _ request: KubernetesRequest
    ) -> KubernetesAnswer {
        switch (resource, request.method) {
        case ("pods", "GET"):
            return authorized("list", "pods", name: nil, namespace) { $0.listPods(namespace, request) }
        case ("events", "POST"):
            return authorized("create", "events", name: nil, namespace) { $0.createEvent(namespace, request) }
        case ("pods", _), ("events", _): return methodNotAllowed(request)
        default: return .failure(404, reason: "NotFound", message: "the server could not find the requested resource")
        }
    }

    /// `GET` and `PATCH` of one Argo Rollout, and `PATCH` of its status subresource.
    private mutating func rolloutRoute(_ parts: [String], _ request: KubernetesRequest) -> KubernetesAnswer {
        guard parts.count == 7 || parts.count == 8, parts[5] == "rollouts" else {
            return .failure(404, reason: "NotFound", message: "the server could not find the requested resource")
        }
        let key = KubernetesKey(parts[4], parts[6])
        switch (parts.count, request.method) {
        case (7, "GET"): return authorized("get", "rollouts", name: key.name, key.namespace) { $0.getRollout(key) }
        case (7, "PATCH"):
            return authorized("patch", "rollouts", name: key.name, key.namespace) { $0.patchRollout(key, request) }
        case (8, "PATCH") where parts[7] == "status":
            return authorized("patch", "rollouts/status", name: key.name, key.namespace) {
                $0.patchRolloutStatus(key, request)
            }
        case (8, _) where parts[7] != "status":
            return .failure(404, reason: "NotFound", message: "the server could not find the requested resource")
        default: return methodNotAllowed(request)
        }
    }

    /// `GET` and `PATCH` of one StatefulSet or DaemonSet.
    private mutating func workloadRoute(_ key: EmulatedWorkloadKey, _ request: KubernetesRequest) -> KubernetesAnswer {
        let (resource, namespace, name) = (key.kind.resource, key.key.namespace, key.key.name)
        switch request.method {
        case "GET": return authorized("get", resource, name: name, namespace) { $0.getWorkload(key) }
        case "PATCH": return authorized("patch", resource, name: name, namespace) { $0.patchWorkload(key, request) }
        default: return methodNotAllowed(request)
        }
    }

    func methodNotAllowed(_ request: KubernetesRequest) -> KubernetesAnswer {
        .failure(
            405, reason: "MethodNotAllowed", message: "the server does not allow this method on the requested resource")
    }

    func isAllowed(_ verb: String, _ resource: String) -> Bool {
        permissions.map { $0.contains("\(verb) \(resource)") } ?? true
    }

    /// Runs `body` when RBAC allows `verb` on `resource`, or answers 403 as the API server words it.
    mutating func authorized(
        _ verb: String, _ resource: String, name: String?, _ namespace: String,
        _ body: (inout KubernetesEmulatorState) -> KubernetesAnswer
    ) -> KubernetesAnswer {
        guard isAllowed(verb, resource) else {
            let object = resource.split(separator: "/")[0] + ".apps" + (name.map { " \"\($0)\"" } ?? "")
            return .failure(
                403, reason: "Forbidden",
                message: "\(object) is forbidden: User \"\(user)\" cannot \(verb) resource \"\(resource)\" "
                    + "in API group \"apps\" in the namespace \"\(namespace)\""
            )
        }
        return body(&self)
    }

    func notFound(_ resource: String, _ name: String) -> KubernetesAnswer {
        .failure(404, reason: "NotFound", message: "\(resource).apps \"\(name)\" not found")
    }

    // MARK: - Deployments

    private mutating func getDeployment(_ key: KubernetesKey) -> KubernetesAnswer {
        guard deployments[key] != nil else { return notFound("deployments", key.name) }
        reconcile(key)
        return .json(deployments[key]!.json())
    }

    private func listDeployments(_ namespace: String) -> KubernetesAnswer {
        let items = deployments.values.filter { $0.namespace == namespace }.sorted { $0.name < $1.name }.map {
            $0.json()
        }
        return .json(
            .object([
                "kind": .string("DeploymentList"), "apiVersion": .string("apps/v1"),
                "metadata": .object([:]), "items": .array(items),
            ])
        )
    }

    private mutating func patchDeployment(_ key: KubernetesKey, _ request: KubernetesRequest) -> KubernetesAnswer {
        guard var deployment = deployments[key] else { return notFound("deployments", key.name) }
        let patched: KubernetesJSON
        switch patch(
            deployment.json(), request, resourceVersion: deployment.resourceVersion, resource: "deployments",
            name: key.name)
        {
        case .success(let value): patched = value
        case .failure(let failure): return failure.answer
        }
        guard let template = Self.validTemplate(of: patched) else {
            return Self.invalidTemplate(kind: "Deployment", name: key.name)
        }
        let replicas = patched["spec"]?["replicas"]?.int ?? deployment.replicas
        let paused = patched["spec"]?["paused"]?.bool ?? false
        let newTemplate = Self.withoutHash(template)
        let specChanged =
            newTemplate != deployment.template || replicas != deployment.replicas || paused != deployment.paused
        let annotations = patched["metadata"]?["annotations"]?.stringMap ?? [:]
        let labels = patched["metadata"]?["labels"]?.stringMap ?? deployment.labels
        guard specChanged || annotations != deployment.annotations || labels != deployment.labels else {
            return .json(deployment.json())
        }
        deployment.template = newTemplate
        deployment.replicas = replicas
        deployment.paused = paused
        deployment.annotations = annotations
        deployment.labels = labels
        if specChanged { deployment.generation += 1 }
        deployment.resourceVersion = nextResourceVersion()
        if request.query["dryRun"] == nil { deployments[key] = deployment }
        return .json(deployment.json())
    }

    private mutating func getScale(_ key: KubernetesKey) -> KubernetesAnswer {
        guard let deployment = deployments[key] else { return notFound("deployments", key.name) }
        return .json(deployment.scaleJSON())
    }

    private mutating func patchScale(_ key: KubernetesKey, _ request: KubernetesRequest) -> KubernetesAnswer {
        guard var deployment = deployments[key] else { return notFound("deployments", key.name) }
        let patched: KubernetesJSON
        switch patch(
            deployment.scaleJSON(), request, resourceVersion: deployment.resourceVersion, resource: "deployments",
            name: key.name)
        {
        case .success(let value): patched = value
        case .failure(let failure): return failure.answer
        }
        guard let replicas = patched["spec"]?["replicas"]?.int, replicas >= 0 else {
            return .failure(
                422, reason: "Invalid",
                message:
                    "Scale.autoscaling \"\(key.name)\" is invalid: spec.replicas: must be greater than or equal to 0"
            )
        }
        if replicas != deployment.replicas {
            deployment.replicas = replicas
            deployment.generation += 1
            deployment.resourceVersion = nextResourceVersion()
            deployments[key] = deployment
        }
        return .json(deployment.scaleJSON())
    }

    /// `spec.template` of a patched object, when every container has a name and an image.
    static func validTemplate(of patched: KubernetesJSON) -> KubernetesJSON? {
        guard let template = patched["spec"]?["template"],
            let containers = template["spec"]?["containers"]?.array, !containers.isEmpty,
            containers.allSatisfy({ $0["name"]?.string?.isEmpty == false && $0["image"]?.string?.isEmpty == false })
        else { return nil }
        return template
    }

    static func invalidTemplate(kind: String, name: String) -> KubernetesAnswer {
        .failure(
            422, reason: "Invalid",
            message: "\(kind).apps \"\(name)\" is invalid: spec.template.spec.containers: "
                + "Required value: every container needs a name and an image"
        )
    }

    /// Applies the request's patch to `object` (one of `resource`) by its content type. A
    /// `metadata.resourceVersion` in a merge patch is a precondition (409 when stale), as the API server treats it.
    func patch(
        _ object: KubernetesJSON, _ request: KubernetesRequest, resourceVersion: Int, resource: String, name: String
    )
        -> Result<KubernetesJSON, KubernetesAnswerFailure>
    {
        guard let body = KubernetesJSON.parse(request.body) else {
            return .failure(.init(.failure(400, reason: "BadRequest", message: "the patch is not valid JSON")))
        }
        switch request.contentType {
        case "application/json-patch+json":
            do {
                return .success(try object.applyingJSONPatch(body))
            } catch {
                let reason = error.status == 422 ? "Invalid" : "BadRequest"
                return .failure(.init(.failure(error.status, reason: reason, message: error.message)))
            }
        case "application/merge-patch+json", "application/strategic-merge-patch+json":
            if let expected = body["metadata"]?["resourceVersion"]?.string, expected != String(resourceVersion) {
                return .failure(
                    .init(
                        .failure(
                            409, reason: "Conflict",
                            message: "Operation cannot be fulfilled on \(resource).apps \"\(name)\": the object has "
                                + "been modified; please apply your changes to the latest version and try again"
                        )
                    )
                )
            }
            let merged =
                request.contentType == "application/merge-patch+json"
                ? object.applyingMergePatch(body) : object.applyingStrategicMergePatch(body)
            return .success(merged)
        default:
            return .failure(
                .init(
                    .failure(
                        415, reason: "UnsupportedMediaType",
                        message: "the body of the request was in an unknown format - accepted media types include: "
                            + "application/json-patch+json, application/merge-patch+json, "
                            + "application/apply-patch+yaml, application/strategic-merge-patch+json"
                    )
                )
            )
        }
    }

    // MARK: - ReplicaSets

    /// The list call's `labelSelector`, or the 400 the API server answers for one it cannot parse.
    func labelSelector(of request: KubernetesRequest) -> Result<KubernetesLabelSelector, KubernetesAnswerFailure> {
        do {
            return .success(try KubernetesLabelSelector(request.query["labelSelector"] ?? ""))
        } catch {
            return .failure(
                .init(.failure(400, reason: "BadRequest", message: "unable to parse requirement: \(error.message)")))
        }
    }

    private func listReplicaSets(_ namespace: String, _ request: KubernetesRequest) -> KubernetesAnswer {
        let selector: KubernetesLabelSelector
        switch labelSelector(of: request) {
        case .success(let parsed): selector = parsed
        case .failure(let failure): return failure.answer
        }
        let matching = replicaSets.values
            .filter { $0.namespace == namespace && selector.matches($0.labels) }
            .sorted { $0.name < $1.name }
        let offset = request.query["continue"].flatMap { Int($0.dropFirst("rs-".count)) } ?? 0
        let limit = min(
            request.query["limit"].flatMap { Int($0) }.map { $0 > 0 ? $0 : Int.max } ?? Int.max, replicaSetPageSize)
        let page = matching.dropFirst(offset).prefix(limit)
        var metadata: [String: KubernetesJSON] = ["resourceVersion": .string("\(sequenceNow)")]
        if offset + page.count < matching.count { metadata["continue"] = .string("rs-\(offset + page.count)") }
        return .json(
            .object([
                "kind": .string("ReplicaSetList"), "apiVersion": .string("apps/v1"),
                "metadata": .object(metadata), "items": .array(page.map { $0.json() }),
            ])
        )
    }

    private var sequenceNow: Int { replicaSets.values.map(\.resourceVersion).max() ?? 0 }

    // MARK: - Access reviews

    private func accessReview(_ request: KubernetesRequest) -> KubernetesAnswer {
        guard let body = KubernetesJSON.parse(request.body), let attributes = body["spec"]?["resourceAttributes"],
            let verb = attributes["verb"]?.string, let resource = attributes["resource"]?.string
        else {
            return .failure(
                400, reason: "BadRequest", message: "spec.resourceAttributes.verb and .resource are required"
            )
        }
        let subresource = attributes["subresource"]?.string.flatMap { $0.isEmpty ? nil : "/\($0)" } ?? ""
        let allowed = isAllowed(verb, resource + subresource)
        var status: [String: KubernetesJSON] = ["allowed": .bool(allowed)]
        if allowed {
            status["reason"] = .string("RBAC: allowed by RoleBinding \"rewind\" of Role \"rewind\" to \(user)")
        }
        return .json(
            .object([
                "kind": .string("SelfSubjectAccessReview"), "apiVersion": .string("authorization.k8s.io/v1"),
                "metadata": .object([:]), "spec": body["spec"] ?? .object([:]), "status": .object(status),
            ]),
            status: 201
        )
    }
}

/// A failed step that already has its answer.
struct KubernetesAnswerFailure: Error {
    var answer: KubernetesAnswer

    init(_ answer: KubernetesAnswer) {
        self.answer = answer
    }
}

/// `app=web,tier!=db,env in (prod,staging),!legacy`: the label selector syntax of list calls.
struct KubernetesLabelSelector: Sendable {
    struct ParseError: Error {
        var message: String
    }

    private enum Requirement {
        case equals(String, String)
        case notEquals(String, String)
        case isIn(String, Set<String>)
        case notIn(String, Set<String>)
        case exists(String)
        case doesNotExist(String)
    }

    private var requirements: [Requirement] = []

    init(_ text: String) throws(ParseError) {
        for part in Self.split(text) where !part.isEmpty {
            requirements.append(try Self.requirement(part))
        }
    }

    func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { requirement in
            switch requirement {
            case .equals(let key, let value): labels[key] == value
            case .notEquals(let key, let value): labels[key] != value
            case .isIn(let key, let values): labels[key].map(values.contains) ?? false
            case .notIn(let key, let values): !(labels[key].map(values.contains) ?? false)
            case .exists(let key): labels[key] != nil
            case .doesNotExist(let key): labels[key] == nil
            }
        }
    }

    /// Splits at commas outside parentheses.
    private static func split(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var depth = 0
        for character in text {
            switch character {
            case "(": depth += 1
            case ")": depth -= 1
            case "," where depth == 0:
                parts.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
                continue
            default: break
            }
            current.append(character)
        }
        parts.append(current.trimmingCharacters(in: .whitespaces))
        return parts
    }

    private static func requirement(_ part: String) throws(ParseError) -> Requirement {
        for (word, isIn) in [(" notin ", false), (" in ", true)] {
            if let range = part.range(of: word) {
                let key = part[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
                let list = part[range.upperBound...].trimmingCharacters(in: .whitespaces)
                guard list.hasPrefix("("), list.hasSuffix(")") else {
                    throw ParseError(message: "'\(part)': expected a list in parentheses")
                }
                let values = Set(
                    list.dropFirst().dropLast().split(separator: ",").map {
                        $0.trimmingCharacters(in: .whitespaces)
                    })
                return isIn ? .isIn(key, values) : .notIn(key, values)
            }
        }
        for (symbol, make) in [("!=", Requirement.notEquals), ("==", Requirement.equals), ("=", Requirement.equals)] {
            if let range = part.range(of: symbol) {
                let key = part[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
                let value = part[range.upperBound...].trimmingCharacters(in: .whitespaces)
                guard !key.isEmpty else { throw ParseError(message: "'\(part)': missing the label key") }
                return make(key, value)
            }
        }
        if part.hasPrefix("!") { return .doesNotExist(String(part.dropFirst()).trimmingCharacters(in: .whitespaces)) }
        return .exists(part)
    }
}
