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

from daemon_footprint import Platform, SERVICES, free_port, get, policy, serve, service_handler


def status(port):
    try:
        code, body = get(f"http://127.0.0.1:{port}/api/v1/status", timeout=1.0)
        return json.loads(body) if code == 200 else None
    except (OSError, ValueError):
        return None


def ready(port):
    try:
        return get(f"http://127.0.0.1:{port}/readyz", timeout=1.0)[0] == 200
    except OSError:
        return False


def wait_for(what, condition, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    sys.exit(f"gave up after {seconds} s waiting for {what}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary")
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()
    url = os.environ.get("REWIND_POSTGRES_URL")
    if not url:
        sys.exit("set REWIND_POSTGRES_URL (eval \"$(scripts/postgres/start)\")")
    state = url + ("&" if "?" in url else "?") + "search_path=rewind_failover_" + uuid.uuid4().hex

    servers = {name: serve(service_handler(name)) for name in SERVICES}
    platform_server = serve(Platform)
    for server in [*servers.values(), platform_server]:
        # A replica killed mid-request resets its connections: expected here, not worth a traceback.
        server.handle_error = lambda request, address: None
    services = {name: f"http://127.0.0.1:{s.server_address[1]}" for name, s in servers.items()}
    platform = f"http://127.0.0.1:{platform_server.server_address[1]}"

    with tempfile.TemporaryDirectory(prefix="rewind-failover-") as directory:
        replicas = {}
        for name in ("a", "b"):
            folder = os.path.join(directory, name)
            os.makedirs(folder)
            port = free_port()
            config = os.path.join(folder, "rewind.yaml")
            with open(config, "w") as f:
                f.write(policy(services, platform, port).replace("state: state.db", f"state: {state}"))
            replicas[name] = {"port": port, "config": config, "log": os.path.join(folder, "daemon.log")}

        def start(name):
            replica = replicas[name]
            log = open(replica["log"], "a")
            env = dict(os.environ, REWIND_LOG_LEVEL="warning")
            replica["process"] = subprocess.Popen(
                [args.binary, "serve", "--config", replica["config"]], stdout=log, stderr=subprocess.STDOUT, env=env)
            wait_for(f"replica {name} to be ready", lambda: ready(replica["port"]))

        takeovers = []
        try:
            start("a")
            start("b")
            for trial in range(args.trials):
                leader = next(n for n, r in replicas.items() if (status(r["port"]) or {}).get("leader"))
                standby = "b" if leader == "a" else "a"
                wait_for("the standby to see the leader", lambda: ready(replicas[standby]["port"]))
                time.sleep(random.uniform(0, 1.0))  # anywhere in the leader's 750 ms renewal cycle
                killed = time.monotonic()
                replicas[leader]["process"].send_signal(signal.SIGKILL)
                port = replicas[standby]["port"]
                while not (status(port) or {}).get("leader"):
                    if time.monotonic() - killed > 60:
                        sys.exit(f"trial {trial + 1}: the standby did not lead within 60 s")
                    time.sleep(0.01)
                takeover = time.monotonic() - killed
                takeovers.append(takeover)
                print(f"trial {trial + 1:2}: {leader} killed, {standby} leads after {takeover:.2f} s", flush=True)
                replicas[leader]["process"].wait()
                start(leader)
        finally:
            for replica in replicas.values():
                process = replica.get("process")
                if process and process.poll() is None:
                    process.send_signal(signal.SIGTERM)
                    try:
                        process.wait(timeout=15)
                    except subprocess.TimeoutExpired:
                        process.kill()

    figures = {
        "trials": len(takeovers),
        "median_seconds": round(statistics.median(takeovers), 2),
        "min_seconds": round(min(takeovers), 2),
        "max_seconds": round(max(takeovers), 2),
    }
    print(
        f"takeover after SIGKILL of the leader, {figures['trials']} trials: median {figures['median_seconds']} s, "
        f"min {figures['min_seconds']} s, max {figures['max_seconds']} s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=2)


if __name__ == "__main__":
    main()
