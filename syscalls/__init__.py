"""The emulated Linux x86-64 system call ABI: the "kernel" services for one guest.

`table` names every syscall and its argument kinds (data); `uapi` declares the kernel
structures and constants several modules share (data); `decode` turns argument kinds into
strace text; the handler modules (fs, mm, process, signal, time, futex, poll, net, misc) are
grouped as the kernel groups them. Handlers never import pyloader: they receive the task
(`task.Task` declares what they may use of it; a pyloader Process provides it) and return
the kernel's result (>= 0, or -errno; raising OSError works too).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Concatenate

from .table import BY_NAME

if TYPE_CHECKING:
    from .task import Task

# handler(task, *the six raw arguments) -> the result, or -errno
Handler = Callable[Concatenate["Task", ...], int]
HANDLERS: dict[str, Handler] = {}


def syscall(*names: str) -> Callable[[Handler], Handler]:
    """Register a handler (its first argument: the task, a `Task`) for syscall names."""
    def register(fn: Handler) -> Handler:
        for name in names:
            HANDLERS[name] = fn
        return fn
    return register


def dispatch_table() -> dict[int, Handler]:
    """Syscall number -> handler, for every implemented syscall."""
    from . import fs, futex, misc, mm, net, poll, process, signal, time  # noqa: F401 (register)
    return {BY_NAME[name].nr: fn for name, fn in HANDLERS.items() if name in BY_NAME}
