"""The emulated Linux x86-64 system call ABI: the "kernel" services for one guest.

`table` names every syscall and its argument kinds (data); `uapi` declares the kernel
structures and constants several modules share (data); `decode` turns argument kinds into
strace text; the handler modules (fs, mm, process, signal, time, futex, poll, net, misc) are
grouped as the kernel groups them. Handlers never import pyloader: they receive the task
(a pyloader Process, used by its attribute and method names) and return the kernel's result
(>= 0, or -errno; raising OSError works too).
"""
from __future__ import annotations

from collections.abc import Callable

from .table import BY_NAME

HANDLERS: dict[str, Callable] = {}


def syscall(*names: str) -> Callable:
    """Register a handler for one or more syscall names."""
    def register(fn: Callable) -> Callable:
        for name in names:
            HANDLERS[name] = fn
        return fn
    return register


def dispatch_table() -> dict[int, Callable]:
    """Syscall number -> handler, for every implemented syscall."""
    from . import fs, futex, misc, mm, net, poll, process, signal, time  # noqa: F401 (register)
    return {BY_NAME[name].nr: fn for name, fn in HANDLERS.items() if name in BY_NAME}
