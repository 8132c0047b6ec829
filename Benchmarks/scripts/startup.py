#!/usr/bin/env python3
"""Start-up time of `rewind serve`: from the process being spawned to its first health check, and
to `/readyz` answering 200 (the engine holds the writer lease and the store takes writes).

Uses the same loopback sandbox and policy as daemon_footprint.py (three services answering
GET /health, a platform API answering `current`). Each run starts the daemon with a fresh state
directory, times the two moments on the monotonic clock, and stops it with SIGTERM; the report
gives the minimum, median and maximum over the runs.

Usage: startup.py REWIND_BINARY [--runs 10] [--json PATH]
Everything stays on loopback.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from daemon_footprint import SERVICES, Platform, free_port, policy, serve, service_handler, stop

first_request = {}
first_request_lock = threading.Lock()


def recording_handler(name):
    base = service_handler(name)

    class Recording(base):
        def do_GET(self):
            with first_request_lock:
                first_request.setdefault("at", time.monotonic())
            super().do_GET()

    return Recording


def readyz(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=0.5) as response:
            return response.status == 200
    except OSError:
        return False


def one_run(binary, services, platform):
    api_port = free_port()
    with tempfile.TemporaryDirectory(prefix="rewind-startup-") as directory:
        config = os.path.join(directory, "rewind.yaml")
        with open(config, "w") as f:
            f.write(policy(services, platform, api_port))
        with first_request_lock:
            first_request.clear()
        log = open(os.path.join(directory, "daemon.log"), "w")
        env = dict(os.environ, REWIND_LOG_LEVEL="warning")
        spawned = time.monotonic()
        daemon = subprocess.Popen([binary, "serve", "--config", config], stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            ready = None
            deadline = spawned + 30
            while ready is None:
                if daemon.poll() is not None:
                    log.flush()
                    sys.exit(f"rewind serve exited with {daemon.returncode}:\n" + open(log.name).read())
                if readyz(api_port):
                    ready = time.monotonic()
                elif time.monotonic() > deadline:
                    sys.exit("rewind serve did not answer /readyz within 30 s")
                else:
                    time.sleep(0.002)
            while "at" not in first_request and time.monotonic() < deadline:
                time.sleep(0.002)
            checked = first_request.get("at")
            if checked is None:
                sys.exit("rewind serve did not check a service within 30 s")
        finally:
            stop(daemon)
            log.close()
    return (checked - spawned) * 1000, (ready - spawned) * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()

    servers = {name: serve(recording_handler(name)) for name in SERVICES}
    platform_server = serve(Platform)
    services = {name: f"http://127.0.0.1:{s.server_address[1]}" for name, s in servers.items()}
    platform = f"http://127.0.0.1:{platform_server.server_address[1]}"

    runs = [one_run(args.binary, services, platform) for _ in range(max(1, args.runs))]
    first_check = [run[0] for run in runs]
    ready = [run[1] for run in runs]

    def line(name, values):
        return (f"  {name:<28} min {min(values):7.1f}  median {statistics.median(values):7.1f}  "
                f"max {max(values):7.1f} ms")

    print(f"rewind serve start-up over {len(runs)} runs (spawn → moment, monotonic clock)")
    print(line("spawn → first health check", first_check))
    print(line("spawn → /readyz 200", ready))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({
                "binary": args.binary, "runs": len(runs),
                "first_check_ms": {"min": min(first_check), "median": statistics.median(first_check),
                                   "max": max(first_check)},
                "readyz_ms": {"min": min(ready), "median": statistics.median(ready), "max": max(ready)},
            }, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
