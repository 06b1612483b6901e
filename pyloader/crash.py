"""One line that says where a guest crashed: address, object+offset, symbol, instruction."""
from __future__ import annotations

from syscalls.uapi import SIGBUS, SIGFPE, SIGILL, SIGSEGV, SIGTRAP

from .elf import ElfError, symbolize

SIGNAMES = {SIGILL: "SIGILL", SIGTRAP: "SIGTRAP", SIGBUS: "SIGBUS", SIGFPE: "SIGFPE",
            SIGSEGV: "SIGSEGV"}


def where(task, addr: int) -> str:
    vma = task.mem.find(addr)
    if vma is None or not vma.name:
        return "unmapped memory" if vma is None else "anonymous memory"
    base = min((v.start - v.offset for v in task.mem.vmas if v.name == vma.name and v.inode),
               default=vma.start)
    off = addr - base
    sym = ""
    if vma.inode:
        try:
            sym = symbolize(task.root.read(vma.name), vma.name, off)
        except (OSError, ElfError):
            sym = ""
    return f"{vma.name}+{off:#x}" + (f" ({sym})" if sym else "")


def disassemble(task, pc: int) -> str:
    try:
        import capstone
        code = task.mem.read(pc, 16)
    except (ImportError, OSError):
        return ""
    md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
    for insn in md.disasm(code, pc):
        return f"{insn.mnemonic} {insn.op_str}".strip()
    return "(bad instruction bytes)"


def describe_crash(task, signo: int, code: int, addr: int, access: str) -> str:
    pc = task.cpu.pc
    name = SIGNAMES.get(signo, str(signo))
    insn = disassemble(task, pc)
    what = f"{access} of {addr:#x}{' (past the end of the mapped file)' if signo == SIGBUS else ''}: " \
        if signo in (SIGBUS, SIGSEGV) and addr else ""
    return (f"pyloader: {name}: {what}pc {pc:#x} in {where(task, pc)}"
            + (f": {insn}" if insn else ""))
