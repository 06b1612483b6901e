"""Memory calls (the kernel's mm/): mmap, munmap, mprotect, mremap, brk, msync, madvise."""
from __future__ import annotations

import errno
import os

from . import syscall
from .fs import sint
from .uapi import (
    MAP_32BIT,
    MAP_ANONYMOUS,
    MAP_FIXED,
    MAP_NORESERVE,
    MAP_PRIVATE,
    MAP_SHARED,
    MAP_SHARED_VALIDATE,
    PAGE_SIZE,
    PROT_WRITE,
)

MAP_TYPE = 0xF
MAP_FIXED_NOREPLACE = 0x100000
MREMAP_MAYMOVE, MREMAP_FIXED, MREMAP_DONTUNMAP = 1, 2, 4


def page_align(n: int) -> int:
    return (n + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)


@syscall("mmap")
def sys_mmap(t, addr, length, prot, flags, fd, off):
    mem = t.mem
    flags &= 0xFFFFFFFF
    if not length or off & (PAGE_SIZE - 1) or length > 1 << 47:
        return -errno.EINVAL
    if flags & MAP_TYPE not in (MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE):
        return -errno.EINVAL
    size = page_align(length)
    fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)
    if fixed:
        if addr & (PAGE_SIZE - 1):
            return -errno.EINVAL
        if flags & MAP_FIXED_NOREPLACE and not flags & MAP_FIXED and not mem.is_free(addr, addr + size):
            return -errno.EEXIST
        start = addr
    elif flags & MAP_32BIT:
        start = None
        top = 0x80000000
        for cand in range(top - size, 0x40000000, -PAGE_SIZE):
            if mem.is_free(cand, cand + size):
                start = cand
                break
        if start is None:
            return -errno.ENOMEM
    else:
        start = mem.get_unmapped_area(size, addr)
    shared = flags & MAP_TYPE != MAP_PRIVATE
    if shared and prot & PROT_WRITE:    # stores other processes see: see Process.share_memory
        t.share_memory()
    if flags & MAP_ANONYMOUS:
        mem.map(start, size, prot, shared=shared, noreserve=bool(flags & MAP_NORESERVE))
        return start
    f = t.fds.get(sint(fd))
    stt = os.fstat(f.host_fd)
    name = t.fd_path(sint(fd)).decode("utf-8", "surrogateescape")
    import stat
    eof = 0
    if stat.S_ISREG(stt.st_mode) and off + size > page_align(stt.st_size):
        eof = start + max(0, page_align(stt.st_size) - off)     # pages with no file behind
    if shared and stat.S_ISREG(stt.st_mode):
        # the file's own pages (the host's MAP_SHARED mapping of it): other processes that
        # map it, and the file itself, see every store at once (POSIX shared memory,
        # process-shared semaphores and mutexes)
        import fcntl
        writable = fcntl.fcntl(f.host_fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_RDWR
        if prot & PROT_WRITE and not writable:
            return -errno.EACCES
        host = file_pages(f.host_fd, size, off, stt.st_size, writable)
        mem.map(start, size, prot, name=name, offset=off, shared=True, dev=stt.st_dev,
                inode=stt.st_ino, eof=eof, host_map=host)
        return start
    data = os.pread(f.host_fd, size, off) if stt.st_size > off else b""
    host_fd = os.dup(f.host_fd) if shared and prot & PROT_WRITE else -1
    mem.map(start, size, prot, name=name, offset=off, shared=shared, dev=stt.st_dev,
            inode=stt.st_ino, host_fd=host_fd, data=data, eof=eof)
    return start


def file_pages(fd: int, size: int, off: int, file_size: int, writable: bool):
    """A host mapping of `size` bytes whose first pages are the file's own (MAP_SHARED, at
    offset `off`) and the rest, past the file's end, anonymous: pyloader never takes the
    SIGBUS the guest gets there (the guest's pages past the end stay inaccessible)."""
    import ctypes
    import mmap
    host = mmap.mmap(-1, size, flags=mmap.MAP_SHARED | mmap.MAP_ANONYMOUS)
    n = min(size, page_align(file_size - off)) if file_size > off else 0
    if n:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.mmap.restype = ctypes.c_void_p
        libc.mmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                              ctypes.c_int, ctypes.c_long)
        base = ctypes.addressof(ctypes.c_char.from_buffer(host))
        prot = mmap.PROT_READ | (mmap.PROT_WRITE if writable else 0)
        got = libc.mmap(base, n, prot, mmap.MAP_SHARED | 0x10, fd, off)      # MAP_FIXED
        if got != base:
            host.close()
            raise OSError(ctypes.get_errno() or errno.ENOMEM, "mmap")
    return host


@syscall("munmap")
def sys_munmap(t, addr, length, *_):
    if addr & (PAGE_SIZE - 1) or not length:
        return -errno.EINVAL
    t.mem.unmap(addr, length)
    return 0


@syscall("mprotect")
def sys_mprotect(t, addr, length, prot, *_):
    if addr & (PAGE_SIZE - 1):
        return -errno.EINVAL
    if length:
        t.mem.protect(addr, length, prot & 7)
        if prot & PROT_WRITE and t.share_lock is None and any(
                v.shared for v in t.mem.vmas if v.start < addr + length and v.end > addr):
            t.share_memory()
    return 0


# Memory protection keys: the emulated CPU has none (no PKU/OSPKE in CPUID), and the kernel
# on such a CPU refuses to allocate a key (mm_pkey_alloc: -1 -> ENOSPC); V8 (node) asks and
# does without.
PKEY_ACCESS_MASK = 3            # PKEY_DISABLE_ACCESS | PKEY_DISABLE_WRITE


@syscall("pkey_alloc")
def sys_pkey_alloc(t, flags, access_rights, *_):
    if flags or access_rights & ~PKEY_ACCESS_MASK:
        return -errno.EINVAL
    return -errno.ENOSPC


@syscall("pkey_mprotect")
def sys_pkey_mprotect(t, addr, length, prot, pkey, *_):
    if sint(pkey) != -1:        # -1: mprotect's own; no other key is ever allocated
        return -errno.EINVAL
    return sys_mprotect(t, addr, length, prot)


@syscall("pkey_free")
def sys_pkey_free(t, pkey, *_):
    return -errno.EINVAL        # not allocated (mm_pkey_free)


@syscall("brk")
def sys_brk(t, addr, *_):
    return t.mem.do_brk(addr)


@syscall("mremap")
def sys_mremap(t, old, old_size, new_size, flags, new_addr, *_):
    mem = t.mem
    if old & (PAGE_SIZE - 1) or not new_size:
        return -errno.EINVAL
    old_size, new_size = page_align(old_size), page_align(new_size)
    vma = mem.find(old)
    if vma is None or vma.end < old + old_size:
        return -errno.EFAULT
    if flags & MREMAP_FIXED:
        dest = new_addr
    elif new_size <= old_size:
        if new_size < old_size:
            mem.unmap(old + new_size, old_size - new_size)
        return old
    elif mem.is_free(old + old_size, old + new_size):
        # grow in place: the new tail continues the VMA (file pages from the file)
        mem.map(old + old_size, new_size - old_size, vma.prot, shared=vma.shared, name=vma.name,
                offset=vma.offset + (old + old_size - vma.start) if vma.inode else 0,
                dev=vma.dev, inode=vma.inode)
        return old
    elif not flags & MREMAP_MAYMOVE:
        return -errno.ENOMEM
    else:
        dest = mem.get_unmapped_area(new_size)
    data = mem.read(old, min(old_size, new_size))
    mem.map(dest, new_size, vma.prot, shared=vma.shared, name=vma.name,
            offset=vma.offset + (old - vma.start) if vma.inode else 0, dev=vma.dev,
            inode=vma.inode, data=data)
    if not flags & MREMAP_DONTUNMAP:
        mem.unmap(old, old_size)
    return dest


@syscall("msync")
def sys_msync(t, addr, length, flags, *_):
    if addr & (PAGE_SIZE - 1):
        return -errno.EINVAL
    t.mem.sync(addr, length)
    return 0


@syscall("madvise")
def sys_madvise(t, addr, length, advice, *_):
    if addr & (PAGE_SIZE - 1):
        return -errno.EINVAL
    if advice == 4 and length:          # MADV_DONTNEED: private anonymous pages read as zero
        end = addr + page_align(length)
        a = addr
        while a < end:
            vma = t.mem.find(a)
            if vma is None:
                return -errno.ENOMEM
            stop = min(end, vma.end)
            if not vma.shared and vma.prot & 2:
                t.mem.write(a, _dropped_pages(t, vma, a, stop))
            a = stop
    return 0


def _dropped_pages(t, vma, start: int, end: int) -> bytes:
    """What private pages read after MADV_DONTNEED: zeroes, or the file's bytes again for a
    file mapping (its copied-on-write pages are gone)."""
    data = b""
    if vma.inode:
        try:
            fd = t.root.open(vma.name.encode("utf-8", "surrogateescape"))
            try:
                if os.fstat(fd).st_ino == vma.inode:
                    data = os.pread(fd, end - start, vma.offset + (start - vma.start))
            finally:
                os.close(fd)
        except OSError:
            pass                        # the file is gone: what is left reads as zeroes
    return data + bytes(end - start - len(data))


@syscall("mincore")
def sys_mincore(t, addr, length, vec, *_):
    pages = page_align(length) // PAGE_SIZE
    for a in range(addr, addr + pages * PAGE_SIZE, PAGE_SIZE):
        if t.mem.find(a) is None:
            return -errno.ENOMEM
    t.mem.write(vec, b"\x01" * pages)
    return 0


@syscall("mlock", "munlock", "mlock2", "mlockall", "munlockall")
def sys_mlock(t, *_):
    return 0


@syscall("membarrier")
def sys_membarrier(t, cmd, *_):
    return 0      # one CPU runs the guest: every barrier is already there


# --- NUMA policy: the guest's memory is one node's (node 0); policies are accepted ------------
MPOL_DEFAULT, MPOL_MAX = 0, 7
MPOL_F_NODE, MPOL_F_ADDR, MPOL_F_MEMS_ALLOWED = 1, 2, 4


@syscall("get_mempolicy")
def sys_get_mempolicy(t, mode, nodemask, maxnode, addr, flags, *_):
    if flags & ~(MPOL_F_NODE | MPOL_F_ADDR | MPOL_F_MEMS_ALLOWED):
        return -errno.EINVAL
    if flags & MPOL_F_ADDR and t.mem.find(addr) is None:
        return -errno.EFAULT
    if mode:
        t.mem.write(mode, (0).to_bytes(4, "little"))     # MPOL_DEFAULT, or node 0
    if nodemask and maxnode:
        n = (maxnode + 63) // 64 * 8
        t.mem.write(nodemask, (1 if flags & MPOL_F_MEMS_ALLOWED else 0).to_bytes(n, "little"))
    return 0


@syscall("set_mempolicy", "mbind")
def sys_set_mempolicy(t, *args):
    mode = args[2] if t.current_name == "mbind" else args[0]
    return 0 if (mode & 0xFFFF) < MPOL_MAX else -errno.EINVAL
