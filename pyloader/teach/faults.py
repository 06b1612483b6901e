"""--trace-faults: demand paging made visible.

The kernel maps a file lazily: mmap only records the VMA, and the first touch of each page
faults and reads it from the page cache ("page read from file offset ..."). pyloader copies
the file into memory at mmap time, so to show the same thing it watches every file-backed
page that still holds the file's bytes with a memory hook limited to that page; the first
access reports the fault and deletes the hook. Pages whose bytes already differ from the file
at the entry point were touched while loading (relocations written, bss zeroed): they are
counted as present, as the kernel had faulted them in for the loader.

Any memory hook turns off Unicorn's fast path, so this mode is slower; the normal run path
installs none of this.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from unicorn import UC_HOOK_BLOCK, UC_HOOK_MEM_READ, UC_HOOK_MEM_WRITE, UC_MEM_WRITE

PAGE = 4096


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
        self._hooks: dict[int, tuple] = {}        # page -> (hook handles, vma, object)
        self.image = None

    def install(self) -> None:
        """Hook every file-backed page that still holds its file's bytes (call at entry)."""
        uc = self.task.cpu.uc
        self.image = self.task.mem
        files: dict[str, bytes] = {}
        for vma in self.task.mem.vmas:
            if not vma.inode or not vma.name.startswith("/"):
                continue
            obj = self.objects.get(vma.name)
            if obj is None:
                base = min(v.start - v.offset for v in self.task.mem.vmas
                           if v.name == vma.name and v.inode)
                obj = self.objects[vma.name] = ObjectPages(os.path.basename(vma.name), base)
            if vma.name not in files:
                try:
                    with open(self.task.root.host_path(vma.name.encode()), "rb") as f:
                        files[vma.name] = f.read()
                except OSError:
                    files[vma.name] = b""
            data = files[vma.name]
            for page in range(vma.start, vma.end, PAGE):
                obj.pages += 1
                off = vma.offset + page - vma.start
                mine = vma.backing[vma.boff + page - vma.start:vma.boff + page - vma.start + PAGE]
                want = data[off:off + PAGE]
                if bytes(mine[:len(want)]) != want or not want:
                    obj.present += 1
                    obj.present_pages.append((page - obj.base) // PAGE)
                    continue
                hooks = (uc.hook_add(UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE, self._on_access,
                                     None, page, page + PAGE - 1),
                         uc.hook_add(UC_HOOK_BLOCK, self._on_block, None, page, page + PAGE - 1))
                self._hooks[page] = (hooks, vma, obj)

    def _on_access(self, uc, access, address, size, value, ud) -> None:
        self._fault(address, "write" if access == UC_MEM_WRITE else "read")

    def _on_block(self, uc, address, size, ud) -> None:
        self._fault(address, "exec")

    def _fault(self, address: int, access: str) -> None:
        if self.task.mem is not self.image:       # another program was exec'd since
            return
        page = address & ~(PAGE - 1)
        entry = self._hooks.pop(page, None)
        if entry is None:
            return
        hooks, vma, obj = entry
        uc = self.task.cpu.uc
        for h in hooks:
            uc.hook_del(h)
        off = vma.offset + page - vma.start
        obj.faulted.append((address, access, off))
        ev = {"address": address, "access": access, "object": obj.name,
              "offset": address - obj.base, "file_offset": off,
              "t": self.clock() if self.clock else 0.0}
        self.events.append(ev)
        if self.note is not None:
            self.note(f"fault at {address:#x} ({access}, {obj.name}+{address - obj.base:#x})"
                           f" -> page read from file offset {off:#x}")

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
