"""What the replica benchmarks (failover.py, shard_takeover.py) share: the sandbox the replicas watch, the
replicas themselves on one PostgreSQL state, and how a run's figures are reported."""

import json
import os
import signal
import statistics
import subprocess
import sys
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


def postgres_state(schema_prefix):
    """REWIND_POSTGRES_URL with a fresh schema for this run."""
    url = os.environ.get("REWIND_POSTGRES_URL")
    if not url:
        sys.exit("set REWIND_POSTGRES_URL (eval \"$(scripts/postgres/start)\")")
    return url + ("&" if "?" in url else "?") + f"search_path={schema_prefix}_" + uuid.uuid4().hex


def sandbox():
    """The footprint benchmark's services and platform on loopback: their base URLs."""
    servers = {name: serve(service_handler(name)) for name in SERVICES}
    platform_server = serve(Platform)
    for server in [*servers.values(), platform_server]:
        # A replica killed mid-request resets its connections: expected here, not worth a traceback.
        server.handle_error = lambda request, address: None
    services = {name: f"http://127.0.0.1:{s.server_address[1]}" for name, s in servers.items()}
    return services, f"http://127.0.0.1:{platform_server.server_address[1]}"


class Replicas:
    """`rewind serve` replicas of one policy on one state, each with its folder, port and log under `directory`.
    `state_lines` replaces the policy's `state:` line (the state, and `ha:` when sharded). The policy is the
    footprint benchmark's over its sandbox, unless `policy_for(port)` gives another (with `state: state.db`)."""

    def __init__(self, binary, directory, names, state_lines, policy_for=None):
        self.binary = binary
        self.replicas = {}
        if policy_for is None:
            services, platform = sandbox()
            policy_for = lambda port: policy(services, platform, port)  # noqa: E731
        for name in names:
            folder = os.path.join(directory, name)
            os.makedirs(folder)
            port = free_port()
            config = os.path.join(folder, "rewind.yaml")
            with open(config, "w") as f:
                f.write(policy_for(port).replace("state: state.db", state_lines))
            self.replicas[name] = {"port": port, "config": config, "log": os.path.join(folder, "daemon.log")}

    def __getitem__(self, name):
        return self.replicas[name]

    def items(self):
        return self.replicas.items()

    def port(self, name):
        return self.replicas[name]["port"]

    def start(self, name, until):
        """Starts the replica and waits until `until(port)` holds."""
        replica = self.replicas[name]
        log = open(replica["log"], "a")
        env = dict(os.environ, REWIND_LOG_LEVEL="warning")
        replica["process"] = subprocess.Popen(
            [self.binary, "serve", "--config", replica["config"]], stdout=log, stderr=subprocess.STDOUT, env=env)
        wait_for(f"replica {name} to answer", lambda: until(replica["port"]))

    def kill(self, name):
        """SIGKILL, then reaps the process."""
        process = self.replicas[name]["process"]
        process.send_signal(signal.SIGKILL)
        return process

    def stop_all(self):
        for replica in self.replicas.values():
            process = replica.get("process")
            if process and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()


def report(seconds, what, json_path):
    """Prints median, min and max of `seconds` as `what`, and writes them as JSON when asked."""
    figures = {
        "trials": len(seconds),
        "median_seconds": round(statistics.median(seconds), 2),
        "min_seconds": round(min(seconds), 2),
        "max_seconds": round(max(seconds), 2),
    }
    print(
        f"{what}, {figures['trials']} trials: median {figures['median_seconds']} s, "
        f"min {figures['min_seconds']} s, max {figures['max_seconds']} s")
    if json_path:
        with open(json_path, "w") as f:
            json.dump(figures, f, indent=2)
