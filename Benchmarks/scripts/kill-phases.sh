#!/usr/bin/env bash
# The two-process kill campaign: ReplicaKillPhaseTests (two `rewind serve` replicas on PostgreSQL, the leader
# SIGKILLed at each journal phase of a rollback) run ROUNDS times, with the figures per phase: takeover time
# (median and max), platform calls, notices and duplicates. CI runs one round (scripts/test); this is the longer
# campaign, outside CI.
#
#   Benchmarks/scripts/kill-phases.sh [rounds]      (default 5)
#
# Needs a debug build with tests (`swift build --build-tests`): the stop hook (REWIND_TEST_STOP_AT) exists only in
# debug builds. Starts a private PostgreSQL (scripts/postgres/start) unless REWIND_POSTGRES_URL is set.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
rounds="${1:-5}"
if ! [[ "$rounds" =~ ^[0-9]+$ ]] || (( rounds < 1 || rounds > 100 )); then
    echo "rounds must be a whole number from 1 to 100 (got '$rounds')" >&2
    exit 64
fi
cd "$root"
if [[ -z "${REWIND_POSTGRES_URL:-}" ]]; then
    eval "$(scripts/postgres/start)"
    trap 'scripts/postgres/stop >/dev/null || true' EXIT
fi
log=$(mktemp)
for round in $(seq 1 "$rounds"); do
    echo "round $round of $rounds" >&2
    REWIND_REQUIRE_POSTGRES=1 swift test --skip-build --filter ReplicaKillPhaseTests 2>&1 | tee -a "$log" \
        | grep -E "^kill-phase|✘|error:" >&2 || true
done
python3 - "$log" <<'PY'
import re, statistics, sys
rows = {}
pattern = re.compile(r"^kill-phase (\S+): takeover ([\d.]+) s, platform calls (\d+), notices (\d+) \((\d+) duplicates\), incident (\w+)")
for line in open(sys.argv[1], encoding="utf-8"):
    match = pattern.match(line.strip())
    if match:
        phase, takeover, calls, notices, duplicates, status = match.groups()
        rows.setdefault(phase, []).append((float(takeover), int(calls), int(notices), int(duplicates), status))
print("| phase | kills | takeover median | takeover max | platform calls (each) | notices delivered | duplicates | incidents completed |")
print("|---|---|---|---|---|---|---|---|")
for phase, runs in rows.items():
    takeovers = [run[0] for run in runs]
    calls = sorted({run[1] for run in runs})
    print(f"| `{phase}` | {len(runs)} | {statistics.median(takeovers):.2f} s | {max(takeovers):.2f} s | "
          f"{', '.join(map(str, calls))} | {sum(run[2] for run in runs)} | {sum(run[3] for run in runs)} | "
          f"{sum(run[4] == 'completed' for run in runs)} of {len(runs)} |")
PY
