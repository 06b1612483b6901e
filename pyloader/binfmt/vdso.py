"""The vDSO: the small shared object the kernel maps into every process
(arch/x86/entry/vdso/: vdso image, vma.c map_vdso; lib/vdso/gettimeofday.c).

glibc finds it through AT_SYSINFO_EHDR and calls its `__vdso_clock_gettime`,
`__vdso_gettimeofday`, `__vdso_time`, `__vdso_getcpu` and `__vdso_clock_getres` instead of
making those system calls, which is why native strace never sees them. Ours is a real
ELF64 ET_DYN image, generated here (once per host process, under 1 ms): PT_LOAD, PT_DYNAMIC,
PT_NOTE, DT_HASH, a dynamic symbol table with the kernel's names (each `__vdso_X` has a
weak alias `X`), symbol versions (VERDEF `LINUX_2.6`), soname `linux-vdso.so.1`.

Each function's code starts with a `nop` where an address-limited code hook (cpu.CodeHooks)
lets Python read the clock. When the clock can be served, Python puts the values in rax/rdx
and moves rip to a tail that stores them through the caller's pointers: the stores are
guest instructions, so a bad pointer faults in the guest, as with the real vDSO (which does
not check pointers either). Clocks the real vDSO cannot serve (the CPU-time clocks,
invalid ids) fall through to a real `syscall` instruction, so the trace shows that call
exactly when native strace shows it. getcpu is plain code: cpu 0, node 0, as our getcpu
system call says.

Mapped as the kernel 6.18 on this machine maps it, top-down in the mmap area just below the
interpreter: [vvar] (4 pages), [vvar_vclock] (2 pages), then [vdso] (2 pages). The vvar
pages are there only so that the layout is the kernel's; nothing reads them.
"""
from __future__ import annotations

import os
import re
import struct
import time as _time

from unicorn import x86_const as X

from ..cpu import CodeHooks
from ..elf import (
    DF_1_NOW,
    DF_BIND_NOW,
    DF_SYMBOLIC,
    DT_FLAGS,
    DT_FLAGS_1,
    DT_HASH,
    DT_NULL,
    DT_SONAME,
    DT_STRSZ,
    DT_STRTAB,
    DT_SYMBOLIC,
    DT_SYMENT,
    DT_SYMTAB,
    DT_VERDEF,
    DT_VERDEFNUM,
    DT_VERSYM,
    EHDR_SIZE,
    EM_X86_64,
    ET_DYN,
    PF_R,
    PF_X,
    PHDR_SIZE,
    PT_DYNAMIC,
    PT_LOAD,
    PT_NOTE,
    SHDR_SIZE,
    SHF_ALLOC,
    SHF_EXECINSTR,
    SHF_WRITE,
    SHN_ABS,
    SHT_DYNAMIC,
    SHT_DYNSYM,
    SHT_GNU_VERDEF,
    SHT_GNU_VERSYM,
    SHT_HASH,
    SHT_NOTE,
    SHT_PROGBITS,
    SHT_STRTAB,
    STB_GLOBAL,
    STB_WEAK,
    STT_FUNC,
    STT_OBJECT,
    SYM,
    VER_FLG_BASE,
    elf_hash,
)
from ..memory import PAGE_SIZE, PROT_EXEC, PROT_READ

VVAR_PAGES = 4          # arch/x86/include/asm/vdso/vsyscall.h: the vdso data pages
VCLOCK_PAGES = 2        # [vvar_vclock]: pvclock and hvclock pages
VDSO_PAGES = 2          # the image, as built by the kernel (size rounded up to pages)
VDSO_SIZE = VDSO_PAGES * PAGE_SIZE
TOTAL_SIZE = (VVAR_PAGES + VCLOCK_PAGES + VDSO_PAGES) * PAGE_SIZE

SONAME = b"linux-vdso.so.1"
VERSION = b"LINUX_2.6"

# clock ids the real vDSO answers itself (lib/vdso/gettimeofday.c: VDSO_HRES, VDSO_COARSE,
# VDSO_RAW); every other id (CPU-time clocks, *_ALARM, invalid ones) is a real system call
CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW = 0, 1, 4
CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME, CLOCK_TAI = 5, 6, 7, 11
VDSO_CLOCKS = frozenset({CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW,
                         CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME,
                         CLOCK_TAI})

NR_gettimeofday, NR_time, NR_clock_gettime, NR_clock_getres = 96, 201, 228, 229

# --- the code ------------------------------------------------------------------------------
# Every function: `nop` (the hook point), the system-call fallback, then the tail the hook
# jumps to with the values in rax (and rdx). Hand-assembled; tests disassemble it.
NOP = b"\x90"


def _fallback(nr: int) -> bytes:
    return b"\xb8" + struct.pack("<I", nr) + b"\x0f\x05\xc3"     # mov eax, nr; syscall; ret


STORE_TIMESPEC = (b"\x48\x89\x06"            # mov [rsi], rax        tv_sec
                  b"\x48\x89\x56\x08"        # mov [rsi+8], rdx      tv_nsec
                  b"\x31\xc0\xc3")           # xor eax, eax; ret
STORE_RES = (b"\x48\x85\xf6\x74\x07"         # test rsi, rsi; jz 1f   (res may be NULL)
             + STORE_TIMESPEC[:7] +
             b"\x31\xc0\xc3")                # 1: xor eax, eax; ret
STORE_TIMEVAL = (b"\x48\x85\xff\x74\x07"     # test rdi, rdi; jz 1f
                 b"\x48\x89\x07"             # mov [rdi], rax        tv_sec
                 b"\x48\x89\x57\x08"         # mov [rdi+8], rdx      tv_usec
                 b"\x48\x85\xf6\x74\x07"     # 1: test rsi, rsi; jz 2f
                 b"\x48\xc7\x06\x00\x00\x00\x00"   # mov qword [rsi], 0   struct timezone
                 b"\x31\xc0\xc3")            # 2: xor eax, eax; ret
STORE_TIME = (b"\x48\x85\xff\x74\x03"        # test rdi, rdi; jz 1f
              b"\x48\x89\x07"                # mov [rdi], rax
              b"\xc3")                       # 1: ret (rax = the time)
GETCPU = (b"\x48\x85\xff\x74\x06"            # test rdi, rdi; jz 1f
          b"\xc7\x07\x00\x00\x00\x00"        # mov dword [rdi], 0    cpu
          b"\x48\x85\xf6\x74\x06"            # 1: test rsi, rsi; jz 2f
          b"\xc7\x06\x00\x00\x00\x00"        # mov dword [rsi], 0    node
          b"\x31\xc0\xc3")                   # 2: xor eax, eax; ret

# (name, code before the tail, tail): the tail starts at `entry + len(head)`
FUNCTIONS = (
    ("clock_gettime", NOP + _fallback(NR_clock_gettime), STORE_TIMESPEC),
    ("gettimeofday", NOP + _fallback(NR_gettimeofday), STORE_TIMEVAL),
    ("time", NOP + _fallback(NR_time), STORE_TIME),
    ("getcpu", b"", GETCPU),
    ("clock_getres", NOP + _fallback(NR_clock_getres), STORE_RES),
)


# --- the ELF image -------------------------------------------------------------------------
SYM_SIZE = SYM.size


def _align(n: int, a: int) -> int:
    return (n + a - 1) // a * a


class _Strtab:
    def __init__(self) -> None:
        self.data = bytearray(b"\0")
        self.at: dict[bytes, int] = {}

    def add(self, s: bytes) -> int:
        if s not in self.at:
            self.at[s] = len(self.data)
            self.data += s + b"\0"
        return self.at[s]


def _note(name: bytes, ntype: int, desc: bytes) -> bytes:
    n = name + b"\0"
    return (struct.pack("<III", len(n), len(desc), ntype) + n.ljust(_align(len(n), 4), b"\0")
            + desc.ljust(_align(len(desc), 4), b"\0"))


def _linux_version_code() -> int:
    """LINUX_VERSION_CODE of the host kernel, for the "Linux" note (KERNEL_VERSION)."""
    m = re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", os.uname().release)
    if m is None:
        return 0
    major, minor, patch = (int(g or 0) for g in m.groups())
    return (major << 16) + (minor << 8) + min(patch, 255)


def build_image() -> tuple[bytes, dict[str, int], dict[str, int]]:
    """The vDSO image; returns (bytes, {name: entry offset}, {name: tail offset})."""
    # .text: the functions, 16-byte aligned
    text = bytearray()
    entries: dict[str, int] = {}
    tails: dict[str, int] = {}
    sizes: dict[str, int] = {}
    for name, head, tail in FUNCTIONS:
        text += b"\xcc" * (_align(len(text), 16) - len(text))
        entries[name] = len(text)
        tails[name] = len(text) + len(head)
        text += head + tail
        sizes[name] = len(head) + len(tail)

    dynstr = _Strtab()
    soname_off = dynstr.add(SONAME)
    version_off = dynstr.add(VERSION)
    # the symbols: null, then per function `__vdso_X` (GLOBAL) and `X` (WEAK), then the
    # version's own ABS symbol, as the kernel's linker script gives them
    syms: list[tuple[int, int, int, int, int]] = [(0, 0, 0, 0, 0)]   # name, info, shndx, value, size
    for name, _, _ in FUNCTIONS:
        for sym_name, bind in ((b"__vdso_" + name.encode(), STB_GLOBAL), (name.encode(), STB_WEAK)):
            syms.append((dynstr.add(sym_name), bind << 4 | STT_FUNC, -1, entries[name], sizes[name]))
    syms.append((version_off, STB_GLOBAL << 4 | STT_OBJECT, SHN_ABS, 0, 0))
    nsyms = len(syms)

    # DT_HASH: nbucket, nchain, buckets, chains
    nbucket = 3
    buckets = [0] * nbucket
    chains = [0] * nsyms
    strdata = bytes(dynstr.data)
    for i in range(nsyms - 1, 0, -1):
        nm = strdata[syms[i][0]:strdata.index(b"\0", syms[i][0])]
        b = elf_hash(nm) % nbucket
        chains[i] = buckets[b]
        buckets[b] = i
    hash_data = struct.pack(f"<{2 + nbucket + nsyms}I", nbucket, nsyms, *buckets, *chains)

    versym = struct.pack(f"<{nsyms}H", 0, *([2] * (nsyms - 1)))
    # VERDEF: the base version (the soname), then LINUX_2.6
    verdef = b""
    for i, (flags, ndx, nm, off) in enumerate(((VER_FLG_BASE, 1, SONAME, soname_off),
                                               (0, 2, VERSION, version_off))):
        vd_next = 28 if i == 0 else 0
        verdef += struct.pack("<HHHHIII", 1, flags, ndx, 1, elf_hash(nm), 20, vd_next)
        verdef += struct.pack("<II", off, 0)
    note = _note(b"Linux", 0, struct.pack("<I", _linux_version_code()))

    # layout: headers, then the tables, then the code
    nphdr = 3
    sections = []      # (name, type, flags, offset, size, link, info, align, entsize)
    off = EHDR_SIZE + nphdr * PHDR_SIZE
    blobs: list[tuple[int, bytes]] = []

    def place(name, data, stype, align, entsize=0, flags=SHF_ALLOC, link=0, info=0):
        nonlocal off
        off = _align(off, align)
        blobs.append((off, data))
        sections.append((name, stype, flags, off, len(data), link, info, align, entsize))
        at = off
        off += len(data)
        return at

    # section indexes: 1 .hash 2 .dynsym 3 .dynstr 4 .gnu.version 5 .gnu.version_d
    # 6 .dynamic 7 .note 8 .text 9 .shstrtab
    TEXT_NDX = 8
    hash_at = place(b".hash", hash_data, SHT_HASH, 8, 4, link=2)
    symtab_size = nsyms * SYM_SIZE
    # .dynsym and .dynamic hold addresses of what comes after them: placed as zeros now,
    # filled in (blobs[1], blobs[5]) once everything has its offset
    dynsym_at = _align(off, 8)
    place(b".dynsym", bytes(symtab_size), SHT_DYNSYM, 8, SYM_SIZE, link=3, info=1)
    dynstr_at = place(b".dynstr", strdata, SHT_STRTAB, 1)
    versym_at = place(b".gnu.version", versym, SHT_GNU_VERSYM, 2, 2, link=2)
    verdef_at = place(b".gnu.version_d", verdef, SHT_GNU_VERDEF, 8, link=3, info=2)
    ndyn = 13
    dynamic_at = _align(off, 8)
    place(b".dynamic", bytes(16 * ndyn), SHT_DYNAMIC, 8, 16, flags=SHF_ALLOC | SHF_WRITE, link=3)
    note_at = place(b".note", note, SHT_NOTE, 4)
    text_at = place(b".text", bytes(text), SHT_PROGBITS, 16, flags=SHF_ALLOC | SHF_EXECINSTR)
    load_end = off

    dynsym = b"".join(struct.pack("<IBBHQQ", n, info, 0, TEXT_NDX if shndx < 0 else shndx,
                                  text_at + value if shndx < 0 else value, size)
                      for n, info, shndx, value, size in syms)
    blobs[1] = (dynsym_at, dynsym)
    dynamic = b"".join(struct.pack("<qQ", t, v) for t, v in (
        (DT_SONAME, soname_off), (DT_SYMBOLIC, 0), (DT_HASH, hash_at), (DT_STRTAB, dynstr_at),
        (DT_SYMTAB, dynsym_at), (DT_STRSZ, len(strdata)), (DT_SYMENT, SYM_SIZE),
        (DT_VERDEF, verdef_at), (DT_VERDEFNUM, 2), (DT_FLAGS, DF_SYMBOLIC | DF_BIND_NOW),
        (DT_FLAGS_1, DF_1_NOW), (DT_VERSYM, versym_at), (DT_NULL, 0)))
    assert len(dynamic) == 16 * ndyn
    blobs[5] = (dynamic_at, dynamic)

    # .shstrtab and the section headers (not loaded; readelf and gdb like them)
    shstr = _Strtab()
    names = [shstr.add(s[0]) for s in sections]
    shstrtab_name = shstr.add(b".shstrtab")
    shstr_at = off
    blobs.append((shstr_at, bytes(shstr.data)))
    off += len(shstr.data)
    shoff = _align(off, 8)
    shdrs = bytes(SHDR_SIZE)
    for nm, (_, stype, flags, at, size, link, info, align, entsize) in zip(names, sections):
        shdrs += struct.pack("<IIQQQQIIQQ", nm, stype, flags, at, at, size, link, info, align,
                             entsize)
    shdrs += struct.pack("<IIQQQQIIQQ", shstrtab_name, SHT_STRTAB, 0, 0, shstr_at,
                         len(shstr.data), 0, 0, 1, 0)
    nsec = len(sections) + 2
    blobs.append((shoff, shdrs))

    ehdr = (b"\x7fELF\x02\x01\x01\x00" + bytes(8)
            + struct.pack("<HHIQQQIHHHHHH", ET_DYN, EM_X86_64, 1, 0, EHDR_SIZE, shoff, 0,
                          EHDR_SIZE, PHDR_SIZE, nphdr, SHDR_SIZE, nsec, nsec - 1))
    phdrs = b"".join(struct.pack("<IIQQQQQQ", *ph) for ph in (
        (PT_LOAD, PF_R | PF_X, 0, 0, 0, load_end, load_end, PAGE_SIZE),
        (PT_DYNAMIC, PF_R, dynamic_at, dynamic_at, dynamic_at, len(dynamic), len(dynamic), 8),
        (PT_NOTE, PF_R, note_at, note_at, note_at, len(note), len(note), 4)))
    image = bytearray(shoff + len(shdrs))
    image[0:EHDR_SIZE] = ehdr
    image[EHDR_SIZE:EHDR_SIZE + len(phdrs)] = phdrs
    for at, data in blobs:
        image[at:at + len(data)] = data
    if len(image) > VDSO_SIZE:
        raise AssertionError("vDSO image larger than its pages")
    return (bytes(image), {k: text_at + v for k, v in entries.items()},
            {k: text_at + v for k, v in tails.items()})


_IMAGE: tuple[bytes, dict[str, int], dict[str, int]] | None = None


def image() -> tuple[bytes, dict[str, int], dict[str, int]]:
    """The image, built once per host process (a forked guest or an exec reuses it)."""
    global _IMAGE
    if _IMAGE is None:
        _IMAGE = build_image()
    return _IMAGE


# --- the Python half of each function ----------------------------------------------------
RAX, RDX, RDI, RIP = X.UC_X86_REG_RAX, X.UC_X86_REG_RDX, X.UC_X86_REG_RDI, X.UC_X86_REG_RIP


def _clockid(uc) -> int:
    return uc.reg_read(RDI) & 0xFFFFFFFF      # clockid_t is an int: the kernel takes (u32)


class Vdso:
    """The [vdso] of one image: where it is mapped and the hook that answers its calls."""

    def __init__(self, task, base: int) -> None:
        data, self.entries, tails = image()
        self.base = base
        self.image = data
        self.hooks = CodeHooks(task.cpu.uc, base, VDSO_SIZE)
        self._tail = {name: base + off for name, off in tails.items()}
        for name, fn in (("clock_gettime", self._clock_gettime),
                         ("gettimeofday", self._gettimeofday), ("time", self._time),
                         ("clock_getres", self._clock_getres)):
            self.hooks.funcs[base + self.entries[name]] = fn

    def close(self) -> None:
        self.hooks.close()

    def symbol(self, name: str) -> int:
        """The guest address of `__vdso_<name>` (or its alias `<name>`)."""
        return self.base + self.entries[name.removeprefix("__vdso_")]

    def _clock_gettime(self, uc) -> None:
        clk = _clockid(uc)
        if clk not in VDSO_CLOCKS:
            return                                  # on to the syscall instruction
        ns = _time.clock_gettime_ns(clk)
        uc.reg_write(RAX, ns // 1_000_000_000)
        uc.reg_write(RDX, ns % 1_000_000_000)
        uc.reg_write(RIP, self._tail["clock_gettime"])

    def _clock_getres(self, uc) -> None:
        clk = _clockid(uc)
        if clk not in VDSO_CLOCKS:
            return
        ns = round(_time.clock_getres(clk) * 1e9)
        uc.reg_write(RAX, ns // 1_000_000_000)
        uc.reg_write(RDX, ns % 1_000_000_000)
        uc.reg_write(RIP, self._tail["clock_getres"])

    def _gettimeofday(self, uc) -> None:
        ns = _time.time_ns()
        uc.reg_write(RAX, ns // 1_000_000_000)
        uc.reg_write(RDX, ns % 1_000_000_000 // 1000)
        uc.reg_write(RIP, self._tail["gettimeofday"])

    def _time(self, uc) -> None:
        uc.reg_write(RAX, _time.time_ns() // 1_000_000_000)
        uc.reg_write(RIP, self._tail["time"])


def map_vdso(task, interp_size: int = 0) -> Vdso:
    """arch_setup_additional_pages: [vvar], [vvar_vclock] and [vdso], top-down in the mmap
    area. `interp_size` leaves room above for an interpreter that will be mapped later (the
    Python linker maps ld.so after exec), so that it lands where the kernel puts it: above
    the vDSO, which the kernel maps after the interpreter."""
    mem = task.mem
    vvar = mem.get_unmapped_area(TOTAL_SIZE + interp_size)    # the area's lowest part
    data = image()[0]
    mem.map(vvar, VVAR_PAGES * PAGE_SIZE, PROT_READ, name="[vvar]")
    vclock = vvar + VVAR_PAGES * PAGE_SIZE
    mem.map(vclock, VCLOCK_PAGES * PAGE_SIZE, PROT_READ, name="[vvar_vclock]")
    base = vclock + VCLOCK_PAGES * PAGE_SIZE
    mem.map(base, VDSO_SIZE, PROT_READ | PROT_EXEC, name="[vdso]", data=data)
    return Vdso(task, base)
