"""Report a .wasm file's size, raw and gzip, with and without custom (debug/name) sections.

Usage: python3 bench/wasm_size.py FILE.wasm
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


def main():
    data = open(sys.argv[1], "rb").read()
    stripped = strip_custom_sections(data)
    mib = lambda n: f"{n / 1048576:.2f} MiB"
    print(f"{sys.argv[1]}: raw {mib(len(data))}, gzip {mib(len(gzip.compress(data, 9)))}; "
          f"without custom sections: raw {mib(len(stripped))}, gzip {mib(len(gzip.compress(stripped, 9)))}")


if __name__ == "__main__":
    main()
