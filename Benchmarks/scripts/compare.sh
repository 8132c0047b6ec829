#!/usr/bin/env bash
# Every speed and footprint figure Rewind has a target for, measured on this machine and printed in
# one table beside its target (BENCHMARKS.md explains each and keeps the figures of record).
#
#   Benchmarks/scripts/compare.sh [FOLDER]      (default: a new folder under $TMPDIR)
#
# Runs, in order: the Detection benchmark twice (min_duration 2s, the shipped default, and 0s);
# then, with the release binary as scripts/release builds it (static Swift libraries, stripped), its
# size and shared libraries, the idle footprint (60 s), the start-up time (10 runs) and the scale
# runs (100, 1,000 and 10,000 checks, daemon pinned to one core); then one round of 1,000 Prometheus signals
# against a real Prometheus that scripts/monitoring/start runs on ports of its own (the Debian packages
# prometheus and prometheus-alertmanager, which scripts/test installs); then compare.py prints the table.
# Takes about 20 minutes after the benchmarks' release build (25–30 minutes the first time on 2 cores). Run it
# on a quiet machine: every figure is a wall-clock or CPU measurement. Everything stays on 127.0.0.1.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
benchmarks="$(cd "$here/.." && pwd)"
root="$(cd "$benchmarks/.." && pwd)"
out="${1:-$(mktemp -d "${TMPDIR:-/tmp}/rewind-compare-XXXXXX")}"
mkdir -p "$out"
echo "figures go to $out" >&2

for setting in 2s 0s; do
    echo "detection, min_duration $setting…" >&2
    (cd "$benchmarks" && REWIND_BENCH_MIN_DURATION=$setting REWIND_BENCH_REPORT="$out/detection-$setting.txt" \
        swift package --allow-writing-to-package-directory benchmark --no-progress \
        --filter "Fault to rollback call" > "$out/detection-$setting.log" 2>&1)
done

echo "release binary, idle footprint and start-up…" >&2
# The release build users run (scripts/release): the Swift runtime and Foundation linked in, stripped.
# Built in the benchmarks' release folder, which the Detection runs above have filled.
swift build -c release --static-swift-stdlib --package-path "$benchmarks" --product rewind >&2
binary="$out/rewind"
install -m 0755 "$benchmarks/.build/release/rewind" "$binary"
strip "$binary"
# Shared libraries of the Swift toolchain the binary would need at run time (none when static).
swift_libraries=$(ldd "$binary" | awk '/libswift|libFoundation|lib_Foundation|libdispatch|libBlocksRuntime/ {print $1}' \
    | paste -sd, -)
python3 - "$binary" "$swift_libraries" > "$out/binary.json" <<'PY'
import json, os, sys
print(json.dumps({"stripped_bytes": os.path.getsize(sys.argv[1]), "swift_shared_libraries": sys.argv[2]}))
PY
FOOTPRINT_JSON="$out/footprint.json" REWIND_BIN="$binary" "$here/daemon-footprint.sh" 60 > "$out/footprint.txt"
python3 "$here/startup.py" "$binary" --runs 10 --json "$out/startup.json" > "$out/startup.txt"

echo "scale: 100, 1000 and 10000 checks…" >&2
swift build -c release --package-path "$benchmarks" --product target-farm >&2
python3 "$here/scale.py" "$binary" "$benchmarks/.build/release/target-farm" --warmup 20 --seconds 30 \
    --json "$out/scale.json" > "$out/scale.txt"

echo "metric rounds: 1,000 Prometheus signals against a real Prometheus…" >&2
# Ports apart from the tests' defaults, so a test run beside it keeps its own Prometheus.
monitoring=$(REWIND_MONITORING_DIR="$out/monitoring" REWIND_PROMETHEUS_PORT=29190 REWIND_ALERTMANAGER_PORT=29193 \
    REWIND_SANDBOX_METRICS_PORT=29200 REWIND_WEBHOOK_PORT=29201 "$root/scripts/monitoring/start")
trap 'REWIND_MONITORING_DIR="$out/monitoring" "$root/scripts/monitoring/stop" > /dev/null 2>&1 || true' EXIT
(eval "$monitoring" && cd "$benchmarks" && REWIND_BENCH_SERVICES=1000 REWIND_BENCH_ROUNDS=10 \
    REWIND_BENCH_FILL_SECONDS=90 REWIND_SIGNALS_REPORT_DIR="$out" \
    swift package --allow-writing-to-package-directory benchmark --target Signals --no-progress \
    --filter "Prometheus round, 1000 services, real Prometheus" > "$out/metric-rounds.log" 2>&1) \
    || echo "metric rounds failed: $out/metric-rounds.log says why" >&2

python3 "$here/compare.py" "$out"
