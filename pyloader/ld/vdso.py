"""What rtld does with the kernel's vDSO (elf/setup-vdso.h, sysdeps/unix/sysv/linux/
dl-vdso-setup.c): a link_map for `linux-vdso.so.1` in the namespace, right after the
program, and the `GLRO(dl_vdso_*)` pointers libc calls instead of making the system calls
(time and gettimeofday are IFUNCs that read them, so they are set before libc is relocated).
"""
from __future__ import annotations

import struct

from ..elf import DT_HASH, DT_STRTAB, DT_VERSYM
from .dso import LinkMap

VDSO_VERSION = "LINUX_2.6"
# GLRO field -> the vDSO symbol (sysdeps/unix/sysv/linux/x86_64/sysdep.h: HAVE_*_VSYSCALL)
VDSO_POINTERS = (
    ("_dl_vdso_clock_gettime64", "__vdso_clock_gettime"),
    ("_dl_vdso_gettimeofday", "__vdso_gettimeofday"),
    ("_dl_vdso_time", "__vdso_time"),
    ("_dl_vdso_getcpu", "__vdso_getcpu"),
    ("_dl_vdso_clock_getres_time64", "__vdso_clock_getres"),
)


def setup_vdso(r) -> LinkMap | None:
    """The vDSO's LinkMap from the image the kernel side mapped (AT_SYSINFO_EHDR), or None
    when there is none (--no-vdso). Its name is its soname, as setup_vdso makes it."""
    vdso = r.task.vdso
    if vdso is None:
        return None
    m = LinkMap("linux-vdso.so.1", "linux-vdso.so.1", vdso.image, l_addr=vdso.base)
    m.is_vdso = True
    lo, hi = m.img.load_bounds()
    m.map_start, m.map_end = vdso.base + lo, vdso.base + hi
    return m


def dl_vdso_vsym(m: LinkMap, name: str) -> int:
    """The address of `name`@LINUX_2.6 in the vDSO, 0 if it has none (dl-vdso.h)."""
    for idx in m.by_name.get(name, ()):
        ver, _ = m.symbol_version(idx)
        if ver is not None and ver.name == VDSO_VERSION:
            return m.l_addr + m.syms[idx].value
    return 0


def setup_vdso_pointers(g, m: LinkMap) -> None:
    """What libc needs to find the vDSO's functions, as rtld leaves it: the map's local
    scope (itself only), its hash table (_dl_setup_hash) and versions
    (_dl_check_map_versions) for `dl_vdso_vsym`, which the time and gettimeofday IFUNC
    resolvers call through GLRO(dl_lookup_symbol_x) (the real ld.so's function while
    relocating with LD_BIND_NOW); then GLRO(dl_sysinfo_dso), GLRO(dl_sysinfo_map) and the
    function pointers, each only if this glibc has the field."""
    put = lambda path, v: g.put(m.guest, "link_map", path, v)
    L, mem = g.L, g.mem
    search = m.guest + L.off("link_map", "l_searchlist")
    put("l_searchlist.r_list", m.guest + L.off("link_map", "l_real"))
    put("l_searchlist.r_nlist", 1)
    put("l_local_scope", search)
    hash_at = m.l_addr + m.one(DT_HASH)
    nbucket = int.from_bytes(mem.read(hash_at, 4), "little")
    put("l_nbuckets", nbucket)
    put("l_buckets", hash_at + 8)
    put("l_chain", hash_at + 8 + 4 * nbucket)
    put("l_versyms", m.l_addr + m.one(DT_VERSYM))
    strtab = m.l_addr + m.one(DT_STRTAB)
    n = max(m.versions) + 1
    versions = m.versions_block     # struct r_found_version[n], made by check_versions
    for ndx, v in m.versions.items():
        name = strtab + m._strtab.index(v.name.encode() + b"\0")
        mem.write(versions + 24 * ndx, struct.pack("<QIiQ", name, v.hash, 0, 0))
    put("l_versions", versions)
    put("l_nversions", n)
    fields = [("_dl_sysinfo_dso", m.map_start), ("_dl_sysinfo_map", m.guest)]
    fields += [(f, dl_vdso_vsym(m, sym)) for f, sym in VDSO_POINTERS]
    for path, value in fields:
        if g.L.has("rtld_global_ro", path):
            g.put_ro(path, value)
