#!/usr/bin/env python3
"""Shared watching: three replicas share 3,000 health checks at 1 s (`ha.shards`); kill one, time how long its
checks go unwatched.

Three `rewind serve` replicas on one PostgreSQL state (REWIND_POSTGRES_URL; a fresh schema per run) with
`ha.shards: SHARDS` watch COUNT health checks (COUNT/10 services of 10 checks, every check its own URL on the
target farm, Benchmarks/Tools/TargetFarm), each probed every second. Each trial:

1. waits until the shards are shared (every replica holds some) and every check was probed in the last 3 s by the
   replica holding its shard (each replica's /api/v1/status lists the checks it watches, with `lastAt`);
2. kills a replica that is not the coordinator with SIGKILL, at a random point of its renewal cycle;
3. polls the survivors' status until every check the killed replica watched has been probed by a survivor after the
   kill. For each such check, `unwatched` = its first probe by a survivor − the kill; the check's last probe by the
   killed replica came at most one interval (1 s) before the kill, so its real gap between probes is at most that
   plus one second.

Reported per trial and over all trials: the median and the maximum of `unwatched` over the killed replica's checks,
and the checks per second each replica ran (from rewind_checks_total) over 10 s before the kill and, for the
survivors, over 10 s once every check is watched again. The killed replica is started again before the next trial.

Usage: shard_watch.py REWIND_BINARY TARGET_FARM_BINARY [--count 3000] [--shards 3] [--trials 5] [--json PATH]
Everything stays on 127.0.0.1.
"""

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time

from daemon_footprint import get
from replica_bench import Replicas, postgres_state, status, wait_for
from scale import policy


def watched(port):
    """{service/check: lastAt in ms} of the checks the replica on `port` watches; None when it does not answer."""
    try:
        code, body = get(f"http://127.0.0.1:{port}/api/v1/status", timeout=5.0)
    except OSError:
        return None
    if code != 200:
        return None
    answer = json.loads(body)
    checks = {}
    for row in answer.get("services", []):
        for check in row.get("checks", []):
            if check.get("lastAt") is not None:
                checks[f"{row['service']}/{check['check']}"] = check["lastAt"]
    return {"checks": checks, "leader": answer.get("leader"),
            "shards": {s["shard"] for s in answer.get("shards", []) if s.get("mine")}}


def checks_run(port):
    try:
        _, text = get(f"http://127.0.0.1:{port}/metrics", timeout=10)
    except OSError:
        return None
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith("rewind_checks_total{"))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary")
    parser.add_argument("farm")
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--shards", type=int, default=3)
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()
    if not 10 <= args.count <= 20000 or not 2 <= args.shards <= 256 or not 1 <= args.trials <= 100:
        sys.exit("--count must be 10 to 20000, --shards 2 to 256, --trials 1 to 100")
    state = postgres_state("rewind_shard_watch")
    farm = subprocess.Popen([args.farm, "0"], stdout=subprocess.PIPE, text=True)
    farm_url = f"http://127.0.0.1:{int(farm.stdout.readline())}"
    names = ("a", "b", "c")
    trials = []
    with tempfile.TemporaryDirectory(prefix="rewind-shard-watch-") as directory:
        replicas = Replicas(args.binary, directory, names, f"state: {state}\nha: {{ shards: {args.shards} }}",
                            policy_for=lambda port: policy(args.count, farm_url, port))

        def answers(port):
            return status(port) is not None

        try:
            for name in names:
                replicas.start(name, until=answers)
            for trial in range(args.trials):
                views = {}

                def steady():
                    now_ms = time.time() * 1000
                    for name in names:
                        view = watched(replicas.port(name))
                        if view is None or not view["shards"]:
                            return False
                        views[name] = view
                    union = {}
                    for view in views.values():
                        union.update(view["checks"])
                    return len(union) == args.count and all(now_ms - at < 3000 for at in union.values())

                wait_for("the shards to be shared and every check probed in the last 3 s", steady, seconds=180)
                before = {name: checks_run(replicas.port(name)) for name in names}
                time.sleep(10)
                rates = {name: round((checks_run(replicas.port(name)) - before[name]) / 10) for name in names}
                victim = random.choice([n for n in names if not views[n]["leader"]])
                lost = set(watched(replicas.port(victim))["checks"])
                survivors = [replicas.port(n) for n in names if n != victim]
                time.sleep(random.uniform(0, 1.0))  # anywhere in the victim's 750 ms renewal cycle
                killed_ms = time.time() * 1000
                replicas.kill(victim).wait()
                first = {}
                deadline = time.monotonic() + 120
                while len(first) < len(lost):
                    if time.monotonic() > deadline:
                        sys.exit(f"trial {trial + 1}: {len(lost) - len(first)} checks were not probed within 120 s")
                    for port in survivors:
                        view = watched(port) or {"checks": {}}
                        for check, at in view["checks"].items():
                            if check in lost and at > killed_ms and check not in first:
                                first[check] = at
                    time.sleep(0.1)
                gaps = sorted((at - killed_ms) / 1000 for at in first.values())
                survivor_names = [n for n in names if n != victim]
                before = {name: checks_run(replicas.port(name)) for name in survivor_names}
                time.sleep(10)
                rates_after = {
                    name: round((checks_run(replicas.port(name)) - before[name]) / 10) for name in survivor_names}
                figures = {
                    "victim": victim, "checks": len(lost), "rates_before": rates, "rates_after": rates_after,
                    "median_unwatched_seconds": round(statistics.median(gaps), 2),
                    "max_unwatched_seconds": round(max(gaps), 2),
                }
                trials.append(figures)
                print(f"trial {trial + 1}: killed {victim} ({len(lost)} checks; checks/s before {rates}, after "
                      f"{rates_after}): unwatched median {figures['median_unwatched_seconds']} s, "
                      f"max {figures['max_unwatched_seconds']} s", flush=True)
                replicas.start(victim, until=answers)
        finally:
            replicas.stop_all()
            farm.terminate()

    summary = {
        "count": args.count, "shards": args.shards, "trials": trials,
        "median_of_medians_seconds": round(statistics.median(t["median_unwatched_seconds"] for t in trials), 2),
        "max_seconds": max(t["max_unwatched_seconds"] for t in trials),
    }
    print(f"{args.count} checks, {args.shards} shards, {len(trials)} trials: a killed replica's checks unwatched "
          f"for a median {summary['median_of_medians_seconds']} s, at most {summary['max_seconds']} s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=2)


if __name__ == "__main__":
    main()
