"""The initial stack: setup_arg_pages and create_elf_tables of fs/exec.c, fs/binfmt_elf.c.

From the top of the stack down: an 8-byte gap, the filename (AT_EXECFN), the environment
strings, the argument strings, then (16-byte aligned) the platform string "x86_64", the 16
AT_RANDOM bytes, and below those, 16-byte aligned: argc, argv[], NULL, envp[], NULL, auxv.
"""
from __future__ import annotations

import struct

from ..memory import PROT_EXEC, PROT_READ, PROT_WRITE, STACK_SIZE, STACK_TOP

# include/uapi/linux/auxvec.h, arch/x86/include/uapi/asm/auxvec.h
AT_NULL, AT_IGNORE, AT_EXECFD, AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ, AT_BASE, AT_FLAGS, \
    AT_ENTRY, AT_NOTELF, AT_UID, AT_EUID, AT_GID, AT_EGID, AT_PLATFORM, AT_HWCAP, AT_CLKTCK = \
    range(18)
AT_SECURE, AT_BASE_PLATFORM, AT_RANDOM, AT_HWCAP2 = 23, 24, 25, 26
AT_RSEQ_FEATURE_SIZE, AT_RSEQ_ALIGN = 27, 28
AT_EXECFN = 31
AT_SYSINFO_EHDR = 33
AT_MINSIGSTKSZ = 51
AT_NAMES = {v: k for k, v in globals().items() if k.startswith("AT_") and isinstance(v, int)}

ELF_PLATFORM = b"x86_64"
CLK_TCK = 100
RSEQ_FEATURE_SIZE = 28      # offsetofend(struct rseq, mm_cid) in Linux 6.3+; 20 before
RSEQ_ALIGN = 32
PHENT_SIZE = 56


def setup_arg_pages(task, exec_stack: bool) -> int:
    """Map the [stack] VMA; returns the initial bprm->p (STACK_TOP - sizeof(void *))."""
    prot = PROT_READ | PROT_WRITE | (PROT_EXEC if exec_stack else 0)
    task.mem.map(STACK_TOP - STACK_SIZE, STACK_SIZE, prot, name="[stack]")
    task.mem.stack_start = STACK_TOP - STACK_SIZE
    return STACK_TOP - 8


def create_elf_tables(task, bprm, p: int, *, phdr: int, phnum: int, entry: int) -> int:
    mem = task.mem
    # copy_string_kernel(filename), copy_strings(envp), copy_strings(argv): each below the last
    execfn_bytes = bprm.filename.encode("utf-8", "surrogateescape") + b"\0"
    p -= len(execfn_bytes)
    execfn = p
    blob = b"".join(s + b"\0" for s in bprm.argv) + b"".join(s + b"\0" for s in bprm.envp)
    p -= len(blob)
    arg_start = p
    mem.write(p, blob + execfn_bytes)
    task.arg_start, task.arg_end = arg_start, arg_start + sum(len(s) + 1 for s in bprm.argv)
    task.env_end = execfn

    p &= ~0xF                                   # arch_align_stack without randomisation
    p -= len(ELF_PLATFORM) + 1
    u_platform = p
    mem.write(p, ELF_PLATFORM + b"\0")
    p -= 16
    u_rand_bytes = p
    mem.write(p, task.random_bytes(16))

    creds = task.creds
    # ARCH_DLINFO first: AT_SYSINFO_EHDR when a vDSO is mapped, then AT_MINSIGSTKSZ
    vdso = task.vdso
    auxv = [(AT_SYSINFO_EHDR, vdso.base)] if vdso is not None else []
    auxv += [
        (AT_MINSIGSTKSZ, task.minsigstksz),
        (AT_HWCAP, task.hwcap),
        (AT_PAGESZ, 4096),
        (AT_CLKTCK, CLK_TCK),
        (AT_PHDR, phdr),
        (AT_PHENT, PHENT_SIZE),
        (AT_PHNUM, phnum),
        (AT_BASE, bprm.interp_base),
        (AT_FLAGS, 0),
        (AT_ENTRY, entry),
        (AT_UID, creds.uid), (AT_EUID, creds.euid), (AT_GID, creds.gid), (AT_EGID, creds.egid),
        (AT_SECURE, 0),
        (AT_RANDOM, u_rand_bytes),
        (AT_HWCAP2, task.hwcap2),
        (AT_EXECFN, execfn),
        (AT_PLATFORM, u_platform),
        (AT_RSEQ_FEATURE_SIZE, RSEQ_FEATURE_SIZE),
        (AT_RSEQ_ALIGN, RSEQ_ALIGN),
        (AT_NULL, 0),
    ]
    bprm.auxv = auxv
    argc, envc = len(bprm.argv), len(bprm.envp)
    items = (argc + 1) + (envc + 1) + 1
    sp = p - 2 * 8 * len(auxv)
    sp = (sp - items * 8) & ~0xF                # STACK_ROUND
    ptrs = [argc]
    addr = arg_start
    for s in bprm.argv:
        ptrs.append(addr)
        addr += len(s) + 1
    ptrs.append(0)
    task.envp_addr = sp + 8 * (argc + 2)
    for s in bprm.envp:
        ptrs.append(addr)
        addr += len(s) + 1
    ptrs.append(0)
    for key, val in auxv:
        ptrs += (key, val)
    mem.write(sp, struct.pack(f"<{len(ptrs)}Q", *ptrs))
    task.auxv_addr = sp + 8 * (argc + envc + 3)
    return sp
