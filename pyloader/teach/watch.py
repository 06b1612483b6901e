"""`pyloader run --trace-bindings / --trace-faults`: teaching lines in the trace stream."""
from __future__ import annotations

from .observe import binding_event, binding_line


class Watch:
    def __init__(self, proc, out, *, bindings: bool = False, faults: bool = False):
        self.proc = proc
        self.out = out
        self.faults = None
        if bindings:
            proc.on_bind = self._bound
        if faults:
            proc.on_exec.append(self._at_entry)

    def _write(self, line: str) -> None:
        self.out.write(line + "\n")

    def _bound(self, m, sidx: int, d, value: int, caller: int) -> None:
        self._write(binding_line(binding_event(self.proc, m, sidx, d, value, caller)))

    def _at_entry(self, proc) -> None:
        from .faults import FaultTracer
        self.faults = FaultTracer(proc, self._write)
        self.faults.install()

    def finish(self) -> None:
        if self.faults is not None:
            self._write("demand paging summary (file-backed pages mapped at entry):")
            for line in self.faults.summary():
                self._write("  " + line)
