"""Finding shared objects as glibc's elf/dl-load.c does (_dl_map_object's search order).

For a name without '/': DT_RPATH of the requester and up its loader chain (only when the
requester has no DT_RUNPATH), LD_LIBRARY_PATH, DT_RUNPATH of the requester, the
/etc/ld.so.cache entries, then the default directories. Each directory is tried with the
subdirectories of `subdirs` (_dl_important_hwcaps): glibc-hwcaps/x86-64-v4, -v3, -v2 for the
levels the emulated CPU has, and before glibc 2.37 the legacy ones (tls/x86_64/...).
"""
from __future__ import annotations

import os
import re
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


class SearchDir:
    """struct r_search_path_elem: a directory, where it was first named, and per subdirectory
    whether it exists (None: not known yet)."""
    __slots__ = ("dirname", "status", "what", "where")

    def __init__(self, dirname: str, what: str, where: str | None, status: list[bool | None]):
        self.dirname = dirname      # ending in "/"
        self.what = what            # "RPATH", "LD_LIBRARY_PATH", "RUNPATH", "system search path"
        self.where = where          # the object whose RPATH or RUNPATH named it
        self.status = status


def glibc_minor(rtld_data: bytes, host_path: str | bytes | None = None) -> int:
    """N of glibc 2.N, from ld.so's banner ("... release version 2.36."), or, for a glibc
    whose ld.so has none (2.31), from its file's name (ld-2.31.so); 0 if neither says."""
    m = re.search(rb"release version 2\.(\d+)", rtld_data)
    if m is None and host_path is not None:
        name = os.path.basename(os.path.realpath(os.fsdecode(host_path)))
        m = re.fullmatch(r"ld-2\.(\d+)\.so", name)
    return int(m.group(1)) if m else 0


def platform_and_hwcaps(cpu, levels: list[str]) -> tuple[str, list[str]]:
    """GLRO(dl_platform) and the names of the important GLRO(dl_hwcap) bits, in bit order,
    as init_cpu_features sets them on x86-64: "haswell" for an Intel CPU with the x86-64-v3
    features (else AT_PLATFORM's "x86_64"); "avx512_1" for an Intel CPU with AVX512
    F/BW/CD/DQ/VL."""
    _, ebx, ecx, edx = cpu.cpuid(0)
    intel = (ebx, edx, ecx) == (0x756E6547, 0x49656E69, 0x6C65746E)     # GenuineIntel
    platform = "haswell" if intel and "x86-64-v3" in levels else PLATFORM
    return platform, ["x86_64"] + (["avx512_1"] if intel and "x86-64-v4" in levels else [])


def subdirs(levels: list[str], legacy: tuple[str, list[str]] | None) -> list[str]:
    """_dl_important_hwcaps: what each search directory is tried with, in order, the last
    being "" (the directory itself). Legacy (glibc < 2.37: (platform, hwcap names)): every
    subset of hwcaps, platform and "tls", largest first, as "tls/platform/hwcaps.../"."""
    out = [f"glibc-hwcaps/{lv}/" for lv in reversed(levels)]
    if legacy is None:
        return out + [""]
    platform, names = legacy
    parts = names + [platform, "tls"]
    n = len(parts)
    return out + ["".join(parts[i] + "/" for i in reversed(range(n)) if mask >> i & 1)
                  for mask in range((1 << n) - 1, -1, -1)]


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


def search_dirs(requester, main, env: dict[str, str], origin_of) -> list[tuple[str, object, list[str]]]:
    """The lists searched before the cache, in glibc's order: (what, owner: the link map
    whose RPATH or RUNPATH it is, or None, directories); the system directories follow the
    cache. origin_of(map): its $ORIGIN."""
    out: list[tuple[str, object, list[str]]] = []
    origin = origin_of(requester) if requester is not None else ""
    if requester is not None and requester.runpath is None:
        m = requester
        while m is not None:
            if m.runpath is None and m.rpath:
                out.append(("RPATH", m, split_path(m.rpath, origin_of(m))))
            m = m.loader
        if main is not None and main is not requester and main.rpath and main.runpath is None:
            out.append(("RPATH", main, split_path(main.rpath, origin_of(main))))
    if env.get("LD_LIBRARY_PATH"):      # its $ORIGIN is the program's (_dl_init_paths)
        out.append(("LD_LIBRARY_PATH", None, split_path(env["LD_LIBRARY_PATH"],
                                                        origin_of(main) if main else origin)))
    if requester is not None and requester.runpath:
        out.append(("RUNPATH", requester, split_path(requester.runpath, origin)))
    return out
