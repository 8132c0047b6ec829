#!/usr/bin/env python3
"""Shard takeover: how long a killed replica's shards stay without a holder (`ha.shards`).

Three `rewind serve` replicas share one PostgreSQL state (REWIND_POSTGRES_URL; a fresh schema per run) with
`ha.shards: 3` and watch the footprint benchmark's sandbox. Each trial waits until every replica holds one
shard, kills a replica that is not the coordinator with SIGKILL at a random point of its renewal cycle, and
polls the survivors' status every 10 ms until they hold every shard: the time from the kill to that answer is
how long the killed replica's shards had no holder. The killed replica is started again before the next trial.

This measures the shard leases' handoff only. The watching does not follow the shards yet (README,
"Sharding"), so no check goes unwatched when a non-coordinator replica dies today; once it does, this is the
floor of how long the killed replica's checks go unwatched.

Usage: shard_takeover.py REWIND_BINARY [--trials 10] [--json PATH]
"""

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

from daemon_footprint import Platform, SERVICES, free_port, policy, serve, service_handler
from failover import status, wait_for

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
    url = os.environ.get("REWIND_POSTGRES_URL")
    if not url:
        sys.exit("set REWIND_POSTGRES_URL (eval \"$(scripts/postgres/start)\")")
    state = url + ("&" if "?" in url else "?") + "search_path=rewind_shards_" + uuid.uuid4().hex

    servers = {name: serve(service_handler(name)) for name in SERVICES}
    platform_server = serve(Platform)
    for server in [*servers.values(), platform_server]:
        server.handle_error = lambda request, address: None
    services = {name: f"http://127.0.0.1:{s.server_address[1]}" for name, s in servers.items()}
    platform = f"http://127.0.0.1:{platform_server.server_address[1]}"

    with tempfile.TemporaryDirectory(prefix="rewind-shards-") as directory:
        replicas = {}
        for name in ("a", "b", "c"):
            folder = os.path.join(directory, name)
            os.makedirs(folder)
            port = free_port()
            config = os.path.join(folder, "rewind.yaml")
            with open(config, "w") as f:
                f.write(
                    policy(services, platform, port).replace("state: state.db", f"state: {state}\nha: {{ shards: {SHARDS} }}"))
            replicas[name] = {"port": port, "config": config, "log": os.path.join(folder, "daemon.log")}

        def start(name):
            replica = replicas[name]
            log = open(replica["log"], "a")
            env = dict(os.environ, REWIND_LOG_LEVEL="warning")
            replica["process"] = subprocess.Popen(
                [args.binary, "serve", "--config", replica["config"]], stdout=log, stderr=subprocess.STDOUT, env=env)
            wait_for(f"replica {name} to answer", lambda: status(replica["port"]) is not None)

        def balanced():
            return all(len(held(r["port"])) == 1 for r in replicas.values())

        gaps = []
        try:
            for name in replicas:
                start(name)
            for trial in range(args.trials):
                wait_for("every replica to hold one shard", balanced)
                victim = next(n for n, r in replicas.items() if not (status(r["port"]) or {}).get("leader"))
                survivors = [r["port"] for n, r in replicas.items() if n != victim]
                time.sleep(random.uniform(0, 1.0))  # anywhere in the victim's 750 ms renewal cycle
                killed = time.monotonic()
                replicas[victim]["process"].send_signal(signal.SIGKILL)
                while set().union(*(held(port) for port in survivors)) != set(range(SHARDS)):
                    if time.monotonic() - killed > 60:
                        sys.exit(f"trial {trial + 1}: the survivors did not hold every shard within 60 s")
                    time.sleep(0.01)
                gap = time.monotonic() - killed
                gaps.append(gap)
                print(f"trial {trial + 1:2}: {victim} killed, its shard held again after {gap:.2f} s", flush=True)
                replicas[victim]["process"].wait()
                start(victim)
        finally:
            for replica in replicas.values():
                process = replica.get("process")
                if process and process.poll() is None:
                    process.send_signal(signal.SIGKILL)
                    process.wait()

    figures = {
        "trials": len(gaps),
        "median_seconds": round(statistics.median(gaps), 2),
        "min_seconds": round(min(gaps), 2),
        "max_seconds": round(max(gaps), 2),
    }
    print(
        f"a killed replica's shard without a holder, {figures['trials']} trials: median {figures['median_seconds']} s, "
        f"min {figures['min_seconds']} s, max {figures['max_seconds']} s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=2)


if __name__ == "__main__":
    main()
