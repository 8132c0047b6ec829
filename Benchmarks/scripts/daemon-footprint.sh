#!/usr/bin/env bash
# Resident memory and CPU of `rewind serve` watching three services on loopback.
#
#   Benchmarks/scripts/daemon-footprint.sh [seconds]      (default 60)
#
# Builds the daemon in release mode through the benchmarks package (so it shares that package's
# release build folder, Benchmarks/.build) unless REWIND_BIN names a binary, then runs
# daemon_footprint.py (python3, standard library only). FOOTPRINT_JSON=path also writes the
# figures as JSON. REWIND_PACKAGE_PATH is honoured as in Benchmarks/Package.swift.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
benchmarks="$(cd "$here/.." && pwd)"
seconds="${1:-60}"
if [[ -z "${REWIND_BIN:-}" ]]; then
    swift build -c release --package-path "$benchmarks" --product rewind >&2
    REWIND_BIN="$benchmarks/.build/release/rewind"
fi
exec python3 "$here/daemon_footprint.py" "$REWIND_BIN" --seconds "$seconds" ${FOOTPRINT_JSON:+--json "$FOOTPRINT_JSON"}
