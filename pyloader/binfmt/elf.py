"""binfmt_elf: load_elf_binary and load_elf_interp, as fs/binfmt_elf.c does them.

With ASLR off (as a reproducible tool should be): an ET_DYN program with PT_INTERP is
placed at ELF_ET_DYN_BASE (0x555555554000, aligned down to its largest p_align), the
interpreter and static-pie images land top-down in the mmap area, brk starts on the page
after the executable's bss.

Before the point of no return only what the kernel checks is checked (ElfImage(kernel=True),
PT_INTERP, the interpreter's header); a file that fails there is refused with the kernel's
errno (ExecError). After it, a mapping the kernel's vm_mmap or vm_brk would refuse, a
segment past TASK_SIZE or an entry point there ends the process with SIGSEGV (ExecFatal),
as bprm_execve's force_fatal_sig does; anything else runs, and faults when it runs.
"""
from __future__ import annotations

import errno
import os

from syscalls.uapi import PATH_MAX

from ..elf import (
    ELFMAG,
    ET_DYN,
    ET_EXEC,
    PF_R,
    PF_W,
    PF_X,
    PT_INTERP,
    PT_LOAD,
    ElfError,
    ElfImage,
)
from ..memory import (
    MMAP_MIN_ADDR,
    PAGE_SIZE,
    PROT_EXEC,
    PROT_READ,
    PROT_WRITE,
    TASK_SIZE,
    page_align,
)
from .exec import ExecError, ExecFatal, LinuxBinprm, open_exec, register_binfmt
from .stack import create_elf_tables, setup_arg_pages
from .vdso import map_vdso

ELF_ET_DYN_BASE = 0x555555554000   # arch/x86/include/asm/elf.h: 2/3 of TASK_SIZE, with ASLR off


def make_prot(p_flags: int) -> int:
    return (PROT_READ if p_flags & PF_R else 0) | (PROT_WRITE if p_flags & PF_W else 0) \
        | (PROT_EXEC if p_flags & PF_X else 0)


def _parse(data: bytes, path: str, code: int = errno.ENOEXEC) -> ElfImage:
    try:
        return ElfImage(data, path, kernel=True)
    except ElfError as e:
        raise ExecError(code, str(e)) from None


def interp_path(img: ElfImage) -> str | None:
    """The first PT_INTERP's path (ElfImage.interp), refused with the kernel's errno: EIO
    when the file ends before it (elf_read), else ENOEXEC."""
    try:
        return img.interp
    except ElfError as e:
        ph = img.first(PT_INTERP)
        short = 2 <= ph.p_filesz <= PATH_MAX and ph.p_offset + ph.p_filesz > len(img.data)
        raise ExecError(errno.EIO if short else errno.ENOEXEC, str(e)) from None


def open_interp(task, path: str) -> tuple[bytes, object, ElfImage]:
    """open_exec of the interpreter and the header checks made before the point of no
    return: its magic, machine and program headers (ELIBBAD otherwise)."""
    host, st, data = open_exec(task, path)
    return host, st, _parse(data, path, errno.ELIBBAD)


def mapping_name(task, host_path: bytes) -> str:
    """The name /proc/self/maps shows: the file's real path, as the guest sees it."""
    return os.fsdecode(task.root.to_guest(os.path.realpath(host_path)))


def total_mapping_size(img: ElfImage) -> int:
    """From the lowest PT_LOAD page to the highest segment end, in whole pages (elf_map maps
    total_size page-aligned)."""
    loads = img.segments(PT_LOAD)
    if not loads:
        return 0
    lo = min(ph.p_vaddr & ~(PAGE_SIZE - 1) for ph in loads)
    hi = max(ph.p_vaddr + ph.p_memsz for ph in loads)
    return page_align(max(0, hi - lo))


def _vm_map(task, start: int, length: int, prot: int, fixed_noreplace: bool = False,
            **file) -> None:
    """vm_mmap/vm_brk at a fixed address, with the kernel's refusals as ExecFatal."""
    mem = task.mem
    end = start + length
    if start < MMAP_MIN_ADDR:
        raise ExecFatal(errno.EPERM, f"mapping at 0x{start:x} below mmap_min_addr")
    if end > TASK_SIZE or end < start:
        raise ExecFatal(errno.ENOMEM, f"mapping at 0x{start:x} past TASK_SIZE")
    if fixed_noreplace and not mem.is_free(start, end):
        raise ExecFatal(errno.EEXIST, f"mapping at 0x{start:x} overlaps an existing one")
    try:
        mem.map(start, length, prot, **file)
    except OSError as e:        # the host has no memory for it (vm_brk: -ENOMEM)
        raise ExecFatal(e.errno or errno.ENOMEM,
                        f"cannot map 0x{length:x} bytes at 0x{start:x}: {e.strerror}") from None


def elf_load(task, img: ElfImage, bias: int, name: str, st,
             is_exec: bool = True) -> tuple[int, int]:
    """Map every PT_LOAD of `img` at `bias`, in program header order, as load_elf_binary's
    loop does: file pages (elf_map: offset and address must agree within a page; pages past
    the file's end fault with SIGBUS), the rest of the last file page zeroed (padzero), and
    anonymous pages for the bss (vm_brk_flags: always writable). The first segment of an
    ET_EXEC must not replace a mapping (MAP_FIXED_NOREPLACE). Returns (the program headers'
    address, from the last PT_LOAD holding e_phoff, or 0; the highest segment end)."""
    data = img.data
    phdr_addr = 0
    brk = 0
    first = True
    for ph in img.segments(PT_LOAD):
        prot = make_prot(ph.p_flags)
        addr = bias + ph.p_vaddr
        pageoff = ph.p_vaddr & (PAGE_SIZE - 1)
        start = addr & ~(PAGE_SIZE - 1)
        zero_start = start          # where the bss begins: after the file bytes, if any
        if ph.p_filesz:
            size = page_align(ph.p_filesz + pageoff)
            off = ph.p_offset - pageoff
            if off < 0 or off & (PAGE_SIZE - 1):
                raise ExecFatal(errno.EINVAL, f"LOAD segment at 0x{ph.p_vaddr:x}: file offset "
                                f"0x{ph.p_offset:x} is not page-aligned with it")
            chunk = bytearray(data[off:off + size]) if off < len(data) else bytearray()
            zero_start = start + pageoff + ph.p_filesz
            if ph.p_memsz > ph.p_filesz and len(chunk) > zero_start - start:    # padzero
                chunk[zero_start - start:] = bytes(len(chunk) - (zero_start - start))
            # the file may end before the segment does: the pages after it fault (SIGBUS)
            eof = start + page_align(len(chunk)) if len(chunk) < size else 0
            _vm_map(task, start, size, prot, fixed_noreplace=first and is_exec, name=name,
                    offset=off, dev=st.st_dev, inode=st.st_ino, data=chunk, eof=eof)
            if ph.p_memsz > ph.p_filesz and zero_start & (PAGE_SIZE - 1) and eof \
                    and zero_start >= eof and prot & PROT_WRITE:   # padzero's clear_user faults
                raise ExecFatal(errno.EFAULT, f"LOAD segment at 0x{ph.p_vaddr:x}: its bss "
                                "starts past the end of the file")
        if ph.p_memsz > ph.p_filesz:
            zs, ze = page_align(zero_start), page_align(start + pageoff + ph.p_memsz)
            if ze > zs:
                _vm_map(task, zs, ze - zs, PROT_READ | PROT_WRITE | (prot & PROT_EXEC))
        first = False
        if ph.p_offset <= img.e_phoff < ph.p_offset + ph.p_filesz:
            phdr_addr = img.e_phoff - ph.p_offset + ph.p_vaddr
        k = ph.p_vaddr
        if k >= TASK_SIZE or ph.p_filesz > ph.p_memsz or ph.p_memsz > TASK_SIZE or \
                TASK_SIZE - ph.p_memsz < k:
            raise ExecFatal(errno.EINVAL,
                            f"LOAD segment at 0x{k:x} of 0x{ph.p_memsz:x} bytes cannot fit")
        brk = max(brk, k + ph.p_memsz)
    return phdr_addr, brk


def _dyn_bias(task, img: ElfImage, want: int | None) -> int:
    """The load bias of an ET_DYN image: ELF_PAGESTART(want - the first PT_LOAD's p_vaddr)
    when it has a fixed place, else where the mmap area has room for its whole span."""
    loads = img.segments(PT_LOAD)
    vaddr = loads[0].p_vaddr if loads else 0
    if want is not None:
        return (want - vaddr) & ~(PAGE_SIZE - 1)
    size = total_mapping_size(img)
    if not size:
        raise ExecFatal(errno.EINVAL, "the image spans no memory")
    try:
        return task.mem.get_unmapped_area(size) - (vaddr & ~(PAGE_SIZE - 1))
    except OSError:
        raise ExecFatal(errno.ENOMEM, f"no room for 0x{size:x} bytes") from None


def load_elf_interp(task, path: str, opened: tuple) -> tuple[ElfImage, int]:
    """Map the interpreter in the mmap area; returns its image and load bias (AT_BASE is
    its first page). `opened`: what open_interp returned before the point of no return."""
    host, st, img = opened
    bias = _dyn_bias(task, img, None) if img.e_type == ET_DYN else 0
    elf_load(task, img, bias, mapping_name(task, host), st, is_exec=False)
    entry = img.e_entry + bias
    if entry >= TASK_SIZE:
        raise ExecFatal(errno.EINVAL, f"{path}: entry point 0x{entry:x} past TASK_SIZE")
    return img, bias


def load_elf_binary(task, bprm: LinuxBinprm) -> int:
    if bprm.buf[:4] != ELFMAG:
        return -errno.ENOEXEC
    img = _parse(bprm.data, bprm.interp)
    interp = interp_path(img)
    opened = open_interp(task, interp) if interp is not None else None

    # --- point of no return: the old image goes ---------------------------------------------
    task.flush_old_exec()
    sp = setup_arg_pages(task, img.gnu_stack_exec())
    if img.e_type == ET_DYN:
        align = img.max_align()
        if interp is not None or align > PAGE_SIZE:
            load_bias = _dyn_bias(task, img, ELF_ET_DYN_BASE & ~(align - 1))
        else:  # static-pie without large alignment: the mmap area decides
            load_bias = _dyn_bias(task, img, None)
    else:
        load_bias = 0
    phdr, brk = elf_load(task, img, load_bias, mapping_name(task, bprm.host_path), bprm.st,
                         is_exec=img.e_type == ET_EXEC)
    bprm.load_bias = load_bias
    # brk: the page after the highest segment end (start_brk == brk with ASLR off)
    task.mem.set_brk_start(page_align(brk + load_bias))

    entry = img.e_entry + load_bias
    use_real_interp = interp is not None and task.ld_mode == "system"
    if use_real_interp:
        interp_img, interp_bias = load_elf_interp(task, interp, opened)
        bprm.interp_base = interp_bias + (interp_img.segments(PT_LOAD)[0].p_vaddr
                                          & ~(PAGE_SIZE - 1))
        bprm.entry = interp_img.e_entry + interp_bias
        bprm.steps.append(f"PT_INTERP {interp} mapped at 0x{bprm.interp_base:x}")
    else:
        if entry >= TASK_SIZE:
            raise ExecFatal(errno.EINVAL, f"entry point 0x{entry:x} past TASK_SIZE")
        bprm.entry = entry
    bprm.interp_path = interp
    bprm.interp_file = opened
    if task.use_vdso:
        # ARCH_SETUP_ADDITIONAL_PAGES, after the interpreter; when the Python linker will
        # map ld.so later, leave it the room the kernel would have given it, above
        later = total_mapping_size(opened[2]) if opened is not None and not use_real_interp \
            else 0
        task.vdso = map_vdso(task, later)
    bprm.sp = create_elf_tables(task, bprm, sp, phdr=phdr + load_bias, phnum=img.e_phnum,
                                entry=entry)
    bprm.image = img
    task.start_thread(bprm.entry, bprm.sp)
    return 0


register_binfmt(load_elf_binary)

__all__ = ["PT_INTERP", "elf_load", "load_elf_binary", "load_elf_interp"]
