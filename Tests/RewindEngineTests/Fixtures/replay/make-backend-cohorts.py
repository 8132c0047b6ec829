#!/usr/bin/env python3
"""Writes backend-cohorts-stable.json and backend-cohorts-canary.json: Prometheus' query_range answers for the
backend's p95 latency per track in the canary agreement test (see README.md). Deterministic: run it again and the
files are the same."""
import json

T0 = 1790000000  # the manual clock's start
END = T0 + 900
V2 = T0 + 90  # backend v2 goes live as a canary: 30 % slower than stable
V2_GONE = T0 + 400  # v2 was rolled back by then: no canary traffic until v3
V3 = T0 + 450  # backend v3 goes live as a canary like stable


def jitter(seed):
    """A deterministic stream of values in [0, 1): a 32-bit linear congruential generator."""
    state = seed
    while True:
        state = (1664525 * state + 1013904223) % 2**32
        yield state / 2**32


def cohort(start, end, scale, seed):
    """A point every 10 s in [start, end): around 100 ms × scale, ±8 %."""
    noise = jitter(seed)
    return [(t, round(0.1 * scale * (0.92 + 0.16 * next(noise)), 5)) for t in range(start, end, 10)]


def write(name, points):
    answer = {
        "status": "success",
        "data": {"resultType": "matrix", "result": [{"metric": {}, "values": [[t, str(v)] for t, v in points]}]},
    }
    with open(__file__.replace("make-backend-cohorts.py", name), "w") as out:
        json.dump(answer, out, separators=(",", ":"))
        out.write("\n")


write("backend-cohorts-stable.json", cohort(T0 - 600, END + 1, 1.0, seed=1))
write("backend-cohorts-canary.json", cohort(V2, V2_GONE, 1.3, seed=2) + cohort(V3, END + 1, 1.0, seed=3))
