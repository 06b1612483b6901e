"""The x86-64 system call table, as data (the role of strace's syscallent.h).

One row per syscall:  NR NAME ARGKINDS CLASSES [RET]
- ARGKINDS: comma-separated decoder kinds, one per argument ("-" for none). The kinds are
  those of syscalls.decode.DECODERS:
    d        C int, signed decimal            ld   long, signed decimal
    u        unsigned decimal (size_t)        x    hex                 p   pointer (NULL/0x..)
    o        octal mode (0644)                fd   file descriptor     dirfd  AT_FDCWD or fd
    path     C string, a path (input)         str  C string (input)
    ibuf:N   input buffer, length in argument N (0-based)
    obuf:N   output buffer; length = return value; decoded on exit
    iov:N    input iovec array, count in argument N   oiov:N  output iovec array
    flags:T  OR'd names from xlat table T     enum:T  one name from xlat table T
    sig      a signal number                  argv  string array    envp  environment array
    s:NAME   input struct NAME    os:NAME  output struct NAME (decoded on exit, raw pointer on
             failure); NAME is a struct of syscalls.structs (stat, statx, statfs, timespec,
             timeval, rlimit, utsname, sysinfo, tms, rusage, sigset, sigaction, pollfd, ...)
    fds2     int[2] output (pipe, socketpair)
- CLASSES: comma-separated strace classes (file, desc, memory, process, signal, network, ipc,
  creds, stat, lstat, fstat, statfs, fstatfs, clock, pure) or "-".
- RET: how the result prints: d (default), x (hex: mmap, brk), fd, none (no return: exit).
"""
from __future__ import annotations

from typing import NamedTuple


class Syscall(NamedTuple):
    nr: int
    name: str
    args: tuple[str, ...]
    classes: frozenset[str]
    ret: str


_ROWS = """
0 read fd,obuf:2,u desc
1 write fd,ibuf:2,u desc
"""


def _parse(rows: str) -> dict[int, Syscall]:
    table = {}
    for line in rows.strip().splitlines():
        f = line.split()
        if not f or f[0].startswith("#"):
            continue
        nr, name, args, classes = int(f[0]), f[1], f[2], f[3]
        table[nr] = Syscall(nr, name, tuple(args.split(",")) if args != "-" else (),
                            frozenset(classes.split(",")) if classes != "-" else frozenset(),
                            f[4] if len(f) > 4 else "d")
    return table


SYSCALLS: dict[int, Syscall] = _parse(_ROWS)
BY_NAME: dict[str, Syscall] = {s.name: s for s in SYSCALLS.values()}
