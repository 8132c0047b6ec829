#!/usr/bin/env bash
# Three `rewind serve` replicas sharing 3,000 health checks at 1 s (`ha.shards`) on PostgreSQL: SIGKILL one that is
# not the coordinator, time how long its checks go unwatched.
#
#   Benchmarks/scripts/shard-watch.sh [trials] [count] [shards]      (default 5, 3000, 3)
#
# Starts a private PostgreSQL (scripts/postgres/start) unless REWIND_POSTGRES_URL is set, builds the daemon and the
# target farm in release mode through the benchmarks package unless REWIND_BIN and FARM_BIN name binaries, then runs
# shard_watch.py (python3, standard library only). SHARD_WATCH_JSON=path also writes the figures as JSON.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
benchmarks="$(cd "$here/.." && pwd)"
trials="${1:-5}"
count="${2:-3000}"
shards="${3:-3}"
if [[ -z "${REWIND_POSTGRES_URL:-}" ]]; then
    eval "$("$benchmarks/../scripts/postgres/start")"
fi
if [[ -z "${REWIND_BIN:-}" ]]; then
    swift build -c release --package-path "$benchmarks" --product rewind >&2
    REWIND_BIN="$benchmarks/.build/release/rewind"
fi
if [[ -z "${FARM_BIN:-}" ]]; then
    swift build -c release --package-path "$benchmarks" --product target-farm >&2
    FARM_BIN="$benchmarks/.build/release/target-farm"
fi
exec python3 "$here/shard_watch.py" "$REWIND_BIN" "$FARM_BIN" --trials "$trials" --count "$count" --shards "$shards" \
    ${SHARD_WATCH_JSON:+--json "$SHARD_WATCH_JSON"}
