"""What readelf/objdump would tell about one file: sections, symbols by name, PLT stubs."""
from __future__ import annotations

import re
import struct
from dataclasses import dataclass

from ..elf import SHDR, SHT_DYNSYM, SHT_SYMTAB, SYM, ElfImage

ENDBR64 = b"\xf3\x0f\x1e\xfa"
RIP_REL = re.compile(r"\[rip ([+-]) (0x[0-9a-f]+)\]")


@dataclass
class Section:
    name: str
    type: int
    addr: int
    offset: int
    size: int


def sections(img: ElfImage) -> list[Section]:
    """The section header table (empty when stripped away or malformed)."""
    data = img.data
    if not img.e_shoff or img.e_shoff + img.e_shnum * SHDR.size > len(data):
        return []
    raw = [SHDR.unpack_from(data, img.e_shoff + i * SHDR.size) for i in range(img.e_shnum)]
    if img.e_shstrndx >= len(raw):
        return []
    stroff = raw[img.e_shstrndx][4]
    out = []
    for name, typ, _flags, addr, off, size, *_ in raw:
        end = data.find(b"\0", stroff + name)
        out.append(Section(data[stroff + name:end].decode(errors="replace"), typ, addr, off, size))
    return out


def symbol_address(img: ElfImage, wanted: str) -> int | None:
    """st_value of a defined function/object `wanted` in .symtab or .dynsym (file-relative)."""
    found = symbol(img, wanted)
    return found[0] if found else None


def symbol(img: ElfImage, wanted: str) -> tuple[int, int] | None:
    """(st_value, st_size) of a defined symbol `wanted` in .symtab or .dynsym."""
    data = img.data
    secs = sections(img)
    for want_type in (SHT_SYMTAB, SHT_DYNSYM):
        for i, s in enumerate(secs):
            if s.type != want_type:
                continue
            link = struct.unpack_from("<I", data, img.e_shoff + i * SHDR.size + 40)[0]
            if link >= len(secs):
                continue
            strtab = secs[link].offset
            for off in range(s.offset, min(s.offset + s.size, len(data)) - SYM.size + 1, SYM.size):
                name, _info, _o, shndx, value, _size = SYM.unpack_from(data, off)
                if not shndx or not value:
                    continue
                end = data.find(b"\0", strtab + name)
                if data[strtab + name:end] == wanted.encode():
                    return value, _size
    return None


@dataclass
class PltStub:
    section: str      # .plt, .plt.sec or .plt.got
    vaddr: int        # file-relative address of the stub
    got: int          # file-relative address of the GOT slot it jumps through
    code: bytes


def plt_stubs(img: ElfImage) -> list[PltStub]:
    """Every PLT stub and the GOT slot it jumps through, found as objdump finds them:
    disassembling the PLT sections and reading each `jmp *disp(%rip)`."""
    import capstone
    md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
    stubs = []
    for s in sections(img):
        if s.name not in (".plt", ".plt.sec", ".plt.got") or s.type == 8:   # 8: SHT_NOBITS
            continue
        code = img.data[s.offset:s.offset + s.size]
        # .plt and .plt.sec entries are 16 bytes; .plt.got ones 8, or 16 with IBT (endbr64)
        step = 8 if s.name == ".plt.got" and not code.startswith(ENDBR64) else 16
        start = 16 if s.name == ".plt" else 0          # PLT0 is the resolver trampoline
        for at in range(start, len(code) - step + 1, step):
            piece = code[at:at + step]
            for insn in md.disasm(piece, s.addr + at):
                m = RIP_REL.search(insn.op_str)
                if insn.mnemonic in ("jmp", "bnd jmp") and m:
                    disp = int(m.group(2), 16) * (-1 if m.group(1) == "-" else 1)
                    stubs.append(PltStub(s.name, s.addr + at, insn.address + insn.size + disp,
                                         piece))
                    break
    return stubs


def disassemble(code: bytes, addr: int) -> list[str]:
    import capstone
    md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
    return [f"{i.address:#x}: {i.bytes.hex(' '):<24} {i.mnemonic} {i.op_str}".rstrip()
            for i in md.disasm(code, addr)]


EAX_NAMES = {"al", "ah", "ax", "eax", "rax"}
STOP = {"ret", "jmp", "call"}


def sets_eax_before_ret(code: bytes, addr: int) -> tuple[bool | None, list[str]]:
    """Does the straight-line code at addr write eax before its `ret`? (True/False, and the
    instructions read); None when a branch makes it undecidable without running it."""
    import capstone
    md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
    md.detail = True
    seen = []
    for insn in md.disasm(code, addr):
        seen.append(f"{insn.mnemonic} {insn.op_str}".strip())
        _read, written = insn.regs_access()
        if any(insn.reg_name(r) in EAX_NAMES for r in written):
            return True, seen
        if insn.mnemonic == "ret":
            return False, seen
        if insn.mnemonic in STOP or insn.mnemonic.startswith("j") or insn.group(
                capstone.CS_GRP_JUMP):
            return None, seen
    return None, seen
