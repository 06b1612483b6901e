"""What glibc's libc expects ld.so to have done: static TLS and the thread block, link maps
in guest memory, `_rtld_global`/`_rtld_global_ro`, and the thread setup of
`__tls_init_tp` (elf/dl-tls.c, elf/rtld.c, sysdeps/nptl/dl-tls_init_tp.c).

Every offset comes from the Layout of this glibc build (layout.py); nothing here is a
hand-computed offset.
"""
from __future__ import annotations

import os
import struct

from ..binfmt.elf import make_prot
from ..binfmt.stack import AT_RSEQ_ALIGN, AT_RSEQ_FEATURE_SIZE
from ..elf import (
    DF_1_NODELETE,
    DT_GNU_HASH,
    DT_HASH,
    DT_SONAME,
    DT_STRTAB,
    PF_R,
    PF_W,
    PF_X,
    PT_DYNAMIC,
    PT_GNU_STACK,
    PT_LOAD,
)
from .dso import LinkMap
from .layout import Layout

TLS_TCB_ALIGN = 64
# the static TLS surplus (dl-tls.c, _dl_tls_static_surplus_init, glibc >= 2.32): room for
# the initial-exec TLS of dlopened objects, from the tunables glibc.rtld.nns (1..16,
# default 4) and glibc.rtld.optional_static_tls (default 512); 1664 with the defaults
LIBC_IE_TLS = OTHER_IE_TLS = 144
DEFAULT_NNS, OPTIONAL_TLS = 4, 512
LEGACY_TLS = 1664 - ((DEFAULT_NNS - 1) * LIBC_IE_TLS + DEFAULT_NNS * OTHER_IE_TLS + OPTIONAL_TLS)
TLS_STATIC_SURPLUS_OLD = 1664     # glibc < 2.32: a constant
DTV_SURPLUS = 14
TLS_SLOTINFO_SURPLUS = 62
LT_EXECUTABLE, LT_LIBRARY, LT_LOADED = 0, 1, 2
RSEQ_SIG = 0x53053053
# glibc >= 2.43's struct pthread: stack_mode replaced the user_stack flag (the main thread's
# stack is not glibc's to free, like a user-supplied one), and joinstate, which
# set_tid_address registers, is what pthread_join waits on
ALLOCATE_GUARD_USER = 2
THREAD_STATE_JOINABLE = 2
# offsetof (pthread_mutex_t, __data.__lock) - offsetof (pthread_mutex_t, __data.__list.__next):
# where the kernel finds a robust mutex's lock word from its list node
ROBUST_FUTEX_OFFSET = 0 - (24 + 8)
RSEQ_AREA_SIZE = 32                # RSEQ_AREA_SIZE_INITIAL: what the syscall accepts at least
RSEQ_AREA_SIZE_INITIAL_USED, RSEQ_MIN_ALIGN = 20, 32
# the dynamic tags whose d_ptr elf_get_dynamic_info makes absolute in place
ADJUSTED_TAGS = (4, 3, 5, 6, 7, 17, 23, 0x6FFFFFF0, 0x6FFFFEF5, 36)


def _u64(v: int) -> bytes:
    return (v & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "little")


def roundup(v: int, a: int) -> int:
    return (v + a - 1) // a * a


def _strtoul(text: str) -> int | None:
    """tunables_strtoul: decimal, 0x hexadecimal or 0 octal; None if it is not a number."""
    base = 16 if text[:2].lower() == "0x" else 8 if text[:1] == "0" and len(text) > 1 else 10
    try:
        return int(text[2:] if base == 16 else text, base)
    except ValueError:
        return None


def tls_static_surplus(env: dict[str, str]) -> tuple[int, int]:
    """(_dl_tls_static_surplus, _dl_tls_static_optional) as glibc computes them from
    GLIBC_TUNABLES; an out-of-range value leaves the default, as the tunables code does."""
    nns, opt = DEFAULT_NNS, OPTIONAL_TLS
    for item in env.get("GLIBC_TUNABLES", "").split(":"):
        name, _, value = item.partition("=")
        v = _strtoul(value)
        if v is None:
            continue
        if name == "glibc.rtld.nns" and 1 <= v <= 16:
            nns = v
        elif name == "glibc.rtld.optional_static_tls":
            opt = v
    return (nns - 1) * LIBC_IE_TLS + nns * OTHER_IE_TLS + opt + LEGACY_TLS, opt


class Arena:
    """ld.so's minimal malloc (elf/dl-minimal-malloc.c) over guest memory: it starts in what
    is left of ld.so's last data page, aligns each block to 16, and when a block does not
    fit (or would end exactly at the end) `grow(size)` maps roundup(n) + one page (an
    anonymous mmap the trace shows), continuing where it left off if the new mapping
    follows the old one. The linker makes glibc's allocations, in glibc's order and sizes,
    while starting the program (`Rtld.malloc`), so that these mmaps and the thread pointer
    fall where the real ld.so's do."""

    def __init__(self, grow, start: int = 0, end: int = 0):
        self.grow = grow
        self.next, self.end = start, end
        self.last = 0                       # the last block: the only one free() gives back

    def alloc(self, size: int, align: int = 16) -> int:
        addr = roundup(self.next, max(align, 16))
        if addr + size >= self.end:
            nup = roundup(size, 4096) + 4096
            page = self.grow(nup)
            if page != self.end:
                addr = page
            self.end = page + nup
        self.last = addr
        self.next = addr + size
        return addr

    def free(self, addr: int) -> None:
        """__minimal_free: only the last block comes back."""
        if addr and addr == self.last:
            self.next = addr


# _dl_new_object's calloc: the link_map, the audit states (DL_NNS of 16 bytes, for the program
# and the vDSO, made before auditing is known), a one-entry symbolic search list, the
# libname_list node (24 bytes) and the name
AUDIT_SPACE = 16 * 16


def new_object_tail(link_map_size: int, audit: bool) -> int:
    """Where the libname_list node is in _dl_new_object's block."""
    return link_map_size + (AUDIT_SPACE if audit else 0) + 8


def new_object_size(link_map_size: int, libname: bytes, audit: bool) -> int:
    return new_object_tail(link_map_size, audit) + 24 + len(libname) + 1


class PrivateHeap:
    """The linker's memory after start-up (dlopen's link maps, names and scopes, dynamic TLS
    descriptors, the scopes it keeps for every object, a scratch page): "[pyloader]" pages
    mapped without a system call, far below the mmap area, so the program's trace and its
    mmap addresses stay what they are with the real ld.so, whose blocks come from libc's
    malloc then (ours are not glibc's, so they are not put in the program's heap)."""
    BASE = 0x7FFE00000000
    CHUNK = 0x10000

    def __init__(self, mem):
        self.mem = mem
        self.next = self.end = 0
        self.hint = self.BASE

    def alloc(self, size: int, align: int = 16) -> int:
        addr = roundup(self.next, max(align, 16))
        if not self.next or addr + size > self.end:
            length = roundup(size + align, self.CHUNK)
            base = self.hint if self.mem.is_free(self.hint, self.hint + length) else \
                self.mem.get_unmapped_area(length)
            self.mem.map(base, length, 3, name="[pyloader]")
            self.hint = base + length
            addr = roundup(base, max(align, 16))
            self.end = base + length
        self.next = addr + size
        return addr


class GlibcState:
    def __init__(self, rtld, layout: Layout):
        self.r = rtld
        self.L = layout
        self.mem = rtld.mem
        self.rtld_global = 0
        self.rtld_global_ro = 0
        self.slotinfo = 0               # the dtv slotinfo list (init_tls makes it)
        self.platform = 0               # glibc < 2.33: init_cpu_features' platform name

    # --- writing fields ------------------------------------------------------------------------
    def put(self, base: int, struct_name: str, path: str, value: int) -> None:
        m = self.L.member(struct_name, path)
        addr = base + m.offset
        if m.bit_size:
            byte = self.mem.read(addr, 1)[0]
            mask = ((1 << m.bit_size) - 1) << m.bit_offset
            byte = (byte & ~mask) | ((value << m.bit_offset) & mask)
            self.mem.write(addr, bytes([byte]))
        else:
            self.mem.write(addr, (value & ((1 << (8 * m.size)) - 1)).to_bytes(m.size, "little"))

    def put_g(self, path: str, value: int) -> None:
        self.put(self.rtld_global, "rtld_global", path, value)

    def put_ro(self, path: str, value: int) -> None:
        """A field of _rtld_global_ro, or of _rtld_global where this glibc keeps it there
        (the static TLS size and alignment moved to _ro in 2.32)."""
        if not self.L.has("rtld_global_ro", path) and self.L.has("rtld_global", path):
            self.put_g(path, value)
        else:
            self.put(self.rtld_global_ro, "rtld_global_ro", path, value)

    # --- static TLS (dl-tls.c: _dl_determine_tlsoffset, TLS_TCB_AT_TP) --------------------------
    def tls_layout(self) -> None:
        r = self.r
        modid = 0
        offset = 0
        max_align = TLS_TCB_ALIGN
        # the gap an alignment left below the last block: a later block that fits goes there
        freetop = freebottom = 0
        self.tls_maps = []
        for m in r.maps:
            if m.tls is None or not m.tls.blocksize and not m.tls.init_size:
                continue
            modid += 1
            t = m.tls
            t.modid = modid
            self.tls_maps.append(m)
            firstbyte = (-t.firstbyte_offset) & (t.align - 1)
            max_align = max(max_align, t.align)
            if freebottom - freetop >= t.blocksize:
                off = roundup(freetop + t.blocksize - firstbyte, t.align) + firstbyte
                if off <= freebottom:
                    freetop = t.offset = off
                    continue
            off = roundup(offset + t.blocksize - firstbyte, t.align) + firstbyte
            if off > offset + t.blocksize + (freebottom - freetop):
                freetop, freebottom = offset, off - t.blocksize
            t.offset = offset = off
        # glibc >= 2.41 puts the rseq area in an "extra TLS" block after the modules'
        # (dl-tls.c, sysdeps/unix/sysv/linux/dl-extra_tls.h); before, it is in struct pthread
        self.rseq_offset = None
        if not self.L.has("pthread", "rseq_area") and r.rtld.by_name.get("__rseq_offset"):
            auxv = dict(r.bprm.auxv)
            self.rseq_size = max(auxv.get(AT_RSEQ_FEATURE_SIZE, 0), RSEQ_AREA_SIZE_INITIAL_USED)
            align = max(auxv.get(AT_RSEQ_ALIGN, 0), RSEQ_MIN_ALIGN)
            max_align = max(max_align, align)
            offset = roundup(offset, align) + roundup(max(self.rseq_size, RSEQ_AREA_SIZE),
                                                      align)
            self.rseq_offset = -offset
        self.tls_static_used = offset
        self.tcb_size = self.L.size("pthread")
        self.tls_static_align = max_align
        if self.L.has("rtld_global_ro", "_dl_tls_static_surplus"):
            self.tls_surplus, self.tls_optional = tls_static_surplus(r.env)
        else:
            self.tls_surplus, self.tls_optional = TLS_STATIC_SURPLUS_OLD, 0
        self.tls_static_size = roundup(offset + self.tls_surplus, max_align) + self.tcb_size
        self.max_dtv_idx = modid
        self.static_nelem = modid
        self.generation = 1

    def allocate_tls(self) -> int:
        """init_tls: the dtv slotinfo list, then the static TLS block and the TCB (struct
        pthread) of the main thread and its dtv, in ld.so's minimal-malloc blocks; returns
        tp."""
        malloc = self.r.malloc
        self.slotinfo = malloc(16 + 16 * (self.max_dtv_idx + 1 + TLS_SLOTINFO_SURPLUS))
        size, align = self.tls_static_size, self.tls_static_align
        # _dl_allocate_tls_storage: room for the alignment and the pointer to the block
        block = malloc(size + align + 8)
        tp = roundup(block, align) + size - self.tcb_size
        dtv_len = self.max_dtv_idx + DTV_SURPLUS
        dtv = malloc(16 * (dtv_len + 2))                   # allocate_dtv
        self.mem.write_u64(dtv, dtv_len)                 # dtv[-1].counter
        self.dtv = dtv + 16                              # what tcb->dtv points at
        self.mem.write_u64(self.dtv, 1)                   # dtv[0].counter: the generation
        self.r.dprintf("tls", f"TCB allocated: 0x{tp:x}\n")       # glibc 2.41's tls category
        for m in self.tls_maps:
            self.mem.write_u64(self.dtv + 16 * m.tls.modid, tp - m.tls.offset)
        self.tp = tp
        return tp

    def init_tcb(self, stack_guard: int, pointer_guard: int) -> None:
        """tcbhead_t at tp: tcb, dtv, self, ..., stack_guard, pointer_guard."""
        tp = self.tp
        for path, value in (("header.tcb", tp), ("header.dtv", self.dtv), ("header.self", tp),
                            ("header.stack_guard", stack_guard),
                            ("header.pointer_guard", pointer_guard)):
            self.put(tp, "pthread", path, value)

    def copy_tdata(self) -> None:
        """_dl_allocate_tls_init: each module's .tdata image, then zeroes (after relocation)."""
        for m in self.tls_maps:
            self.copy_tdata_one(m)

    # --- link maps -----------------------------------------------------------------------------
    def build_link_maps(self) -> None:
        r = self.r
        L = self.L
        self.dt_num = L.member("link_map", "l_info").count - 42   # minus THISPROC 0 + VERSION
        chain = r.namespace()                                      # 16 + EXTRA 3 + VAL 12 + ADDR 11
        for m in chain:
            if m.is_rtld and L.has("rtld_global", "_dl_rtld_map"):
                m.guest = self.rtld_global + L.off("rtld_global", "_dl_rtld_map")
            elif m.is_rtld:     # glibc >= 2.41 keeps it elsewhere: where, does not matter
                m.guest = r.private.alloc(L.size("link_map"), 16)
            else:               # _dl_new_object's block, made when the object was
                m.guest = m.blocks[0]
        for i, (m, serial) in enumerate(zip(chain, serials(chain))):
            self.fill_link_map(m, serial, chain[i - 1] if i else None,
                               chain[i + 1] if i + 1 < len(chain) else None)
        main = r.main
        # the main map's search list (_dl_map_object_deps' block): every object, in the
        # global scope's order
        lst = r.searchlist_block
        self.mem.write(lst, b"".join(_u64(m.guest) for m in r.maps))
        self.put(main.guest, "link_map", "l_searchlist.r_list", lst)
        self.searchlist_list = lst
        self.put(main.guest, "link_map", "l_searchlist.r_nlist", len(r.maps))
        self.searchlist = main.guest + L.off("link_map", "l_searchlist")
        self.chain = chain
        self.load_adds = len(chain)         # GL(dl_load_adds): every object ever loaded

    def append_link_maps(self, new: list[LinkMap]) -> None:
        """dlopen: new objects join the end of the namespace's list."""
        last = self.chain[-1]
        for i, m in enumerate(new):
            prev = new[i - 1] if i else last
            nxt = new[i + 1] if i + 1 < len(new) else None
            self.fill_link_map(m, self.load_adds + i, prev, nxt)
        self.put(last.guest, "link_map", "l_next", new[0].guest)
        self.chain += new
        self.put_g("_dl_ns[0]._ns_nloaded", len(self.chain))
        self.load_adds += len(new)
        self.put_g("_dl_load_adds", self.load_adds)

    def fill_link_map(self, m: LinkMap, serial: int, prev, nxt) -> None:
        base = m.guest

        def put(path: str, v: int) -> None:
            # a field this glibc's link_map does not have (l_text_end went in 2.41) is one
            # it does not read
            if self.L.has("link_map", path):
                self.put(base, "link_map", path, v)
        write = self.mem.write
        blocks = m.blocks
        origin_block = 0
        if blocks is None:      # ld.so's own map, and dlopen's (glibc: libc's malloc)
            private = self.r.private
            libname = private.alloc(24, 8)
            lname = (m.soname or m.name).encode()
            lname_addr = private.alloc(len(lname) + 1, 1)
            write(lname_addr, lname + b"\0")
            name_addr = private.alloc(len(m.path.encode()) + 1, 1)
            write(name_addr, m.path.encode() + b"\0")
        else:                   # start-up: where _dl_new_object and the search put them
            block, realname, origin_block = blocks
            libname = block + new_object_tail(self.L.size("link_map"), m.is_main or m.is_vdso)
            if m.is_vdso:       # setup_vdso: both names are its DT_SONAME, in place
                lname_addr = name_addr = m.l_addr + m.one(DT_STRTAB) + m.dyn[DT_SONAME][0]
            else:               # the name asked for; the program's is "", which is its l_name
                lname = b"" if m.is_main else m.name.encode()
                lname_addr = libname + 24
                write(lname_addr, lname + b"\0")
                name_addr = realname or lname_addr + len(lname)
                if realname:    # l_name: the path the search found
                    write(realname, m.path.encode() + b"\0")
        put("l_addr", m.l_addr)
        put("l_name", name_addr)
        put("l_ld", m.l_addr + m.dyn_vaddr if m.dyn_vaddr else 0)
        put("l_next", nxt.guest if nxt is not None else 0)
        put("l_prev", prev.guest if prev is not None else 0)
        put("l_real", base)
        # l_libname: the names this object answers to
        self.mem.write(libname, _u64(lname_addr) + _u64(0) + _u64(1))
        put("l_libname", libname)
        self._fill_info(m, base, self.dt_num)
        if m.is_vdso and self.L.has("link_map", "l_ld_readonly"):
            put("l_ld_readonly", 1)     # setup_vdso: PT_DYNAMIC is not writable
        if m.phdr_addr is not None:         # the program: what the kernel told ld.so
            put("l_phdr", m.phdr_addr)
            put("l_phnum", len(m.img.phdrs))
            put("l_entry", m.entry)
        else:
            phdr = m.img.phdr_vaddr()
            put("l_phdr", m.l_addr + phdr if phdr is not None else 0)
            put("l_phnum", m.img.e_phnum)
            put("l_entry", m.l_addr + m.img.e_entry)
        put("l_map_start", m.map_start)
        put("l_map_end", m.map_end)
        put("l_text_end", text_end(m))
        dlopened = m.dlopened
        put("l_type", LT_EXECUTABLE if m.is_main else LT_LOADED if dlopened else LT_LIBRARY)
        vdso = m.is_vdso        # setup_vdso: relocated, nothing more (not global, no init)
        put("l_relocated", 1)
        put("l_init_called", 0 if vdso else 1)
        put("l_contiguous", int(contiguous(m, self.r.glibc_minor)))
        if m.flags_1 & DF_1_NODELETE and not dlopened:     # dlopen makes it active at once
            put("l_nodelete_pending", 1)
        put("l_global", 0 if dlopened or vdso else 1)   # dl_open sets it for RTLD_GLOBAL
        put("l_direct_opencount", 1 if m.is_main else 0)    # what dl_main leaves
        put("l_serial", serial)
        if not m.is_rtld:        # ld.so's own map does not get them (its bootstrap map does)
            put("l_flags", m.flags)
            put("l_flags_1", m.flags_1)
        # glibc 2.41's: the TLS module is in the slotinfo list
        put("l_tls_in_slotinfo", int(m.tls is not None and m.tls.modid > 0))
        if not m.is_rtld:     # _dl_new_object: DT_SYMBOLIC lookups search the object first
            put("l_symbolic_searchlist.r_list", base + self.L.off("link_map", "l_real"))
            if m.symbolic and not (m.is_main or vdso):  # _dl_map_object_from_fd uses it
                put("l_symbolic_searchlist.r_nlist", 1)
        if m.is_main and self.r.main_origin_block:       # $ORIGIN was expanded for it
            put("l_origin", self.r.main_origin_block)
        if vdso:
            put("l_ldnum", dyn_count(m))                    # setup_vdso counts them too
        if not m.is_main and not m.is_rtld and not vdso:     # set by _dl_map_object_from_fd
            # l_origin (_dl_new_object): the directory the object was found in; dlinfo
            # RTLD_DI_ORIGIN copies it, $ORIGIN expands to it
            origin = (os.path.dirname(m.path) or ".").encode() + b"\0"
            origin_addr = origin_block or self.r.private.alloc(len(origin), 1)
            self.mem.write(origin_addr, origin)
            put("l_origin", origin_addr)
            put("l_ldnum", dyn_count(m))
            put("l_file_id.dev", max(m.dev, 0))
            put("l_file_id.ino", max(m.ino, 0))
        self._setup_hash(m, put)
        if m.loader is not None and m.loader.guest:
            put("l_loader", m.loader.guest)
        if m.tls is not None and m.tls.modid:
            t = m.tls
            put("l_tls_initimage", m.l_addr + t.init_vaddr)
            put("l_tls_initimage_size", t.init_size)
            put("l_tls_blocksize", t.blocksize)
            put("l_tls_align", t.align)
            put("l_tls_firstbyte_offset", t.firstbyte_offset)
            put("l_tls_offset", t.offset)
            put("l_tls_modid", t.modid)
        if m.relro:
            put("l_relro_addr", m.relro[0])       # _dl_protect_relro adds l_addr itself
            put("l_relro_size", m.relro[1])

    def _setup_hash(self, m: LinkMap, put) -> None:
        """_dl_setup_hash: the hash table fields, which libc's dladdr (_dl_addr) walks."""
        if DT_GNU_HASH in m.dyn:
            at = m.one(DT_GNU_HASH)
            nbuckets, symbias, nwords, shift = struct.unpack("<IIII", m.read(at, 16))
            bitmask = m.l_addr + at + 16
            buckets = bitmask + 8 * nwords
            put("l_nbuckets", nbuckets)
            put("l_gnu_bitmask_idxbits", nwords - 1)
            put("l_gnu_shift", shift)
            put("l_gnu_bitmask", bitmask)
            put("l_gnu_buckets", buckets)
            put("l_gnu_chain_zero", buckets + 4 * nbuckets - 4 * symbias)
        elif DT_HASH in m.dyn:
            at = m.one(DT_HASH)
            nbucket, _nchain = struct.unpack("<II", m.read(at, 8))
            put("l_nbuckets", nbucket)
            put("l_buckets", m.l_addr + at + 8)
            put("l_chain", m.l_addr + at + 8 + 4 * nbucket)

    # --- TLS of dlopened objects (dl-open.c, dl-tls.c, dl-reloc.c) --------------------------
    def add_tls_module(self, m: LinkMap) -> None:
        """_dl_add_to_slotinfo: the next module id, its slotinfo entry in the coming
        generation. The block is not allocated here: the real ld.so's __tls_get_addr
        (_dl_update_slotinfo grows the dtv, tls_get_addr_tail allocates and initialises)
        does that on first use in each thread, unless static TLS is asked for."""
        t = m.tls
        self.max_dtv_idx += 1
        t.modid = self.max_dtv_idx          # t.offset stays 0 (NO_TLS_OFFSET) unless static
        t.gen = self.generation + 1
        self.tls_maps.append(m)
        self._set_slotinfo(t.modid, t.gen, m.guest)
        self.put_g("_dl_tls_max_dtv_idx", self.max_dtv_idx)

    def unlink_link_maps(self, gone: list) -> None:
        """_dl_close_worker: the objects leave the namespace's l_next/l_prev list."""
        ids = {id(m) for m in gone}
        self.chain = [m for m in self.chain if id(m) not in ids]
        for i, m in enumerate(self.chain):
            self.put(m.guest, "link_map", "l_next",
                     self.chain[i + 1].guest if i + 1 < len(self.chain) else 0)
            self.put(m.guest, "link_map", "l_prev", self.chain[i - 1].guest if i else 0)
        self.put_g("_dl_ns[0]._ns_nloaded", len(self.chain))

    def remove_tls_module(self, m) -> None:
        """The module's slotinfo entry loses its map in the next generation (its id may be
        reused), as _dl_close_worker's remove_slotinfo does."""
        self._set_slotinfo(m.tls.modid, self.generation + 1, 0)

    def new_generation(self) -> None:
        """After a dlopen that added TLS modules: every thread's dtv is now out of date."""
        self.generation += 1
        self.put_g("_dl_tls_generation", self.generation)

    def allocate_static_tls(self, m: LinkMap, optional: bool = False) -> bool:
        """_dl_try_allocate_static_tls (TLS_TCB_AT_TP): place the module's block in the
        static surplus, below what is used; optional placements (TLSDESC) also spend the
        rtld.optional_static_tls budget. The main thread's block gets the image."""
        t = m.tls
        if t.offset:
            return True
        if t.align > self.tls_static_align:
            return False
        free = self.tls_static_size - self.tls_static_used - self.tcb_size
        blsize = t.blocksize + t.firstbyte_offset
        if free < blsize:
            return False
        n = (free - blsize) // t.align
        use = free - n * t.align - t.firstbyte_offset
        if optional:
            if use > self.tls_optional:
                return False
            self.tls_optional -= use
            self.put_g("_dl_tls_static_optional", self.tls_optional)
        t.offset = self.tls_static_used = self.tls_static_used + use
        self.put_g("_dl_tls_static_used", self.tls_static_used)
        if m.guest:
            self.put(m.guest, "link_map", "l_tls_offset", t.offset)
        self.r.dprintf("tls", f"static TLS for {m.path}: offset 0x{t.offset:x}\n")
        return True

    def _set_slotinfo(self, modid: int, gen: int, map_addr: int) -> None:
        """slotinfo[modid] = {gen, map}; past the list's end a new element is chained on,
        as _dl_add_to_slotinfo allocates one (TLS_SLOTINFO_SURPLUS entries)."""
        listp, idx = self.slotinfo, modid
        while True:
            length, nxt = struct.unpack("<QQ", self.mem.read(listp, 16))
            if idx < length:
                self.mem.write(listp + 16 + 16 * idx, _u64(gen) + _u64(map_addr))
                return
            idx -= length
            if not nxt:
                nxt = self.r.private.alloc(16 + 16 * TLS_SLOTINFO_SURPLUS, 16)
                self.mem.write(nxt, _u64(TLS_SLOTINFO_SURPLUS) + _u64(0) +
                               bytes(16 * TLS_SLOTINFO_SURPLUS))
                self.mem.write_u64(listp + 8, nxt)
            listp = nxt

    def copy_tdata_one(self, m: LinkMap) -> None:
        """The main thread's copy of a statically placed module's initial image."""
        if m.tls is not None and m.tls.modid and m.tls.offset:
            t = m.tls
            start = self.tp - t.offset
            if t.init_size:
                self.mem.write(start, self.mem.read(m.l_addr + t.init_vaddr, t.init_size))
            if t.blocksize > t.init_size:
                self.mem.write(start + t.init_size, bytes(t.blocksize - t.init_size))

    def _fill_info(self, m: LinkMap, base: int, dt_num: int) -> None:
        """l_info[] points at the object's own dynamic entries (elf_get_dynamic_info),
        after making the address-valued ones absolute in place."""
        if not m.dyn_vaddr:
            return
        info_off = self.L.off("link_map", "l_info")
        addr = m.l_addr + m.dyn_vaddr
        while True:
            tag, val = struct.unpack("<qQ", self.mem.read(addr, 16))
            if tag == 0:
                break
            idx = _info_index(tag, dt_num)
            if idx is not None:
                self.mem.write_u64(base + info_off + 8 * idx, addr)
            if tag in ADJUSTED_TAGS and m.l_addr and not m.is_vdso:
                self.mem.write_u64(addr + 8, val + m.l_addr)
            addr += 16

    # --- _rtld_global and friends -----------------------------------------------------------------
    def rtld_state(self, auxv: int, platform: int, minsigstksz: int) -> None:
        r = self.r
        put_g, put_ro = self.put_g, self.put_ro
        put_g("_dl_ns[0]._ns_loaded", r.maps[0].guest)
        put_g("_dl_ns[0]._ns_nloaded", len(self.chain))
        put_g("_dl_ns[0]._ns_main_searchlist", self.searchlist)
        if self.L.has("rtld_global_ro", "_dl_initial_searchlist.r_list"):
            put_ro("_dl_initial_searchlist.r_list", self.searchlist_list)
            put_ro("_dl_initial_searchlist.r_nlist", len(r.maps))
        if self.L.has("rtld_global", "_dl_ns[0].libc_map"):
            libc = r.libc
            put_g("_dl_ns[0].libc_map", libc.guest if libc else 0)
        put_g("_dl_nns", 1)
        put_g("_dl_load_adds", len(self.chain))
        put_g("_dl_tls_max_dtv_idx", self.max_dtv_idx)
        put_g("_dl_tls_static_nelem", self.max_dtv_idx)
        put_g("_dl_tls_static_used", self.tls_static_used)
        put_g("_dl_tls_static_optional", self.tls_optional)
        put_g("_dl_initial_dtv", self.dtv)
        put_g("_dl_tls_generation", 1)
        nelem = self.max_dtv_idx + 1 + TLS_SLOTINFO_SURPLUS
        slot = self.slotinfo                                     # allocate_tls made it
        self.mem.write(slot, _u64(nelem) + _u64(0))
        for m in self.tls_maps:
            self.mem.write(slot + 16 + 16 * m.tls.modid, _u64(0) + _u64(m.guest))
        put_g("_dl_tls_dtv_slotinfo_list", slot)
        self.slotinfo = slot
        # PT_GNU_STACK's flags (PF_R|PF_W|PF_X without one): pthread stacks get the same
        ph = r.task.bprm.image.first(PT_GNU_STACK) if r.task.bprm else None
        pf = ph.p_flags if ph is not None else PF_R | PF_W | PF_X
        if self.L.has("rtld_global", "_dl_stack_flags"):
            put_g("_dl_stack_flags", pf)
        elif self.L.has("rtld_global", "_dl_stack_prot_flags"):     # glibc >= 2.43: PROT_*
            put_g("_dl_stack_prot_flags", make_prot(pf))
        for path in ("_dl_stack_used", "_dl_stack_user", "_dl_stack_cache"):
            if self.L.has("rtld_global", path):
                head = self.rtld_global + self.L.off("rtld_global", path)
                self.mem.write(head, _u64(head) + _u64(head))       # INIT_LIST_HEAD
        if self.L.has("rtld_global", "_dl_rtld_lock_recursive"):
            put_g("_dl_rtld_lock_recursive", r.stubs.ret_gadget)     # glibc 2.31
            put_g("_dl_rtld_unlock_recursive", r.stubs.ret_gadget)
        # rtld_active() is GLRO(dl_init_all_dirs) != NULL: libc < 2.34 otherwise dlopens
        # through _dl_open_hook (NULL). Nothing in libc reads the list: an empty element
        dirs = r.init_dirs_block                        # _dl_init_paths' elements
        self.mem.write(dirs, bytes(64))
        put_g("_dl_all_dirs", dirs)
        put_ro("_dl_init_all_dirs", dirs)
        put_ro("_dl_pagesize", 4096)
        put_ro("_dl_platform", self.platform or platform)
        put_ro("_dl_platformlen", 6)
        put_ro("_dl_clktck", 100)
        put_ro("_dl_hwcap2", self.r.task.hwcap2)
        put_ro("_dl_auxv", auxv)
        if self.L.has("rtld_global_ro", "_dl_minsigstacksize"):     # glibc >= 2.34
            put_ro("_dl_minsigstacksize", minsigstksz)
        put_ro("_dl_tls_static_size", self.tls_static_size)
        put_ro("_dl_tls_static_align", self.tls_static_align)
        if self.L.has("rtld_global_ro", "_dl_tls_static_surplus"):
            put_ro("_dl_tls_static_surplus", self.tls_surplus)
        put_ro("_dl_lazy", int(r.lazy))
        if self.L.has("rtld_global_ro", "_dl_dso_sort_algo"):
            put_ro("_dl_dso_sort_algo", 1)          # glibc.rtld.dynamic_sort=2: dfs
        put_ro("_dl_dynamic_weak", 0)

    def set_cpu_state(self, cpu: dict) -> None:
        """glibc < 2.33: init_cpu_features' results (learn.cpu_state), and what dl_main sets
        around them: the platform name, HWCAP_X86_64, the kernel's version, and whether the
        program's load bias is used."""
        m = self.L.member("rtld_global_ro", "_dl_x86_cpu_features")
        self.mem.write(self.rtld_global_ro + m.offset, bytes.fromhex(cpu["cpu_features"]))
        self.put_ro("_dl_hwcap", cpu["hwcap"])
        name = cpu["platform"].encode() + b"\0"
        at = self.r.private.alloc(len(name), 1)
        self.mem.write(at, name)
        self.platform = at
        if cpu["osversion"] is not None:
            self.put_ro("_dl_osversion", cpu["osversion"])
        if self.L.has("rtld_global_ro", "_dl_use_load_bias"):
            self.put_ro("_dl_use_load_bias", -1 if self.r.main.l_addr == 0 else 0)

    # --- the main thread (__tls_init_tp) ----------------------------------------------------------
    def init_thread(self, stack_end: int) -> None:
        """The main thread's struct pthread and its kernel registrations. Before glibc 2.34,
        libpthread's initialiser does all this, and only when the program uses it."""
        if self.r.glibc_minor < 34:
            return
        tp = self.tp
        L = self.L
        put = lambda path, v: self.put(tp, "pthread", path, v)
        if L.has("rtld_global", "_dl_stack_user"):
            head = self.rtld_global + L.off("rtld_global", "_dl_stack_user")
            node = tp + L.off("pthread", "list")
            self.mem.write(node, _u64(head) + _u64(head))           # list_add
            self.mem.write(head, _u64(node) + _u64(node))
        if L.has("pthread", "joinstate"):  # glibc >= 2.43: the kernel clears it at exit
            put("joinstate", THREAD_STATE_JOINABLE)
            tid = self.r.sys("set_tid_address", tp + L.off("pthread", "joinstate"))
        else:
            tid = self.r.sys("set_tid_address", tp + L.off("pthread", "tid"))
        put("tid", tid)
        put("specific", tp + L.off("pthread", "specific_1stblock"))   # specific[0]
        if L.has("pthread", "user_stack"):
            put("user_stack", 1)
        else:                               # glibc >= 2.43
            put("stack_mode", ALLOCATE_GUARD_USER)
        robust = tp + L.off("pthread", "robust_head")
        put("robust_prev", robust)
        put("robust_head.list", robust)
        put("robust_head.futex_offset", ROBUST_FUTEX_OFFSET)
        self.r.sys("set_robust_list", robust, 24)
        put("stackblock_size", stack_end)
        if self.rseq_offset is not None:         # glibc >= 2.41: the extra TLS block
            area = tp + self.rseq_offset
            self.mem.write(area, struct.pack("<IiQI", 0, -1, 0, 0))   # cpu_id: uninitialised
            self.r.set_symbol("__rseq_offset", self.rseq_offset, 8)
            size = max(self.rseq_size, RSEQ_AREA_SIZE)
            ok = self.r.sys("rseq", area, size, 0, RSEQ_SIG) == 0
            if not ok:
                self.mem.write(area + 4, struct.pack("<i", -2))     # REGISTRATION_FAILED
            self.r.set_symbol("__rseq_size", self.rseq_size if ok else 0, 4)
        elif L.has("pthread", "rseq_area"):
            area = tp + L.off("pthread", "rseq_area")
            put("rseq_area.cpu_id", -1)                # RSEQ_CPU_ID_UNINITIALIZED
            if self.r.sys("rseq", area, RSEQ_AREA_SIZE, 0, RSEQ_SIG) == 0:
                # 20, the original ABI's fields (bug 31965's fix, on every release branch
                # from 2.35 since 2024; unpatched 2.35-2.39 builds said 32)
                self.r.set_symbol("__rseq_size", RSEQ_AREA_SIZE_INITIAL_USED, 4)
                self.r.set_symbol("__rseq_offset", area - tp, 8)


def contiguous(m: LinkMap, glibc_minor: int) -> bool:
    """l_contiguous: a library ld.so mapped itself is one reservation; the vDSO is not
    marked; dl_main marks ld.so, and the program when each PT_LOAD starts on the page after
    the previous one ends, since 2.35 (measured: 2.36 does, 2.31 marks neither)."""
    if m.is_vdso:
        return False
    if not (m.is_main or m.is_rtld):
        return True
    if glibc_minor < 35:
        return False
    if m.is_rtld:
        return True
    expected = 0
    for ph in m.img.segments(PT_LOAD):
        start = m.l_addr + ph.p_vaddr // 4096 * 4096
        if expected and expected != start:
            return False
        expected = roundup(m.l_addr + ph.p_vaddr + ph.p_memsz, 4096)
    return True


def serials(chain: list[LinkMap]) -> list[int]:
    """l_serial of each object in the namespace's chain at start-up: the program 0, ld.so's
    own map 0 (not _dl_new_object's), the vDSO 1 (the second one made); ld.so's map is
    counted as the second load, so objects before its place in the chain (glibc < 2.35
    puts it where it was needed) get their index + 1, those after it their index."""
    rtld_at = next((i for i, m in enumerate(chain) if m.is_rtld), len(chain))
    return [0 if not i or m.is_rtld else 1 if m.is_vdso else i + (i < rtld_at)
            for i, m in enumerate(chain)]


def text_end(m: LinkMap) -> int:
    """l_text_end: the end of the executable segment; for a library ld.so mapped itself
    (dl-load.c), page-rounded past its file contents."""
    end = 0
    for ph in m.img.segments(PT_LOAD):
        if ph.p_flags & PF_X:
            if m.is_main or m.is_rtld:
                end = max(end, ph.p_vaddr + ph.p_memsz)
            else:
                end = max(end, roundup(ph.p_vaddr + ph.p_filesz, 4096))
    return m.l_addr + end if end else m.map_end


def dyn_count(m: LinkMap) -> int:
    ph = m.img.first(PT_DYNAMIC)
    return ph.p_memsz // 16 if ph is not None else 0


def _info_index(tag: int, dt_num: int) -> int | None:
    """Which l_info slot a dynamic tag uses (elf/get-dynamic-info.h)."""
    if 0 <= tag < dt_num:
        return tag
    if 0x6FFFFFF0 <= tag <= 0x6FFFFFFF:                      # DT_VERSIONTAGIDX
        return dt_num + (0x6FFFFFFF - tag)
    if tag in (0x7FFFFFFD, 0x7FFFFFFF):                       # DT_AUXILIARY, DT_FILTER
        return dt_num + 16 + ((-((tag << 1) >> 1) - 1) & 0xFFFFFFFF) % 3
    if 0x6FFFFD00 <= tag <= 0x6FFFFDFF:                       # DT_VALTAGIDX
        idx = 0x6FFFFDFF - tag
        return dt_num + 16 + 3 + idx if idx < 12 else None
    if 0x6FFFFE00 <= tag <= 0x6FFFFEFF:                       # DT_ADDRTAGIDX
        idx = 0x6FFFFEFF - tag
        return dt_num + 16 + 3 + 12 + idx if idx < 11 else None
    return None
