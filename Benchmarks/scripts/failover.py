#!/usr/bin/env python3
"""Failover: how long a standby replica takes to lead after the leader is killed with SIGKILL.

Two `rewind serve` replicas share one PostgreSQL state (REWIND_POSTGRES_URL; a fresh schema per run) and
watch the footprint benchmark's sandbox (three services answering 200 on loopback). Each trial finds the
leader (`GET /api/v1/status`), kills it with SIGKILL at a random point of its renewal cycle, and polls the
standby's status every 10 ms until it says it leads: the time from the kill to that answer is the takeover.
The killed replica is started again and waits as the new standby before the next trial.

Usage: failover.py REWIND_BINARY [--trials 20] [--json PATH]
"""

import argparse
import random
import sys
import tempfile
import time

from replica_bench import Replicas, postgres_state, ready, report, status, wait_for


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary")
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()
    state = postgres_state("rewind_failover")

    with tempfile.TemporaryDirectory(prefix="rewind-failover-") as directory:
        replicas = Replicas(args.binary, directory, ("a", "b"), f"state: {state}")

        takeovers = []
        try:
            replicas.start("a", until=ready)
            replicas.start("b", until=ready)
            for trial in range(args.trials):
                leader = next(n for n, r in replicas.items() if (status(r["port"]) or {}).get("leader"))
                standby = "b" if leader == "a" else "a"
                wait_for("the standby to see the leader", lambda: ready(replicas.port(standby)))
                time.sleep(random.uniform(0, 1.0))  # anywhere in the leader's 750 ms renewal cycle
                killed = time.monotonic()
                process = replicas.kill(leader)
                port = replicas.port(standby)
                while not (status(port) or {}).get("leader"):
                    if time.monotonic() - killed > 60:
                        sys.exit(f"trial {trial + 1}: the standby did not lead within 60 s")
                    time.sleep(0.01)
                takeover = time.monotonic() - killed
                takeovers.append(takeover)
                print(f"trial {trial + 1:2}: {leader} killed, {standby} leads after {takeover:.2f} s", flush=True)
                process.wait()
                replicas.start(leader, until=ready)
        finally:
            replicas.stop_all()

    report(takeovers, "takeover after SIGKILL of the leader", args.json)


if __name__ == "__main__":
    main()
