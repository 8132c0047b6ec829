#!/usr/bin/env python3
"""How `rewind serve` scales with the number of HTTP health checks it runs every second.

For each count (default 100, 1000, 10000): a policy of COUNT/10 services with 10 health checks
each, every check its own URL on the target farm (Benchmarks/Tools/TargetFarm, one loopback
HTTP server), every service with an http provider whose `current` the farm answers. The daemon
runs pinned to one core (`taskset -c 1`), the farm to the other (`taskset -c 0`). After /readyz
answers and a warm-up, one window is measured:

- CPU of the daemon, in percent of one core (utime + stime from /proc/PID/stat);
- resident memory (VmRSS at the end, the highest sampled, VmHWM);
- checks per second (the daemon's rewind_checks_total);
- the schedule's lag: how late checks started after they were due, from the daemon's own
  rewind_watch_lag_seconds histogram over the window (p50 and p99 as the bucket they fall in);
- CPU per check (CPU seconds ÷ checks);
- context switches per check: how often the daemon's threads gave up or lost the CPU over the window
  (voluntary + involuntary, summed over /proc/PID/task/*/status) ÷ checks — the thread hops a check makes.

Usage: scale.py REWIND_BINARY TARGET_FARM_BINARY [--counts 100,1000,10000] [--warmup 30]
       [--seconds 60] [--json PATH]
Everything stays on 127.0.0.1.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

from daemon_footprint import cpu_ticks, free_port, get, status_kib, stop

CHECKS_PER_SERVICE = 10


def policy(count, farm, api_port):
    lines = [
        "mode: enforce",
        "state: state.db",
        f"server: {{ listen: 127.0.0.1:{api_port} }}",
        "health: { interval: 1s, timeout: 2s, confirm_interval: 100ms }",
        "notifications: { console: false, file: notifications.jsonl }",
        "services:",
    ]
    for s in range(max(1, count // CHECKS_PER_SERVICE)):
        name = f"s{s:05d}"
        lines.append(f"  {name}:")
        lines.append("    checks:")
        for c in range(CHECKS_PER_SERVICE):
            lines.append(f"      - {{ name: c{c}, url: {farm}/s/{name}-c{c}/health }}")
        lines.append("    provider:")
        lines.append("      type: http")
        lines.append(f'      rollback: {{ method: POST, url: "{farm}/v1/services/{{{{service}}}}/rollback", expect: [202] }}')
        lines.append(f'      current: {{ url: "{farm}/v1/services/{{{{service}}}}/current", field: id }}')
    return "\n".join(lines) + "\n"


def scrape(api_port):
    """(checks total, {le: cumulative count} of the check lag histogram, lag count)."""
    _, text = get(f"http://127.0.0.1:{api_port}/metrics", timeout=30)
    checks = 0.0
    buckets = {}
    count = 0.0
    for line in text.splitlines():
        if line.startswith("rewind_checks_total{"):
            checks += float(line.rsplit(" ", 1)[1])
        elif line.startswith("rewind_watch_lag_seconds_bucket{") and 'kind="check"' in line:
            le = re.search(r'le="([^"]+)"', line).group(1)
            buckets[float("inf") if le == "+Inf" else float(le)] = float(line.rsplit(" ", 1)[1])
        elif line.startswith("rewind_watch_lag_seconds_count{") and 'kind="check"' in line:
            count = float(line.rsplit(" ", 1)[1])
    return checks, buckets, count


def context_switches(pid):
    """Voluntary + involuntary context switches of all the process's threads so far."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{task}/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")):
                        total += int(line.split()[1])
        except FileNotFoundError:  # the thread ended
            pass
    return total


def quantile_bucket(before, after, q):
    """The upper bound of the histogram bucket the q-quantile of the window falls in."""
    total = after[2] - before[2]
    if total <= 0:
        return None
    for le in sorted(after[1]):
        if after[1][le] - before[1].get(le, 0) >= q * total:
            return le
    return float("inf")


def measure(binary, farm, count, warmup, seconds):
    api_port = free_port()
    with tempfile.TemporaryDirectory(prefix="rewind-scale-") as directory:
        config = os.path.join(directory, "rewind.yaml")
        with open(config, "w") as f:
            f.write(policy(count, farm, api_port))
        log = open(os.path.join(directory, "daemon.log"), "w")
        env = dict(os.environ, REWIND_LOG_LEVEL="warning")
        daemon = subprocess.Popen(["taskset", "-c", "1", binary, "serve", "--config", config],
                                  stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            deadline = time.monotonic() + 120
            while True:
                if daemon.poll() is not None:
                    log.flush()
                    sys.exit(f"rewind serve exited with {daemon.returncode}:\n" + open(log.name).read()[-4000:])
                try:
                    if get(f"http://127.0.0.1:{api_port}/readyz")[0] == 200:
                        break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    sys.exit("rewind serve did not answer /readyz within 120 s")
                time.sleep(0.2)
            time.sleep(warmup)
            ticks = os.sysconf("SC_CLK_TCK")
            before = scrape(api_port)
            start_ticks, start = cpu_ticks(daemon.pid), time.monotonic()
            start_switches = context_switches(daemon.pid)
            rss = []
            while time.monotonic() - start < seconds:
                time.sleep(1)
                rss.append(status_kib(daemon.pid)["VmRSS"])
            end_ticks, end = cpu_ticks(daemon.pid), time.monotonic()
            end_switches = context_switches(daemon.pid)
            after = scrape(api_port)
            final = status_kib(daemon.pid)
        finally:
            stop(daemon, grace=30)
            log.close()
    window = end - start
    cpu_seconds = (end_ticks - start_ticks) / ticks
    checks = after[0] - before[0]
    return {
        "checks_configured": count,
        "window_s": round(window, 1),
        "cpu_percent_of_one_core": round(100 * cpu_seconds / window, 1),
        "vmrss_mib_end": round(final["VmRSS"] / 1024, 1),
        "vmrss_mib_max": round(max(rss) / 1024, 1),
        "vmhwm_mib": round(final["VmHWM"] / 1024, 1),
        "checks_per_second": round(checks / window, 1),
        "lag_p50_at_most_s": quantile_bucket(before, after, 0.5),
        "lag_p99_at_most_s": quantile_bucket(before, after, 0.99),
        "cpu_us_per_check": round(1e6 * cpu_seconds / checks, 1) if checks else None,
        "switches_per_check": round((end_switches - start_switches) / checks, 2) if checks else None,
        "threads": final["Threads"],
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary")
    parser.add_argument("farm")
    parser.add_argument("--counts", default="100,1000,10000")
    parser.add_argument("--warmup", type=float, default=30)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()

    farm_process = subprocess.Popen(["taskset", "-c", "0", args.farm, "0"], stdout=subprocess.PIPE, text=True)
    try:
        port = int(farm_process.stdout.readline().strip())
        farm = f"http://127.0.0.1:{port}"
        rows = [measure(args.binary, farm, int(count), args.warmup, args.seconds)
                for count in args.counts.split(",")]
    finally:
        stop(farm_process, grace=10)

    def lag(value):
        return "—" if value is None else ("> 10 s" if value == float("inf") else f"≤ {value * 1000:g} ms")

    print("rewind serve, HTTP health checks every 1 s, daemon on one core (taskset -c 1)")
    print(f"{'checks':>7}  {'checks/s':>9}  {'CPU % of 1 core':>15}  {'RSS MiB':>8}  {'HWM MiB':>8}  "
          f"{'lag p50':>9}  {'lag p99':>9}  {'CPU µs/check':>12}  {'switches/check':>14}  {'threads':>7}")
    for row in rows:
        print(f"{row['checks_configured']:>7}  {row['checks_per_second']:>9}  {row['cpu_percent_of_one_core']:>15}  "
              f"{row['vmrss_mib_end']:>8}  {row['vmhwm_mib']:>8}  {lag(row['lag_p50_at_most_s']):>9}  "
              f"{lag(row['lag_p99_at_most_s']):>9}  {row['cpu_us_per_check']!s:>12}  "
              f"{row['switches_per_check']!s:>14}  {row['threads']:>7}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
