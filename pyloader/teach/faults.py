"""--trace-faults: demand paging, performed for real (at the Unicorn level).

The kernel maps a file lazily: mmap only records the VMA, and the first touch of each page
faults and reads it from the page cache ("page read from file offset ..."). pyloader copies
the file into memory at mmap time; to show demand paging it takes away, in Unicorn only,
every permission of the file-backed pages that still hold their file's bytes at the entry
point. The first touch of such a page stops the emulator with a protection fault; the page
gets the permissions of its VMA back, the fault is reported, and the instruction runs again,
as after the kernel's page-fault handler. The VMA list stays the truth: a fault the VMA's
own permissions forbid is a real fault and goes on to the usual SIGSEGV.

The faulting address is computed from the faulting instruction (capstone: its memory
operands from the registers; pc itself for a fetch), not by replaying it under a memory
hook: in Unicorn 2.1.4 the access that raised UC_ERR_*_PROT succeeds when run again (the
fault leaves the page in its TLB), so a replay sees no fault.

Pages whose bytes already differ from the file at the entry point were touched while
loading (relocations written, bss zeroed): they count as present, as the kernel had faulted
them in for the loader. No memory hook is installed (they would turn off Unicorn's fast
path): each page costs one stop and restart of the emulator, once.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from unicorn import UcError
from unicorn import unicorn_const as UCC

from syscalls.uapi import PAGE_SIZE

PROT_FAULTS = {UCC.UC_ERR_READ_PROT, UCC.UC_ERR_WRITE_PROT, UCC.UC_ERR_FETCH_PROT}
ACCESS_PROT = {"read": 1, "write": 2, "exec": 4}     # PROT_READ, PROT_WRITE, PROT_EXEC


@dataclass
class ObjectPages:
    """One mapped file: its pages, and which were present at entry or faulted in later."""
    name: str
    base: int                         # lowest address of the file's mappings (object+0)
    pages: int = 0                    # file-backed pages mapped
    present: int = 0                  # already touched at the entry point (loader writes)
    present_pages: list = field(default_factory=list)   # their page numbers (from base)
    faulted: list = field(default_factory=list)   # (address, access, file offset)

    @property
    def touched(self) -> int:
        return self.present + len(self.faulted)


class FaultTracer:
    def __init__(self, task, note=None, *, clock=None):
        self.task = task
        self.note = note              # called with each fault's line as it happens
        self.clock = clock
        self.objects: dict[str, ObjectPages] = {}
        self.events: list[dict] = []
        self.lazy: dict[int, tuple[ObjectPages, int]] = {}   # page -> (object, file offset)
        self.image = None

    def install(self) -> None:
        """Take the permissions of untouched file pages away (call at the entry point)."""
        mem = self.task.mem
        self.image = mem
        files: dict[str, bytes] = {}
        for vma in mem.vmas:
            if not vma.inode or not vma.name.startswith("/"):
                continue
            obj = self.objects.get(vma.name)
            if obj is None:
                base = min(v.start - v.offset for v in mem.vmas if v.name == vma.name and v.inode)
                obj = self.objects[vma.name] = ObjectPages(os.path.basename(vma.name), base)
            if vma.name not in files:
                try:
                    files[vma.name] = self.task.root.read(vma.name)
                except OSError:
                    files[vma.name] = b""
            data = files[vma.name]
            for page in range(vma.start, vma.end, PAGE_SIZE):
                obj.pages += 1
                off = vma.offset + page - vma.start
                mine = vma.backing[vma.boff + page - vma.start:vma.boff + page - vma.start + PAGE_SIZE]
                want = data[off:off + PAGE_SIZE]
                if not want or bytes(mine[:len(want)]) != want:
                    obj.present += 1
                    obj.present_pages.append((page - obj.base) // PAGE_SIZE)
                else:
                    self.lazy[page] = (obj, off)
        uc = self.task.cpu.uc
        for start, end in _runs(sorted(self.lazy)):
            uc.mem_protect(start, end - start, 0)
        cpu = self.task.cpu
        run, run_until = cpu.run, cpu.run_until
        # every way into the emulator (the run loop, and guest code called from Python: ifunc
        # resolvers, destructors) takes and handles the page faults
        cpu.run = lambda begin, timeout_us=0: self._faulting(run, begin, timeout_us)
        cpu.run_until = lambda begin, until: self._faulting(run_until, begin, until)

    def _faulting(self, run, begin: int, *rest) -> None:
        while True:
            try:
                return run(begin, *rest)
            except UcError as e:
                if e.errno not in PROT_FAULTS or not self._page_in(e):
                    raise
                begin = self.task.cpu.pc           # the faulting instruction, again

    def _page_in(self, err: UcError) -> bool:
        """Map the page the fault is about, if it is ours and its VMA allows the access."""
        if self.task.mem is not self.image:         # another program was exec'd since
            return False
        found = self._fault_address(err.errno)
        if found is None:
            return False
        address, access = found
        page = address & ~(PAGE_SIZE - 1)
        obj, off = self.lazy.pop(page)
        vma = self.task.mem.find(address)
        self.task.cpu.uc.mem_protect(page, PAGE_SIZE, vma.prot & 7)
        obj.faulted.append((address, access, off))
        ev = {"address": address, "access": access, "object": obj.name,
              "offset": address - obj.base, "file_offset": off,
              "t": self.clock() if self.clock else 0.0}
        self.events.append(ev)
        if self.note is not None:
            self.note(f"fault at {address:#x} ({access}, {obj.name}+{address - obj.base:#x})"
                      f" -> page read from file offset {off:#x}")
        return True

    def _fault_address(self, uc_errno: int) -> tuple[int, str] | None:
        """(address, access) of the watched page the instruction at pc touched, or None."""
        cpu, mem = self.task.cpu, self.task.mem
        pc = cpu.pc
        try:
            code = mem.read(pc, 16)
        except OSError:
            code = b""
        if uc_errno == UCC.UC_ERR_FETCH_PROT:
            # a translated block may run on into the next page (at most two pages): the
            # fault is for pc's page or for the one after it
            candidates = [(pc, 1), ((pc & ~(PAGE_SIZE - 1)) + PAGE_SIZE, 1)]
            access = "exec"
        else:
            access = "write" if uc_errno == UCC.UC_ERR_WRITE_PROT else "read"
            candidates = cpu.memory_operands(pc, code) if code else []
            if not candidates:
                return None
        for addr, size in candidates:
            for a in (addr, addr + size - 1):
                if (a & ~(PAGE_SIZE - 1)) in self.lazy:
                    vma = mem.find(a)
                    if vma is not None and vma.prot & ACCESS_PROT[access]:
                        return a, access
        return None

    def summary(self) -> list[str]:
        lines = []
        for o in self.objects.values():
            pct = 100.0 * o.touched / o.pages if o.pages else 0.0
            lines.append(f"{o.name}: {o.touched} of {o.pages} file pages touched ({pct:.1f}%): "
                         f"{o.present} written while loading, {len(o.faulted)} faulted in "
                         f"by the program")
        return lines

    def as_data(self) -> list[dict]:
        return [{"object": o.name, "path": p, "pages": o.pages, "present_at_entry": o.present,
                 "present_pages": o.present_pages,
                 "faulted": len(o.faulted), "touched": o.touched}
                for p, o in self.objects.items()]


def _runs(pages: list[int]) -> list[tuple[int, int]]:
    """Sorted page addresses -> [(start, end)] of contiguous runs."""
    runs: list[tuple[int, int]] = []
    for p in pages:
        if runs and runs[-1][1] == p:
            runs[-1] = (runs[-1][0], p + PAGE_SIZE)
        else:
            runs.append((p, p + PAGE_SIZE))
    return runs
