"""binfmt_elf: load_elf_binary and load_elf_interp, as fs/binfmt_elf.c does them.

With ASLR off (as a reproducible tool should be): an ET_DYN program with PT_INTERP is
placed at ELF_ET_DYN_BASE (0x555555554000, aligned down to its largest p_align), the
interpreter and static-pie images land top-down in the mmap area, brk starts on the page
after the executable's bss.
"""
from __future__ import annotations

import errno
import os

from ..elf import ET_DYN, PF_R, PF_W, PF_X, PT_INTERP, PT_LOAD, ElfError, ElfImage
from ..memory import PAGE_SIZE, PROT_EXEC, PROT_READ, PROT_WRITE, page_align
from .exec import ExecError, LinuxBinprm, open_exec
from .stack import create_elf_tables, setup_arg_pages
from .vdso import map_vdso

ELF_ET_DYN_BASE = 0x555555554000   # arch/x86/include/asm/elf.h: 2/3 of TASK_SIZE, with ASLR off


def make_prot(p_flags: int) -> int:
    return (PROT_READ if p_flags & PF_R else 0) | (PROT_WRITE if p_flags & PF_W else 0) \
        | (PROT_EXEC if p_flags & PF_X else 0)


def _parse(data: bytes, path: str) -> ElfImage:
    try:
        return ElfImage(data, path)
    except ElfError as e:
        raise ExecError(errno.ENOEXEC, str(e)) from None


def mapping_name(task, host_path: bytes) -> str:
    """The name /proc/self/maps shows: the file's real path, as the guest sees it."""
    return os.fsdecode(task.root.to_guest(os.path.realpath(host_path)))


def elf_load(task, img: ElfImage, bias: int, name: str, st) -> None:
    """Map every PT_LOAD of `img` at `bias`: file pages, a zeroed bss tail, anonymous pages."""
    mem = task.mem
    for ph in img.segments(PT_LOAD):
        prot = make_prot(ph.p_flags)
        start = (ph.p_vaddr + bias) & ~(PAGE_SIZE - 1)
        off = ph.p_offset & ~(PAGE_SIZE - 1)
        file_end = page_align(ph.p_vaddr + bias + ph.p_filesz)
        mem_end = page_align(ph.p_vaddr + bias + ph.p_memsz)
        if file_end > start:
            data = bytearray(img.data[off:off + (file_end - start)])
            # padzero: the bytes after p_filesz on the last file page belong to the bss
            if ph.p_memsz > ph.p_filesz:
                cut = ph.p_vaddr + bias + ph.p_filesz - start
                data[cut:] = bytes(len(data) - cut)
            mem.map(start, file_end - start, prot, name=name, offset=off,
                    dev=st.st_dev, inode=st.st_ino, data=data)
        if mem_end > file_end:
            mem.map(file_end, mem_end - file_end, prot)


def total_mapping_size(img: ElfImage) -> int:
    lo, hi = img.load_bounds()
    return page_align(hi) - lo


def load_elf_interp(task, path: str) -> tuple[ElfImage, int]:
    """Map the interpreter in the mmap area; returns its image and load address (AT_BASE)."""
    host, st, data = open_exec(task, path)
    img = _parse(data, path)
    if img.interp is not None:
        raise ExecError(errno.ELIBBAD, f"{path}: the interpreter has an interpreter itself")
    lo, _ = img.load_bounds()
    size = total_mapping_size(img)
    base = task.mem.get_unmapped_area(size) if img.e_type == ET_DYN else 0
    bias = base - lo if img.e_type == ET_DYN else 0
    elf_load(task, img, bias, mapping_name(task, host), st)
    return img, bias


def load_elf_binary(task, bprm: LinuxBinprm) -> int:
    if bprm.buf[:4] != b"\x7fELF":
        return -errno.ENOEXEC
    img = _parse(bprm.data, bprm.interp)
    interp_path = img.interp
    interp_img = None
    interp_data = b""
    if interp_path is not None:
        # checked before the point of no return, as the kernel opens it early
        interp_data = open_exec(task, interp_path)[2]

    # --- point of no return: the old image goes ---------------------------------------------
    task.flush_old_exec()
    mem = task.mem
    if img.e_type == ET_DYN:
        lo, _ = img.load_bounds()
        align = img.max_align()
        if interp_path is not None or align > PAGE_SIZE:
            load_bias = (ELF_ET_DYN_BASE & ~(align - 1)) - lo
        else:  # static-pie without large alignment: the mmap area decides
            load_bias = mem.get_unmapped_area(total_mapping_size(img)) - lo
    else:
        load_bias = 0
    elf_load(task, img, load_bias, mapping_name(task, bprm.host_path), bprm.st)
    bprm.load_bias = load_bias

    # brk: the page after the highest segment end (start_brk == brk with ASLR off)
    _, hi = img.load_bounds()
    mem.set_brk_start(page_align(hi + load_bias))

    entry = img.e_entry + load_bias
    use_real_interp = interp_path is not None and task.ld_mode == "system"
    if use_real_interp:
        interp_img, interp_bias = load_elf_interp(task, interp_path)
        bprm.interp_base = interp_bias + interp_img.load_bounds()[0]
        bprm.entry = interp_img.e_entry + interp_bias
        bprm.steps.append(f"PT_INTERP {interp_path} mapped at 0x{bprm.interp_base:x}")
    else:
        bprm.entry = entry
    bprm.interp_path = interp_path
    if task.use_vdso:
        # ARCH_SETUP_ADDITIONAL_PAGES, after the interpreter; when the Python linker will
        # map ld.so later, leave it the room the kernel would have given it, above
        later = total_mapping_size(_parse(interp_data, interp_path)) \
            if interp_path is not None and not use_real_interp else 0
        task.vdso = map_vdso(task, later)
    phdr = img.phdr_vaddr()
    sp = setup_arg_pages(task, img.gnu_stack_exec())
    bprm.sp = create_elf_tables(task, bprm, sp, phdr=(phdr + load_bias) if phdr is not None else 0,
                                phnum=img.e_phnum, entry=entry)
    bprm.image = img
    task.start_thread(bprm.entry, bprm.sp)
    return 0


__all__ = ["PT_INTERP", "elf_load", "load_elf_binary", "load_elf_interp"]
