import RewindCore
import RewindSpecs
import Testing

@testable import RewindProviders

@Suite("Vercel job polling, as the official CLI reads lastAliasRequest")
struct VercelJobVerdictTests {
    static let now = Timestamp(millisecondsSinceEpoch: 10_000_000)
    static let rollback = VercelOperation(type: .rollback, deploymentID: "dpl_2")

    static func job(
        _ status: String,
        to target: String = "dpl_2",
        type: String? = "rollback",
        age: Int64 = 1_000
    )
        -> VercelAliasJob
    {
        VercelAliasJob(
            fromDeploymentId: "dpl_3",
            toDeploymentId: target,
            jobStatus: status,
            requestedAt: now.millisecondsSinceEpoch - age,
            type: type
        )
    }

    @Test(
        "a fresh job toward the target decides",
        arguments: [
            ("pending", VercelJobVerdict.inProgress), ("in-progress", .inProgress), ("succeeded", .succeeded),
            ("failed", .jobFailed), ("skipped", .succeeded),
            ("exploded", .failed("Vercel reports an unknown job status 'exploded'")),
        ]
    )
    func freshJob(status: String, expected: VercelJobVerdict) {
        #expect(VercelJobVerdict.of(Self.rollback, job: Self.job(status), serving: "dpl_3", now: Self.now) == expected)
    }

    @Test("a skipped job of another type does not count")
    func skippedOtherType() {
        let verdict = VercelJobVerdict.of(
            Self.rollback,
            job: Self.job("skipped", type: "promote"),
            serving: "dpl_3",
            now: Self.now
        )
        #expect(
            verdict
                == .failed(
                    "Vercel shows no rollback or promote job toward dpl_2 in the last 3 minutes "
                        + "and production serves dpl_3"
                )
        )
    }

    @Test("the older lastRollbackTarget (no type) counts for both modes")
    func untypedJob() {
        #expect(
            VercelJobVerdict.of(Self.rollback, job: Self.job("skipped", type: nil), serving: nil, now: Self.now)
                == .succeeded
        )
    }

    @Test("a job older than 3 minutes is no job: production decides")
    func staleJob() {
        let stale = Self.job("in-progress", age: 181_000)
        #expect(VercelJobVerdict.of(Self.rollback, job: stale, serving: "dpl_2", now: Self.now) == .succeeded)
        #expect(
            VercelJobVerdict.of(Self.rollback, job: stale, serving: "dpl_3", now: Self.now)
                == .failed(
                    "Vercel shows no rollback or promote job toward dpl_2 in the last 3 minutes "
                        + "and production serves dpl_3"
                )
        )
    }

    @Test("a newer job toward another deployment replaced ours")
    func replaced() {
        #expect(
            VercelJobVerdict.of(
                Self.rollback,
                job: Self.job("pending", to: "dpl_9", type: "promote"),
                serving: "dpl_3",
                now: Self.now
            )
                == .failed("a newer promote job toward dpl_9 replaced it; production serves dpl_3")
        )
    }

    @Test("a queued promote without a job yet is still in progress")
    func queued() {
        let queued = VercelOperation(type: .promote, deploymentID: "dpl_2", queued: true)
        #expect(VercelJobVerdict.of(queued, job: nil, serving: "dpl_3", now: Self.now) == .inProgress)
    }

    @Test("operation ids round-trip")
    func operationIDs() {
        for operation in [
            Self.rollback, VercelOperation(type: .promote, deploymentID: "dpl_2"),
            VercelOperation(type: .promote, deploymentID: "dpl_2", queued: true),
        ] {
            #expect(VercelOperation(id: operation.id) == operation)
        }
        #expect(VercelOperation(id: "revert:dpl_2") == nil)
        #expect(VercelOperation(id: "rollback:") == nil)
    }
}
