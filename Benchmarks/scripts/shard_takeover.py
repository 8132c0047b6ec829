#!/usr/bin/env python3
"""Shard takeover: how long a killed replica's shards stay without a holder (`ha.shards`).

Three `rewind serve` replicas share one PostgreSQL state (REWIND_POSTGRES_URL; a fresh schema per run) with
`ha.shards: 3` and watch the footprint benchmark's sandbox. Each trial waits until every replica holds one
shard, kills a replica that is not the coordinator with SIGKILL at a random point of its renewal cycle, and
polls the survivors' status every 10 ms until they hold every shard: the time from the kill to that answer is
how long the killed replica's shards had no holder. The killed replica is started again before the next trial.

This measures the shard leases' handoff only: the floor of how long the killed replica's checks go unwatched.
shard_watch.py measures that itself, with 3,000 checks running.

Usage: shard_takeover.py REWIND_BINARY [--trials 10] [--json PATH]
"""

import argparse
import random
import sys
import tempfile
import time

from replica_bench import Replicas, postgres_state, report, status, wait_for

SHARDS = 3


def held(port):
    """The shards the replica on `port` says it holds."""
    return {row["shard"] for row in (status(port) or {}).get("shards", []) if row.get("mine")}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary")
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()
    if args.trials < 1 or args.trials > 1000:
        sys.exit("--trials must be from 1 to 1000")
    state = postgres_state("rewind_shards")

    with tempfile.TemporaryDirectory(prefix="rewind-shards-") as directory:
        replicas = Replicas(args.binary, directory, ("a", "b", "c"), f"state: {state}\nha: {{ shards: {SHARDS} }}")

        def answers(port):
            return status(port) is not None

        def balanced():
            return all(len(held(r["port"])) == 1 for _, r in replicas.items())

        gaps = []
        try:
            for name, _ in replicas.items():
                replicas.start(name, until=answers)
            for trial in range(args.trials):
                wait_for("every replica to hold one shard", balanced)
                victim = next(n for n, r in replicas.items() if not (status(r["port"]) or {}).get("leader"))
                survivors = [r["port"] for n, r in replicas.items() if n != victim]
                time.sleep(random.uniform(0, 1.0))  # anywhere in the victim's 750 ms renewal cycle
                killed = time.monotonic()
                process = replicas.kill(victim)
                while set().union(*(held(port) for port in survivors)) != set(range(SHARDS)):
                    if time.monotonic() - killed > 60:
                        sys.exit(f"trial {trial + 1}: the survivors did not hold every shard within 60 s")
                    time.sleep(0.01)
                gap = time.monotonic() - killed
                gaps.append(gap)
                print(f"trial {trial + 1:2}: {victim} killed, its shard held again after {gap:.2f} s", flush=True)
                process.wait()
                replicas.start(victim, until=answers)
        finally:
            replicas.stop_all()

    report(gaps, "a killed replica's shard without a holder", args.json)


if __name__ == "__main__":
    main()
