"""File system and descriptor calls (the kernel's fs/).

Guest descriptors map to host descriptors through the task's FdTable; guest paths map to
host paths through the root policy (`at_path`). Calls whose results are kernel structs run
on the host with a host buffer copied to the guest byte for byte (same ABI).
"""
from __future__ import annotations

import errno
import os
import struct

from . import procfs, syscall
from .host import buffer, from_bytes, host_read, host_syscall, host_write
from .table import BY_NAME
from .uapi import (
    __O_TMPFILE,
    AT_EMPTY_PATH,
    AT_FDCWD,
    AT_REMOVEDIR,
    AT_SYMLINK_FOLLOW,
    AT_SYMLINK_NOFOLLOW,
    O_CLOEXEC,
    O_CREAT,
    O_DIRECTORY,
    O_NOFOLLOW,
    O_PATH,
    PATH_MAX,
    POLLIN,
    POLLOUT,
)
from .vfs import (
    ENTRY,
    FOLLOW,
    NOFOLLOW,
    RESOLVE_BENEATH,
    RESOLVE_IN_ROOT,
    RESOLVE_NO_MAGICLINKS,
    err,
)

NR = {name: sc.nr for name, sc in BY_NAME.items()}
MAX_RW_COUNT = 0x7FFFF000
IO_CHUNK = 1 << 24          # largest single host read we allocate for

VALID_OPEN_FLAGS = 0o37777703
O_PATH_FLAGS = O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC
F_DUPFD, F_GETFD, F_SETFD, F_DUPFD_CLOEXEC = 0, 1, 2, 1030
FD_CLOEXEC = 1


def sint(v: int) -> int:
    """A C int argument (the low 32 bits, signed)."""
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


def slong(v: int) -> int:
    return v - (1 << 64) if v & (1 << 63) else v


def as_path(hdir: int, hpath: bytes) -> bytes:
    """at_path's pair as one path, for host calls that take no dirfd."""
    return hpath if hdir == AT_FDCWD else b"/proc/self/fd/%d/%s" % (hdir, hpath)


def how_of(flags: int) -> str:
    """The lookup of an *at call's last component by its AT_SYMLINK_NOFOLLOW flag."""
    return NOFOLLOW if flags & AT_SYMLINK_NOFOLLOW else FOLLOW


def read_path(t, ptr: int) -> bytes:
    path = t.mem.read_cstr(ptr, PATH_MAX + 1)
    if len(path) > PATH_MAX:
        raise err(errno.ENAMETOOLONG)
    return path


class Lookup:
    """The host pair a lookup found for one host call, as a with-block's value; the
    descriptors the lookup opened are closed when the block ends. A class, not a
    @contextmanager generator: every path syscall makes one (measured 0.75 against 2.55 us)."""
    __slots__ = ("opened", "pair")

    def __init__(self, find, *args):
        self.opened: list[int] = []
        try:
            self.pair = find(*args, self.opened)
        except BaseException:
            self.__exit__()
            raise

    def __enter__(self):
        return self.pair

    def __exit__(self, *_) -> None:
        for fd in self.opened:
            os.close(fd)


def at_path(t, dirfd: int, path: bytes, how: str = FOLLOW, empty: bool = False) -> Lookup:
    """(host dirfd, host path) for a guest (dirfd, path) pair, for one host *at call made
    inside the with-block. how: FOLLOW, NOFOLLOW or ENTRY (vfs.py). empty: an empty path
    names dirfd itself (AT_EMPTY_PATH)."""
    return Lookup(_at, t, sint(dirfd), path, how, empty)


def _at(t, dirfd: int, path: bytes, how: str, empty: bool, opened: list[int]
        ) -> tuple[int, bytes]:
    if not path:
        if not empty:
            raise err(errno.ENOENT)
        return (AT_FDCWD if dirfd == AT_FDCWD else t.fds.host(dirfd)), b""
    root = t.root
    rest = procfs.split(t, path, how == FOLLOW) if path.startswith(procfs.PREFIXES) else None
    if root.is_host:
        # /proc/self/exe and /proc/self/fd/N are symlinks: only followed when asked to
        if rest is not None and (how == FOLLOW or (rest != b"/exe"
                                                   and not rest.startswith(b"/fd/"))):
            return AT_FDCWD, procfs.host_path(t, rest)
        if path.startswith(b"/") or dirfd == AT_FDCWD:
            return AT_FDCWD, path
        return t.fds.host(dirfd), path
    if rest is not None:
        return proc_lookup(t, rest, how, opened)
    return root.lookup(path, None if path.startswith(b"/") or dirfd == AT_FDCWD
                       else t.fds.host(dirfd), how, opened)


def proc_lookup(t, rest: bytes, how: str, opened: list[int]) -> tuple[int, bytes]:
    """The guest's own /proc/self/<rest> with a rootfs. Its magic links lead to what they
    name inside the root (the walk goes on from there); other entries are the host's
    /proc/self, walked beneath it and without its magic links (they lead to pyloader's)."""
    target, obj, tail = procfs.magic(t, rest)
    if (target is not None or obj is not None) and not tail and how != FOLLOW:
        return AT_FDCWD, procfs.host_path(t, rest)      # the link itself (lstat, unlink)
    if obj is not None:
        if tail:
            raise err(errno.ENOTDIR)
        return AT_FDCWD, b"/proc/self/fd/%d" % obj      # exactly the guest's open file
    if target is not None:
        return t.root.lookup(target + tail, None, how, opened)
    base = os.open(b"/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC)
    opened.append(base)
    return t.root.lookup(rest.lstrip(b"/") or b".", None, how, opened, base=base,
                         resolve=RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)


def guest_fd_path(t, dirfd: int, path: bytes) -> bytes:
    """The absolute guest path a new descriptor was opened by (for -y and rootfs lookups)."""
    if path.startswith(b"/"):
        return os.path.normpath(path)
    base = t.root.guest_cwd() if sint(dirfd) == AT_FDCWD else t.fds.get(sint(dirfd)).path
    return os.path.normpath(os.path.join(base or b"/", path))


# --- open / close --------------------------------------------------------------------------
def do_open(t, dirfd: int, path_ptr: int, flags: int, mode: int) -> int:
    path = read_path(t, path_ptr)
    if not path:
        return -errno.ENOENT
    flags &= 0xFFFFFFFF
    cloexec = bool(flags & O_CLOEXEC)
    rest = procfs.split(t, path) if path.startswith(procfs.PREFIXES) else None
    if rest is not None:
        data = procfs.content(t, rest)
        if data is not None:
            return t.fds.install(procfs.memfd(data), path, cloexec)
        fd = procfs.fd_dir(t, rest)
        if fd is not None:
            return t.fds.install(fd, procfs.clean(path), cloexec)
        if rest == b"/mem":
            return t.fds.install(procfs.memfd(b"", "mem"), path, cloexec, file=procfs.ProcMem())
    if t.root.is_host or rest is not None:
        with at_path(t, dirfd, path, NOFOLLOW if flags & O_NOFOLLOW else FOLLOW) as (hd, hp):
            fd = host_syscall(NR["openat"], hd, hp, flags | O_CLOEXEC, mode & 0o7777)
        if fd < 0:
            return fd
    else:
        # open(2)'s build_open_how: unknown flags dropped, O_PATH keeps only its own, the
        # mode only with O_CREAT/O_TMPFILE (openat2 refuses what open ignores)
        flags &= VALID_OPEN_FLAGS
        if flags & O_PATH:
            flags &= O_PATH_FLAGS
        mode = mode & 0o7777 if flags & (O_CREAT | __O_TMPFILE) else 0
        d = sint(dirfd)
        full = t.root.absolute(path, None if d == AT_FDCWD else t.fds.host(d))
        fd = t.root.openat2(full, flags, mode)
    return t.fds.install(fd, guest_fd_path(t, dirfd, path), cloexec)


@syscall("openat")
def sys_openat(t, dirfd, path, flags, mode, *_):
    return do_open(t, dirfd, path, flags, mode)


@syscall("open")
def sys_open(t, path, flags, mode, *_):
    return do_open(t, AT_FDCWD, path, flags, mode)


@syscall("creat")
def sys_creat(t, path, mode, *_):
    return do_open(t, AT_FDCWD, path, 0o1101, mode)   # O_CREAT|O_WRONLY|O_TRUNC


@syscall("openat2")
def sys_openat2(t, dirfd, path_ptr, how, size, *_):
    """The guest's own RESOLVE_* rules are the host kernel's: with a rootfs, a walk the guest
    confines below its dirfd (RESOLVE_BENEATH, RESOLVE_IN_ROOT) starts at that directory,
    which is inside the root; any other is also kept inside the root."""
    if size < 24:
        return -errno.EINVAL
    if size > 4096:                     # PAGE_SIZE: copy_struct_from_user's limit
        return -errno.E2BIG
    raw = t.mem.read(how, size)
    if any(raw[24:]):
        return -errno.E2BIG
    flags, mode, resolve = struct.unpack_from("<QQQ", raw)
    path = read_path(t, path_ptr)
    d = sint(dirfd)
    rest = procfs.split(t, path) if path.startswith(procfs.PREFIXES) else None
    if rest is not None:                # the guest's own /proc/self
        return do_open(t, dirfd, path_ptr, flags, mode)
    root = t.root
    if root.is_host:
        base = AT_FDCWD if d == AT_FDCWD or path.startswith(b"/") else t.fds.host(d)
    elif resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT):
        base = root.cwd if d == AT_FDCWD else t.fds.host(d)
        resolve |= RESOLVE_NO_MAGICLINKS
    else:
        path = root.absolute(path, None if d == AT_FDCWD else t.fds.host(d))
        base, resolve = root.fd, resolve | RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS
    fd = root.openat2(path, flags, mode, base=base, resolve=resolve)
    return t.fds.install(fd, guest_fd_path(t, dirfd, path), bool(flags & O_CLOEXEC))


@syscall("close")
def sys_close(t, fd, *_):
    t.fds.close(sint(fd))
    return 0


@syscall("close_range")
def sys_close_range(t, first, last, flags, *_):
    first, last = first & 0xFFFFFFFF, last & 0xFFFFFFFF
    if first > last:
        return -errno.EINVAL
    for fd in [fd for fd in t.fds.files if first <= fd <= last]:
        if flags & 4:                     # CLOSE_RANGE_CLOEXEC
            t.fds.files[fd].cloexec = True
        else:
            t.fds.close(fd)
    return 0


# --- read / write --------------------------------------------------------------------------
@syscall("read")
def sys_read(t, fd, buf, count, *_):
    f = t.fds.files.get(fd)        # a negative fd is a huge u64 here: not found, EBADF
    if f is None:
        return -errno.EBADF
    if f.file is not None:
        return f.file.read(t, f.host_fd, buf, count)
    count = min(count, MAX_RW_COUNT, IO_CHUNK)
    if count and t.mem.find(buf) is None:
        return -errno.EFAULT
    data = host_read(f.host_fd, count) if not t.threads else None
    if data == -errno.EINTR:
        t.after_eintr()
    if not isinstance(data, bytes):     # interrupted, or threads: see Process.blocking
        data = t.blocking(host_read, f.host_fd, count, fd=f.host_fd, events=POLLIN)
    if not isinstance(data, bytes):
        return data
    t.mem.write(buf, data)
    return len(data)


@syscall("write")
def sys_write(t, fd, buf, count, *_):
    f = t.fds.files.get(fd)
    if f is None:
        return -errno.EBADF
    if isinstance(f.file, procfs.ProcMem):
        return f.file.write(t, f.host_fd, buf, count)
    data = t.mem.read(buf, min(count, MAX_RW_COUNT))
    r = host_write(f.host_fd, data) if not t.threads else None
    if r == -errno.EINTR:
        t.after_eintr()
    if r is None or r == -errno.EINTR:  # interrupted, or threads: see Process.blocking
        r = t.blocking(host_write, f.host_fd, data, fd=f.host_fd, events=POLLOUT)
    return r


@syscall("pread64")
def sys_pread64(t, fd, buf, count, off, *_):
    f = t.fds.get(sint(fd))
    count = min(count, MAX_RW_COUNT, IO_CHUNK)
    if isinstance(f.file, procfs.ProcMem):
        data = f.file.pread(t, off, count)    # the offset is an address: unsigned
        if isinstance(data, int):
            return data
    else:
        data = os.pread(f.host_fd, count, slong(off))
    t.mem.write(buf, data)
    return len(data)


@syscall("pwrite64")
def sys_pwrite64(t, fd, buf, count, off, *_):
    f = t.fds.get(sint(fd))
    data = t.mem.read(buf, min(count, MAX_RW_COUNT))
    if isinstance(f.file, procfs.ProcMem):
        return f.file.pwrite(t, off, data)
    return os.pwrite(f.host_fd, data, slong(off))


def read_iovec(t, iov: int, cnt: int) -> list[tuple[int, int]]:
    if cnt > 1024:
        raise err(errno.EINVAL)
    raw = t.mem.read(iov, 16 * cnt)
    return [(int.from_bytes(raw[i:i + 8], "little"), int.from_bytes(raw[i + 8:i + 16], "little"))
            for i in range(0, 16 * cnt, 16)]


def do_writev(t, fd, iov, cnt, off=None):
    h = t.fds.host(sint(fd))
    data = b"".join(t.mem.read(base, ln) for base, ln in read_iovec(t, iov, cnt))
    if off is not None:
        return os.pwrite(h, data, off)
    return t.blocking(host_write, h, data, fd=h, events=POLLOUT)


def do_readv(t, fd, iov, cnt, off=None):
    h = t.fds.host(sint(fd))
    vecs = read_iovec(t, iov, cnt)
    total = min(sum(ln for _, ln in vecs), IO_CHUNK)
    data = t.blocking(host_read, h, total, fd=h, events=POLLIN) if off is None \
        else os.pread(h, total, off)
    if not isinstance(data, bytes):
        return data
    pos = 0
    for base, ln in vecs:
        if pos >= len(data):
            break
        t.mem.write(base, data[pos:pos + ln])
        pos += ln
    return len(data)


@syscall("writev")
def sys_writev(t, fd, iov, cnt, *_):
    return do_writev(t, fd, iov, cnt)


@syscall("readv")
def sys_readv(t, fd, iov, cnt, *_):
    return do_readv(t, fd, iov, cnt)


@syscall("pwritev", "pwritev2")
def sys_pwritev(t, fd, iov, cnt, off, *_):
    off = slong(off)
    return do_writev(t, fd, iov, cnt, None if off == -1 else off)


@syscall("preadv", "preadv2")
def sys_preadv(t, fd, iov, cnt, off, *_):
    off = slong(off)
    return do_readv(t, fd, iov, cnt, None if off == -1 else off)


@syscall("lseek")
def sys_lseek(t, fd, off, whence, *_):
    return os.lseek(t.fds.host(sint(fd)), slong(off), whence)


@syscall("sendfile")
def sys_sendfile(t, out_fd, in_fd, offp, count, *_):
    hout, hin = t.fds.host(sint(out_fd)), t.fds.host(sint(in_fd))
    count = min(count, MAX_RW_COUNT)
    if offp:
        off = slong(t.mem.read_u64(offp))
        n = os.sendfile(hout, hin, off, count)
        t.mem.write_u64(offp, off + n)
        return n
    return os.sendfile(hout, hin, None, count)


@syscall("copy_file_range")
def sys_copy_file_range(t, fd_in, off_in, fd_out, off_out, length, flags):
    hin, hout = t.fds.host(sint(fd_in)), t.fds.host(sint(fd_out))
    oi = slong(t.mem.read_u64(off_in)) if off_in else None
    oo = slong(t.mem.read_u64(off_out)) if off_out else None
    n = os.copy_file_range(hin, hout, min(length, MAX_RW_COUNT), oi, oo)
    if off_in:
        t.mem.write_u64(off_in, oi + n)
    if off_out:
        t.mem.write_u64(off_out, oo + n)
    return n


# --- metadata: the host fills the struct, the guest gets its bytes ---------------------------
def struct_call(t, name: str, size: int, out: int, *args, at: int = -1) -> int:
    """Run `name` on the host with a struct buffer of `size` bytes at argument position `at`
    (default: last), then copy the struct to guest address `out` (none when out is NULL)."""
    buf = buffer(size)
    args = list(args)
    args.insert(len(args) if at < 0 else at, buf)
    r = host_syscall(NR[name], *args)
    if r >= 0 and out:
        t.mem.write(out, buf.raw)
    return r


@syscall("newfstatat")
def sys_newfstatat(t, dirfd, path_ptr, statbuf, flags, *_):
    path = read_path(t, path_ptr)
    if not path and flags & AT_EMPTY_PATH:
        fd = sint(dirfd)
        hfd = AT_FDCWD if fd == AT_FDCWD else t.fds.host(fd)
        return struct_call(t, "newfstatat", 144, statbuf, hfd, b"", flags, at=2)
    with at_path(t, dirfd, path, how_of(flags)) as (hdir, hpath):
        return struct_call(t, "newfstatat", 144, statbuf, hdir, hpath, flags, at=2)


@syscall("stat")
def sys_stat(t, path, statbuf, *_):
    return sys_newfstatat(t, AT_FDCWD, path, statbuf, 0)


@syscall("lstat")
def sys_lstat(t, path, statbuf, *_):
    return sys_newfstatat(t, AT_FDCWD, path, statbuf, AT_SYMLINK_NOFOLLOW)


@syscall("fstat")
def sys_fstat(t, fd, statbuf, *_):
    return struct_call(t, "fstat", 144, statbuf, t.fds.host(sint(fd)))


@syscall("statx")
def sys_statx(t, dirfd, path_ptr, flags, mask, buf, *_):
    path = read_path(t, path_ptr)
    if not path and flags & AT_EMPTY_PATH and sint(dirfd) != AT_FDCWD:
        return struct_call(t, "statx", 256, buf, t.fds.host(sint(dirfd)), b"", flags, mask)
    with at_path(t, dirfd, path or b".", how_of(flags)) as (hdir, hpath):
        return struct_call(t, "statx", 256, buf, hdir, hpath, flags & ~AT_EMPTY_PATH, mask)


@syscall("statfs")
def sys_statfs(t, path_ptr, buf, *_):
    with at_path(t, AT_FDCWD, read_path(t, path_ptr)) as (hdir, hpath):
        return struct_call(t, "statfs", 120, buf, as_path(hdir, hpath))


@syscall("fstatfs")
def sys_fstatfs(t, fd, buf, *_):
    return struct_call(t, "fstatfs", 120, buf, t.fds.host(sint(fd)))


def access_at(t, dirfd, path_ptr, mode, flags):
    path = read_path(t, path_ptr)
    with at_path(t, dirfd, path, how_of(flags), empty=bool(flags & AT_EMPTY_PATH)) as (d, p):
        return host_syscall(NR["faccessat2"], d, p, mode, flags)


@syscall("access")
def sys_access(t, path, mode, *_):
    return access_at(t, AT_FDCWD, path, mode, 0)


@syscall("faccessat")
def sys_faccessat(t, dirfd, path, mode, *_):
    return access_at(t, dirfd, path, mode, 0)


@syscall("faccessat2")
def sys_faccessat2(t, dirfd, path, mode, flags, *_):
    return access_at(t, dirfd, path, mode, flags)


def readlink_at(t, dirfd, path_ptr, buf, size):
    if sint(size) <= 0:
        return -errno.EINVAL
    path = read_path(t, path_ptr)
    target = None
    rest = procfs.split(t, path, follow=False) if path.startswith(procfs.PREFIXES) else None
    if rest is not None:
        target = procfs.link(t, rest)
    if target is None:
        with at_path(t, dirfd, path, NOFOLLOW, empty=True) as (hdir, hpath):
            target = os.readlink(hpath, dir_fd=None if hdir == AT_FDCWD else hdir)
    target = target[:size]
    t.mem.write(buf, target)
    return len(target)


@syscall("readlink")
def sys_readlink(t, path, buf, size, *_):
    return readlink_at(t, AT_FDCWD, path, buf, size)


@syscall("readlinkat")
def sys_readlinkat(t, dirfd, path, buf, size, *_):
    return readlink_at(t, dirfd, path, buf, size)


@syscall("getdents64", "getdents")
def sys_getdents64(t, fd, dirp, count, *_):
    count = min(count, 1 << 20)
    buf = buffer(count)
    nr = NR["getdents64"] if t.current_nr == NR["getdents64"] else NR["getdents"]
    r = host_syscall(nr, t.fds.host(sint(fd)), buf, count)
    if r > 0:
        t.mem.write(dirp, buf.raw[:r])
    return r


# --- descriptors ---------------------------------------------------------------------------------
@syscall("dup")
def sys_dup(t, fd, *_):
    f = t.fds.get(sint(fd))
    return t.fds.install(os.dup(f.host_fd), f.path, file=f.file)


@syscall("dup2")
def sys_dup2(t, old, new, *_):
    old, new = sint(old), sint(new)
    f = t.fds.get(old)
    if old == new:
        return new
    return t.fds.install_at(new, os.dup(f.host_fd), f.path, file=f.file)


@syscall("dup3")
def sys_dup3(t, old, new, flags, *_):
    old, new = sint(old), sint(new)
    if old == new or flags & ~O_CLOEXEC:
        return -errno.EINVAL
    f = t.fds.get(old)
    return t.fds.install_at(new, os.dup(f.host_fd), f.path, bool(flags & O_CLOEXEC), f.file)


@syscall("fcntl")
def sys_fcntl(t, fd, cmd, arg, *_):
    fd = sint(fd)
    f = t.fds.get(fd)
    cmd = sint(cmd)
    if cmd in (F_DUPFD, F_DUPFD_CLOEXEC):
        return t.fds.install(os.dup(f.host_fd), f.path, cmd == F_DUPFD_CLOEXEC, start=sint(arg),
                             file=f.file)
    if cmd == F_GETFD:
        return FD_CLOEXEC if f.cloexec else 0
    if cmd == F_SETFD:
        f.cloexec = bool(arg & FD_CLOEXEC)
        return 0
    if cmd in (5, 6, 7, 36, 37, 38):      # F_GETLK F_SETLK F_SETLKW and the OFD variants
        buf = from_bytes(t.mem.read(arg, 32))
        r = host_syscall(NR["fcntl"], f.host_fd, cmd, buf)
        if r >= 0:
            t.mem.write(arg, buf.raw[:32])
        return r
    return host_syscall(NR["fcntl"], f.host_fd, cmd, arg)


# ioctl requests answered by the host: request -> (argument size in bytes, direction)
# direction: "r" the kernel writes to the guest, "w" it reads from it, "v" the arg is a value
IOCTLS = {
    0x5401: (36, "r"),   # TCGETS (the kernel's struct termios: 36 bytes, not glibc's 60)
    0x5402: (36, "w"), 0x5403: (36, "w"), 0x5404: (36, "w"),   # TCSETS, TCSETSW, TCSETSF
    0x802C542A: (44, "r"),  # TCGETS2 (struct termios2)
    0x402C542B: (44, "w"), 0x402C542C: (44, "w"), 0x402C542D: (44, "w"),   # TCSETS2/W2/F2
    0x540B: (0, "v"),    # TCFLSH
    0x540A: (0, "v"),    # TCXONC
    0x5409: (0, "v"),    # TCSBRK
    0x540F: (4, "r"),    # TIOCGPGRP
    0x5410: (4, "w"),    # TIOCSPGRP
    0x5413: (8, "r"),    # TIOCGWINSZ
    0x5414: (8, "w"),    # TIOCSWINSZ
    0x541B: (4, "r"),    # FIONREAD
    0x5421: (4, "w"),    # FIONBIO
    0x5429: (4, "r"),    # TIOCGSID
    0x5452: (4, "w"),    # FIOASYNC
    0x80045430: (4, "r"),  # TIOCGPTN
    0x40045431: (4, "w"),  # TIOCSPTLCK
    0x540E: (0, "v"),    # TIOCSCTTY
    0x5422: (0, "v"),    # TIOCNOTTY
    0x80086601: (8, "r"),  # FS_IOC_GETFLAGS
    0x40086602: (8, "w"),  # FS_IOC_SETFLAGS
}
FIONCLEX, FIOCLEX = 0x5450, 0x5451
FICLONE, FICLONERANGE = 0x40049409, 0x4020940D      # the source is a descriptor: translated


@syscall("ioctl")
def sys_ioctl(t, fd, req, arg, *_):
    f = t.fds.get(sint(fd))
    req &= 0xFFFFFFFF
    if req in (FIOCLEX, FIONCLEX):
        f.cloexec = req == FIOCLEX
        return 0
    if req == FICLONE:
        return host_syscall(NR["ioctl"], f.host_fd, req, t.fds.host(sint(arg)))
    if req == FICLONERANGE:
        raw = bytearray(t.mem.read(arg, 32))
        raw[:8] = t.fds.host(int.from_bytes(raw[:8], "little", signed=True)).to_bytes(8, "little")
        return host_syscall(NR["ioctl"], f.host_fd, req, from_bytes(bytes(raw)))
    spec = IOCTLS.get(req)
    if spec is None:
        return -errno.ENOTTY
    size, how = spec
    if how == "v":
        return host_syscall(NR["ioctl"], f.host_fd, req, arg)
    buf = from_bytes(t.mem.read(arg, size)) if how == "w" else buffer(size)
    r = host_syscall(NR["ioctl"], f.host_fd, req, buf)
    if r >= 0 and how == "r":
        t.mem.write(arg, buf.raw[:size])
    return r


@syscall("pipe2")
def sys_pipe2(t, fds, flags, *_):
    r, w = os.pipe2((flags & ~O_CLOEXEC) | os.O_CLOEXEC)
    cloexec = bool(flags & O_CLOEXEC)
    gr = t.fds.install(r, b"", cloexec)
    try:
        gw = t.fds.install(w, b"", cloexec)
    except OSError:
        t.fds.close(gr)
        raise
    t.mem.write(fds, gr.to_bytes(4, "little") + gw.to_bytes(4, "little"))
    return 0


@syscall("pipe")
def sys_pipe(t, fds, *_):
    return sys_pipe2(t, fds, 0)


# --- the directory tree ---------------------------------------------------------------------------
@syscall("getcwd")
def sys_getcwd(t, buf, size, *_):
    cwd = t.root.guest_cwd() + b"\0"
    if len(cwd) > size:
        return -errno.ERANGE
    t.mem.write(buf, cwd)
    return len(cwd)


@syscall("chdir")
def sys_chdir(t, path_ptr, *_):
    with at_path(t, AT_FDCWD, read_path(t, path_ptr)) as (hdir, hpath):
        fd = os.open(hpath, O_PATH | O_DIRECTORY | O_CLOEXEC,
                     dir_fd=None if hdir == AT_FDCWD else hdir)
    try:
        t.root.chdir(fd)
    finally:
        os.close(fd)
    return 0


@syscall("fchdir")
def sys_fchdir(t, fd, *_):
    t.root.chdir(t.fds.host(sint(fd)))
    return 0


def path_call(t, name, dirfd, path_ptr, *rest, how=FOLLOW, empty=False):
    with at_path(t, dirfd, read_path(t, path_ptr), how, empty) as (hdir, hpath):
        return host_syscall(NR[name], hdir, hpath, *rest)


@syscall("mkdirat")
def sys_mkdirat(t, dirfd, path, mode, *_):
    return path_call(t, "mkdirat", dirfd, path, mode, how=ENTRY)


@syscall("mkdir")
def sys_mkdir(t, path, mode, *_):
    return path_call(t, "mkdirat", AT_FDCWD, path, mode, how=ENTRY)


@syscall("mknodat")
def sys_mknodat(t, dirfd, path, mode, dev, *_):
    return path_call(t, "mknodat", dirfd, path, mode, dev, how=ENTRY)


@syscall("mknod")
def sys_mknod(t, path, mode, dev, *_):
    return path_call(t, "mknodat", AT_FDCWD, path, mode, dev, how=ENTRY)


@syscall("unlinkat")
def sys_unlinkat(t, dirfd, path, flags, *_):
    return path_call(t, "unlinkat", dirfd, path, flags, how=ENTRY)


@syscall("unlink")
def sys_unlink(t, path, *_):
    return path_call(t, "unlinkat", AT_FDCWD, path, 0, how=ENTRY)


@syscall("rmdir")
def sys_rmdir(t, path, *_):
    return path_call(t, "unlinkat", AT_FDCWD, path, AT_REMOVEDIR, how=ENTRY)


def two_paths(t, name, olddir, oldp, newdir, newp, *rest, old_how=ENTRY, empty=False):
    with at_path(t, olddir, read_path(t, oldp), old_how, empty) as (od, op), \
            at_path(t, newdir, read_path(t, newp), ENTRY) as (nd, np_):
        return host_syscall(NR[name], od, op, nd, np_, *rest)


@syscall("renameat2")
def sys_renameat2(t, olddir, oldp, newdir, newp, flags, *_):
    return two_paths(t, "renameat2", olddir, oldp, newdir, newp, flags)


@syscall("renameat")
def sys_renameat(t, olddir, oldp, newdir, newp, *_):
    return two_paths(t, "renameat2", olddir, oldp, newdir, newp, 0)


@syscall("rename")
def sys_rename(t, oldp, newp, *_):
    return two_paths(t, "renameat2", AT_FDCWD, oldp, AT_FDCWD, newp, 0)


@syscall("linkat")
def sys_linkat(t, olddir, oldp, newdir, newp, flags, *_):
    return two_paths(t, "linkat", olddir, oldp, newdir, newp, flags,
                     old_how=FOLLOW if flags & AT_SYMLINK_FOLLOW else NOFOLLOW,
                     empty=bool(flags & AT_EMPTY_PATH))


@syscall("link")
def sys_link(t, oldp, newp, *_):
    return two_paths(t, "linkat", AT_FDCWD, oldp, AT_FDCWD, newp, 0, old_how=NOFOLLOW)


@syscall("symlinkat")
def sys_symlinkat(t, target, newdir, linkpath, *_):
    tgt = read_path(t, target)
    with at_path(t, newdir, read_path(t, linkpath), ENTRY) as (nd, np_):
        return host_syscall(NR["symlinkat"], tgt, nd, np_)


@syscall("symlink")
def sys_symlink(t, target, linkpath, *_):
    return sys_symlinkat(t, target, AT_FDCWD, linkpath)


@syscall("fchmodat")
def sys_fchmodat(t, dirfd, path, mode, *_):
    return path_call(t, "fchmodat", dirfd, path, mode)


@syscall("chmod")
def sys_chmod(t, path, mode, *_):
    return path_call(t, "fchmodat", AT_FDCWD, path, mode)


@syscall("fchmod")
def sys_fchmod(t, fd, mode, *_):
    return host_syscall(NR["fchmod"], t.fds.host(sint(fd)), mode)


@syscall("fchownat")
def sys_fchownat(t, dirfd, path, uid, gid, flags, *_):
    return path_call(t, "fchownat", dirfd, path, uid, gid, flags, how=how_of(flags),
                     empty=bool(flags & AT_EMPTY_PATH))


@syscall("chown")
def sys_chown(t, path, uid, gid, *_):
    return path_call(t, "fchownat", AT_FDCWD, path, uid, gid, 0)


@syscall("lchown")
def sys_lchown(t, path, uid, gid, *_):
    return path_call(t, "fchownat", AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW, how=NOFOLLOW)


@syscall("fchown")
def sys_fchown(t, fd, uid, gid, *_):
    return host_syscall(NR["fchown"], t.fds.host(sint(fd)), uid, gid)


@syscall("umask")
def sys_umask(t, mask, *_):
    old = t.umask
    t.umask = mask & 0o777
    os.umask(t.umask)
    return old


@syscall("utimensat")
def sys_utimensat(t, dirfd, path_ptr, times, flags, *_):
    tbuf = from_bytes(t.mem.read(times, 32)) if times else None
    if not path_ptr:      # futimens: the descriptor itself
        return host_syscall(NR["utimensat"], t.fds.host(sint(dirfd)), None, tbuf, flags)
    return path_call(t, "utimensat", dirfd, path_ptr, tbuf, flags, how=how_of(flags),
                     empty=bool(flags & AT_EMPTY_PATH))


@syscall("truncate")
def sys_truncate(t, path, length, *_):
    with at_path(t, AT_FDCWD, read_path(t, path)) as (hdir, hpath):
        return host_syscall(NR["truncate"], as_path(hdir, hpath), length)


@syscall("ftruncate")
def sys_ftruncate(t, fd, length, *_):
    return host_syscall(NR["ftruncate"], t.fds.host(sint(fd)), length)


@syscall("fsync", "fdatasync", "syncfs")
def sys_fsync(t, fd, *_):
    return host_syscall(t.current_nr, t.fds.host(sint(fd)))


@syscall("sync")
def sys_sync(t, *_):
    return 0


@syscall("flock")
def sys_flock(t, fd, op, *_):
    return host_syscall(NR["flock"], t.fds.host(sint(fd)), op)


@syscall("fadvise64")
def sys_fadvise64(t, fd, off, length, advice, *_):
    return host_syscall(NR["fadvise64"], t.fds.host(sint(fd)), off, length, advice)


@syscall("fallocate")
def sys_fallocate(t, fd, mode, off, length, *_):
    return host_syscall(NR["fallocate"], t.fds.host(sint(fd)), mode, off, length)


@syscall("readahead")
def sys_readahead(t, fd, *_):
    t.fds.host(sint(fd))
    return 0


# --- extended attributes: passed to the host (the guest's files are the host's) -------------------
def xattr_how(t) -> str:
    """getxattr follows the last symlink, lgetxattr (and the other l* calls) does not."""
    return NOFOLLOW if t.current_name in ("lgetxattr", "llistxattr", "lsetxattr",
                                          "lremovexattr") else FOLLOW


def _xattr_get(t, nr_name, target, name, value, size):
    attr = t.mem.read_cstr(name, 256)
    size = min(size, 1 << 16)
    buf = buffer(max(size, 1))
    r = host_syscall(NR[nr_name], target, attr, buf if size else None, size)
    if r > 0 and size:
        t.mem.write(value, buf.raw[:r])
    return r


@syscall("getxattr", "lgetxattr")
def sys_getxattr(t, path, name, value, size, *_):
    with at_path(t, AT_FDCWD, read_path(t, path), xattr_how(t)) as (hdir, hpath):
        return _xattr_get(t, t.current_name, as_path(hdir, hpath), name, value, size)


@syscall("fgetxattr")
def sys_fgetxattr(t, fd, name, value, size, *_):
    return _xattr_get(t, "fgetxattr", t.fds.host(sint(fd)), name, value, size)


def _xattr_list(t, nr_name, target, lst, size):
    size = min(size, 1 << 16)
    buf = buffer(max(size, 1))
    r = host_syscall(NR[nr_name], target, buf if size else None, size)
    if r > 0 and size:
        t.mem.write(lst, buf.raw[:r])
    return r


@syscall("listxattr", "llistxattr")
def sys_listxattr(t, path, lst, size, *_):
    with at_path(t, AT_FDCWD, read_path(t, path), xattr_how(t)) as (hdir, hpath):
        return _xattr_list(t, t.current_name, as_path(hdir, hpath), lst, size)


@syscall("flistxattr")
def sys_flistxattr(t, fd, lst, size, *_):
    return _xattr_list(t, "flistxattr", t.fds.host(sint(fd)), lst, size)


@syscall("setxattr", "lsetxattr", "fsetxattr")
def sys_setxattr(t, target, name, value, size, flags, *_):
    attr = t.mem.read_cstr(name, 256)
    data = from_bytes(t.mem.read(value, min(size, 1 << 16)))
    if t.current_name == "fsetxattr":
        return host_syscall(t.current_nr, t.fds.host(sint(target)), attr, data, size, flags)
    with at_path(t, AT_FDCWD, read_path(t, target), xattr_how(t)) as (hdir, hpath):
        return host_syscall(t.current_nr, as_path(hdir, hpath), attr, data, size, flags)


@syscall("removexattr", "lremovexattr", "fremovexattr")
def sys_removexattr(t, target, name, *_):
    attr = t.mem.read_cstr(name, 256)
    if t.current_name == "fremovexattr":
        return host_syscall(t.current_nr, t.fds.host(sint(target)), attr)
    with at_path(t, AT_FDCWD, read_path(t, target), xattr_how(t)) as (hdir, hpath):
        return host_syscall(t.current_nr, as_path(hdir, hpath), attr)


# --- the older time-setting calls: timevals (or a utimbuf) turned into utimensat's timespecs -----
def _utimens(t, dirfd: int, path_ptr: int, times: bytes | None, flags: int = 0) -> int:
    tbuf = from_bytes(times) if times is not None else None
    with at_path(t, dirfd, read_path(t, path_ptr)) as (hdir, hpath):
        return host_syscall(NR["utimensat"], hdir, hpath, tbuf, flags)


def _timevals(t, ptr: int) -> bytes | None:
    if not ptr:
        return None
    import struct
    a_s, a_us, m_s, m_us = struct.unpack("<qqqq", t.mem.read(ptr, 32))
    if not (0 <= a_us < 10**6 and 0 <= m_us < 10**6):
        raise err(errno.EINVAL)
    return struct.pack("<qqqq", a_s, a_us * 1000, m_s, m_us * 1000)


@syscall("utimes")
def sys_utimes(t, path, times, *_):
    return _utimens(t, AT_FDCWD, path, _timevals(t, times))


@syscall("futimesat")
def sys_futimesat(t, dirfd, path, times, *_):
    return _utimens(t, sint(dirfd), path, _timevals(t, times))


@syscall("utime")
def sys_utime(t, path, times, *_):
    import struct
    tv = None
    if times:
        actime, modtime = struct.unpack("<qq", t.mem.read(times, 16))
        tv = struct.pack("<qqqq", actime, 0, modtime, 0)
    return _utimens(t, AT_FDCWD, path, tv)


# --- splice, tee, vmsplice: the host's pipes -------------------------------------------------------
def _loff(t, ptr: int):
    return from_bytes(t.mem.read(ptr, 8)) if ptr else None


@syscall("splice")
def sys_splice(t, fd_in, off_in, fd_out, off_out, length, flags, *_):
    hin, hout = t.fds.host(sint(fd_in)), t.fds.host(sint(fd_out))
    bin_, bout = _loff(t, off_in), _loff(t, off_out)
    r = t.blocking(host_syscall, NR["splice"], hin, bin_, hout, bout, length, flags)
    if isinstance(r, int) and r >= 0:
        if off_in:
            t.mem.write(off_in, bin_.raw[:8])
        if off_out:
            t.mem.write(off_out, bout.raw[:8])
    return r


@syscall("tee")
def sys_tee(t, fd_in, fd_out, length, flags, *_):
    return t.blocking(host_syscall, NR["tee"], t.fds.host(sint(fd_in)),
                      t.fds.host(sint(fd_out)), length, flags)


@syscall("vmsplice")
def sys_vmsplice(t, fd, iov, cnt, flags, *_):
    """The guest's pages cannot be given to a host pipe: the bytes are written (SPLICE_F_GIFT
    is only a hint)."""
    h = t.fds.host(sint(fd))
    data = b"".join(t.mem.read(base, ln) for base, ln in read_iovec(t, iov, cnt))
    return t.blocking(host_write, h, data, fd=h, events=4)
