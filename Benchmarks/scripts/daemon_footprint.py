#!/usr/bin/env python3
"""Resident memory and CPU of `rewind serve` while it watches three services.

Starts a minimal sandbox on 127.0.0.1 (three services answering GET /health with 200, and a
platform API answering `current` for the daemon's periodic platform sync), writes a rewind.yaml
that watches them every second, spawns the daemon, lets it settle, then measures a window:

- VmRSS and VmHWM from /proc/PID/status (sampled every second; the last, the lowest and the
  highest VmRSS are reported, and VmHWM, the kernel's high-water mark since start),
- average CPU over the window from utime + stime in /proc/PID/stat (percent of one core),
- the number of health checks the daemon reported in its /metrics (proof that it watched).

Usage: daemon_footprint.py REWIND_BINARY [--seconds 60] [--settle 5] [--json PATH]
Everything stays on loopback; the daemon is stopped with SIGTERM at the end.
"""

import argparse
import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

SERVICES = ["frontend", "backend", "worker"]


class Quiet(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the daemon's client pools connections

    def log_message(self, *args):
        pass

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def service_handler(name):
    class Service(Quiet):
        def do_GET(self):
            if self.path in ("/health", "/"):
                self.answer(200, {"service": name, "deployment": name[:2] + "-v1", "version": "v1", "status": "ok"})
            else:
                self.answer(404, {"error": "not found"})

    return Service


class Platform(Quiet):
    def do_GET(self):
        parts = self.path.strip("/").split("/")
        if len(parts) == 4 and parts[:2] == ["v1", "services"] and parts[2] in SERVICES:
            name = parts[2]
            if parts[3] == "current":
                return self.answer(200, {"id": name[:2] + "-v1", "version": "v1"})
            if parts[3] == "deployments":
                deployment = {"id": name[:2] + "-v1", "version": "v1", "created_at": "2026-01-01T00:00:00Z"}
                return self.answer(200, {"deployments": [deployment]})
        self.answer(404, {"error": "not found"})

    def do_POST(self):
        self.answer(404, {"error": "the footprint sandbox never rolls back"})


class QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a daemon stopped mid-request (a broken pipe) is expected here, not news


def serve(handler):
    server = QuietServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def policy(services, platform, api_port):
    provider = f"""    provider:
      type: http
      rollback:
        method: POST
        url: {platform}/v1/services/{{{{service}}}}/rollback
        body: {{ deployment: "{{{{target.id}}}}" }}
        expect: [202]
      current:
        url: {platform}/v1/services/{{{{service}}}}/current
        field: id
      timeout: 5s
"""
    lines = [
        "mode: enforce",
        "state: state.db",
        f"server: {{ listen: 127.0.0.1:{api_port} }}",
        "health:",
        "  interval: 1s",
        "  timeout: 500ms",
        "  confirm_interval: 100ms",
        "notifications: { console: false, file: notifications.jsonl }",
        "services:",
    ]
    severities = {"frontend": "critical", "backend": "critical", "worker": "non-critical"}
    for name in SERVICES:
        lines.append(f"  {name}:")
        lines.append("    checks:")
        lines.append(f"      - {{ name: health, url: {services[name]}/health, severity: {severities[name]} }}")
        lines.append(provider.rstrip("\n"))
    return "\n".join(lines) + "\n"


def status_kib(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM", "Threads"):
                fields[key] = int(value.split()[0])
    return fields


def memory_breakdown(pid):
    """Resident memory by what it is, from /proc/PID/smaps: each shared library and the binary
    (file-backed pages the process touched), the heap (malloc's main arena, [heap]), the other
    anonymous mappings (malloc's per-thread arenas, thread stacks, the Swift runtime's own
    allocations) and the rest. KiB of Rss, and of Private (pages no other process shares)."""
    groups = {}
    current = None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            first = line.split(None, 1)[0]
            if "-" in first and not first.endswith(":"):
                parts = line.split()
                path = parts[5] if len(parts) > 5 else ""
                if path.startswith("/"):
                    current = os.path.basename(path)
                elif path == "[heap]":
                    current = "[heap] (malloc main arena)"
                elif path.startswith("["):
                    current = path
                else:
                    current = "[anonymous] (thread arenas, stacks, runtime)"
                groups.setdefault(current, {"rss": 0, "private": 0})
            elif first == "Rss:":
                groups[current]["rss"] += int(line.split()[1])
            elif first in ("Private_Clean:", "Private_Dirty:"):
                groups[current]["private"] += int(line.split()[1])
    return sorted(groups.items(), key=lambda item: -item[1]["rss"])


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        # The command name is in parentheses and may contain spaces: split after the last ')'.
        rest = f.read().rsplit(")", 1)[1].split()
    utime, stime = int(rest[11]), int(rest[12])  # fields 14 and 15 of proc(5)
    return utime + stime


def stop(process, grace=15):
    """SIGTERM, then SIGKILL if the process has not exited within `grace` seconds."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def get(url, timeout=1.0):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, response.read().decode()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--settle", type=float, default=5)
    parser.add_argument("--json", help="also write the figures here")
    parser.add_argument("--ready-within", type=float, default=30, metavar="SECONDS",
                        help="how long the daemon may take to answer /healthz (longer under valgrind)")
    parser.add_argument("--resident-map", metavar="UNSTRIPPED_BINARY", nargs="?", const="",
                        help="also attribute the binary's resident pages to sections and components "
                             "(resident_map.py; root only), with symbols from UNSTRIPPED_BINARY if given")
    args = parser.parse_args()

    servers = {name: serve(service_handler(name)) for name in SERVICES}
    platform_server = serve(Platform)
    services = {name: f"http://127.0.0.1:{s.server_address[1]}" for name, s in servers.items()}
    platform = f"http://127.0.0.1:{platform_server.server_address[1]}"
    api_port = free_port()

    with tempfile.TemporaryDirectory(prefix="rewind-footprint-") as directory:
        config = os.path.join(directory, "rewind.yaml")
        with open(config, "w") as f:
            f.write(policy(services, platform, api_port))
        log = open(os.path.join(directory, "daemon.log"), "w")
        env = dict(os.environ, REWIND_LOG_LEVEL=os.environ.get("REWIND_LOG_LEVEL", "warning"))
        daemon = subprocess.Popen(
            [args.binary, "serve", "--config", config], stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            deadline = time.monotonic() + args.ready_within
            while True:
                if daemon.poll() is not None:
                    log.flush()
                    sys.exit(f"rewind serve exited with {daemon.returncode}:\n" + open(log.name).read())
                try:
                    if get(f"http://127.0.0.1:{api_port}/healthz")[0] == 200:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    sys.exit(f"rewind serve did not answer /healthz within {args.ready_within:g} s")
                time.sleep(0.1)
            time.sleep(args.settle)

            ticks_per_second = os.sysconf("SC_CLK_TCK")
            start_ticks, start = cpu_ticks(daemon.pid), time.monotonic()
            rss = []
            while time.monotonic() - start < args.seconds:
                time.sleep(1)
                rss.append(status_kib(daemon.pid)["VmRSS"])
            end_ticks, end = cpu_ticks(daemon.pid), time.monotonic()
            final = status_kib(daemon.pid)
            breakdown = memory_breakdown(daemon.pid)
            resident_map = None
            if args.resident_map is not None:
                command = [sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "resident_map.py"),
                           str(daemon.pid)] + ([args.resident_map] if args.resident_map else []) + ["--referenced"]
                mapped = subprocess.run(command, capture_output=True, text=True)
                resident_map = mapped.stdout + mapped.stderr
            _, metrics = get(f"http://127.0.0.1:{api_port}/metrics", timeout=5)
        finally:
            stop(daemon)
            log.close()

    checks = sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
                 if line.startswith("rewind_checks_total{"))
    window = end - start
    cpu_seconds = (end_ticks - start_ticks) / ticks_per_second
    figures = {
        "binary": args.binary,
        "window_s": round(window, 1),
        "settle_s": args.settle,
        "vmrss_kib_end": final["VmRSS"],
        "vmrss_kib_min": min(rss),
        "vmrss_kib_max": max(rss),
        "vmhwm_kib": final["VmHWM"],
        "threads": final["Threads"],
        "cpu_seconds": round(cpu_seconds, 2),
        "cpu_percent_of_one_core": round(100 * cpu_seconds / window, 2),
        "health_checks_total": int(checks),
        "clock_ticks_per_second": ticks_per_second,
        "rss_breakdown_kib": {name: sizes for name, sizes in breakdown if sizes["rss"] > 0},
    }
    print(f"rewind serve footprint over {window:.1f} s (after {args.settle:g} s settle), watching 3 services every 1 s")
    print(f"  VmRSS  end {final['VmRSS'] / 1024:.1f} MiB  "
          f"(min {min(rss) / 1024:.1f}, max {max(rss) / 1024:.1f} MiB over the window)")
    print(f"  VmHWM      {final['VmHWM'] / 1024:.1f} MiB  (peak resident since start)")
    print(f"  CPU        {cpu_seconds:.2f} s  =  {figures['cpu_percent_of_one_core']:.2f} % of one core on average"
          f"  (clock tick {1000 / ticks_per_second:.0f} ms)")
    print(f"  threads    {final['Threads']}")
    print(f"  health checks performed since start (rewind_checks_total): {int(checks)}")
    print("  resident memory by mapping (KiB; private = not shared with another process):")
    shown = [(name, sizes) for name, sizes in breakdown if sizes["rss"] >= 256]
    for name, sizes in shown:
        print(f"    {sizes['rss']:7d} rss  {sizes['private']:7d} private  {name}")
    rest = [sizes for name, sizes in breakdown if sizes["rss"] < 256]
    print(f"    {sum(r['rss'] for r in rest):7d} rss  {sum(r['private'] for r in rest):7d} private  "
          f"{len(rest)} smaller mappings")
    if resident_map:
        print(resident_map, end="")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
