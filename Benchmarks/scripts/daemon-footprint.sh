#!/usr/bin/env bash
# Resident memory and CPU of `rewind serve` watching three services on loopback for 60 s.
#
#   Benchmarks/scripts/daemon-footprint.sh [seconds]      (default 60)
#
# Builds the daemon in release mode (swift build -c release --product rewind) unless REWIND_BIN
# names a binary, then runs daemon_footprint.py (python3, standard library only).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
seconds="${1:-60}"
if [[ -z "${REWIND_BIN:-}" ]]; then
    swift build -c release --package-path "$root" --product rewind >&2
    REWIND_BIN="$root/.build/release/rewind"
fi
exec python3 "$here/daemon_footprint.py" "$REWIND_BIN" --seconds "$seconds" ${FOOTPRINT_JSON:+--json "$FOOTPRINT_JSON"}
