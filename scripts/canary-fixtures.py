#!/usr/bin/env python3
"""Reference values for the canary judge's statistics, from scipy.

Writes Tests/Fixtures/canary-statistics.json: for seeded samples (ties, small and large
samples, one-sided and two-sided), the Mann–Whitney U, z and p that
`scipy.stats.mannwhitneyu(x, y, alternative=…, method="asymptotic", use_continuity=True)` computes, the
standard normal tail `scipy.stats.norm.sf`, and the O'Brien–Fleming-type α-spending function
`2 − 2·Φ(z_{1−α/2}/√t)`. The Swift tests (CanaryStatisticsTests) compare RewindCore with these numbers;
they never need scipy. Run it again only to add cases:

    pip install scipy   # or: apt-get install python3-scipy
    scripts/canary-fixtures.py
"""
import json
import pathlib
import sys

import numpy as np
import scipy
from scipy import stats

OUTPUT = pathlib.Path(__file__).resolve().parent.parent / "Tests/Fixtures/canary-statistics.json"


def mann_whitney_case(name, x, y, alternative):
    result = stats.mannwhitneyu(x, y, alternative=alternative, method="asymptotic", use_continuity=True)
    n1, n2 = len(x), len(y)
    u1 = float(result.statistic)
    u2 = n1 * n2 - u1
    # scipy does not return z: compute it from the same definition (U per alternative, tie term from the pooled
    # sample), and check that it gives scipy's p.
    _, counts = np.unique(np.concatenate([x, y]), return_counts=True)
    tie_term = float(np.sum(counts.astype(float) ** 3 - counts))
    n = n1 + n2
    sigma = np.sqrt(n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1))))
    statistic, sides = {"greater": (u1, 1), "less": (u2, 1), "two-sided": (max(u1, u2), 2)}[alternative]
    z = (statistic - n1 * n2 / 2 - 0.5) / sigma
    p_from_z = min(1.0, sides * stats.norm.sf(z))
    if not np.isclose(p_from_z, result.pvalue, rtol=1e-12, atol=0):
        sys.exit(f"{name}: z {z} gives p {p_from_z}, scipy says {result.pvalue}")
    return {"alternative": alternative, "u": u1, "z": float(z), "p": float(result.pvalue)}


def main():
    rng = np.random.default_rng(20261207)
    cases = []

    def add(name, x, y):
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        results = [mann_whitney_case(f"{name} ({alternative})", x, y, alternative)
                   for alternative in ("two-sided", "greater", "less")]
        cases.append({"name": name, "x": x.tolist(), "y": y.tolist(), "results": results})

    add("small, no ties", [1.2, 3.4, 0.7], [2.2, 5.1, 4.4, 3.9])
    add("small, ties across samples", [1, 2, 2, 3], [2, 3, 3, 4, 5])
    add("identical but one", [1, 1, 1, 1, 2], [1, 1, 1, 1, 1])
    add("one value each", [2.0], [1.0])
    add("log-normal 20 vs 20, canary 10 % slower",
        np.round(rng.lognormal(np.log(0.11), 0.2, 20), 4), np.round(rng.lognormal(np.log(0.10), 0.2, 20), 4))
    add("integers 0-5, many ties, 40 vs 35", rng.integers(0, 6, 40), rng.integers(0, 6, 35))
    add("millisecond latencies rounded to 10 ms, 150 vs 150",
        np.round(rng.lognormal(np.log(120), 0.3, 150), -1), np.round(rng.lognormal(np.log(115), 0.3, 150), -1))
    add("large: 2000 vs 1800, 3 % shift, 5 decimals",
        np.round(rng.lognormal(np.log(1.03), 0.25, 2000), 5), np.round(rng.lognormal(0, 0.25, 1800), 5))
    add("large, clearly worse: 500 vs 500, 30 % shift",
        np.round(rng.lognormal(np.log(1.3), 0.25, 500), 6), np.round(rng.lognormal(0, 0.25, 500), 6))
    add("error ratios, mostly zero, 60 vs 60",
        np.where(rng.random(60) < 0.7, 0, np.round(rng.random(60) * 0.05, 3)),
        np.where(rng.random(60) < 0.8, 0, np.round(rng.random(60) * 0.05, 3)))

    normal = [{"z": z, "sf": float(stats.norm.sf(z))}
              for z in [-8.0, -3.0, -1.5, -0.25, 0.0, 0.1, 0.5, 1.0, 1.6448536269514722, 1.959963984540054, 2.5,
                        2.999, 3.0, 3.001, 4.5, 6.0, 8.5, 12.0, 20.0, 30.0]]
    quantiles = [{"p": p, "z": float(stats.norm.isf(p))} for p in [0.5, 0.1, 0.05, 0.025, 0.01, 0.001, 1e-6, 1e-12]]

    def spent(t, alpha):
        # 2·Q(z/√t), not 2 − 2·Φ(z/√t): the latter loses every digit of the tiny early values to cancellation.
        return float(2 * stats.norm.sf(stats.norm.isf(alpha / 2) / np.sqrt(t)))

    spending = [
        {"alpha": alpha, "max_looks": looks, "spent": [spent(k / looks, alpha) for k in range(1, looks + 1)]}
        for alpha, looks in [(0.05, 30), (0.01, 10), (0.1, 5)]
    ]
    document = {
        "generator": "scripts/canary-fixtures.py",
        "scipy": scipy.__version__,
        "method": "mannwhitneyu(method='asymptotic', use_continuity=True); norm.sf; Lan–DeMets O'Brien–Fleming",
        "mann_whitney": cases,
        "normal_sf": normal,
        "normal_upper_quantile": quantiles,
        "spending": spending,
    }
    OUTPUT.write_text(json.dumps(document, separators=(",", ":")) + "\n")
    print(f"wrote {len(cases)} Mann–Whitney cases (3 alternatives each) to {OUTPUT}")


if __name__ == "__main__":
    main()
