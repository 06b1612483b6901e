"""Finding shared objects as glibc's elf/dl-load.c does (_dl_map_object's search order).

For a name without '/': DT_RPATH of the requester and up its loader chain (only when the
requester has no DT_RUNPATH), LD_LIBRARY_PATH, DT_RUNPATH of the requester, the
/etc/ld.so.cache entries, then the default directories. Each directory is tried with its
glibc-hwcaps/x86-64-v4, -v3, -v2 subdirectories first, for the levels the emulated CPU has.
"""
from __future__ import annotations

import os
import struct

DEFAULT_DIRS = ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib", "/usr/lib")
LIB = "lib/x86_64-linux-gnu"          # what $LIB expands to on Debian/Ubuntu x86-64
PLATFORM = "x86_64"
CACHE = "/etc/ld.so.cache"
CACHE_MAGIC = b"glibc-ld.so.cache1.1"
FLAG_ELF_LIBC6, FLAG_X8664_LIB64 = 0x0003, 0x0300
HWCAPS_BIT = 1 << 62


def isa_levels(cpu) -> list[str]:
    """The x86-64 ISA levels the emulated CPU meets (as glibc's dl-hwcaps decide)."""
    _, ebx7, _, _ = cpu.cpuid(7)
    _, _, ecx1, _ = cpu.cpuid(1)
    _, _, ecx81, _ = cpu.cpuid(0x80000001)
    levels = []
    v2 = all(ecx1 >> b & 1 for b in (0, 9, 13, 19, 20, 23)) and ecx81 & 1
    if v2:
        levels.append("x86-64-v2")
        v3 = all(ecx1 >> b & 1 for b in (12, 22, 27, 28, 29)) and ebx7 & 0x128 == 0x128 \
            and ecx81 >> 5 & 1
        if v3:
            levels.append("x86-64-v3")
            if ebx7 >> 16 & 1 and ebx7 >> 17 & 1 and ebx7 >> 28 & 1 and ebx7 >> 30 & 1 \
                    and ebx7 >> 31 & 1:
                levels.append("x86-64-v4")
    return levels


def expand(path: str, origin: str) -> str:
    """$ORIGIN, $LIB and $PLATFORM (and their ${} forms) as _dl_dst_substitute does."""
    for key, val in (("ORIGIN", origin), ("LIB", LIB), ("PLATFORM", PLATFORM)):
        path = path.replace("${" + key + "}", val).replace("$" + key, val)
    return path


def split_path(value: str | None, origin: str) -> list[str]:
    if not value:
        return []
    return [expand(d, origin) or "." for d in value.replace(";", ":").split(":")]


class LdCache:
    """/etc/ld.so.cache (the new format): soname -> [(path, hwcaps subdirectory or None)]."""

    def __init__(self, data: bytes):
        self.entries: dict[str, list[tuple[str, str | None]]] = {}
        start = data.find(CACHE_MAGIC)
        if start < 0:
            return
        nlibs, _len_strings, _flags, ext_off = struct.unpack_from("<IIB3xI", data, start + 20)
        hwcaps = self._hwcaps(data, start, ext_off)
        base = start + 48
        for i in range(nlibs):
            flags, key, value, _os, hwcap = struct.unpack_from("<iIIIQ", data, base + 24 * i)
            if flags & 0xFFFF != FLAG_ELF_LIBC6 | FLAG_X8664_LIB64:
                continue
            name, path = _cstr(data, start + key), _cstr(data, start + value)
            sub = hwcaps[hwcap & 0xFFFFFFFF] if hwcap & HWCAPS_BIT and \
                (hwcap & 0xFFFFFFFF) < len(hwcaps) else None
            self.entries.setdefault(name, []).append((path, sub))

    @staticmethod
    def _hwcaps(data: bytes, start: int, ext_off: int) -> list[str]:
        """The glibc-hwcaps subdirectory names from the cache's extension section."""
        if not ext_off or start + ext_off + 16 > len(data):
            return []
        at = start + ext_off
        magic, count = struct.unpack_from("<II", data, at)
        if magic != 0xEAA42174:
            return []
        for i in range(count):
            tag, _flags, offset, size = struct.unpack_from("<IIII", data, at + 8 + 16 * i)
            if tag == 1:     # cache_extension_tag_glibc_hwcaps: u32 string offsets
                offs = struct.unpack_from(f"<{size // 4}I", data, start + offset)
                return [_cstr(data, start + o) for o in offs]
        return []

    def lookup(self, name: str, levels: list[str]) -> str | None:
        best, best_rank = None, -1
        for path, sub in self.entries.get(name, []):
            rank = 0 if sub is None else (levels.index(sub) + 1 if sub in levels else -1)
            if rank > best_rank:
                best, best_rank = path, rank
        return best


def _cstr(data: bytes, off: int) -> str:
    end = data.find(b"\0", off)
    return data[off:end].decode("utf-8", "surrogateescape")


def search_dirs(requester, main, env: dict[str, str], nodeflib: bool) -> list[tuple[str, str]]:
    """(directory, why) in glibc's order, before the cache; then the defaults follow."""
    out: list[tuple[str, str]] = []
    origin = os.path.dirname(requester.path) if requester is not None else ""
    if requester is not None and requester.runpath is None:
        m = requester
        while m is not None:
            if m.runpath is None and m.rpath:
                out += [(d, f"RPATH from file {m.path}")
                        for d in split_path(m.rpath, os.path.dirname(m.path))]
            m = m.loader
        if main is not None and main is not requester and main.rpath and main.runpath is None:
            out += [(d, f"RPATH from file {main.path}")
                    for d in split_path(main.rpath, os.path.dirname(main.path))]
    out += [(d, "LD_LIBRARY_PATH") for d in split_path(env.get("LD_LIBRARY_PATH"), origin)]
    if requester is not None and requester.runpath:
        out += [(d, f"RUNPATH from file {requester.path}")
                for d in split_path(requester.runpath, origin)]
    return out
