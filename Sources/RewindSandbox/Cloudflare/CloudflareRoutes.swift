import Foundation

/// One request routed through the emulated Cloudflare API, acting on the emulator's state under its lock.
struct CloudflareRoutes {
    let request: LoopbackRequest
    let bearer: String?

    func answer(_ state: inout CloudflareEmulator.State) -> LoopbackAnswer {
        guard let segments = request.segments(after: CloudflareEmulator.apiPrefix) else { return Self.noRoute(request) }
        guard let token = bearer, let grant = state.tokens[token] else {
            return CloudflareEmulator.envelopeError(401, code: 10000, "Authentication error")
        }
        switch (request.method, segments) {
        case ("GET", ["user", "tokens", "verify"]):
            return verify(grant, token: token, at: nil)
        case ("GET", let path) where path.count == 4 && path[0] == "accounts" && path[2...] == ["tokens", "verify"]:
            return verify(grant, token: token, at: path[1])
        case (_, let path)
        where path.count >= 4 && path[0] == "accounts" && path[2...3] == ["load_balancers", "pools"]:
            return pools(path[1], id: path.count == 5 ? path[4] : nil, extra: path.count > 5, grant: grant, &state)
        case ("POST", let path) where path.count == 3 && path[0] == "zones" && path[2] == "purge_cache":
            return purge(zone: path[1], grant: grant, &state)
        default:
            return Self.noRoute(request)
        }
    }

    static func noRoute(_ request: LoopbackRequest) -> LoopbackAnswer {
        CloudflareEmulator.envelopeError(
            404, code: 7003, "Could not route to \(request.path), perhaps your object identifier is invalid?"
        )
    }

    // MARK: - Tokens

    private func verify(_ grant: CloudflareTokenGrant, token: String, at account: String?) -> LoopbackAnswer {
        guard grant.ownerAccount == account else {
            return CloudflareEmulator.envelopeError(401, code: 1000, "Invalid API Token")
        }
        let id = "tok-\(token.utf8.reduce(0) { ($0 &* 31 &+ Int($1)) & 0xFFFFF })"
        return CloudflareEmulator.envelope(["id": id, "status": grant.status])
    }

    // MARK: - Pools

    private func pools(
        _ account: String, id: String?, extra: Bool, grant: CloudflareTokenGrant,
        _ state: inout CloudflareEmulator.State
    ) -> LoopbackAnswer {
        guard !extra else { return Self.noRoute(request) }
        let writing = request.method != "GET"
        guard grant.pools == .write || (grant.pools == .read && !writing) else {
            return CloudflareEmulator.envelopeError(403, code: 9109, "Unauthorized to access requested resource")
        }
        guard let id else {
            guard request.method == "GET" else {
                return CloudflareEmulator.envelopeError(400, code: 1002, "only notification_email may be patched here")
            }
            let all = (state.pools[account] ?? [:]).values.sorted { $0.id < $1.id }.map(Self.json)
            return CloudflareEmulator.envelope(
                all,
                extra: [
                    "result_info": [
                        "page": 1, "per_page": all.count, "count": all.count, "total_count": all.count,
                        "total_pages": 1,
                    ]
                ]
            )
        }
        guard var pool = state.pools[account]?[id] else {
            return CloudflareEmulator.envelopeError(404, code: 1003, "pool not found")
        }
        switch request.method {
        case "GET":
            return CloudflareEmulator.envelope(Self.json(pool))
        case "PUT", "PATCH":
            guard let body = request.jsonObject else {
                return CloudflareEmulator.envelopeError(400, code: 1002, "the body is not a JSON object")
            }
            if request.method == "PUT", body["name"] == nil || body["origins"] == nil {
                return CloudflareEmulator.envelopeError(400, code: 1002, "name and origins are required")
            }
            if let problem = Self.apply(body, to: &pool) {
                return CloudflareEmulator.envelopeError(400, code: 1002, problem)
            }
            pool.modifiedOn = Self.now()
            state.pools[account]?[id] = pool
            state.mutations.append(
                CloudflarePoolMutation(
                    method: request.method, account: account, poolID: id,
                    body: String(decoding: request.body, as: UTF8.self), keys: body.keys.sorted()
                )
            )
            return CloudflareEmulator.envelope(Self.json(pool))
        case "DELETE":
            state.pools[account]?[id] = nil
            return CloudflareEmulator.envelope(["id": id])
        default:
            return CloudflareEmulator.envelopeError(405, code: 10405, "method not allowed")
        }
    }

    /// Applies the supplied top-level properties; returns what is wrong instead when something is.
    private static func apply(_ body: [String: Any], to pool: inout CloudflareEmulatedPool) -> String? {
        if let name = body["name"] {
            guard let name = name as? String, !name.isEmpty else { return "name must be a non-empty string" }
            pool.name = name
        }
        if let enabled = body["enabled"] {
            guard let enabled = enabled as? Bool else { return "enabled must be true or false" }
            pool.enabled = enabled
        }
        if let minimum = body["minimum_origins"] {
            guard let minimum = minimum as? Int else { return "minimum_origins must be a number" }
            pool.minimumOrigins = minimum
        }
        if let description = body["description"] { pool.description = description as? String }
        if let origins = body["origins"] {
            guard let list = origins as? [Any], !list.isEmpty else { return "origins must be a non-empty list" }
            var parsed: [CloudflareEmulatedOrigin] = []
            for (index, element) in list.enumerated() {
                switch origin(element, previous: pool.origins) {
                case .success(let origin): parsed.append(origin)
                case .failure(let problem): return "origins[\(index)]: \(problem.text)"
                }
            }
            pool.origins = parsed
        }
        return nil
    }

    private struct Problem: Error { let text: String }

    private static func origin(
        _ element: Any, previous: [CloudflareEmulatedOrigin]
    ) -> Result<CloudflareEmulatedOrigin, Problem> {
        guard let object = element as? [String: Any] else { return .failure(Problem(text: "must be an object")) }
        guard let name = object["name"] as? String, !name.isEmpty else {
            return .failure(Problem(text: "name is required"))
        }
        guard let address = object["address"] as? String, !address.isEmpty else {
            return .failure(Problem(text: "address is required"))
        }
        var origin = CloudflareEmulatedOrigin(name: name, address: address)
        if let enabled = object["enabled"] {
            guard let enabled = enabled as? Bool else {
                return .failure(Problem(text: "enabled must be true or false"))
            }
            origin.enabled = enabled
        }
        if let weight = object["weight"] {
            guard let weight = (weight as? NSNumber)?.doubleValue, (0...1).contains(weight),
                abs(weight * 100 - (weight * 100).rounded()) < 1e-6
            else { return .failure(Problem(text: "weight must be between 0 and 1 in steps of 0.01")) }
            origin.weight = weight
        }
        origin.port = object["port"] as? Int
        origin.header = object["header"] as? [String: [String]]
        if !origin.enabled {
            origin.disabledAt = previous.first { $0.name == name && !$0.enabled }?.disabledAt ?? now()
        }
        return .success(origin)
    }

    static func json(_ pool: CloudflareEmulatedPool) -> [String: Any] {
        var json: [String: Any] = [
            "id": pool.id, "name": pool.name, "enabled": pool.enabled, "minimum_origins": pool.minimumOrigins,
            "origin_steering": ["policy": "random"], "created_on": pool.createdOn, "modified_on": pool.modifiedOn,
            "origins": pool.origins.map(json),
        ]
        if let healthy = pool.healthy { json["healthy"] = healthy }
        if let description = pool.description { json["description"] = description }
        return json
    }

    private static func json(_ origin: CloudflareEmulatedOrigin) -> [String: Any] {
        var json: [String: Any] = [
            "name": origin.name, "address": origin.address, "enabled": origin.enabled, "weight": origin.weight,
        ]
        if let port = origin.port { json["port"] = port }
        if let header = origin.header { json["header"] = header }
        if let disabledAt = origin.disabledAt { json["disabled_at"] = disabledAt }
        return json
    }

    private static func now() -> String {
        ISO8601DateFormatter().string(from: Date())
    }

    // MARK: - Purge

    private func purge(
        zone: String, grant: CloudflareTokenGrant, _ state: inout CloudflareEmulator.State
    ) -> LoopbackAnswer {
        guard state.zones.contains(zone) else { return Self.noRoute(request) }
        guard grant.purge else {
            return CloudflareEmulator.envelopeError(403, code: 9109, "Unauthorized to access requested resource")
        }
        let kinds = ["purge_everything", "files", "tags", "hosts", "prefixes"]
        guard let body = request.jsonObject, body.keys.filter(kinds.contains).count == 1 else {
            return CloudflareEmulator.envelopeError(
                400, code: 1012, "send exactly one of purge_everything, files, tags, hosts or prefixes"
            )
        }
        if let everything = body["purge_everything"] {
            guard everything as? Bool == true else {
                return CloudflareEmulator.envelopeError(400, code: 1012, "purge_everything must be true")
            }
            state.purges.append(CloudflarePurgeRecord(zoneID: zone, everything: true, files: []))
        } else if let files = body["files"] {
            let urls = (files as? [Any])?.compactMap { ($0 as? String) ?? (($0 as? [String: Any])?["url"] as? String) }
            guard let urls, !urls.isEmpty else {
                return CloudflareEmulator.envelopeError(400, code: 1012, "files must be a non-empty list of URLs")
            }
            state.purges.append(CloudflarePurgeRecord(zoneID: zone, everything: false, files: urls))
        } else {
            state.purges.append(CloudflarePurgeRecord(zoneID: zone, everything: false, files: []))
        }
        return CloudflareEmulator.envelope(["id": zone])
    }
}
