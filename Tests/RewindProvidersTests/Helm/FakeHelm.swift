import Foundation
import RewindCore
import RewindSpecs
import RewindTestSupport

/// A `helm` executable written by the test: a small Python program that keeps one release's history in a
/// JSON file and answers `history`, `status` and `rollback` with the JSON shapes Helm 3 prints
/// (pkg/cmd/history.go `releaseInfo`; `helm status -o json` is the `release.Release` object). Every call's
/// argument vector is appended to `calls.jsonl`, so tests check exactly what Rewind ran.
struct FakeHelm {
    struct Revision: Codable {
        var revision: Int
        var status: String
        var chart: String = "web"
        var chartVersion: String = "1.0.0"
        var appVersion: String
        var description: String
        var updated: String = "2026-12-07T09:00:00.123456789Z"
    }

    struct State: Codable {
        var release = "web"
        var namespace = "shop"
        var revisions: [Revision]
        /// Printed on stderr by `rollback`, which then exits 1.
        var rollbackError: String?
        /// Seconds `rollback` sleeps before doing anything (a slow rollback).
        var rollbackSeconds: Double?
        /// Replaces what `history` prints.
        var historyOverride: String?
    }

    let directory: TemporaryDirectory
    var binary: String { directory.file("helm") }
    var statePath: String { directory.file("state.json") }
    var callsPath: String { directory.file("calls.jsonl") }

    init(_ state: State) throws {
        directory = try TemporaryDirectory("fake-helm")
        try Self.script.write(toFile: binary, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: binary)
        try write(state)
    }

    func write(_ state: State) throws {
        try JSONEncoder().encode(state).write(to: URL(fileURLWithPath: statePath))
    }

    func state() throws -> State {
        try JSONDecoder().decode(State.self, from: Data(contentsOf: URL(fileURLWithPath: statePath)))
    }

    /// The argument vectors helm was run with (without the program), in order.
    func calls() throws -> [[String]] {
        guard let text = try? String(contentsOfFile: callsPath, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map { try JSONDecoder().decode([String].self, from: Data($0.utf8)) }
    }

    func spec(
        kubeContext: String? = nil, kubeconfig: String? = nil, waitTimeout: Duration = .seconds(300),
        timeout: Duration? = nil, environment: [String: ConfigText] = [:]
    ) -> HelmProviderSpec {
        HelmProviderSpec(
            release: "web", namespace: "shop", binary: binary, kubeContext: kubeContext, kubeconfig: kubeconfig,
            waitTimeout: waitTimeout, timeout: timeout,
            environment: environment.merging(["FAKE_HELM_STATE": ConfigText(statePath)]) { own, _ in own })
    }

    func remove() { directory.remove() }

    static let script = #"""
        #!/usr/bin/python3
        json, os, sys, time = (__import__(name) for name in ("json", "os", "sys", "time"))
        state_path = os.environ["FAKE_HELM_STATE"]
        folder = os.path.dirname(state_path)
        with open(os.path.join(folder, "calls.jsonl"), "a") as log:
            log.write(json.dumps(sys.argv[1:]) + "\n")
        with open(state_path) as f:
            state = json.load(f)
        args = sys.argv[1:]
        command, options, positionals, ended = args[0], {}, [], False
        for arg in args[1:]:
            if ended or not arg.startswith("-"):
                positionals.append(arg)
            elif arg == "--":
                ended = True
            else:
                name, _, value = arg.partition("=")
                options[name] = value
        def fail(message, code=1):
            sys.stderr.write("Error: " + message + "\n")
            sys.exit(code)
        if options.get("--namespace") != state["namespace"] or positionals[:1] != [state["release"]]:
            fail("release: not found")
        revisions = state["revisions"]
        def chart(r):
            return r["chart"] + "-" + r["chartVersion"]
        def info(r):
            return {"revision": r["revision"], "updated": r["updated"], "status": r["status"], "chart": chart(r),
                    "app_version": r["appVersion"], "description": r["description"]}
        def release(r):
            return {"name": state["release"], "namespace": state["namespace"], "version": r["revision"],
                    "info": {"first_deployed": revisions[0]["updated"], "last_deployed": r["updated"], "deleted": "",
                             "description": r["description"], "status": r["status"], "notes": ""},
                    "chart": {"metadata": {"name": r["chart"], "version": r["chartVersion"],
                                           "appVersion": r["appVersion"], "apiVersion": "v2"}},
                    "config": {}, "manifest": "---\n"}
        if command == "history":
            if state.get("historyOverride") is not None:
                print(state["historyOverride"])
                sys.exit(0)
            limit = int(options.get("--max", "256"))
            print(json.dumps([info(r) for r in revisions[-limit:]]))
        elif command == "status":
            print(json.dumps(release(revisions[-1])))
        elif command == "rollback":
            if state.get("rollbackSeconds"):
                time.sleep(state["rollbackSeconds"])
            if state.get("rollbackError"):
                fail(state["rollbackError"])
            wanted = int(positionals[1])
            target = [r for r in revisions if r["revision"] == wanted]
            if not target:
                fail("release has no %d version" % wanted)
            for r in revisions:
                if r["status"] == "deployed":
                    r["status"] = "superseded"
            new = dict(target[0])
            new.update({"revision": revisions[-1]["revision"] + 1, "status": "deployed",
                        "description": "Rollback to %d" % wanted, "updated": "2026-12-07T10:00:00+01:00"})
            revisions.append(new)
            with open(state_path, "w") as f:
                json.dump(state, f)
            print("Rollback was a success! Happy Helming!")
        else:
            fail("unknown command " + command)
        """#
}
