#!/usr/bin/env bash
# Instructions of every state write on a rollback, counted with callgrind (repeatable on a noisy machine).
#
#   Benchmarks/scripts/commit-profile.sh [scenario]      (default down: one immediate rollback of backend)
#
# Runs `rewind demo --scenario SCENARIO` (release build, as daemon-footprint.sh builds it, unless
# REWIND_BIN names a binary) under valgrind's callgrind, counting only inside
# `StateChange.apply(createIncident:write:)` — the body of every store write — with one dump per write.
# Prints, per write in order: its instructions and how many of them went to the Swift runtime's
# one-time type-metadata work (`__swift_instantiateConcreteTypeFromMangledName`), then the busiest
# functions of the costliest write. Debian's valgrind (3.19) cannot read the DWARF 5 debug info the
# Swift toolchain emits, so the binary is profiled from a copy without debug info (symbols kept).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
benchmarks="$(cd "$here/.." && pwd)"
scenario="${1:-down}"
if [[ -z "${REWIND_BIN:-}" ]]; then
    swift build -c release --package-path "$benchmarks" --product rewind >&2
    REWIND_BIN="$benchmarks/.build/release/rewind"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
objcopy --strip-debug "$REWIND_BIN" "$work/rewind"
apply="$(nm "$work/rewind" | awk '/StateChangeV5apply14createIncident5write/ && $2 == "T" && !found {found = $3} END {print found}')"
[[ -n "$apply" ]] || { echo "commit-profile: StateChange.apply not found in $REWIND_BIN" >&2; exit 1; }
valgrind --tool=callgrind --callgrind-out-file="$work/write.out" --collect-atstart=no \
    "--toggle-collect=$apply" "--dump-after=$apply" \
    "$work/rewind" demo --scenario "$scenario" --dir "$work/demo" >"$work/demo.log" 2>&1 \
    || echo "commit-profile: the demo did not go as expected under valgrind (its timing is 50x slower); the writes it made are still counted" >&2
grep -E '^\[.*(DECISION|step |TRIGGER)' "$work/demo.log" | cut -c1-140 || true
printf '%-6s %14s %14s\n' write instructions runtime-metadata
costliest="" most=0
for file in $(ls "$work"/write.out.* | awk -F. '{print $NF, $0}' | sort -n | cut -d' ' -f2); do
    total="$(awk '/^summary:/ {print $2; exit}' "$file")"
    [[ "$total" -gt 0 ]] || continue
    metadata="$(callgrind_annotate --inclusive=yes "$file" 2>/dev/null \
        | awk '/__swift_instantiateConcreteTypeFromMangledName/ && !found {gsub(",", "", $1); found = $1} END {print found}')"
    printf '%-6s %14s %14s\n' "${file##*.}" "$total" "${metadata:-0}"
    if [[ "$total" -gt "$most" ]]; then most="$total" costliest="$file"; fi
done
echo
echo "costliest write (${costliest##*.}), inclusive:"
callgrind_annotate --inclusive=yes "$costliest" 2>/dev/null | swift demangle --simplified \
    | grep -E '^ *[0-9,]+ \(' | grep -v '100.0%' | sed -n 1,25p | cut -c1-160
