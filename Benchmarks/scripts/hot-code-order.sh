#!/usr/bin/env bash
# Writes Sources/rewind/hot-code.order, the order in which the release link lays out the functions Rewind runs
# (Package.swift, leanReleaseLink): first every function `rewind serve` runs while it starts and watches three
# services for 40 s, then every other function one rollback runs (`rewind demo --scenario down`), as valgrind's
# callgrind saw them. Laid out together, the code an idle daemon keeps resident shares its pages with little else
# (BENCHMARKS.md, "What the link costs").
#
#   Benchmarks/scripts/hot-code-order.sh      (about 3 minutes; needs valgrind and python3)
#
# Profiles the static release binary (built here unless REWIND_BIN names one). Run it again when the code has
# changed a lot: names the file lists that no longer exist are skipped, and functions it does not list are laid out
# after it — that costs resident memory, never correctness.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
benchmarks="$(cd "$here/.." && pwd)"
root="$(cd "$benchmarks/.." && pwd)"
output="$root/Sources/rewind/hot-code.order"
if [[ -z "${REWIND_BIN:-}" ]]; then
    swift build -c release --static-swift-stdlib --package-path "$benchmarks" --product rewind >&2
    REWIND_BIN="$benchmarks/.build/release/rewind"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Debian's valgrind (3.19) cannot read the DWARF 5 debug info the toolchain writes: profile a copy with symbols only.
objcopy --strip-debug "$REWIND_BIN" "$work/rewind"

echo "hot-code-order: rewind serve under callgrind, 40 s…" >&2
cat >"$work/profiled-rewind" <<EOF
#!/bin/sh
exec valgrind --tool=callgrind --demangle=no --callgrind-out-file="$work/serve.out" "$work/rewind" "\$@" \
    2>"$work/serve-valgrind.log"
EOF
chmod +x "$work/profiled-rewind"
python3 "$here/daemon_footprint.py" "$work/profiled-rewind" --seconds 40 --ready-within 600 >"$work/serve.txt"

echo "hot-code-order: one rollback (rewind demo --scenario down) under callgrind…" >&2
valgrind --tool=callgrind --demangle=no --callgrind-out-file="$work/demo.out" \
    "$work/rewind" demo --scenario down --dir "$work/demo" >"$work/demo.log" 2>&1 \
    || echo "hot-code-order: the demo did not go as expected under valgrind (50 times slower); its functions still count" >&2

nm --defined-only "$work/rewind" | awk '$2 ~ /^[tTwW]$/ {print $3}' >"$work/defined"
python3 - "$work/defined" "$work/serve.out" "$work/demo.out" >"$output" <<'PY'
"""Function names of callgrind profiles, first seen first, that the binary defines (the C library's are not ours to
lay out)."""
import re
import sys

defined = set(open(sys.argv[1]).read().split())
names, seen = [], set()
for profile in sys.argv[2:]:
    with open(profile, errors="replace") as f:
        for line in f:
            match = re.match(r"^c?fn=\(\d+\) ([^\s']+)", line)  # callgrind marks recursion as name'2
            if match and match.group(1) in defined and match.group(1) not in seen:
                seen.add(match.group(1))
                names.append(match.group(1))
print("# The release link's layout of hot code: written by Benchmarks/scripts/hot-code-order.sh, do not edit.")
print(f"# {len(names)} functions `rewind serve` runs while it starts and watches, then those one rollback adds.")
print("\n".join(names))
PY
echo "hot-code-order: $(grep -vc '^#' "$output") functions in ${output#"$root/"}" >&2
