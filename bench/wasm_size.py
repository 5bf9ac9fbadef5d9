"""Report file sizes, raw and gzip; for .wasm also without custom (debug/name) sections.

Usage: python3 bench/wasm_size.py FILE...
       python3 bench/wasm_size.py --first FILE... --then FILE...
With --first/--then: the totals of what a page loads first (the CPU package and the page's
scripts) and of what it fetches later (the WebGPU package, only when WebGPU is chosen).
"""
import gzip
import sys


def leb128(buf, i):
    result = shift = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return result, i


def strip_custom_sections(buf):
    out = bytearray(buf[:8])  # magic + version
    i = 8
    while i < len(buf):
        start = i
        section_id = buf[i]
        size, j = leb128(buf, i + 1)
        i = j + size
        if section_id != 0:  # 0 = custom section (debug info, names, producers)
            out += buf[start:i]
    return bytes(out)


def mib(n):
    return f"{n / 1048576:.2f} MiB" if n >= 1048576 else f"{n / 1024:.1f} KiB"


def report(paths):
    """Prints each file's sizes; returns the group's (raw, gzip) totals."""
    total = total_gz = 0
    for path in paths:
        data = open(path, "rb").read()
        gz = len(gzip.compress(data, 9))
        total += len(data)
        total_gz += gz
        line = f"{path}: raw {mib(len(data))}, gzip {mib(gz)}"
        if data[:4] == b"\0asm":
            stripped = strip_custom_sections(data)
            line += (f"; without custom sections: raw {mib(len(stripped))}, "
                     f"gzip {mib(len(gzip.compress(stripped, 9)))}")
        print(line)
    return total, total_gz


def main():
    args = sys.argv[1:]
    if args[:1] != ["--first"]:
        total, total_gz = report(args)
        if len(args) > 1:
            print(f"total: raw {mib(total)}, gzip {mib(total_gz)}")
        return
    split = args.index("--then") if "--then" in args else len(args)
    first, then = args[1:split], args[split + 1:]
    raw, gz = report(first)
    print(f"first load (CPU package + page scripts): raw {mib(raw)}, gzip {mib(gz)}")
    if then:
        raw, gz = report(then)
        print(f"on demand (WebGPU package, when WebGPU is chosen): raw {mib(raw)}, gzip {mib(gz)}")


if __name__ == "__main__":
    main()
