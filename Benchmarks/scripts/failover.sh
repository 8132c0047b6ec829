#!/usr/bin/env bash
# Failover between two `rewind serve` replicas on PostgreSQL: SIGKILL the leader, time the standby's takeover.
#
#   Benchmarks/scripts/failover.sh [trials]      (default 20)
#
# Starts a private PostgreSQL (scripts/postgres/start) unless REWIND_POSTGRES_URL is set, builds the daemon in
# release mode through the benchmarks package unless REWIND_BIN names a binary, then runs failover.py (python3,
# standard library only). FAILOVER_JSON=path also writes the figures as JSON.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
benchmarks="$(cd "$here/.." && pwd)"
trials="${1:-20}"
if [[ -z "${REWIND_POSTGRES_URL:-}" ]]; then
    eval "$("$benchmarks/../scripts/postgres/start")"
fi
if [[ -z "${REWIND_BIN:-}" ]]; then
    swift build -c release --package-path "$benchmarks" --product rewind >&2
    REWIND_BIN="$benchmarks/.build/release/rewind"
fi
exec python3 "$here/failover.py" "$REWIND_BIN" --trials "$trials" ${FAILOVER_JSON:+--json "$FAILOVER_JSON"}
