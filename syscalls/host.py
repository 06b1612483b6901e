"""Calling the host kernel directly: the guest and the host share the x86-64 Linux ABI, so
calls whose results are kernel structs (stat, statx, statfs, uname, getdents64, ...) are
made on the host with a host buffer whose bytes are copied to the guest unchanged."""
from __future__ import annotations

import ctypes

_libc = ctypes.CDLL(None, use_errno=True)
_syscall = _libc.syscall
_syscall.restype = ctypes.c_long
_c_long = ctypes.c_long


def host_syscall(nr: int, *args) -> int:
    """syscall(2) on the host; returns the result or -errno. Buffers may be passed as
    ctypes buffers, paths as bytes; ints are passed as longs."""
    cargs = [a if not isinstance(a, int) else _c_long(a if a < 1 << 63 else a - (1 << 64))
             for a in args]
    ctypes.set_errno(0)
    r = _syscall(_c_long(nr), *cargs)
    if r == -1:
        return -ctypes.get_errno()
    return r


def buffer(size: int) -> ctypes.Array:
    return ctypes.create_string_buffer(size)


def raw(buf: ctypes.Array, size: int | None = None) -> bytes:
    return buf.raw if size is None else buf.raw[:size]


def from_bytes(data: bytes) -> ctypes.Array:
    b = ctypes.create_string_buffer(max(len(data), 1))
    ctypes.memmove(b, data, len(data))
    return b


def _no_conversion(fn):
    """libc's function with no argument conversion (ints and bytes go as they are: ~0.4 us
    less per call than with argtypes); errno is kept for ctypes.get_errno."""
    return ctypes.CFUNCTYPE(ctypes.c_ssize_t, use_errno=True)(
        ctypes.cast(fn, ctypes.c_void_p).value)


_read = _no_conversion(_libc.read)      # counts stay below MAX_RW_COUNT: a C int holds them
_write = _no_conversion(_libc.write)


def host_read(fd: int, count: int) -> bytes | int:
    """read(2) that returns -EINTR when a signal interrupts it (os.read retries, PEP 475,
    which would leave a guest signal waiting behind a blocked read)."""
    buf = ctypes.create_string_buffer(count)
    r = _read(fd, buf, count)          # errno is read only when r < 0
    return -ctypes.get_errno() if r < 0 else buf.raw[:r]


def host_write(fd: int, data: bytes) -> int:
    r = _write(fd, data, len(data))
    return -ctypes.get_errno() if r < 0 else r
