#!/usr/bin/env python3
"""What one durable SQLite commit costs on this machine: 500 one-row commits in WAL mode.

Usage: commit_latency.py FULL|NORMAL [--path DB]   (standard library only)

FULL is what Rewind's store runs with (every commit waits for an fdatasync of the WAL); NORMAL is
SQLite's usual WAL setting (no sync at commit). Prints median, p90, p99 and max in milliseconds.
"""

import argparse
import os
import sqlite3
import statistics
import tempfile
import time

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("synchronous", choices=["FULL", "NORMAL"])
parser.add_argument("--path", help="the database file (default: a fresh one in a temporary directory)")
args = parser.parse_args()

with tempfile.TemporaryDirectory(prefix="rewind-commit-latency-") as directory:
    path = args.path or os.path.join(directory, "commits.db")
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={args.synchronous}")
    db.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, body TEXT)")
    samples = []
    for _ in range(500):
        start = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO t (body) VALUES (?)", ("x" * 600,))
        db.execute("COMMIT")
        samples.append((time.perf_counter() - start) * 1000)
    db.close()

ordered = sorted(samples)
print(f"synchronous={args.synchronous}: {len(ordered)} commits, median {statistics.median(ordered):.2f} ms, "
      f"p90 {ordered[449]:.2f}, p99 {ordered[494]:.2f}, max {ordered[-1]:.2f}")
