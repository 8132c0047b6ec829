#!/usr/bin/env bash
# Shard takeover between three `rewind serve` replicas with `ha.shards: 3` on PostgreSQL: SIGKILL a replica that
# is not the coordinator, time until the survivors hold its shard.
#
#   Benchmarks/scripts/shard-takeover.sh [trials]      (default 10)
#
# Starts a private PostgreSQL (scripts/postgres/start) unless REWIND_POSTGRES_URL is set, builds the daemon in
# release mode through the benchmarks package unless REWIND_BIN names a binary, then runs shard_takeover.py
# (python3, standard library only). SHARDS_JSON=path also writes the figures as JSON.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
benchmarks="$(cd "$here/.." && pwd)"
trials="${1:-10}"
if [[ -z "${REWIND_POSTGRES_URL:-}" ]]; then
    eval "$("$benchmarks/../scripts/postgres/start")"
fi
if [[ -z "${REWIND_BIN:-}" ]]; then
    swift build -c release --package-path "$benchmarks" --product rewind >&2
    REWIND_BIN="$benchmarks/.build/release/rewind"
fi
exec python3 "$here/shard_takeover.py" "$REWIND_BIN" --trials "$trials" ${SHARDS_JSON:+--json "$SHARDS_JSON"}
