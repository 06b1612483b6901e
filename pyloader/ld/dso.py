"""One loaded ELF object as the dynamic linker sees it (glibc's `struct link_map`, our side).

The dynamic section, symbol table, symbol versions and relocation tables are read from the
file image with `struct`; symbol lookup uses a dict built once per object (name -> symbol
indices), which is what GNU hash buys ld.so, at Python speed.
"""
from __future__ import annotations

import struct

from ..elf import (
    DF_1_NOW,
    DF_BIND_NOW,
    DF_SYMBOLIC,
    DF_TEXTREL,
    DT_BIND_NOW,
    DT_FLAGS,
    DT_FLAGS_1,
    DT_GNU_HASH,
    DT_HASH,
    DT_JMPREL,
    DT_NEEDED,
    DT_NULL,
    DT_PLTRELSZ,
    DT_RELA,
    DT_RELASZ,
    DT_RELR,
    DT_RELRSZ,
    DT_RPATH,
    DT_RUNPATH,
    DT_SONAME,
    DT_STRSZ,
    DT_STRTAB,
    DT_SYMBOLIC,
    DT_SYMTAB,
    DT_TEXTREL,
    DT_VERDEF,
    DT_VERDEFNUM,
    DT_VERNEED,
    DT_VERNEEDNUM,
    DT_VERSYM,
    DYN,
    PHDR,
    PT_DYNAMIC,
    PT_GNU_EH_FRAME,
    PT_GNU_RELRO,
    PT_LOAD,
    PT_PHDR,
    PT_TLS,
    RELA,
    STT_COMMON,
    STT_FUNC,
    STT_GNU_IFUNC,
    STT_NOTYPE,
    STT_OBJECT,
    STT_TLS,
    SYM,
    VER_FLG_BASE,
    ElfError,
    ElfImage,
    Phdr,
)

MASK64 = (1 << 64) - 1

DEFINING_TYPES = {STT_NOTYPE, STT_OBJECT, STT_FUNC, STT_COMMON, STT_TLS, STT_GNU_IFUNC}


class LinkError(Exception):
    """ld.so's fatal errors; the message is ld.so's own wording. Exit status 127."""


class RtldAssertion(Exception):
    """A failed assert in ld.so: _dl_assert_fail prints its line and the process exits with
    status 127 (even inside dlopen: no dlerror)."""

    def __init__(self, file: str, function: str, expr: str):
        # glibc prints the assert's __LINE__ too, which differs with each version
        super().__init__(f"Inconsistency detected by ld.so: {file}: {function}: "
                         f"Assertion `{expr}' failed!")


class Sym:
    """A dynamic symbol (plain classes here: see memory.Vma)."""
    __slots__ = ("index", "info", "name", "other", "shndx", "size", "value")

    def __init__(self, index: int, name: str, info: int, other: int, shndx: int, value: int,
                 size: int):
        self.index, self.name, self.info, self.other = index, name, info, other
        self.shndx, self.value, self.size = shndx, value, size

    def __repr__(self) -> str:
        return f"Sym({self.index}, {self.name!r}, value={self.value:#x})"

    @property
    def type(self) -> int:
        return self.info & 0xF

    @property
    def bind(self) -> int:
        return self.info >> 4


class Version:
    """An entry of glibc's l_versions: what a version index means in this object."""
    __slots__ = ("filename", "hash", "hidden", "name")

    def __init__(self, name: str | None, hash: int, hidden: bool = False,
                 filename: str | None = None):
        self.name, self.hash, self.hidden = name, hash, hidden
        self.filename = filename    # VERNEED: the object expected to define it

    def __repr__(self) -> str:
        return f"Version({self.name!r}, hidden={self.hidden}, filename={self.filename!r})"


class TlsInfo:
    """An object's PT_TLS and where its block went (plain class: see memory.Vma)."""
    __slots__ = (
        "align",
        "blocksize",
        "firstbyte_offset",
        "forced_dynamic",
        "gen",
        "init_size",
        "init_vaddr",
        "modid",
        "offset",
    )

    def __init__(self, blocksize: int, align: int, init_vaddr: int, init_size: int,
                 firstbyte_offset: int):
        self.blocksize, self.align = blocksize, align
        self.init_vaddr, self.init_size = init_vaddr, init_size
        self.firstbyte_offset = firstbyte_offset
        self.modid = 0
        self.offset = 0             # l_tls_offset (tp - block start, TLS_TCB_AT_TP)
        self.gen = 0                # the generation of the module's slotinfo entry
        self.forced_dynamic = False  # TLSDESC found no static room: never static (glibc's -1)


class SymbolTable:
    """The dynamic symbol table: names decoded at once (symbol lookup needs them all), a
    Sym made only for the entries someone asks for (most never are)."""
    __slots__ = ("_made", "names", "raw")

    def __init__(self, names: list[str], raw: list[tuple]):
        self.names, self.raw = names, raw
        self._made: dict[int, Sym] = {}

    def __len__(self) -> int:
        return len(self.raw)

    def __getitem__(self, i: int) -> Sym:
        sym = self._made.get(i)
        if sym is None:
            if i < 0:
                i += len(self.raw)
            _, info, other, shndx, value, size = self.raw[i]
            sym = self._made[i] = Sym(i, self.names[i], info, other, shndx, value, size)
        return sym

    def __iter__(self):
        return (self[i] for i in range(len(self.raw)))


class LinkMap:
    """A loaded object: its file image, its place in memory (l_addr) and its tables. (A
    plain class: see memory.Vma. Objects compare by identity.)"""

    def __init__(self, name: str, path: str, data: bytes, l_addr: int = 0,
                 mapped_by_kernel: bool = False, memory=None,
                 auxv: tuple[int, int, int] | None = None):
        """memory and auxv (AT_PHDR, AT_PHNUM, AT_ENTRY): the program, which the kernel
        mapped. ld.so knows it only from memory (rtld_setup_main_map): its program headers
        at AT_PHDR, l_addr from PT_PHDR, its dynamic section and every table read from guest
        memory as guest code would read it (a Fault is ld.so's SIGSEGV or SIGBUS)."""
        self.name = name                # the name it was asked for (DT_NEEDED or a path)
        self.path = path                # the guest path it was loaded from
        self.data = data
        self.l_addr = l_addr
        self.map_start = self.map_end = 0
        self.guest = 0                  # address of its struct link_map in guest memory
        self.is_main = self.is_rtld = False
        self.is_vdso = False            # the kernel's vDSO (mapped by exec, never relocated)
        self.relocated = False
        self.tls: TlsInfo | None = None
        self.loader: LinkMap | None = None
        self.dev = self.ino = -1
        # start-up only: ld.so's blocks for it (_dl_new_object's, the found path, l_origin)
        self.blocks: tuple[int, int, int] | None = None
        # filled by the linker
        self.deps: list[LinkMap] = []           # DT_NEEDED objects as found (l_initfini's)
        self.versions_block = 0                 # its struct r_found_version array (l_versions)
        self.reloc_counts: dict[int, int] = {}  # relocation type -> count (relocate)
        self.dlopened = False                   # lt_loaded
        self.opencount = 0                      # l_direct_opencount (the program's: 1)
        self.local_scope: list[LinkMap] | None = None   # a dlopened RTLD_LOCAL object's
        # the program was mapped by exec, whose checks are the kernel's: ld.so takes its
        # program headers as they are (libraries it validates as glibc's open_verify does)
        self.img = ElfImage(self.data, self.path, kernel=mapped_by_kernel)
        self.memory = memory
        self.phdr_addr = self.entry = None      # the program's: AT_PHDR and AT_ENTRY
        self.dyn: dict[int, list[int]] = {}
        self.dyn_vaddr = 0
        if memory is not None:
            self._main_from_memory(*auxv)
        else:
            dyn = self.img.first(PT_DYNAMIC)
            if dyn is not None:
                self.dyn_vaddr = dyn.p_vaddr
                end = min(dyn.p_offset + dyn.p_filesz, len(self.data))
                for off in range(dyn.p_offset, end - DYN.size + 1, DYN.size):
                    tag, val = DYN.unpack_from(self.data, off)
                    if tag == DT_NULL:
                        break
                    self.dyn.setdefault(tag, []).append(val)
        self._strtab = self._table(DT_STRTAB, self.one(DT_STRSZ))
        self.needed = [self.string(v) for v in self.dyn.get(DT_NEEDED, [])]
        self.soname = self.string(self.one(DT_SONAME)) if DT_SONAME in self.dyn else None
        self.rpath = self.string(self.one(DT_RPATH)) if DT_RPATH in self.dyn else None
        self.runpath = self.string(self.one(DT_RUNPATH)) if DT_RUNPATH in self.dyn else None
        self.flags = self.one(DT_FLAGS)
        self.flags_1 = self.one(DT_FLAGS_1)
        # DT_SYMBOLIC (or DF_SYMBOLIC): the object's own definitions come first for it
        self.symbolic = DT_SYMBOLIC in self.dyn or bool(self.flags & DF_SYMBOLIC)
        self.syms = self._read_symbols()
        self.by_name: dict[str, list[int]] = {}
        setdefault = self.by_name.setdefault
        for i, (sym_name, raw) in enumerate(zip(self.syms.names, self.syms.raw)):
            if raw[3] or raw[4]:         # defined, or an executable's canonical PLT address
                setdefault(sym_name, []).append(i)
        self.versym = self._read_versym()
        self.versions = self._read_versions()
        ph = self.img.first(PT_TLS)
        if ph is not None:
            self.tls = TlsInfo(ph.p_memsz, max(ph.p_align, 1), ph.p_vaddr, ph.p_filesz,
                               ph.p_vaddr & (max(ph.p_align, 1) - 1))
        relro = self.img.first(PT_GNU_RELRO)
        self.relro = (relro.p_vaddr, relro.p_memsz) if relro else None
        eh = self.img.first(PT_GNU_EH_FRAME)
        self.eh_frame_hdr = eh.p_vaddr if eh else 0

    def _main_from_memory(self, at_phdr: int, phnum: int, at_entry: int) -> None:
        """rtld_setup_main_map's scan: the headers in order, the last PT_PHDR giving l_addr,
        l_ld the l_addr of that moment plus PT_DYNAMIC's p_vaddr; then the entries up to
        DT_NULL (elf_get_dynamic_info has no bound but memory's)."""
        raw = self.memory.read_checked(at_phdr, phnum * PHDR.size)
        self.img.phdrs = [Phdr(*p) for p in PHDR.iter_unpack(raw)]
        self.phdr_addr, self.entry = at_phdr, at_entry
        l_addr = l_ld = 0
        for ph in self.img.phdrs:
            if ph.p_type == PT_PHDR:
                l_addr = (at_phdr - ph.p_vaddr) & MASK64
            elif ph.p_type == PT_DYNAMIC:
                l_ld = (l_addr + ph.p_vaddr) & MASK64
        self.l_addr = l_addr
        if not l_ld:
            return
        self.dyn_vaddr = (l_ld - l_addr) & MASK64
        at = l_ld
        while True:
            tag, val = DYN.unpack(self.memory.read_checked(at, DYN.size))
            if tag == DT_NULL:
                break
            self.dyn.setdefault(tag, []).append(val)
            at += DYN.size

    # --- reading the image -------------------------------------------------------------------
    def one(self, tag: int, default: int = 0) -> int:
        v = self.dyn.get(tag)
        return v[0] if v else default

    def offset_of(self, vaddr: int) -> int:
        for ph in self.img.segments(PT_LOAD):
            if ph.p_vaddr <= vaddr < ph.p_vaddr + ph.p_filesz:
                return ph.p_offset + vaddr - ph.p_vaddr
        raise ElfError(f"{self.path}: address 0x{vaddr:x} is not in the file")

    def _table(self, tag: int, size: int) -> bytes:
        if tag not in self.dyn or size <= 0:
            return b""
        return self.read(self.one(tag), size)

    def read(self, vaddr: int, size: int) -> bytes:
        if self.memory is not None:
            return self.memory.read_checked((self.l_addr + vaddr) & MASK64, size)
        off = self.offset_of(vaddr)
        return self.data[off:off + size]

    def string(self, off: int) -> str:
        end = self._strtab.find(b"\0", off)
        return self._strtab[off:end if end >= 0 else None].decode("utf-8", "surrogateescape")

    def _symbol_count(self) -> int:
        """How many dynamic symbols there are. GNU hash does not say (undefined symbols are
        not hashed), so the .dynsym section size and the relocations' indices count too."""
        n = self._hash_count()
        img, data = self.img, self.data
        if img.e_shoff and img.e_shoff + 64 * img.e_shnum <= len(data):
            for i in range(img.e_shnum):
                sh_type, = struct.unpack_from("<I", data, img.e_shoff + 64 * i + 4)
                if sh_type == 11:                                   # SHT_DYNSYM: all of them
                    size, = struct.unpack_from("<Q", data, img.e_shoff + 64 * i + 32)
                    return max(n, size // SYM.size)
        for _, info, _ in self.rela() + self.jmprel():
            n = max(n, (info >> 32) + 1)
        return n

    def _hash_count(self) -> int:
        if DT_HASH in self.dyn:
            return struct.unpack_from("<II", self.read(self.one(DT_HASH), 8))[1]
        if DT_GNU_HASH in self.dyn:
            addr = self.one(DT_GNU_HASH)
            nbuckets, symoffset, bloom_size, _ = struct.unpack_from("<IIII", self.read(addr, 16))
            if bloom_size & (bloom_size - 1):                 # _dl_setup_hash
                raise RtldAssertion("dl-setup_hash.c", "_dl_setup_hash",
                                    "(bitmask_nwords & (bitmask_nwords - 1)) == 0")
            buckets_at = addr + 16 + 8 * bloom_size
            buckets = struct.unpack_from(f"<{nbuckets}I", self.read(buckets_at, 4 * nbuckets))
            last = max(buckets, default=0)
            if last < symoffset:
                return symoffset
            chain_at = buckets_at + 4 * nbuckets
            while True:     # walk the last bucket's chain to its end marker
                (h,) = struct.unpack_from("<I", self.read(chain_at + 4 * (last - symoffset), 4))
                if h & 1:
                    return last + 1
                last += 1
        return 0

    def _read_symbols(self) -> SymbolTable:
        if DT_SYMTAB not in self.dyn:
            return SymbolTable([], [])
        n = self._symbol_count()
        raw = list(SYM.iter_unpack(self.read(self.one(DT_SYMTAB), n * SYM.size)))
        if self._strtab.isascii():      # the usual case: slice one decoded string (faster)
            text = self._strtab.decode("ascii")
            find = text.find
            names = [text[r[0]:find("\0", r[0])] for r in raw]
        else:
            names = [self.string(r[0]) for r in raw]
        return SymbolTable(names, raw)

    def _read_versym(self) -> tuple[int, ...] | None:
        if DT_VERSYM not in self.dyn:
            return None
        raw = self.read(self.one(DT_VERSYM), 2 * len(self.syms))
        return struct.unpack(f"<{len(raw) // 2}H", raw)

    def _read_versions(self) -> dict[int, Version]:
        """l_versions as _dl_check_map_versions builds it: from VERNEED and VERDEF."""
        out: dict[int, Version] = {}
        self.verneed: list[Version] = []        # in the table's order (LD_DEBUG=versions)
        if DT_VERNEED in self.dyn:
            addr = self.one(DT_VERNEED)
            for _ in range(self.one(DT_VERNEEDNUM)):
                _ver, cnt, file_, aux, nxt = struct.unpack_from("<HHIII", self.read(addr, 16))
                a = addr + aux
                for _ in range(cnt):
                    h, flags, other, name, anext = struct.unpack_from("<IHHII", self.read(a, 16))
                    out[other & 0x7FFF] = Version(self.string(name), h, bool(other & 0x8000),
                                                  self.string(file_))
                    self.verneed.append(out[other & 0x7FFF])
                    if not anext:
                        break
                    a += anext
                if not nxt:
                    break
                addr += nxt
        if DT_VERDEF in self.dyn:
            addr = self.one(DT_VERDEF)
            for _ in range(self.one(DT_VERDEFNUM)):
                _ver, flags, ndx, _cnt, h, aux, nxt = struct.unpack_from("<HHHHIII",
                                                                          self.read(addr, 20))
                (name,) = struct.unpack_from("<I", self.read(addr + aux, 4))
                if not flags & VER_FLG_BASE:   # the base version never matches a reference
                    out[ndx & 0x7FFF] = Version(self.string(name), h)
                if not nxt:
                    break
                addr += nxt
        return out

    # --- relocation tables ---------------------------------------------------------------------
    def rela(self) -> list[tuple[int, int, int]]:
        """DT_RELA entries then DT_JMPREL entries: (r_offset, r_info, r_addend)."""
        out = []
        if DT_RELA in self.dyn:
            out += RELA.iter_unpack(self._table(DT_RELA, self.one(DT_RELASZ)))
        return out

    def jmprel(self) -> list[tuple[int, int, int]]:
        if DT_JMPREL in self.dyn:
            return list(RELA.iter_unpack(self._table(DT_JMPREL, self.one(DT_PLTRELSZ))))
        return []

    def relr(self) -> list[int]:
        """DT_RELR decoded to the addresses (vaddrs) it relocates."""
        raw = self._table(DT_RELR, self.one(DT_RELRSZ))
        out: list[int] = []
        where = 0
        for (entry,) in struct.iter_unpack("<Q", raw):
            if not entry & 1:
                out.append(entry)
                where = entry + 8
            else:
                bits = entry >> 1
                i = 0
                while bits:
                    if bits & 1:
                        out.append(where + 8 * i)
                    bits >>= 1
                    i += 1
                where += 63 * 8
        return out

    # --- facts ---------------------------------------------------------------------------------
    @property
    def textrel(self) -> bool:
        """Relocations in read-only segments (ld.so makes them writable meanwhile)."""
        return DT_TEXTREL in self.dyn or bool(self.flags & DF_TEXTREL)

    @property
    def bind_now(self) -> bool:
        return DT_BIND_NOW in self.dyn or bool(self.flags & DF_BIND_NOW) \
            or bool(self.flags_1 & DF_1_NOW)

    def symbol_version(self, index: int) -> tuple[Version | None, bool]:
        """(version, hidden) of symbol `index` as this object's versym says."""
        if self.versym is None or index >= len(self.versym):
            return None, False
        v = self.versym[index]
        return self.versions.get(v & 0x7FFF), bool(v & 0x8000)

    def contains(self, addr: int) -> bool:
        return self.map_start <= addr < self.map_end

    def __repr__(self) -> str:
        return f"<LinkMap {self.path} at 0x{self.l_addr:x}>"
