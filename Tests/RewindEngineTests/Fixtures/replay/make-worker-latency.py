#!/usr/bin/env python3
"""Writes worker-latency.json: Prometheus' query_range answer for the worker's p95 latency in the early-warning
agreement test (see README.md). Deterministic: run it again and the file is the same."""
import json

T0 = 1790000000  # the manual clock's start
LIVE_V2 = T0 + 90  # worker v2 goes live
WEEK = 7 * 86400


def usual(i):
    """0.2 s with a little deterministic jitter: 0.19, 0.195, 0.2, 0.205, 0.21."""
    return round(0.2 + 0.005 * ((i * 7) % 5 - 2), 3)


points = []
# The same hour one week before v2 went live (and a little around it): the early-warning baseline.
for i, t in enumerate(range(LIVE_V2 - WEEK - 3600 - 600, LIVE_V2 - WEEK + 600, 10)):
    points.append((t, usual(i)))
# The test's own period: usual until +110 s, then v2's latency climbs; the 1 s threshold fires at +180 s.
ramp = {120: 0.3, 130: 0.4, 140: 0.5, 150: 0.7, 160: 0.9, 170: 1.2, 180: 1.5}
for i, t in enumerate(range(T0, T0 + 420 + 1, 10)):
    offset = t - T0
    value = ramp.get(offset, 1.8 if offset > 180 else usual(i))
    points.append((t, value))

answer = {
    "status": "success",
    "data": {"resultType": "matrix", "result": [{"metric": {}, "values": [[t, str(v)] for t, v in points]}]},
}
with open(__file__.replace("make-worker-latency.py", "worker-latency.json"), "w") as out:
    json.dump(answer, out, separators=(",", ":"))
    out.write("\n")
