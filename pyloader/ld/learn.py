"""Learning glibc's private layouts without debug info, from the real ld.so's own work.

When no debug file matches ld.so's build-id, the real ld.so is run once in the emulator on
the program to its entry point, silently, and every field the Python linker writes is
located in the state it left, by the values it must hold there: values we can compute from
the ELF files, the auxiliary vector and the system calls ld.so made (`set_tid_address`,
`set_robust_list`, `rseq`). Where a value alone is not distinctive (a flag, a zero), the
field is taken next to a neighbour found by value, in the order glibc declares them (the
order has held from 2.33 to 2.43; where a field came or went, `ADDED` says when), and its
value is then checked. A field that cannot be found, or found twice, fails the learning:
`LayoutError`, and the caller runs the real ld.so instead. The result has the debug-info
layout's form ("path -> [offset, size, bit_offset, bit_size, count]"), limited to the fields
the linker uses, and is cached per build-id like it (layout.py).

    python3 -m pyloader.ld.learn [--rootfs DIR] PROGRAM    # learn, print the layout
"""
from __future__ import annotations

import contextlib
import os
import struct
import sys

from syscalls.table import BY_NAME

from ..binfmt.elf import make_prot
from ..binfmt.stack import AT_BASE, AT_PLATFORM, AT_RANDOM, AT_SYSINFO_EHDR
from ..elf import (
    DT_GNU_HASH,
    DT_HASH,
    DT_STRTAB,
    DT_SYMTAB,
    DT_VERSYM,
    PF_R,
    PF_W,
    PF_X,
    PT_GNU_STACK,
    PT_LOAD,
)
from ..exit import GuestExit
from ..memory import Fault
from ..process import Process
from .dso import LinkMap
from .glibc import (
    ALLOCATE_GUARD_USER,
    AUDIT_SPACE,
    LT_LIBRARY,
    ROBUST_FUTEX_OFFSET,
    THREAD_STATE_JOINABLE,
    contiguous,
    dyn_count,
    serials,
    text_end,
    tls_static_surplus,
)
from .layout import LayoutError

# glibc versions that added (or dropped, negative) a member the linker needs: a member whose
# value is not distinctive is looked for only where this glibc has it
ADDED = {"_dl_minsigstacksize": 34, "rseq_area": 35, "_dl_find_object": 35,
         "l_ld_readonly": 35, "_dl_dso_sort_algo": 35, "l_tls_in_slotinfo": 41,
         "_dl_vdso_getrandom": 41, "_dl_rtld_map": -41,
         "_dl_stack_flags": -43, "_dl_readonly_area": 43}
RECORDED = ("set_tid_address", "set_robust_list", "rseq")   # their first arguments: addresses
TCBHEAD = {"header.tcb": 0, "header.dtv": 8, "header.self": 16, "header.stack_guard": 40,
           "header.pointer_guard": 48}   # tcbhead_t: the x86-64 ABI (%fs:0x28 is the guard)
VDSO_FIELDS = ("clock_gettime64", "gettimeofday", "time", "getcpu", "clock_getres_time64")
VDSO_NAMES = {"clock_gettime64": "clock_gettime", "clock_getres_time64": "clock_getres"}
PUBLIC_LINK_MAP = {"l_addr": 0, "l_name": 8, "l_ld": 16, "l_next": 24, "l_prev": 32}
FPU_DEFAULT = 0x37F
PTHREAD_KEY_2NDLEVEL_SIZE = PTHREAD_KEY_1STLEVEL_SIZE = 32
HIDDEN = {"__rtld_malloc": "malloc", "__rtld_calloc": "calloc", "__rtld_realloc": "realloc",
          "__rtld_free": "free", "___rtld_mutex_lock": "pthread_mutex_lock",
          "___rtld_mutex_unlock": "pthread_mutex_unlock"}


def _unlearnt(what: str) -> LayoutError:
    return LayoutError(f"cannot learn this glibc's layout: {what}")


class _Struct:
    """One struct instance in guest memory, with the members found so far."""

    def __init__(self, learner, name: str, base: int, size: int):
        end = base                          # no further than mapped memory goes
        while end < base + size and (vma := learner.mem.find(end)) is not None:
            end = vma.end
        end = min(end, base + size)
        self.data = learner.mem.read(base, end - base) if end > base else b""
        self.members = learner.out[name]

    def u(self, off: int, size: int = 8) -> int:
        return int.from_bytes(self.data[off:off + size], "little")

    def bit(self, byte: int, bit: int, nbits: int = 1) -> int:
        return (self.data[byte] >> bit) & ((1 << nbits) - 1)


class Learner:
    def __init__(self, proc, rtld_data: bytes, minor: int, calls: dict[str, int]):
        self.proc, self.mem, self.minor, self.calls = proc, proc.mem, minor, calls
        self.auxv = dict(proc.bprm.auxv)
        self.rt = LinkMap("ld.so", proc.bprm.interp_path, rtld_data, l_addr=self.auxv[AT_BASE])
        self.out: dict[str, dict] = {s: {} for s in ("link_map", "rtld_global",
                                                     "rtld_global_ro", "pthread")}
        self.sizes: dict[str, int] = {}
        self.symbols: dict[str, int] = {}
        # the static TLS surplus of the run: it had no GLIBC_TUNABLES
        self.surplus, self.optional = tls_static_surplus({})

    # --- reading ---------------------------------------------------------------------------------
    def u64(self, addr: int) -> int:
        """A word of guest memory; -1 where there is none (a field that is not a pointer)."""
        try:
            return self.mem.read_u64(addr)
        except Fault:
            return -1

    def cstr(self, addr: int) -> bytes | None:
        try:
            return self.mem.read_cstr(addr) if addr > 0 else None
        except Fault:
            return None

    def has(self, name: str) -> bool:
        v = ADDED.get(name)
        return v is None or (self.minor >= v if v > 0 else self.minor < -v)

    def _rtld_sym(self, name: str) -> int:
        return self._rtld_object(name)[0]

    def _rtld_object(self, name: str) -> tuple[int, int]:
        """(address, size) of one of ld.so's exported variables."""
        idx = self.rt.by_name.get(name)
        if not idx:
            raise LayoutError(f"ld.so does not export {name}")
        sym = self.rt.syms[idx[0]]
        return self.rt.l_addr + sym.value, sym.size

    def in_rtld(self, addr: int) -> bool:
        """addr is in ld.so's image (a function pointer to ld.so's own code)."""
        lo, hi = self.rt.img.load_bounds()
        return lo <= addr - self.rt.l_addr < hi

    @staticmethod
    def put(s: _Struct, path: str, off: int, size: int = 8, count: int = 0) -> int:
        s.members[path] = [off, size, -1, 0] + ([count] if count else [])
        return off

    @staticmethod
    def put_bits(s: _Struct, path: str, byte: int, bit: int, nbits: int = 1) -> None:
        s.members[path] = [byte, 1, bit, nbits]

    @staticmethod
    def scan(structs: list, values: list, size: int = 8, lo: int = 0, hi: int | None = None,
             what: str = "", first: bool = True, align: int = 0) -> int:
        """The first (or, with first=False, the only) offset in [lo, hi) where every struct
        holds its value."""
        hi = min(len(s.data) for s in structs) if hi is None else hi
        align = align or size               # members are aligned to their size
        lo = -(-lo // align) * align
        found = [off for off in range(lo, hi - size + 1, align)
                 if all(s.u(off, size) == v & ((1 << 8 * size) - 1)
                        for s, v in zip(structs, values))]
        if not found or (not first and len(found) > 1):
            many = f"at {len(found)} places" if found else "nowhere"
            raise _unlearnt(f"{what} found {many}")
        return found[0]

    # --- the objects -----------------------------------------------------------------------------
    def objects(self) -> None:
        """The link_map chain from _r_debug.r_map (public ABI: r_map at 8; l_addr, l_name,
        l_ld, l_next, l_prev first), each with its file image."""
        proc = self.proc
        self.maps: list[LinkMap] = []
        lm = self.u64(self._rtld_sym("_r_debug") + 8)
        while lm and len(self.maps) < 1024:
            name = self.cstr(self.u64(lm + 8)) or b""
            l_addr = self.u64(lm)
            if proc.vdso is not None and name == b"linux-vdso.so.1":
                m = LinkMap(name.decode(), name.decode(), proc.vdso.image, l_addr=l_addr)
                m.is_vdso = True
            else:
                path = name.decode() if name else proc.bprm.interp
                with open(proc.root.open(path), "rb") as f:
                    m = LinkMap(os.path.basename(path), path, f.read(), l_addr=l_addr)
                    st = os.fstat(f.fileno())
                m.dev, m.ino = st.st_dev, st.st_ino
            m.is_main = not self.maps
            m.is_rtld = l_addr == self.rt.l_addr
            m.guest = lm
            self.maps.append(m)
            lm = self.u64(lm + 24)
        self.main = self.maps[0]
        self.rtld = next((m for m in self.maps if m.is_rtld), None)
        self.vdso = next((m for m in self.maps if m.is_vdso), None)
        self.libc = next((m for m in self.maps if m.soname == "libc.so.6"), None)
        if self.rtld is None or self.libc is None:
            raise _unlearnt("the program does not use "
                              "this glibc's libc")
        # the objects ld.so mapped from files itself
        self.files = [m for m in self.maps if not m.is_vdso and not m.is_rtld]

    # --- struct link_map ---------------------------------------------------------------------------
    def link_map(self) -> None:
        libc, main = self.libc, self.main
        first = _Struct(self, "link_map", libc.guest, 4096)
        for path, off in PUBLIC_LINK_MAP.items():
            self.put(first, path, off)
        # l_libname: the name list node _dl_new_object puts after the link_map (and, for the
        # program, the audit states) and a one-entry search list: that gives the size
        off = next((o for o in range(40, 256, 8)
                    if self.cstr(self.u64(first.u(o))) == libc.name.encode()), None)
        if off is None:
            raise _unlearnt("l_libname not found")
        size = first.u(off) - libc.guest - 8
        if self.u64(main.guest + off) - main.guest - AUDIT_SPACE - 8 != size or size > 4096:
            raise _unlearnt("the size of struct link_map")
        self.sizes["link_map"] = size
        S = {m.guest: _Struct(self, "link_map", m.guest, size) for m in self.maps}
        for m in self.maps:
            m.s = S[m.guest]
        lm = S[libc.guest]
        self.put(lm, "l_libname", off)
        files, maps = [m.s for m in self.files], [m.s for m in self.maps]
        self.put(lm, "l_real", self.scan(maps, [m.guest for m in self.maps], lo=40, hi=off,
                                         what="l_real"))
        # l_info[]: pointers to the object's own dynamic entries; its length follows DT_NUM
        info = next((o for o in range(off + 8, off + 64, 8) if self._info_at(o, None)), None)
        if info is None:
            raise _unlearnt("l_info not found")
        dt_num = next((n for n in range(32, 48) if self._info_at(info, n)), None)
        if dt_num is None:
            raise _unlearnt("DT_NUM")
        count = dt_num + 16 + 3 + 12 + 11            # DT_VERSIONTAGNUM, EXTRA, VAL, ADDR
        self.put(lm, "l_info", info, 8, count)
        end = info + 8 * count
        scan = self.scan
        self.put(lm, "l_phdr", scan(files, [m.l_addr + m.img.phdr_vaddr() for m in self.files],
                                    lo=end, what="l_phdr"))
        at = self.put(lm, "l_entry", scan([main.s, libc.s], [main.l_addr + main.img.e_entry,
                                                            libc.l_addr + libc.img.e_entry],
                                          lo=end, what="l_entry"))
        at = self.put(lm, "l_phnum", scan(files, [m.img.e_phnum for m in self.files], 2,
                                          lo=at + 8, what="l_phnum"), 2)
        self.put(lm, "l_ldnum", scan([libc.s], [dyn_count(libc)], 2, lo=at + 2, hi=at + 4,
                                     what="l_ldnum"), 2)
        # the program's search list: every object but the vDSO, the program first
        searchable = [m for m in self.maps if not m.is_vdso]
        at = self.scan_ptr(main.s, lambda p: self.u64(p) == main.guest
                           and self.u64(p + 8) == searchable[1].guest, lo=at + 4,
                           what="l_searchlist")
        if main.s.u(at + 8, 4) != len(searchable):
            raise _unlearnt("l_searchlist.r_nlist")
        self.put(lm, "l_searchlist", at, 16)
        self.put(lm, "l_searchlist.r_list", at)
        self.put(lm, "l_searchlist.r_nlist", at + 8, 4)
        searchlist = at
        # _dl_new_object's one-entry search list, right after the link_map in its block
        at = self.put(lm, "l_symbolic_searchlist.r_list",
                      scan([libc.s], [libc.guest + size], lo=at + 16,
                           what="l_symbolic_searchlist"))
        if any(m.s.u(at + 8, 4) != int(m.symbolic and not m.is_main) for m in self.files):
            raise _unlearnt("l_symbolic_searchlist.r_nlist")
        self.put(lm, "l_symbolic_searchlist.r_nlist", at + 8, 4)
        at = self.put(lm, "l_loader", scan([libc.s], [main.guest], lo=at + 8, what="l_loader"))
        nver = [max(m.versions) + 1 if m.versions else 0 for m in self.files]
        at = scan(files, nver, 4, lo=at + 8, what="l_nversions")
        self.put(lm, "l_versions", at - 8)
        self.put(lm, "l_nversions", at, 4)
        self._hash(lm, at + 4)
        # l_direct_opencount follows: the program's is 1, or more if a constructor called
        # dlopen(NULL)
        at = lm.members["l_gnu_chain_zero"][0] + 8
        if main.s.u(at, 4) < 1 or any(m.s.u(at, 4) > 255 for m in self.files):
            raise _unlearnt("l_direct_opencount")
        self.put(lm, "l_direct_opencount", at, 4)
        self._flags(lm, at + 4)
        self.put(lm, "l_versyms", scan([libc.s], [libc.l_addr + libc.one(DT_VERSYM)], lo=at,
                                       what="l_versyms"))
        origin = os.path.dirname(libc.path).encode()
        self.put(lm, "l_origin", self.scan_ptr(libc.s, lambda p: self.cstr(p) == origin,
                                               lo=at, what="l_origin"))
        at = self.put(lm, "l_map_start", scan(files, [m.l_addr + m.img.load_bounds()[0]
                                                      for m in self.files], lo=at,
                                              what="l_map_start"))
        self.put(lm, "l_map_end", scan(files, [m.l_addr + m.img.load_bounds()[1]
                                               for m in self.files], lo=at, what="l_map_end"))
        try:        # gone in 2.41: a value nothing else holds, so not finding it means that
            self.put(lm, "l_text_end", scan(files, [text_end(m) for m in self.files], lo=at,
                                            what="l_text_end"))
        except LayoutError:
            pass
        # the scopes: l_scope_mem[0] is the global scope (the program's search list)
        mem_at = scan([libc.s], [main.guest + searchlist], lo=at, what="l_scope_mem")
        scope_max = scan([libc.s], [libc.guest + mem_at], lo=mem_at, what="l_scope") - 8
        n = libc.s.u(scope_max)
        if not 2 <= n <= 16 or scope_max != mem_at + 8 * n:
            raise _unlearnt("l_scope_max")
        self.put(lm, "l_scope_mem", mem_at, 8, n)
        self.put(lm, "l_scope_max", scope_max)
        self.put(lm, "l_scope", scope_max + 8)
        at = self.put(lm, "l_local_scope", scan([libc.s], [libc.guest + searchlist],
                                                lo=scope_max + 16, what="l_local_scope"), 8, 2)
        libs = [m for m in self.files if not m.is_main]      # the program's is not set
        at = scan([m.s for m in libs], [m.dev for m in libs], lo=at, what="l_file_id.dev")
        if libc.s.u(at + 8) != libc.ino:
            raise _unlearnt("l_file_id.ino")
        self.put(lm, "l_file_id.dev", at)
        self.put(lm, "l_file_id.ino", at + 8)
        # l_flags_1 and l_flags side by side (the vDSO has both)
        named = [m for m in self.maps if not m.is_rtld]
        if not any(m.flags or m.flags_1 for m in named):
            raise _unlearnt("no object with DT_FLAGS")
        at = scan([m.s for m in named], [m.flags_1 | m.flags << 32 for m in named], 8,
                  lo=at + 16, what="l_flags_1", align=4)
        self.put(lm, "l_flags_1", at, 4)
        self.put(lm, "l_flags", at + 4, 4)
        self._tls(lm, at + 8)
        at = lm.members["l_tls_modid"][0] + 8
        relro = [m for m in self.files if m.relro]
        at = scan([m.s for m in relro], [m.relro[0] for m in relro], lo=at, what="l_relro_addr")
        if any(m.s.u(at + 8) != m.relro[1] for m in relro):
            raise _unlearnt("l_relro_size")
        self.put(lm, "l_relro_addr", at)
        self.put(lm, "l_relro_size", at + 8)
        self.put(lm, "l_serial", scan(maps, serials(self.maps), lo=at + 16, what="l_serial"))

    def scan_ptr(self, s: _Struct, test, lo: int, what: str) -> int:
        for off in range(-(-lo // 8) * 8, len(s.data) - 7, 8):
            p = s.u(off)
            if p and self.mem.find(p) is not None and test(p):
                return off
        raise _unlearnt(f"{what} found nowhere")

    def _info_at(self, at: int, dt_num: int | None) -> bool:
        """l_info at `at`: DT_STRTAB and DT_SYMTAB's slots point at those entries; with
        dt_num, so do DT_VERSYM's and DT_GNU_HASH's past DT_NUM."""
        for m in self.files:
            checks = {DT_STRTAB: DT_STRTAB, DT_SYMTAB: DT_SYMTAB}
            if dt_num is not None:
                if DT_VERSYM in m.dyn:
                    checks[DT_VERSYM] = dt_num + (0x6FFFFFFF - DT_VERSYM)
                if DT_GNU_HASH in m.dyn:
                    checks[DT_GNU_HASH] = dt_num + 16 + 3 + 12 + (0x6FFFFEFF - DT_GNU_HASH)
            for tag, idx in checks.items():
                if m.s.u(at + 8 * idx) != self._dyn_entry(m, tag):
                    return False
        return True

    def _dyn_entry(self, m: LinkMap, tag: int) -> int:
        addr = m.l_addr + m.dyn_vaddr
        while True:
            t = self.u64(addr)
            if t == tag:
                return addr
            if t == 0:
                return -1
            addr += 16

    def _hash(self, lm: _Struct, lo: int) -> None:
        """_dl_setup_hash's fields: l_nbuckets, then the GNU ones; l_buckets and l_chain
        share their places with l_gnu_chain_zero and l_gnu_buckets."""
        gnu = [m for m in self.maps if DT_GNU_HASH in m.dyn]
        vals = []
        for m in gnu:
            at = m.one(DT_GNU_HASH)
            nb, symbias, nwords, shift = struct.unpack("<IIII", m.read(at, 16))
            bitmask = m.l_addr + at + 16
            buckets = bitmask + 8 * nwords
            vals.append((nb, nwords - 1, shift, bitmask, buckets, buckets + 4 * nb - 4 * symbias))
        S = [m.s for m in gnu]
        at = self.scan(S, [v[0] for v in vals], 4, lo=lo, what="l_nbuckets")
        for i, (path, off, size) in enumerate((("l_nbuckets", 0, 4),
                                               ("l_gnu_bitmask_idxbits", 4, 4),
                                               ("l_gnu_shift", 8, 4), ("l_gnu_bitmask", 12, 8),
                                               ("l_gnu_buckets", 20, 8),
                                               ("l_gnu_chain_zero", 28, 8))):
            where = at + off + (4 if size == 8 and (at + off) % 8 else 0)
            if any(s.u(where, size) != v[i] for s, v in zip(S, vals)):
                raise _unlearnt(f"{path}")
            self.put(lm, path, where, size)
        self.put(lm, "l_chain", lm.members["l_gnu_buckets"][0])
        self.put(lm, "l_buckets", lm.members["l_gnu_chain_zero"][0])
        for m in self.maps:     # an object with DT_HASH only (the vDSO) uses the other names
            if DT_GNU_HASH not in m.dyn and DT_HASH in m.dyn:
                hat = m.l_addr + m.one(DT_HASH)
                nb = struct.unpack("<I", m.read(m.one(DT_HASH), 4))[0]
                if (m.s.u(at, 4), m.s.u(lm.members["l_buckets"][0]),
                        m.s.u(lm.members["l_chain"][0])) != (nb, hat + 8, hat + 8 + 4 * nb):
                    raise _unlearnt("l_buckets")

    def _flags(self, lm: _Struct, byte: int) -> None:
        """The bitfields after l_direct_opencount: l_type:2 first; l_relocated, l_init_called
        and l_global the first three flags every object has set, in that order; then, by
        their values, l_ld_readonly (the vDSO alone), l_contiguous (glibc.contiguous) and
        l_tls_in_slotinfo (the TLS modules alone)."""
        maps = self.maps
        if any(m.s.bit(byte, 0, 2) != (0 if m.is_main else LT_LIBRARY) for m in maps):
            raise _unlearnt("l_type")
        self.put_bits(lm, "l_type", byte, 0, 2)
        bits = [(byte + b // 8, b % 8) for b in range(2, 32)]

        def find(path: str, want, after: int = 0, before: int = len(bits)) -> int:
            """The first bit in [after, before) that holds `want` in every object; with
            before, the last."""
            hits = [i for i in range(after, before)
                    if all(m.s.bit(*bits[i]) == want(m) for m in maps)]
            if not hits:
                raise _unlearnt(f"{path}")
            i = hits[-1] if before < len(bits) else hits[0]
            self.put_bits(lm, path, *bits[i])
            return i
        i = find("l_relocated", lambda m: 1)
        for k, path in enumerate(("l_init_called", "l_global"), 1):
            at, bit = bits[i + k]
            if any(m.s.bit(at, bit) != int(not m.is_vdso) for m in maps):
                raise _unlearnt(f"{path}")
            self.put_bits(lm, path, at, bit)
        # l_visited (a sorting mark) can hold l_contiguous' values too: l_contiguous is the
        # last such flag before l_ld_readonly (l_contiguous, l_free_initfini, l_ld_readonly)
        readonly = len(bits)
        if self.has("l_ld_readonly") and self.vdso is not None:
            readonly = find("l_ld_readonly", lambda m: int(m.is_vdso), i + 3)
        find("l_contiguous", lambda m: int(contiguous(m, self.minor)), i + 3, readonly)
        if self.has("l_tls_in_slotinfo"):
            find("l_tls_in_slotinfo", lambda m: int(m.tls is not None), i + 3)

    def _tls(self, lm: _Struct, lo: int) -> None:
        """l_tls_initimage, _size, l_tls_blocksize, _align, _firstbyte_offset, l_tls_offset
        and l_tls_modid, in this order; the offset and module id must find the block
        through the dtv."""
        tls = [m for m in self.files if m.tls is not None]
        names = ("l_tls_initimage", "l_tls_initimage_size", "l_tls_blocksize", "l_tls_align",
                 "l_tls_firstbyte_offset")
        vals = [(m.l_addr + m.tls.init_vaddr, m.tls.init_size, m.tls.blocksize, m.tls.align,
                 m.tls.init_vaddr & (m.tls.align - 1)) for m in tls]
        at = next((o for o in range(-(-lo // 8) * 8, len(lm.data) - 56, 8)
                   if all(tuple(m.s.u(o + 8 * k) for k in range(5)) == v
                          for m, v in zip(tls, vals))), None)
        if at is None:
            raise _unlearnt("the TLS fields")
        for k, path in enumerate(names + ("l_tls_offset", "l_tls_modid")):
            self.put(lm, path, at + 8 * k)
        tp = self.proc.cpu.fs_base()
        dtv = self.u64(tp + 8)
        for m in tls:
            off, modid = m.s.u(at + 40), m.s.u(at + 48)
            if not 0 < modid < 4096 or self.u64(dtv + 16 * modid) != (tp - off) % (1 << 64):
                raise _unlearnt("l_tls_offset/modid")

    # --- struct pthread (the thread pointer's) ------------------------------------------------
    def pthread(self) -> None:
        tp = self.proc.cpu.fs_base()
        pd = _Struct(self, "pthread", tp, 4096)
        self.tp, self.pd = tp, pd
        self.tid = self.calls.get("set_tid_address =")
        rnd = self.mem.read(self.auxv[AT_RANDOM], 16)
        guard = struct.unpack_from("<Q", rnd)[0] & ~0xFF
        for path, off in TCBHEAD.items():
            self.put(pd, path, off)
        if (pd.u(0), pd.u(16), pd.u(40)) != (tp, tp, guard):
            raise _unlearnt("the TCB header")
        for name in ("set_tid_address", "set_robust_list"):
            if name not in self.calls:
                raise _unlearnt(f"ld.so made no {name}")
        robust = self.calls["set_robust_list"] - tp
        # tid, then robust_prev and robust_head; set_tid_address registers tid, or (2.43)
        # joinstate, which is then THREAD_STATE_JOINABLE
        if pd.u(robust - 16, 4) != self.tid:
            raise _unlearnt("tid")
        self.put(pd, "tid", robust - 16, 4)
        registered = self.calls["set_tid_address"] - tp
        if registered != robust - 16:
            if pd.u(registered, 4) != THREAD_STATE_JOINABLE:
                raise _unlearnt("joinstate")
            self.put(pd, "joinstate", registered, 4)
        self.put(pd, "robust_head", robust, 24)
        self.put(pd, "robust_head.list", robust)
        self.put(pd, "robust_head.futex_offset", robust + 8)
        if pd.u(robust - 8) != tp + robust or pd.u(robust + 8) != ROBUST_FUTEX_OFFSET % (1 << 64):
            raise _unlearnt("robust_prev")
        self.put(pd, "robust_prev", robust - 8)
        if "rseq" in self.calls and 0 <= self.calls["rseq"] - tp < 4096:
            self.put(pd, "rseq_area", self.calls["rseq"] - tp, 32)
            self.put(pd, "rseq_area.cpu_id", self.calls["rseq"] - tp + 4, 4)
        elif self.has("rseq_area") and self.minor < 41:
            raise _unlearnt("ld.so made no rseq")
        # specific[0] = &specific_1stblock, and the array follows that block
        block = 16 * PTHREAD_KEY_2NDLEVEL_SIZE
        spec = next((o for o in range(robust + 24, 4096 - 8, 8)
                     if pd.u(o) == tp + o - block), None)
        if spec is None:
            raise _unlearnt("specific")
        self.put(pd, "specific_1stblock", spec - block, 16, PTHREAD_KEY_2NDLEVEL_SIZE)
        self.put(pd, "specific", spec, 8, PTHREAD_KEY_1STLEVEL_SIZE)
        # after specific[]: the flags specific_used (a constructor may have set it) and
        # report_events, then user_stack (true), which 2.43 made stack_mode, an enum
        end = spec + 8 * PTHREAD_KEY_1STLEVEL_SIZE
        mode = -(-(end + 2) // 4) * 4
        if pd.data[end + 2] == 1:
            self.put(pd, "user_stack", end + 2, 1)
        elif pd.data[end + 2:mode] == bytes(mode - end - 2) and \
                pd.u(mode, 4) == ALLOCATE_GUARD_USER:
            self.put(pd, "stack_mode", mode, 4)
        else:
            raise _unlearnt("user_stack/stack_mode")
        stack_end = self.u64(self._rtld_sym("__libc_stack_end"))
        self.put(pd, "stackblock_size", self.scan([pd], [stack_end], lo=end,
                                                  what="stackblock_size", first=False))

    # --- _rtld_global ----------------------------------------------------------------------------
    def rtld_global(self) -> None:
        base, size = self._rtld_object("_rtld_global")
        self.sizes["rtld_global"] = size
        g = _Struct(self, "rtld_global", base, size)
        main, libc, L = self.main, self.libc, self.out["link_map"]
        nloaded = len(self.maps)
        scan = self.scan
        self.put(g, "_dl_ns[0]._ns_loaded", scan([g], [main.guest], hi=8, what="_ns_loaded"))
        self.put(g, "_dl_ns[0]._ns_nloaded", scan([g], [nloaded], 4, lo=8, hi=12,
                                                  what="_ns_nloaded"), 4)
        searchlist = main.guest + L["l_searchlist"][0]
        at = self.put(g, "_dl_ns[0]._ns_main_searchlist", scan([g], [searchlist], hi=64,
                                                               what="_ns_main_searchlist"))
        at = self.put(g, "_dl_ns[0].libc_map", scan([g], [libc.guest], lo=at, hi=256,
                                                    what="libc_map"))
        # _dl_nns (1) follows DL_NNS (16) namespaces, of which only the first is in use
        nns = next((16 * s for s in range(at + 8, 512, 8)
                    if g.u(16 * s) == 1 and not any(g.data[s:16 * s])), None)
        if nns is None:
            raise _unlearnt("_dl_nns")
        self.put(g, "_dl_nns", nns)
        # the three recursive locks, then _dl_load_adds, _dl_initfirst, _dl_profile_map,
        # the relocation counters, _dl_all_dirs: the same list as _dl_init_all_dirs
        at = self.put(g, "_dl_load_adds", scan([g], [nloaded], lo=nns + 8, hi=nns + 256,
                                               what="_dl_load_adds"))
        self.all_dirs = next((o for o in range(at + 8, at + 64, 8)
                              if g.u(o) and self.mem.find(g.u(o)) is not None
                              and g.u(o) != self.u64(g.u(o))
                              and self._is_search_dirs(g.u(o))), None)
        if self.all_dirs is None:
            raise _unlearnt("_dl_all_dirs")
        self.put(g, "_dl_all_dirs", self.all_dirs)
        rt_map = self.rtld.guest - base     # ld.so's own link map (not in 2.41's)
        if 0 <= rt_map < size:
            self.put(g, "_dl_rtld_map", rt_map, self.sizes["link_map"])
        elif self.has("_dl_rtld_map"):
            raise _unlearnt("_dl_rtld_map")
        # the static TLS state around _dl_initial_dtv (the main thread's dtv)
        dtv = self.pd.u(8)
        init = self.put(g, "_dl_initial_dtv", scan([g], [dtv], what="_dl_initial_dtv",
                                                   first=False))
        tls = [m for m in self.files if m.tls is not None]
        nmod = len(tls)
        mods = [(self.u64(m.guest + L["l_tls_modid"][0]), self.u64(m.guest + L["l_tls_offset"][0]))
                for m in tls]
        used = max(off for _, off in mods)
        expect = [("_dl_tls_max_dtv_idx", -40, nmod), ("_dl_tls_dtv_slotinfo_list", -32, None),
                  ("_dl_tls_static_nelem", -24, nmod), ("_dl_tls_static_used", -16, None),
                  ("_dl_tls_static_optional", -8, self.optional),
                  ("_dl_tls_generation", 8, 1)]
        for path, rel, want in expect:
            if want is not None and g.u(init + rel) != want:
                raise _unlearnt(f"{path}")
            self.put(g, path, init + rel)
        self.tls_used = g.u(init - 16)
        if self.tls_used < used:
            raise _unlearnt("_dl_tls_static_used")
        slot = g.u(init - 32)
        for modid, _ in mods:
            if not any(self.u64(slot + 16 + 16 * modid + 8) == m.guest for m in tls):
                raise _unlearnt("the slotinfo list")
        # PT_GNU_STACK's flags (PF_*; PROT_* in _dl_stack_prot_flags, 2.43), just before
        # _dl_tls_dtv_gaps
        ph = self.main.img.first(PT_GNU_STACK)
        pf = ph.p_flags if ph is not None else PF_R | PF_W | PF_X
        at = init - 48
        if g.u(at, 4) == pf and (pf != make_prot(pf) or self.has("_dl_stack_flags")):
            self.put(g, "_dl_stack_flags", at, 4)
        elif g.u(at, 4) == make_prot(pf):
            self.put(g, "_dl_stack_prot_flags", at, 4)
        else:
            raise _unlearnt("_dl_stack_flags")
        # the thread lists: the main thread's `list` node is on _dl_stack_user, between the
        # (empty) _dl_stack_used and _dl_stack_cache
        tp = self.tp
        user = next((o for o in range(0, size - 16, 8)
                     if tp <= g.u(o) < tp + 4096 and g.u(o) == g.u(o + 8)
                     and self.u64(g.u(o)) == base + o), None)
        if user is None:
            raise _unlearnt("_dl_stack_user")
        self.put(self.pd, "list", g.u(user) - tp, 16)
        for path, o in (("_dl_stack_used", user - 16), ("_dl_stack_user", user),
                        ("_dl_stack_cache", user + 16)):
            if path != "_dl_stack_user" and g.u(o) != base + o:
                raise _unlearnt(f"{path}")
            self.put(g, path, o, 16)

    def _is_search_dirs(self, p: int) -> bool:
        """A struct r_search_path_elem list: each element's `what` is a string ("system
        search path")."""
        return self.cstr(self.u64(p + 8)) in (b"system search path", b"RPATH", b"RUNPATH",
                                              b"LD_LIBRARY_PATH")

    # --- _rtld_global_ro -------------------------------------------------------------------------
    def rtld_global_ro(self) -> None:
        base, size = self._rtld_object("_rtld_global_ro")
        self.sizes["rtld_global_ro"] = size
        ro = _Struct(self, "rtld_global_ro", base, size)
        scan, proc = self.scan, self.proc
        self.put(ro, "_dl_debug_mask", 0, 4)        # the first member since 2.3
        at = self.put(ro, "_dl_platform", scan([ro], [self.auxv[AT_PLATFORM]],
                                               what="_dl_platform", first=False))
        if (ro.u(at + 8), ro.u(at + 16)) != (6, 4096):
            raise _unlearnt("_dl_platformlen")
        self.put(ro, "_dl_platformlen", at + 8)
        at = self.put(ro, "_dl_pagesize", at + 16)
        if self.has("_dl_minsigstacksize"):
            at = self.put(ro, "_dl_minsigstacksize", scan([ro], [proc.minsigstksz], lo=at + 8,
                                                          hi=at + 16, what="_dl_minsigstacksize"))
        g = self.out["rtld_global"]
        lst = self.u64(self._rtld_sym("_rtld_global") + g["_dl_ns[0]._ns_main_searchlist"][0])
        r_list = self.u64(lst)
        at = self.put(ro, "_dl_initial_searchlist.r_list", scan([ro], [r_list], lo=at + 8,
                                                                 what="_dl_initial_searchlist"))
        if ro.u(at + 8, 4) != self.u64(lst + 8) & 0xFFFFFFFF:
            raise _unlearnt("_dl_initial_searchlist")
        self.put(ro, "_dl_initial_searchlist.r_nlist", at + 8, 4)
        # _dl_clktck, _dl_verbose, _dl_debug_fd (2), _dl_lazy, _dl_bind_not, _dl_dynamic_weak,
        # _dl_fpu_control (_FPU_DEFAULT)
        at = scan([ro], [100], 4, lo=at + 16, what="_dl_clktck")
        if ro.u(at + 8, 4) != 2 or ro.u(at + 24, 2) != FPU_DEFAULT:
            raise _unlearnt("_dl_debug_fd/_dl_fpu_control")
        self.put(ro, "_dl_clktck", at, 4)
        self.put(ro, "_dl_lazy", at + 12, 4)
        self.put(ro, "_dl_dynamic_weak", at + 20, 4)
        auxv = self.put(ro, "_dl_auxv", scan([ro], [proc.auxv_addr], lo=at + 24,
                                             what="_dl_auxv", first=False))
        self.put(ro, "_dl_hwcap", auxv - 8)
        at = self.put(ro, "_dl_tls_static_size", self._tls_static(ro, auxv + 8))
        self.put(ro, "_dl_tls_static_align", at + 8)
        self.put(ro, "_dl_tls_static_surplus", at + 16)
        dirs = self.u64(self._rtld_sym("_rtld_global") + self.all_dirs)
        at = self.put(ro, "_dl_init_all_dirs", scan([ro], [dirs], lo=at + 24,
                                                    what="_dl_init_all_dirs"))
        at = self.put(ro, "_dl_sysinfo_dso", scan([ro], [self.auxv.get(AT_SYSINFO_EHDR, 0)],
                                                  lo=at + 8, what="_dl_sysinfo_dso"))
        vdso = self.vdso
        if vdso is None or ro.u(at + 8) != vdso.guest:
            raise _unlearnt("_dl_sysinfo_map")
        self.put(ro, "_dl_sysinfo_map", at + 8)
        for i, name in enumerate(VDSO_FIELDS):
            want = proc.vdso.symbol(VDSO_NAMES.get(name, name))
            if ro.u(at + 16 + 8 * i) != want:
                raise _unlearnt(f"_dl_vdso_{name}")
            self.put(ro, f"_dl_vdso_{name}", at + 16 + 8 * i)
        at += 16 + 8 * len(VDSO_FIELDS) + (8 if self.has("_dl_vdso_getrandom") else 0)
        self.put(ro, "_dl_hwcap2", scan([ro], [proc.hwcap2], lo=at, hi=at + 8,
                                        what="_dl_hwcap2"))
        # the function pointers: _dl_debug_printf, _dl_mcount (exported), _dl_lookup_symbol_x,
        # _dl_open, _dl_close, ...; _dl_find_object is exported too
        mcount = scan([ro], [self._rtld_sym("_dl_mcount")], lo=at, what="_dl_mcount",
                      first=False)
        for k, path in enumerate(("_dl_lookup_symbol_x", "_dl_open", "_dl_close"), 1):
            if not self.in_rtld(ro.u(mcount + 8 * k)):
                raise _unlearnt(f"{path}")
            self.put(ro, path, mcount + 8 * k)
        if self.has("_dl_dso_sort_algo"):
            self.put(ro, "_dl_dso_sort_algo", scan([ro], [1], 4, lo=mcount - 16,
                                                   hi=mcount - 4, what="_dl_dso_sort_algo"), 4)
        if self.has("_dl_find_object"):
            at = self._jump_through(self.libc, "_dl_find_object")
            if not self.in_rtld(ro.u(at)):
                raise _unlearnt("_dl_find_object")
            self.put(ro, "_dl_find_object", at)
            if self.has("_dl_readonly_area"):       # 2.43: the next one
                if not self.in_rtld(ro.u(at + 8)):
                    raise _unlearnt("_dl_readonly_area")
                self.put(ro, "_dl_readonly_area", at + 8)

    def _jump_through(self, m: LinkMap, name: str) -> int:
        """An exported accessor's struct offset, from its machine code: libc's
        _dl_find_object is `mov _rtld_global_ro@GOTPCREL(%rip),%rax; jmp *OFF(%rax)`."""
        idx = m.by_name.get(name)
        code = m.read(m.syms[idx[0]].value, 13) if idx else b""
        if code[:3] == b"\x48\x8b\x05" and code[7:9] == b"\xff\xa0":
            return struct.unpack_from("<i", code, 9)[0]
        if code[:3] == b"\x48\x8b\x05" and code[7:9] == b"\xff\x60":
            return struct.unpack_from("<b", code, 9)[0]
        raise _unlearnt(f"{name}'s code is not an accessor")

    def _tls_static(self, ro: _Struct, lo: int) -> int:
        """_dl_tls_static_size, _align and _surplus, consecutive: size is
        roundup(used + surplus, align) + TLS_TCB_SIZE (sizeof (struct pthread)), which gives
        the size of struct pthread."""
        surplus = self.surplus
        for o in range(lo, len(ro.data) - 24, 8):
            size, align, sur = ro.u(o), ro.u(o + 8), ro.u(o + 16)
            if sur == surplus and align and align & (align - 1) == 0 and align >= 64:
                tcb = size - (self.tls_used + surplus + align - 1) // align * align
                if 1024 <= tcb <= 8192 and tcb % 64 == 0:
                    self.sizes["pthread"] = tcb
                    return o
        raise _unlearnt("_dl_tls_static_size")

    # --- ld.so's hidden variables ----------------------------------------------------------------
    def hidden(self) -> None:
        """__rtld_malloc and friends hold libc's functions once ld.so has switched to them:
        the only words in ld.so's data that do."""
        words: dict[int, list[int]] = {}       # value -> where (ld.so-relative)
        for ph in self.rt.img.segments(PT_LOAD):
            if ph.p_flags & PF_W:
                start = ph.p_vaddr & ~7
                data = self.mem.read(self.rt.l_addr + start, ph.p_vaddr + ph.p_memsz - start)
                for i, (w,) in enumerate(struct.iter_unpack("<Q", data[:len(data) & ~7])):
                    words.setdefault(w, []).append(start + 8 * i)
        for var, fn in HIDDEN.items():
            # what a lookup from the program finds first: a non-PIE program's PLT entry
            # for a function whose address it takes is its canonical address
            want = next((m.l_addr + m.syms[i].value for m in self.files
                         for i in m.by_name.get(fn, ()) if m.syms[i].value
                         and (m.versym is None or not m.versym[i] & 0x8000)), None)
            if want is None:
                continue
            hits = words.get(want, [])
            if len(hits) == 1:
                self.symbols[var] = hits[0]
            elif var.startswith("__rtld_"):
                raise _unlearnt(f"{var}")

    def learn(self) -> dict:
        self.objects()
        self.link_map()
        self.pthread()
        self.rtld_global()
        self.rtld_global_ro()
        self.hidden()
        return {"structs": {name: {"size": self.sizes[name], "members": members}
                            for name, members in self.out.items()},
                "symbols": self.symbols}


@contextlib.contextmanager
def real_ldso_at_entry(root, program: str, env: dict[str, str], what: str,
                       quiet: bool = True):
    """A Process that ran the real ld.so on `program` up to the program's entry point,
    silently (the guest's stdout and stderr go to /dev/null meanwhile), with the addresses
    ld.so gave set_tid_address/set_robust_list/rseq (and their results): (proc, calls)."""
    calls: dict[str, int] = {}
    saved = [os.dup(1), os.dup(2)]
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
        if quiet:
            os.dup2(null, 1)
            os.dup2(null, 2)
        proc = Process([program], env, root=os.fsdecode(root.root), ld="system")
        for name in RECORDED:
            nr = BY_NAME[name].nr
            real = proc._handlers[nr]

            def record(p, *args, _real=real, _name=name):
                ret = _real(p, *args)
                calls.setdefault(_name, args[0])
                calls.setdefault(_name + " =", ret)
                return ret
            proc._handlers[nr] = record
        try:
            proc.execve(program)
            entry = proc.bprm.load_bias + proc.bprm.image.e_entry
            if proc.cpu.pc != entry:
                proc.cpu.run_until(proc.cpu.pc, entry)
        except GuestExit:
            raise LayoutError(f"cannot {what}: the real ld.so exited before the program's "
                              "entry") from None
        if proc.cpu.pc != entry:
            raise LayoutError(f"cannot {what}: the real ld.so did not reach the program's "
                              "entry")
        yield proc, calls
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved + [null]:
            os.close(fd)


def learn_layout(rtld_data: bytes, root, program: str, minor: int,
                 library_path: str | None = None, quiet: bool = True) -> dict:
    """Run the real ld.so on `program` to its entry point (the program's LD_LIBRARY_PATH,
    if any, to find its libraries) and learn the layout from what it left."""
    if minor < 33:      # 2.33's ld.so is the first with a version banner
        raise LayoutError("cannot learn the layout of a glibc older than 2.33: install its "
                          "debug info (libc6-dbg)")
    env = {"LD_LIBRARY_PATH": library_path} if library_path else {}
    with real_ldso_at_entry(root, program, env, "learn this glibc's layout", quiet) as (proc,
                                                                                      calls):
        try:
            return Learner(proc, rtld_data, minor, calls).learn()
        except (Fault, ValueError, KeyError, IndexError, struct.error) as e:
            # a state unlike any glibc's the learner knows: not understood, said in a line
            raise _unlearnt(f"{type(e).__name__}: {e}") \
                from None


def cpu_state(rtld_data: bytes, root, program: str, layout, tunables: str | None,
              library_path: str | None = None) -> dict:
    """What init_cpu_features leaves in _rtld_global_ro where ld.so runs it inside dl_main
    (glibc < 2.33, so the Python linker cannot run it as it runs 2.33's IRELATIVE): read
    from the real ld.so run on this emulated CPU, with the program's GLIBC_TUNABLES; cached
    per build-id, tunables and kernel release (_dl_osversion is the kernel's)."""
    import hashlib

    from .layout import build_id, read_cache, write_cache
    key = hashlib.sha1(f"{tunables}|{os.uname().release}".encode()).hexdigest()[:12]
    name = f"cpu-{build_id(rtld_data)}-{key}.json"
    state = read_cache(name)
    if state is not None:
        return state
    if not layout.has("rtld_global_ro", "_dl_x86_cpu_features"):
        raise LayoutError("glibc < 2.33 needs its debug info (libc6-dbg): its cpu_features "
                          "are not learnt")
    env = {"LD_LIBRARY_PATH": library_path} if library_path else {}
    if tunables is not None:
        env["GLIBC_TUNABLES"] = tunables
    with real_ldso_at_entry(root, program, env, "read this CPU's cpu_features") as (proc, _):
        rt = LinkMap("ld.so", proc.bprm.interp_path, rtld_data,
                     l_addr=dict(proc.bprm.auxv)[AT_BASE])
        ro = rt.l_addr + rt.syms[rt.by_name["_rtld_global_ro"][0]].value

        def word(path: str) -> int | None:
            if not layout.has("rtld_global_ro", path):
                return None
            m = layout.member("rtld_global_ro", path)
            return int.from_bytes(proc.mem.read(ro + m.offset, m.size), "little")
        m = layout.member("rtld_global_ro", "_dl_x86_cpu_features")
        state = {"cpu_features": proc.mem.read(ro + m.offset, m.size).hex(),
                 "hwcap": word("_dl_hwcap"), "osversion": word("_dl_osversion"),
                 "platform": proc.mem.read_cstr(word("_dl_platform")).decode()}
    write_cache(name, state)
    return state


def main(args: list[str]) -> int:
    """Learn the layout of the glibc a program uses and print it, member by member."""
    from syscalls.vfs import Root

    from ..elf import ElfError, ElfImage
    from .search import glibc_minor
    root = "/"
    if args[:1] == ["--rootfs"] and len(args) > 1:
        root, args = args[1], args[2:]
    if len(args) != 1:
        print("usage: python3 -m pyloader.ld.learn [--rootfs DIR] PROGRAM", file=sys.stderr)
        return 2
    r = Root(root)
    try:
        interp = ElfImage(r.read(args[0]), args[0]).interp
        if interp is None:
            raise LayoutError("not a dynamic program: no ld.so to learn from")
        data = r.read(interp)
        got = learn_layout(data, r, args[0], glibc_minor(data, r.root + r.realpath(interp)))
    except (OSError, ElfError, LayoutError) as e:
        print(f"learn: {args[0]}: {e.strerror if isinstance(e, OSError) else e}",
              file=sys.stderr)
        return 1
    for name, struct_ in got["structs"].items():
        print(f"struct {name} ({struct_['size']} bytes)")
        for path, (off, size, bit, nbits, *count) in sorted(
                struct_["members"].items(), key=lambda kv: (kv[1][0], kv[1][2])):
            where = f"0x{off:04x}" + (f" bit {bit}" + (f"-{bit + nbits - 1}" if nbits > 1
                                                        else "") if nbits else "")
            shape = f"[{count[0]}] of {size}" if count else f"{size}"
            print(f"  {where:<16} {path:<36} {shape} bytes" if not nbits else
                  f"  {where:<16} {path}")
    for name, at in sorted(got["symbols"].items(), key=lambda kv: kv[1]):
        print(f"ld.so+0x{at:x}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
