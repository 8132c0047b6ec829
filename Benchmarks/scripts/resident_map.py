#!/usr/bin/env python3
"""What the resident pages of a running process's own binary are: each resident page of the
binary's mappings, read from /proc/PID/pagemap (root only), is attributed to the ELF section
and to the component (Swift module, ICU code, ICU data, Swift runtime, BoringSSL, ...) whose
symbols cover most of that page. Needs the unstripped binary (symbols from `nm`); a stripped
one gives the section breakdown only.

Usage: resident_map.py PID [UNSTRIPPED_BINARY] [--referenced]

--referenced first clears the process's accessed bits (/proc/PID/clear_refs), waits 10 s and
reports how much of each of the binary's mappings was touched again in those 10 s (smaps
`Referenced`): the working set of an idle daemon, as opposed to what start-up left resident.
"""

import argparse
import bisect
import collections
import os
import re
import struct
import subprocess
import sys
import time

PAGE = os.sysconf("SC_PAGE_SIZE")


def mappings(pid, binary_name):
    """The mappings of the binary: (start, end, perms, file offset)."""
    found = []
    with open(f"/proc/{pid}/maps") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and os.path.basename(parts[5]) == binary_name:
                start, end = (int(x, 16) for x in parts[0].split("-"))
                found.append((start, end, parts[1], int(parts[2], 16)))
    return found


def resident_pages(pid, start, end):
    """(virtual address, page frame number or None) of each present page in [start, end)."""
    pages = []
    with open(f"/proc/{pid}/pagemap", "rb") as f:
        f.seek(start // PAGE * 8)
        data = f.read((end - start) // PAGE * 8)
    for i in range((end - start) // PAGE):
        (entry,) = struct.unpack_from("<Q", data, i * 8)
        if entry >> 63 & 1:
            pfn = entry & ((1 << 55) - 1)
            pages.append((start + i * PAGE, pfn or None))
    return pages


def referenced_kib(pid, binary_name):
    """Rss and Referenced (KiB) of each of the binary's mappings, from /proc/PID/smaps."""
    found, current = [], None
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            first = line.split(None, 1)[0]
            if "-" in first and not first.endswith(":"):
                parts = line.split()
                current = None
                if len(parts) >= 6 and os.path.basename(parts[5]) == binary_name:
                    current = {"perms": parts[1], "rss": 0, "referenced": 0}
                    found.append(current)
            elif current is not None and first in ("Rss:", "Referenced:"):
                current[first[:-1].lower()] = int(line.split()[1])
    return found


def sections(binary):
    """(file offset start, end, name) of each allocated section."""
    out = subprocess.run(["readelf", "-SW", binary], capture_output=True, text=True, check=True).stdout
    found = []
    for line in out.splitlines():
        m = re.match(r"\s*\[\s*\d+\]\s+(\S+)\s+\S+\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+\S+\s+(\S*)", line)
        if m and "A" in m.group(5):
            name, addr, off, size = m.group(1), int(m.group(2), 16), int(m.group(3), 16), int(m.group(4), 16)
            if m.group(1) != ".tbss" and size:
                found.append((addr, addr + size, name))
    return sorted(found)


SWIFT_MODULE = re.compile(r"^\$s(\d+)")


def component(symbol):
    if symbol.startswith("icudt") and symbol.endswith("_dat"):
        return "ICU data"
    if re.match(r"_ZN\d*icu_\d+", symbol) or re.match(r"_ZNK\d*icu_\d+", symbol) or re.search(r"^u[a-z]+_\w+_\d+$", symbol):
        return "ICU code"
    m = SWIFT_MODULE.match(symbol)
    if m:
        length = int(m.group(1))
        name = symbol[m.end():m.end() + length]
        if name.startswith("Rewind"):
            return "Swift: Rewind*"
        for prefix, label in (("Foundation", "Swift: " + name), ("NIO", "Swift: NIO*"), ("_NIO", "Swift: NIO*"),
                              ("Hummingbird", "Swift: Hummingbird*"), ("Postgres", "Swift: PostgresNIO"),
                              ("GRDB", "Swift: GRDB"), ("Crypto", "Swift: swift-crypto"),
                              ("_Crypto", "Swift: swift-crypto"), ("AsyncHTTPClient", "Swift: AsyncHTTPClient"),
                              ("Yams", "Swift: Yams"), ("_FoundationICU", "ICU code")):
            if name.startswith(prefix):
                return label
        return "Swift: other modules"
    if symbol.startswith("$sS") or symbol.startswith("$ss") or symbol.startswith("$S"):
        return "Swift: standard library"
    if symbol.startswith("$s") or symbol.startswith("swift_") or symbol.startswith("_ZN5swift") \
            or symbol.startswith("_swift"):
        return "Swift: runtime and stdlib"
    if symbol.startswith("CCryptoBoringSSL") or symbol.startswith("CNIOBoringSSL"):
        return "BoringSSL"
    if symbol.startswith("yaml_"):
        return "libyaml"
    return "other C/C++"


def symbols(binary):
    """Sorted (address, end, component) of every sized symbol."""
    out = subprocess.run(["nm", "-S", "--defined-only", binary], capture_output=True, text=True).stdout
    found = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4:
            addr, size, name = int(parts[0], 16), int(parts[1], 16), parts[3]
            if size:
                found.append((addr, addr + size, component(name)))
    found.sort()
    return found


def covering(table, starts, lo, hi):
    """Bytes of [lo, hi) covered by each label of `table` (sorted, possibly overlapping)."""
    bytes_by = collections.Counter()
    i = max(0, bisect.bisect_right(starts, lo) - 1)
    # Symbols may be long (ICU's data array): walk back a little to catch one starting earlier.
    j = i
    while j > 0 and i - j < 64:
        j -= 1
    for start, end, label in table[j:]:
        if start >= hi:
            break
        overlap = min(end, hi) - max(start, lo)
        if overlap > 0:
            bytes_by[label] += overlap
    return bytes_by


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("pid", type=int)
    parser.add_argument("binary", nargs="?")
    parser.add_argument("--referenced", action="store_true")
    args = parser.parse_args()

    exe = os.readlink(f"/proc/{args.pid}/exe")
    binary = args.binary or exe
    maps = mappings(args.pid, os.path.basename(exe))
    base = min(start - offset for start, _, _, offset in maps if offset == 0)
    secs = sections(binary)
    sec_starts = [s for s, _, _ in secs]
    syms = symbols(binary)
    sym_starts = [s for s, _, _ in syms]
    # Long symbols (data arrays) are matched separately so that the walk-back above stays short.
    long_syms = [s for s in syms if s[1] - s[0] > 64 * PAGE]

    by_section = collections.Counter()
    by_component = collections.Counter()
    all_pages = []
    for start, end, perms, offset in maps:
        for vaddr, pfn in resident_pages(args.pid, start, end):
            all_pages.append((vaddr, perms, pfn))
    for vaddr, perms, _ in all_pages:
        lo = vaddr - base
        hi = lo + PAGE
        sec = covering(secs, sec_starts, lo, hi)
        section = sec.most_common(1)[0][0] if sec else "(no section)"
        comp = covering(syms, sym_starts, lo, hi)
        for start, end, label in long_syms:
            overlap = min(end, hi) - max(start, lo)
            if overlap > 0:
                comp[label] = max(comp[label], overlap)
        name = comp.most_common(1)[0][0] if comp else f"(no symbol: {section})"
        key = f"{perms} {section}"
        by_section[key] += PAGE
        by_component[name] += PAGE

    total = sum(by_section.values())
    print(f"resident pages of {exe} (pid {args.pid}): {total / 1024:.0f} KiB")
    print("  by section (mapping permissions, ELF section):")
    for key, size in by_section.most_common():
        print(f"    {size / 1024:8.0f} KiB  {key}")
    print("  by component (the symbols covering most of each page):")
    for key, size in by_component.most_common():
        print(f"    {size / 1024:8.0f} KiB  {key}")
    if args.referenced:
        with open(f"/proc/{args.pid}/clear_refs", "w") as f:
            f.write("1")
        time.sleep(10)
        print("  touched again within 10 s of clearing the accessed bits (smaps Referenced):")
        for mapping in referenced_kib(args.pid, os.path.basename(exe)):
            print(f"    {mapping['referenced']:8d} of {mapping['rss']:8d} KiB resident  {mapping['perms']}")


if __name__ == "__main__":
    sys.exit(main())
