"""GuestExit: the end of a guest, as do_exit/do_group_exit end a task (kernel/exit.c).
exit_group, a fatal signal, a failed exec and a deadlock raise it; it stops emu_start and
comes out of Process.run. Below process.py so that hooks and the linker can raise and
catch it without importing the Process."""
from __future__ import annotations

import os
import resource
import signal
import sys


class GuestExit(Exception):
    """The guest is finished: exited with a status or killed by a signal."""

    def __init__(self, status: int = 0, signo: int = 0, core: bool = False):
        super().__init__(status, signo)
        self.status, self.signo, self.core = status, signo, core


class ExitMixin:
    """Process methods for the end of a process (kernel/exit.c)."""

    def do_exit(self, status: int) -> None:
        raise GuestExit(status)

    def _exit_host(self, ex: GuestExit) -> None:
        """A forked guest ends its host process the same way, so the parent's wait4 sees
        the exit status or the signal."""
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except OSError:
            pass
        if ex.signo:
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            signal.signal(ex.signo, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, [ex.signo])
            os.kill(os.getpid(), ex.signo)
        os._exit(ex.status)
