"""ElfImage: a parsed, validated view of one ELF64 little-endian x86-64 file.

Parsed with `struct` straight from the bytes (pyelftools costs ~30x more on libc's
tables, and start-up matters). Every offset and size read from the file is checked
against the file, so a malformed ELF raises ElfError with a one-line reason.
"""
from __future__ import annotations

import struct

# e_ident / e_type / e_machine (include/uapi/linux/elf.h)
ELFMAG = b"\x7fELF"
ELFCLASS64 = 2
ELFDATA2LSB = 1
ET_EXEC, ET_DYN = 2, 3
EM_X86_64 = 62

# p_type
PT_NULL, PT_LOAD, PT_DYNAMIC, PT_INTERP, PT_NOTE, PT_SHLIB, PT_PHDR, PT_TLS = range(8)
PT_GNU_EH_FRAME = 0x6474E550
PT_GNU_STACK = 0x6474E551
PT_GNU_RELRO = 0x6474E552
PT_GNU_PROPERTY = 0x6474E553
PT_NAMES = {
    0: "NULL", 1: "LOAD", 2: "DYNAMIC", 3: "INTERP", 4: "NOTE", 5: "SHLIB", 6: "PHDR",
    7: "TLS", PT_GNU_EH_FRAME: "GNU_EH_FRAME", PT_GNU_STACK: "GNU_STACK",
    PT_GNU_RELRO: "GNU_RELRO", PT_GNU_PROPERTY: "GNU_PROPERTY",
}
# p_flags
PF_X, PF_W, PF_R = 1, 2, 4

EHDR = struct.Struct("<16sHHIQQQIHHHHHH")
PHDR = struct.Struct("<IIQQQQQQ")
SHDR = struct.Struct("<IIQQQQIIQQ")
EHDR_SIZE = 64
PHDR_SIZE = 56

# load_elf_phdrs refuses more program headers than fit in 64 KiB (fs/binfmt_elf.c)
ELF_MIN_ALIGN = 4096
MAX_PHDRS_BYTES = 65536

# --- the ELF format's tables (elf.h): sections, dynamic entries, symbols, relocations -------
SHT_PROGBITS, SHT_SYMTAB, SHT_STRTAB, SHT_HASH, SHT_DYNAMIC, SHT_NOTE, SHT_DYNSYM = \
    1, 2, 3, 5, 6, 7, 11
SHT_GNU_VERDEF, SHT_GNU_VERSYM = 0x6FFFFFFD, 0x6FFFFFFF
SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR = 1, 2, 4
SHN_ABS = 0xFFF1
SHDR_SIZE = 64
# d_tag values
DT_NULL, DT_NEEDED, DT_PLTRELSZ, DT_PLTGOT, DT_HASH, DT_STRTAB, DT_SYMTAB, DT_RELA, \
    DT_RELASZ, DT_RELAENT, DT_STRSZ, DT_SYMENT, DT_INIT, DT_FINI, DT_SONAME, DT_RPATH, \
    DT_SYMBOLIC, DT_REL, DT_RELSZ, DT_RELENT, DT_PLTREL, DT_DEBUG, DT_TEXTREL, DT_JMPREL, \
    DT_BIND_NOW, DT_INIT_ARRAY, DT_FINI_ARRAY, DT_INIT_ARRAYSZ, DT_FINI_ARRAYSZ, \
    DT_RUNPATH, DT_FLAGS = range(31)
DT_PREINIT_ARRAY, DT_PREINIT_ARRAYSZ = 32, 33
DT_RELRSZ, DT_RELR = 35, 36
DT_GNU_HASH = 0x6FFFFEF5
DT_VERSYM, DT_RELACOUNT, DT_FLAGS_1 = 0x6FFFFFF0, 0x6FFFFFF9, 0x6FFFFFFB
DT_VERDEF, DT_VERDEFNUM, DT_VERNEED, DT_VERNEEDNUM = 0x6FFFFFFC, 0x6FFFFFFD, 0x6FFFFFFE, \
    0x6FFFFFFF
DF_SYMBOLIC, DF_TEXTREL, DF_BIND_NOW, DF_STATIC_TLS = 0x2, 0x4, 0x8, 0x10
DF_1_NOW, DF_1_NODELETE, DF_1_NODEFLIB, DF_1_PIE = 0x1, 0x8, 0x800, 0x8000000
VER_FLG_BASE = 1
STB_LOCAL, STB_GLOBAL, STB_WEAK, STB_GNU_UNIQUE = 0, 1, 2, 10
STT_NOTYPE, STT_OBJECT, STT_FUNC, STT_SECTION, STT_FILE, STT_COMMON, STT_TLS = range(7)
STT_GNU_IFUNC = 10
SYM = struct.Struct("<IBBHQQ")
RELA = struct.Struct("<QQq")
DYN = struct.Struct("<qQ")
# x86-64 relocation types (R_X86_64_*)
R_NONE, R_64, R_PC32, R_COPY, R_GLOB_DAT, R_JUMP_SLOT, R_RELATIVE = 0, 1, 2, 5, 6, 7, 8
R_32, R_32S, R_DTPMOD64, R_DTPOFF64, R_TPOFF64, R_PC64 = 10, 11, 16, 17, 18, 24
R_SIZE32, R_SIZE64, R_TLSDESC, R_IRELATIVE, R_RELATIVE64 = 32, 33, 36, 37, 38
RELOC_NAMES = {0: "R_X86_64_NONE", 1: "R_X86_64_64", 2: "R_X86_64_PC32", 5: "R_X86_64_COPY",
               6: "R_X86_64_GLOB_DAT", 7: "R_X86_64_JUMP_SLOT", 8: "R_X86_64_RELATIVE",
               10: "R_X86_64_32", 11: "R_X86_64_32S", 16: "R_X86_64_DTPMOD64",
               17: "R_X86_64_DTPOFF64", 18: "R_X86_64_TPOFF64", 24: "R_X86_64_PC64",
               32: "R_X86_64_SIZE32", 33: "R_X86_64_SIZE64", 36: "R_X86_64_TLSDESC",
               37: "R_X86_64_IRELATIVE", 38: "R_X86_64_RELATIVE64"}


class ElfError(Exception):
    """The file is not a loadable ELF; the message says why, in one line."""


class Phdr:
    """An Elf64_Phdr (a plain class: dataclasses cost ~1 ms each to make at import)."""
    __slots__ = ("p_align", "p_filesz", "p_flags", "p_memsz", "p_offset", "p_paddr", "p_type",
                 "p_vaddr")

    def __init__(self, p_type: int, p_flags: int, p_offset: int, p_vaddr: int, p_paddr: int,
                 p_filesz: int, p_memsz: int, p_align: int):
        self.p_type, self.p_flags, self.p_offset = p_type, p_flags, p_offset
        self.p_vaddr, self.p_paddr = p_vaddr, p_paddr
        self.p_filesz, self.p_memsz, self.p_align = p_filesz, p_memsz, p_align

    @property
    def type_name(self) -> str:
        return PT_NAMES.get(self.p_type, hex(self.p_type))

    @property
    def flags_text(self) -> str:
        f = self.p_flags
        return ("R" if f & PF_R else "-") + ("W" if f & PF_W else "-") + ("X" if f & PF_X else "-")


class ElfImage:
    """The header and program headers of an ELF file, validated against its size.

    kernel=True checks only what load_elf_binary does before it maps anything (the magic,
    e_type, e_machine, e_phentsize, at most 64 KiB of program headers, all of them in the
    file): the kernel ignores EI_CLASS and EI_DATA and runs segments that are out of order,
    overlapping or past the end of the file (binfmt/elf.py then fails or faults as it does).
    Otherwise the segments are validated too, as the linker wants them."""

    def __init__(self, data: bytes, path: str = "?", kernel: bool = False):
        self.path = path
        self.data = data
        if len(data) < EHDR_SIZE:
            raise ElfError(f"{path}: truncated ELF header ({len(data)} bytes)")
        (ident, self.e_type, self.e_machine, _ver, self.e_entry, self.e_phoff, self.e_shoff,
         self.e_flags, _ehsize, phentsize, self.e_phnum, _shentsize, self.e_shnum,
         self.e_shstrndx) = EHDR.unpack_from(data)
        if ident[:4] != ELFMAG:
            raise ElfError(f"{path}: not an ELF file")
        if not kernel and (ident[4] != ELFCLASS64 or ident[5] != ELFDATA2LSB):
            raise ElfError(f"{path}: not a 64-bit little-endian ELF file")
        if self.e_machine != EM_X86_64:
            raise ElfError(f"{path}: ELF machine {self.e_machine} is not x86-64")
        if self.e_type not in (ET_EXEC, ET_DYN):
            raise ElfError(f"{path}: ELF type {self.e_type} is not an executable or shared object")
        if phentsize != PHDR_SIZE:
            raise ElfError(f"{path}: bad program header size {phentsize}")
        if self.e_phnum < 1 or self.e_phnum * PHDR_SIZE > MAX_PHDRS_BYTES:
            raise ElfError(f"{path}: bad program header count {self.e_phnum}")
        end = self.e_phoff + self.e_phnum * PHDR_SIZE
        if end > len(data):
            raise ElfError(f"{path}: program headers lie outside the file "
                           f"(0x{self.e_phoff:x}+{self.e_phnum}*{PHDR_SIZE} > {len(data)})")
        self.phdrs = [Phdr(*PHDR.unpack_from(data, self.e_phoff + i * PHDR_SIZE))
                      for i in range(self.e_phnum)]
        if not kernel:
            self._validate_segments()

    def _validate_segments(self) -> None:
        size = len(self.data)
        prev_end = -1
        for ph in self.phdrs:
            if ph.p_type != PT_LOAD:
                continue
            if ph.p_filesz > ph.p_memsz:
                raise ElfError(f"{self.path}: LOAD segment at 0x{ph.p_vaddr:x} has filesz > memsz")
            if ph.p_offset + ph.p_filesz > size:
                raise ElfError(f"{self.path}: LOAD segment at 0x{ph.p_vaddr:x} lies outside the "
                               f"file (offset 0x{ph.p_offset:x} + 0x{ph.p_filesz:x} > {size})")
            if ph.p_vaddr + ph.p_memsz >= 1 << 47 or ph.p_memsz >= 1 << 40:
                raise ElfError(f"{self.path}: LOAD segment at 0x{ph.p_vaddr:x} has absurd size "
                               f"0x{ph.p_memsz:x}")
            if ph.p_align > 1 and (ph.p_vaddr - ph.p_offset) % min(ph.p_align, ELF_MIN_ALIGN):
                raise ElfError(f"{self.path}: LOAD segment at 0x{ph.p_vaddr:x} is misaligned with "
                               f"its file offset")
            if ph.p_vaddr < prev_end:
                raise ElfError(f"{self.path}: LOAD segments overlap or are out of order at "
                               f"0x{ph.p_vaddr:x}")
            prev_end = ph.p_vaddr + ph.p_memsz
        if not any(ph.p_type == PT_LOAD for ph in self.phdrs):
            raise ElfError(f"{self.path}: no LOAD segment")

    # --- views the loaders use -------------------------------------------------------------
    @property
    def is_dyn(self) -> bool:
        return self.e_type == ET_DYN

    def segments(self, p_type: int) -> list[Phdr]:
        return [ph for ph in self.phdrs if ph.p_type == p_type]

    def first(self, p_type: int) -> Phdr | None:
        for ph in self.phdrs:
            if ph.p_type == p_type:
                return ph
        return None

    @property
    def interp(self) -> str | None:
        """The PT_INTERP path, as load_elf_binary reads it."""
        ph = self.first(PT_INTERP)
        if ph is None:
            return None
        if ph.p_filesz < 2 or ph.p_filesz > 4096 or ph.p_offset + ph.p_filesz > len(self.data):
            raise ElfError(f"{self.path}: bad PT_INTERP segment")
        raw = self.data[ph.p_offset:ph.p_offset + ph.p_filesz]
        if raw[-1] != 0:
            raise ElfError(f"{self.path}: PT_INTERP is not NUL-terminated")
        return raw[:raw.index(b"\0")].decode("utf-8", "surrogateescape")  # a C string

    def load_bounds(self) -> tuple[int, int]:
        """Lowest page-aligned vaddr and highest end over the PT_LOAD segments."""
        loads = self.segments(PT_LOAD)
        lo = min(ph.p_vaddr for ph in loads) & ~(ELF_MIN_ALIGN - 1)
        hi = max(ph.p_vaddr + ph.p_memsz for ph in loads)
        return lo, hi

    def max_align(self) -> int:
        """maximum_alignment() of fs/binfmt_elf.c: the largest power-of-two p_align."""
        align = ELF_MIN_ALIGN
        for ph in self.segments(PT_LOAD):
            a = ph.p_align
            if a and a & (a - 1) == 0 and a > align:
                align = a
        return align

    def phdr_vaddr(self) -> int | None:
        """The address of the program headers in the image (AT_PHDR before bias)."""
        ph = self.first(PT_PHDR)
        if ph is not None:
            return ph.p_vaddr
        for ld in self.segments(PT_LOAD):
            if ld.p_offset <= self.e_phoff < ld.p_offset + ld.p_filesz:
                return ld.p_vaddr + self.e_phoff - ld.p_offset
        return None

    def gnu_stack_exec(self) -> bool:
        ph = self.first(PT_GNU_STACK)
        return bool(ph and ph.p_flags & PF_X)




def symbolize(data: bytes, name: str, offset: int) -> str:
    """name+0xN of the function or object containing file-relative address `offset` in
    the ELF file `data` (called `name` in messages)."""
    img = ElfImage(data, name)
    lo = img.load_bounds()[0] if img.is_dyn else 0
    addr = offset + lo if img.is_dyn else offset
    best = None
    if not img.e_shoff or img.e_shoff + img.e_shnum * SHDR.size > len(data):
        return ""
    shdrs = [SHDR.unpack_from(data, img.e_shoff + i * SHDR.size) for i in range(img.e_shnum)]
    for sh in shdrs:
        if sh[1] not in (SHT_SYMTAB, SHT_DYNSYM) or sh[6] >= len(shdrs):
            continue
        strtab = shdrs[sh[6]]
        for off in range(sh[4], min(sh[4] + sh[5], len(data)) - SYM.size + 1, SYM.size):
            name, info, _o, shndx, value, size = SYM.unpack_from(data, off)
            if info & 0xF not in (STT_FUNC, STT_OBJECT) or not shndx:
                continue
            if value <= addr < value + max(size, 1) and (best is None or value > best[1]):
                s = strtab[4] + name
                best = (data[s:data.index(b"\0", s)].decode(errors="replace"), value)
    if best is None:
        return ""
    return best[0] + (f"+{addr - best[1]:#x}" if addr != best[1] else "")


def elf_hash(name: bytes) -> int:
    """The SysV ELF hash, which also names versions (vd_hash, vna_hash)."""
    h = 0
    for c in name:
        h = (h << 4) + c
        g = h & 0xF0000000
        if g:
            h ^= g >> 24
        h &= ~g
    return h & 0xFFFFFFFF
