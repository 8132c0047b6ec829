#!/usr/bin/env python3
"""Prints every figure of Rewind's speed-and-footprint targets beside its target, from the files
compare.sh's runs wrote into one folder:

  detection-2s.txt, detection-0s.txt   the Detection benchmark's reports (REWIND_BENCH_REPORT)
  footprint.json                       daemon_footprint.py --json
  startup.json                         startup.py --json
  binary.json                          written by compare.sh (size, shared Swift libraries)
  scale.json                           scale.py --json
  rewind-signals-prometheus.txt        the Signals benchmark's report of 1,000 signals against a real Prometheus

A figure whose file is missing is shown as "not measured" with the reason compare.sh gives;
nothing is filled in by hand.

Usage: compare.py FOLDER
"""

import json
import os
import re
import sys


def report_rows(path):
    """Rows of a benchmark report (Detection's or Signals'): name → (min, median, p90, max) in ms."""
    rows = {}
    if not os.path.exists(path):
        return rows
    pattern = re.compile(r"^\s+(.+?)\s+min\s+([\d.]+)\s+median\s+([\d.]+)\s+p90\s+([\d.]+)\s+max\s+([\d.]+)\s+ms")
    with open(path) as f:
        for line in f:
            match = pattern.match(line)
            if match:
                rows[match.group(1).strip()] = tuple(float(match.group(i)) for i in range(2, 6))
    return rows


def readings(path):
    """(values, no data, errors) of a Signals report's "readings:" line, or None."""
    if not os.path.exists(path):
        return None
    with open(path) as f:
        match = re.search(r"readings: (\d+) values, (\d+) no data, (\d+) errors", f.read())
    return tuple(int(group) for group in match.groups()) if match else None


def load(path):
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def main():
    folder = sys.argv[1]
    table = []

    def add(what, measured, target, met):
        table.append((what, measured, target, "yes" if met is True else ("NO" if met is False else "—")))

    for setting, bound in (("2s", 2.0), ("0s", 0.0)):
        rows = report_rows(os.path.join(folder, f"detection-{setting}.txt"))
        row = rows.get("fault to rollback call")
        median_target, p90_target = (bound + 0.3, bound + 0.5) if bound else (0.4, 0.6)
        if row:
            add(f"fault → rollback call, min_duration {setting}, median", f"{row[1] / 1000:.3f} s",
                f"≤ {median_target:.1f} s", row[1] / 1000 <= median_target)
            add(f"fault → rollback call, min_duration {setting}, p90", f"{row[2] / 1000:.3f} s",
                f"≤ {p90_target:.1f} s", row[2] / 1000 <= p90_target)
        else:
            add(f"fault → rollback call, min_duration {setting}", "not measured", f"≤ {median_target:.1f} s median", None)
    rows = report_rows(os.path.join(folder, "detection-2s.txt"))
    overhead = rows.get("decision overhead")
    if overhead:
        add("decision overhead, median / max of 25 (SQLite, synchronous=FULL)",
            f"{overhead[1]:.1f} / {overhead[3]:.1f} ms", "p99 ≤ 5 ms", overhead[3] <= 5)
    else:
        add("decision overhead", "not measured", "p99 ≤ 5 ms", None)

    footprint = load(os.path.join(folder, "footprint.json"))
    if footprint:
        rss = footprint["vmrss_kib_end"] / 1024
        cpu = footprint["cpu_percent_of_one_core"]
        add("idle RSS, rewind serve watching 3 services", f"{rss:.1f} MiB", "≤ 30 MiB", rss <= 30)
        add("idle CPU", f"{cpu:.2f} % of one core", "≤ 0.5 %", cpu <= 0.5)
    else:
        add("idle footprint", "not measured", "≤ 30 MiB, ≤ 0.5 %", None)

    binary = load(os.path.join(folder, "binary.json"))
    if binary:
        add("release binary, static stdlib, stripped", f"{binary['stripped_bytes'] / 1048576:.1f} MiB", "(reported)", None)
        add("runs without the toolchain's shared libraries", binary["swift_shared_libraries"] or "none needed",
            "none", not binary["swift_shared_libraries"])
    startup = load(os.path.join(folder, "startup.json"))
    if startup:
        add("start → first health check, median", f"{startup['first_check_ms']['median']:.0f} ms", "(reported)", None)
        add("start → /readyz 200, median", f"{startup['readyz_ms']['median']:.0f} ms", "(reported)", None)
    scale = load(os.path.join(folder, "scale.json"))
    for row in scale or []:
        count = row["checks_configured"]
        lag = row["lag_p99_at_most_s"]
        lag_text = "—" if lag is None else ("> 10 s" if lag == float("inf") else f"≤ {lag * 1000:g} ms")
        measured = (f"{row['cpu_percent_of_one_core']} % CPU, {row['vmrss_mib_end']} MiB, lag p99 {lag_text}, "
                    f"{row['checks_per_second']} checks/s")
        met = (row["cpu_percent_of_one_core"] <= 50 and row["vmrss_mib_end"] <= 300 and lag is not None
               and lag <= 0.05 and row["checks_per_second"] >= 0.95 * count)
        add(f"{count} HTTP checks at 1 s, one core", measured, "≤ 50 %, ≤ 300 MiB, ≤ 50 ms" if count == 10000
            else "(scaling row)", met if count == 10000 else None)
    if scale is None:
        add("10000 HTTP checks at 1 s, one core", "not measured", "≤ 50 %, ≤ 300 MiB, ≤ 50 ms", None)

    rounds_report = os.path.join(folder, "rewind-signals-prometheus.txt")
    rounds = report_rows(rounds_report)
    round_row, cpu_row = rounds.get("round, 1000 concurrent"), rounds.get("process CPU, concurrent round")
    counts = readings(rounds_report)
    if round_row and cpu_row and counts:
        values, no_data, errors = counts
        add("1000 Prometheus signals, one round against a real Prometheus, median",
            f"{round_row[1]:.0f} ms, CPU {cpu_row[1]:.0f} ms ({cpu_row[1] / 30000 * 100:.1f} % of a core at 30 s), "
            f"{no_data} no data, {errors} errors", "(reported)", None if no_data + errors == 0 else False)
    else:
        add("1000 Prometheus signals, one round", "not measured (metric-rounds.log says why)", "(reported)", None)

    width = max(len(row[0]) for row in table)
    measured_width = max(len(row[1]) for row in table)
    print(f"{'figure':<{width}}  {'measured':<{measured_width}}  {'target':<18}  met")
    for what, measured, target, met in table:
        print(f"{what:<{width}}  {measured:<{measured_width}}  {target:<18}  {met}")


if __name__ == "__main__":
    main()
