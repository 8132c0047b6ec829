import Foundation
import RewindSandbox
import Testing

@Suite("Vercel emulator: the documented contract (platform-apis.md 1.8)")
struct VercelEmulatorTests {
    static let bearer = ["Authorization": "Bearer \(VercelHarness.token)"]

    @Test("requests without a bearer token are refused with 403 forbidden in Vercel's envelope")
    func requiresBearer() async throws {
        try await withVercel { vercel in
            let answer = try await get("\(vercel.base)/v9/projects/shop-web?teamId=team_x9")
            #expect(answer.status == 403)
            #expect(answer.body.contains(#""code":"forbidden""#))
            let basic = try await get(
                "\(vercel.base)/v9/projects/shop-web?teamId=team_x9", headers: ["Authorization": "Basic abc"]
            )
            #expect(basic.status == 403)
        }
    }

    @Test("the CLI's v9 rollback needs a {} body and answers 201; production moves after two job reads")
    func v9Rollback() async throws {
        try await withVercel { vercel in
            let url = "\(vercel.base)/v9/projects/prj_A1b2C3/rollback/dpl_1?teamId=team_x9"
            #expect(try await post(url, body: "", headers: Self.bearer).status == 400)
            #expect(try await post(url, body: "{}", headers: Self.bearer).status == 201)
            #expect(try await post(url, body: "{}", headers: Self.bearer).status == 409, "a job is running")
            let project = "\(vercel.base)/v9/projects/prj_A1b2C3?teamId=team_x9&rollbackInfo=true"
            var statuses: [String] = []
            for _ in 0..<3 {
                let body = try await get(project, headers: Self.bearer).body
                let job = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
                statuses.append((job["lastAliasRequest"] as? [String: Any])?["jobStatus"] as? String ?? "none")
            }
            #expect(statuses == ["pending", "in-progress", "succeeded"])
            #expect(vercel.vercel.production(project: "shop-web") == "dpl_1")
            #expect(vercel.vercel.mutations.map(\.path) == ["/v9/projects/prj_A1b2C3/rollback/dpl_1"])
        }
    }

    @Test("the list honours rollbackCandidate and state, and the last page has pagination.next null")
    func listFilters() async throws {
        let emulator = seededVercel()
        emulator.addDeployment(
            .init(id: "dpl_old", createdAt: 500_000, isRollbackCandidate: false), project: VercelHarness.projectID
        )
        try await withVercel(emulator) { vercel in
            let url = "\(vercel.base)/v6/deployments?teamId=team_x9&projectId=shop-web&rollbackCandidate=true"
            let page = try await get(url + "&state=READY,ERROR&limit=50", headers: Self.bearer).body
            let json = try #require(try JSONSerialization.jsonObject(with: Data(page.utf8)) as? [String: Any])
            let ids = (json["deployments"] as? [[String: Any]])?.compactMap { $0["uid"] as? String }
            #expect(ids == ["dpl_3", "dpl_err", "dpl_pre", "dpl_2", "dpl_1"])
            #expect((json["pagination"] as? [String: Any])?["next"] is NSNull)
        }
    }

    @Test("a team the token cannot use is 403; a project outside the scope is 404")
    func teamScope() async throws {
        try await withVercel { vercel in
            let other = try await get("\(vercel.base)/v9/projects/shop-web?teamId=team_other", headers: Self.bearer)
            #expect(other.status == 403)
            let personal = try await get("\(vercel.base)/v9/projects/shop-web", headers: Self.bearer)
            #expect(personal.status == 404)
            #expect(personal.body.contains(#""code":"not_found""#))
        }
    }
}
