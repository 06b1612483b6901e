"""AddressSpace: the guest's memory, kept as the kernel's mm keeps it.

A sorted list of VMAs (start, end, prot, flags, backing file) is the single truth; every
VMA is also one Unicorn region with the same permissions, so Unicorn enforces them. Placement
follows the kernel with ASLR off: the stack ends at TASK_SIZE, the mmap area grows down from
mmap_base, brk starts after the executable. /proc/self/maps is rendered from the VMAs.
"""
from __future__ import annotations

import bisect
import ctypes
import mmap
import os

from syscalls.uapi import (
    MAP_NORESERVE,
    PAGE_SIZE,
    PROT_EXEC,
    PROT_READ,
    PROT_WRITE,
    RLIM_INFINITY,
    SIGBUS,
    SIGSEGV,
)

PAGE_MASK = ~(PAGE_SIZE - 1)
TASK_SIZE = 0x7FFFFFFFF000          # arch/x86/include/asm/page_64_types.h (47-bit)
STACK_TOP = TASK_SIZE
STACK_SIZE = 8 << 20                # RLIMIT_STACK's default; pages are host-lazy anyway
MMAP_BASE = TASK_SIZE - (128 << 20)  # mmap_base(): TASK_SIZE - MIN_GAP with ASLR off
MMAP_MIN_ADDR = 0x10000



def page_align(n: int) -> int:
    return (n + PAGE_SIZE - 1) & PAGE_MASK




class Fault(OSError):
    """A guest pointer that does not point at mapped memory: EFAULT to the guest (and the
    signal guest code touching it would get, for the Python ld.so's own accesses)."""
    signo = SIGSEGV

    def __init__(self, addr: int):
        super().__init__(14, f"bad address 0x{addr:x}")  # EFAULT
        self.addr = addr


class BusFault(Fault):
    """An address in a file mapping past the file's end."""
    signo = SIGBUS


class Vma:
    """One mapping. A plain class, not a dataclass: the run path's classes are made at
    import time, and a dataclass costs ~1 ms to make."""
    __slots__ = (
        "anon",
        "backing",
        "boff",
        "dev",
        "end",
        "eof",
        "host_fd",
        "inode",
        "name",
        "offset",
        "prot",
        "shared",
        "start",
    )

    def __init__(self, start: int, end: int, prot: int, shared: bool = False, name: str = "",
                 offset: int = 0, dev: int = 0, inode: int = 0, host_fd: int = -1,
                 backing: memoryview | None = None, boff: int = 0, anon: bool = False,
                 eof: int = 0):
        self.start, self.end, self.prot, self.shared = start, end, prot, shared
        self.name = name            # file path, "[heap]", "[stack]" or "" for anonymous
        self.offset = offset        # file offset of `start`
        self.dev, self.inode = dev, inode
        self.host_fd = host_fd      # MAP_SHARED file mappings: written back on msync/munmap/exit
        # the host memory behind the pages (Unicorn maps it with mem_map_ptr), and where in it
        # `start` is; split VMAs share one backing
        self.backing, self.boff = backing, boff
        # a private file mapping that was writable has (as far as we know) copied-on-write
        # pages, an anon_vma: the kernel never merges it with a neighbour that has none
        # (RELRO shows up as its own line in /proc/self/maps)
        self.anon = anon
        # a file mapping that reaches past the file's last page: from here on there is no
        # file data, and an access is SIGBUS (the pages stay inaccessible in Unicorn); 0 if none
        self.eof = eof

    def __repr__(self) -> str:
        return f"Vma({self.start:#x}-{self.end:#x} {self.perms_text()} {self.name})"

    def split(self, at: int) -> Vma:
        """Cut at `at`; self keeps the low part, the returned VMA is the high part."""
        hi = Vma(at, self.end, self.prot, self.shared, self.name,
                 self.offset + (at - self.start) if self.inode else 0,
                 self.dev, self.inode, self.host_fd, self.backing, self.boff + (at - self.start),
                 self.anon, self.eof)
        self.end = at
        return hi

    def perms_text(self) -> str:
        return ("r" if self.prot & PROT_READ else "-") + ("w" if self.prot & PROT_WRITE else "-") \
            + ("x" if self.prot & PROT_EXEC else "-") + ("s" if self.shared else "p")


class AddressSpace:
    def __init__(self, cpu):
        self.cpu = cpu
        self.uc = cpu.uc
        self.vmas: list[Vma] = []
        self._starts: list[int] = []
        self.mmap_base = MMAP_BASE
        self.start_brk = self.brk = 0
        self.stack_start = 0       # lowest address of the [stack] VMA
        self.as_limit = self.data_limit = RLIM_INFINITY     # the guest's RLIMIT_AS, _DATA

    # --- lookup ----------------------------------------------------------------------------
    def find(self, addr: int) -> Vma | None:
        i = bisect.bisect_right(self._starts, addr) - 1
        if i >= 0 and self.vmas[i].end > addr:
            return self.vmas[i]
        return None

    def is_free(self, start: int, end: int) -> bool:
        i = bisect.bisect_left(self._starts, end)
        return i == 0 or self.vmas[i - 1].end <= start

    def get_unmapped_area(self, length: int, hint: int = 0) -> int:
        """Top-down search from mmap_base, as arch_get_unmapped_area_topdown does."""
        if hint:
            hint = page_align(hint)
            if MMAP_MIN_ADDR <= hint and hint + length <= TASK_SIZE and self.is_free(hint, hint + length):
                return hint
        top = self.mmap_base
        for vma in reversed(self.vmas):
            if vma.start >= top:
                continue
            if vma.end <= top - length:
                return top - length
            top = min(top, vma.start)
        if top - length >= MMAP_MIN_ADDR:
            return top - length
        raise OSError(12, "out of address space")  # ENOMEM

    # --- changing the map ------------------------------------------------------------------
    def _insert(self, vma: Vma) -> None:
        i = bisect.bisect_left(self._starts, vma.start)
        self.vmas.insert(i, vma)
        self._starts.insert(i, vma.start)

    def _carve(self, start: int, end: int) -> list[Vma]:
        """Split VMAs at start and end; return the VMAs now wholly inside [start, end)."""
        for cut in (start, end):
            v = self.find(cut)
            if v is not None and v.start < cut:
                self._insert(v.split(cut))
        lo = bisect.bisect_left(self._starts, start)
        hi = bisect.bisect_left(self._starts, end)
        return self.vmas[lo:hi]

    def map(self, start: int, length: int, prot: int, *, name: str = "", offset: int = 0,
            shared: bool = False, dev: int = 0, inode: int = 0, host_fd: int = -1,
            data: bytes | memoryview | None = None, eof: int = 0,
            noreserve: bool = False, host_map: mmap.mmap | None = None) -> Vma:
        """Create a VMA at a fixed page-aligned address, replacing whatever was there."""
        length = page_align(length)
        end = start + length
        if start & ~PAGE_MASK or length <= 0 or end > TASK_SIZE or start < 0:
            raise OSError(22, "bad mapping range")  # EINVAL
        if self.as_limit != RLIM_INFINITY and self.mapped() + length > self.as_limit:
            raise OSError(12, "RLIMIT_AS")      # ENOMEM (the range replaced is not subtracted)
        if not self.is_free(start, end):
            self.unmap(start, length)
        if host_map is not None:        # MAP_SHARED of a file: the file's own pages
            backing = memoryview(host_map)
            addr = ctypes.addressof(ctypes.c_char.from_buffer(backing))
            self.uc.mem_map_ptr(start, length, prot & 7, addr)
        else:
            backing = self._new_backing(start, length, prot, shared, noreserve)
        if data:
            n = min(len(data), length)
            backing[:n] = data[:n]
        vma = Vma(start, end, prot, shared, name, offset, dev, inode, host_fd, backing, 0,
                  not shared and bool(prot & PROT_WRITE), eof if start <= eof < end else 0)
        self._insert(vma)
        self._hide_past_eof(vma)
        return vma

    def mapped(self) -> int:
        """Bytes the guest has mapped (what RLIMIT_AS counts)."""
        return sum(v.end - v.start for v in self.vmas)

    def _hide_past_eof(self, vma: Vma) -> None:
        if vma.eof and vma.eof < vma.end:
            lo = max(vma.start, vma.eof)
            self.uc.mem_protect(lo, vma.end - lo, 0)

    def host_address(self, addr: int) -> int | None:
        """Where a MAP_SHARED page is in pyloader's memory (other processes map the same
        pages: a process-shared futex is the host's futex there), else None."""
        v = self.find(addr)
        if v is None or not v.shared:
            return None
        return ctypes.addressof(ctypes.c_char.from_buffer(v.backing)) + v.boff + addr - v.start

    def _past_eof(self, addr: int, size: int) -> bool:
        """Does [addr, addr+size) touch file pages past the end of their file? (EFAULT: on
        a file's own shared mapping the host would raise SIGBUS in pyloader itself.)"""
        lo = max(0, bisect.bisect_right(self._starts, addr) - 1)
        for v in self.vmas[lo:]:
            if v.start >= addr + size:
                return False
            if v.eof and v.end > addr and addr + size > v.eof:
                return True
        return False

    def past_eof(self, addr: int) -> bool:
        """Is addr in a file mapping beyond the file's end (SIGBUS, not SIGSEGV)?"""
        vma = self.find(addr)
        return vma is not None and bool(vma.eof) and addr >= vma.eof

    def _new_backing(self, start: int, length: int, prot: int, shared: bool,
                     noreserve: bool = False) -> memoryview:
        """Host pages for [start, start+length), handed to Unicorn with mem_map_ptr so that
        Python reads and writes guest memory as memoryview slices (no engine call). The
        guest's MAP_NORESERVE is the host's too: a huge reservation is refused or granted
        as the kernel would grant it to the program."""
        flags = (mmap.MAP_SHARED if shared else mmap.MAP_PRIVATE) | mmap.MAP_ANONYMOUS
        if noreserve:
            flags |= MAP_NORESERVE
        host = mmap.mmap(-1, length, flags=flags)
        view = memoryview(host)
        addr = ctypes.addressof(ctypes.c_char.from_buffer(view))
        self.uc.mem_map_ptr(start, length, prot & 7, addr)
        return view

    def unmap(self, start: int, length: int) -> None:
        end = start + page_align(length)
        for vma in self._carve(start, end):
            self._writeback(vma)
            self.uc.mem_unmap(vma.start, vma.end - vma.start)
            i = bisect.bisect_left(self._starts, vma.start)
            del self.vmas[i]
            del self._starts[i]
            if vma.host_fd >= 0 and not any(v.host_fd == vma.host_fd for v in self.vmas):
                os.close(vma.host_fd)

    def protect(self, start: int, length: int, prot: int) -> None:
        end = start + page_align(length)
        # the kernel fails with ENOMEM when part of the range is not mapped
        addr = start
        for vma in self.vmas[bisect.bisect_right(self._starts, start) - 1 if self.vmas else 0:]:
            if vma.end <= addr:
                continue
            if vma.start > addr or addr >= end:
                break
            addr = vma.end
        if addr < end:
            raise OSError(12, "range not mapped")
        for vma in self._carve(start, end):
            vma.prot = prot
            vma.anon |= not vma.shared and bool(prot & PROT_WRITE)
            self.uc.mem_protect(vma.start, vma.end - vma.start, prot & 7)
            self._hide_past_eof(vma)
        if prot & PROT_EXEC:
            # code written while the pages were not executable (a JIT's W^X) may have been
            # translated before, and Unicorn did not notice those stores: drop the blocks
            self.uc.ctl_remove_cache(start, end)

    def _writeback(self, vma: Vma) -> None:
        if vma.shared and vma.host_fd >= 0 and vma.prot & PROT_WRITE:
            data = vma.backing[vma.boff:vma.boff + vma.end - vma.start]
            size = os.fstat(vma.host_fd).st_size
            n = max(0, min(len(data), size - vma.offset))   # never grow the file
            if n:
                os.pwrite(vma.host_fd, bytes(data[:n]), vma.offset)

    def sync(self, start: int = 0, length: int = TASK_SIZE) -> None:
        """msync, and exit: write MAP_SHARED file pages back to their files."""
        end = start + length
        for vma in self.vmas:
            if vma.shared and vma.host_fd >= 0 and vma.end > start and vma.start < end:
                self._writeback(vma)

    # --- brk -------------------------------------------------------------------------------
    def set_brk_start(self, addr: int) -> None:
        self.start_brk = self.brk = addr

    def do_brk(self, new: int) -> int:
        """sys_brk: move the break; returns the (possibly unchanged) break."""
        if new < self.start_brk:
            return self.brk
        old_top, new_top = page_align(self.brk), page_align(new)
        if new_top > old_top:
            if not self.is_free(old_top, new_top) or new_top > TASK_SIZE:
                return self.brk
            if new - self.start_brk > self.data_limit:     # RLIMIT_DATA (check_data_rlimit)
                return self.brk
            try:
                self.map(old_top, new_top - old_top, PROT_READ | PROT_WRITE, name="[heap]")
            except OSError:             # no memory: brk(2) fails by returning the old break
                return self.brk
        elif new_top < old_top:
            self.unmap(new_top, old_top - new_top)
        self.brk = new
        return new

    # --- guest memory access (bad pointers raise Fault) -----------------------------------
    def check(self, addr: int, size: int, prot: int) -> None:
        """Would guest code's access of [addr, addr+size) with `prot` (PROT_READ, PROT_WRITE)
        work? Fault where a page is unmapped or lacks it, BusFault past a file's end."""
        end, a = addr + size, addr
        while a < end:
            v = self.find(a)
            if v is None or not v.prot & prot:
                raise Fault(a)
            if v.eof and end > v.eof:
                raise BusFault(max(a, v.eof))
            a = v.end

    def read_checked(self, addr: int, size: int) -> bytes:
        """What a load by guest code would read (see check)."""
        self.check(addr, size, PROT_READ)
        return self.read(addr, size)

    def read(self, addr: int, size: int) -> bytes:
        if size <= 0:
            return b""
        i = bisect.bisect_right(self._starts, addr) - 1
        if i >= 0:
            v = self.vmas[i]
            if addr + size <= (v.eof or v.end):
                off = v.boff + addr - v.start
                return v.backing[off:off + size].tobytes()
        if addr < 0 or addr + size > 1 << 64 or self._past_eof(addr, size):
            raise Fault(addr)
        data = self.cpu.mem_read(addr, size)        # spans VMAs, or unmapped
        if data is None:
            raise Fault(addr)
        return data

    def write(self, addr: int, data: bytes) -> None:
        if not data:
            return
        i = bisect.bisect_right(self._starts, addr) - 1
        if i >= 0:
            v = self.vmas[i]
            if addr + len(data) <= (v.eof or v.end):
                off = v.boff + addr - v.start
                v.backing[off:off + len(data)] = data
                if v.prot & PROT_EXEC:      # Unicorn sees only its own stores to code
                    self.uc.ctl_remove_cache(addr, addr + len(data))
                return
        if addr < 0 or addr + len(data) > 1 << 64 or self._past_eof(addr, len(data)) \
                or not self.cpu.mem_write(addr, bytes(data)):
            raise Fault(addr)

    def read_cstr(self, addr: int, limit: int = 4096) -> bytes:
        """A NUL-terminated string, at most `limit` bytes (without the NUL)."""
        out = b""
        while len(out) < limit:
            chunk = min(PAGE_SIZE - (addr & ~PAGE_MASK), limit - len(out))
            part = self.read(addr, chunk)
            nul = part.find(b"\0")
            if nul >= 0:
                return out + part[:nul]
            out += part
            addr += chunk
        return out

    def read_u64(self, addr: int) -> int:
        return int.from_bytes(self.read(addr, 8), "little")

    def write_u64(self, addr: int, value: int) -> None:
        self.write(addr, (value & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "little"))

    # --- /proc/self/maps --------------------------------------------------------------------
    def maps_text(self) -> str:
        lines = []
        merged: list[Vma] = []
        for v in self.vmas:     # the kernel merges neighbours that only differ in backing
            m = merged[-1] if merged else None
            if (m is not None and m.end == v.start and m.prot == v.prot and m.name == v.name
                    and m.shared == v.shared and m.inode == v.inode
                    and (not v.inode or (m.offset + (m.end - m.start) == v.offset
                                         and m.anon == v.anon))):
                merged[-1] = Vma(m.start, v.end, m.prot, m.shared, m.name, m.offset, m.dev,
                                 m.inode, anon=m.anon)
            else:
                merged.append(v)
        for v in merged:
            head = (f"{v.start:08x}-{v.end:08x} {v.perms_text()} {v.offset:08x} "
                    f"{os.major(v.dev):02x}:{os.minor(v.dev):02x} {v.inode} ")
            lines.append(head.ljust(73) + v.name if v.name else head)
        return "".join(line + "\n" for line in lines)
