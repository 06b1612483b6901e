"""GuestExit: the end of a guest, as do_exit/do_group_exit end a task (kernel/exit.c).
exit_group, a fatal signal, a failed exec and a deadlock raise it; it stops emu_start and
comes out of Process.run. Below process.py so that hooks and the linker can raise and
catch it without importing the Process."""
from __future__ import annotations


class GuestExit(Exception):
    """The guest is finished: exited with a status or killed by a signal."""

    def __init__(self, status: int = 0, signo: int = 0, core: bool = False):
        super().__init__(status, signo)
        self.status, self.signo, self.core = status, signo, core
