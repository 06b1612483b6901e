"""strace's -e trace= expressions: names, !negation, %classes, /regex, none, all."""
from __future__ import annotations

import re

from syscalls.table import SYSCALLS

CLASSES = {"file", "process", "network", "net", "signal", "ipc", "desc", "memory", "creds",
           "stat", "lstat", "fstat", "%stat", "statfs", "fstatfs", "%statfs", "clock", "pure"}


class FilterError(ValueError):
    pass


def _class_members(cls: str) -> set[int]:
    if cls == "net":
        cls = "network"
    if cls == "%stat":
        return {n for n, s in SYSCALLS.items() if s.classes & {"stat", "lstat", "fstat"}}
    if cls == "%statfs":
        return {n for n, s in SYSCALLS.items() if s.classes & {"statfs", "fstatfs"}}
    return {n for n, s in SYSCALLS.items() if cls in s.classes}


def parse_trace_expr(expr: str) -> set[int] | None:
    """The set of syscall numbers selected by a -e trace= value (None = all)."""
    negate = expr.startswith("!")
    if negate:
        expr = expr[1:]
    chosen: set[int] = set()
    everything = False
    for item in expr.split(","):
        item = item.strip()
        if not item:
            continue
        if item in ("all", "%all"):
            everything = True
        elif item == "none":
            continue
        elif item.startswith("%"):
            if item[1:] not in CLASSES:
                raise FilterError(f"invalid system call class '{item}'")
            chosen |= _class_members(item[1:])
        elif item.startswith("/"):
            try:
                rx = re.compile(item[1:])
            except re.error as e:
                raise FilterError(f"invalid regular expression '{item[1:]}': {e}") from None
            chosen |= {n for n, s in SYSCALLS.items() if rx.search(s.name)}
        elif item in CLASSES:          # the old spelling without '%', still accepted
            chosen |= _class_members(item)
        else:
            name = item.rstrip("?")
            ids = {n for n, s in SYSCALLS.items() if s.name == name}
            if not ids and name.isdigit():
                ids = {int(name)}
            if not ids and not item.endswith("?"):
                raise FilterError(f"invalid system call '{item}'")
            chosen |= ids
    if everything:
        return set() if negate else None
    if negate:
        return set(SYSCALLS) - chosen
    return chosen
