"""/proc/self as the guest must see it: its own maps, exe, auxv, cmdline, environ and fds.

Other /proc paths are the host's (there is one host process per guest, so /proc/self/status
and friends are close to true)."""
from __future__ import annotations

import errno
import os
import re
import stat

from .uapi import PAGE_SIZE

_SELF = re.compile(rb"^/proc/(self|thread-self|\d+)(/task/\d+)?(/.*)?$")


def _own(t, who: bytes) -> bool:
    return who in (b"self", b"thread-self") or who == str(t.pid).encode()


PREFIXES = (b"/proc/", b"/dev/")       # where the guest's own /proc/self entries are reached
# /dev/fd is a symlink to /proc/self/fd, /dev/stdin to /proc/self/fd/0...: followed, they
# lead into the guest's /proc/self (the host's would be pyloader's descriptors)
_DEV_FD = re.compile(rb"^/dev/fd(/.*)?$")
_DEV_STD = {b"/dev/stdin": b"/fd/0", b"/dev/stdout": b"/fd/1", b"/dev/stderr": b"/fd/2"}


def clean(path: bytes) -> bytes:
    """Repeated slashes and "." dropped; ".." kept: after a magic link (/proc/self/fd/N/..)
    it is a step up from the link's target, which only the walk can take."""
    return b"/" + b"/".join(p for p in path.split(b"/") if p not in (b"", b"."))


def split(t, path: bytes, follow: bool = True) -> bytes | None:
    """The part after /proc/self for the guest's own /proc entry (or /dev/fd/N, and
    /dev/stdin... when followed), else None."""
    path = clean(path)
    if path.startswith(b"/dev/"):
        m = _DEV_FD.match(path)
        if m:
            return b"/fd" + (m.group(1) or b"")
        return _DEV_STD.get(path) if follow else None
    if not path.startswith(b"/proc/"):
        return None
    m = _SELF.match(path)
    if m is None or not _own(t, m.group(1)):
        return None
    rest = m.group(3) or b""
    return None if rest == b"/.." or rest.startswith(b"/../") else rest


def content(t, rest: bytes) -> bytes | None:
    """Generated contents of /proc/self/<rest>, or None when the host's file will do."""
    if rest == b"/maps":
        return t.mem.maps_text().encode()
    if rest == b"/cmdline":
        return t.mem.read(t.arg_start, t.arg_end - t.arg_start)
    if rest == b"/environ":
        return t.mem.read(t.arg_end, t.env_end - t.arg_end)
    if rest == b"/auxv":
        out = b""
        addr = t.auxv_addr
        while True:
            pair = t.mem.read(addr, 16)
            out += pair
            addr += 16
            if pair[:8] == bytes(8):
                return out
    return None


def link(t, rest: bytes) -> bytes | None:
    """readlink of /proc/self/<rest> as the guest sees it, or None if not ours."""
    if rest == b"/exe":
        return t.root.realpath(t.exe)
    if rest == b"/cwd":
        return t.root.guest_cwd()
    if rest == b"/root":
        return b"/"
    m = re.fullmatch(rb"/fd/(\d+)", rest)
    if m:
        return t.fd_path(int(m.group(1)))
    return None


MAGIC = re.compile(rb"^/(root|cwd|exe|fd/\d+)(/.*)?$")


def magic(t, rest: bytes) -> tuple[bytes | None, int | None, bytes]:
    """For /proc/self/<rest> through one of the guest's magic links (root, cwd, exe, fd/N):
    (guest path of the link's target, or None; host descriptor of a target that has no
    path to walk (a pipe, a socket, a file: only itself), or None; what follows the link)."""
    m = MAGIC.match(rest)
    if m is None:
        return None, None, rest
    name, tail = m.group(1), m.group(2) or b""
    if name == b"root":
        return b"/", None, tail
    if name == b"cwd":
        return t.root.guest_cwd(), None, tail
    if name == b"exe":
        return t.root.realpath(t.exe), None, tail
    h = t.fds.host(int(name[3:]))
    if stat.S_ISDIR(os.fstat(h).st_mode):
        return t.root.guest_dir(h), None, tail
    return None, h, tail


class ProcMem:
    """/proc/self/mem: the guest's memory at the file offset (the host's file would be
    pyloader's). As access_remote_vm: a transfer stops at the first page that is not
    mapped (EIO when that is the first one), and writes ignore the pages' protection.
    The host descriptor behind it is an empty memfd, which keeps the file offset."""

    @staticmethod
    def mapped(t, addr: int) -> bool:
        return t.mem.find(addr) is not None and not t.mem.past_eof(addr)

    def pread(self, t, off: int, count: int) -> bytes | int:
        out = []
        addr, end = off, off + count
        while addr < end:
            n = min(end, (addr // PAGE_SIZE + 1) * PAGE_SIZE) - addr
            if not self.mapped(t, addr):
                break
            out.append(t.mem.read(addr, n))
            addr += n
        return b"".join(out) if out or not count else -errno.EIO

    def pwrite(self, t, off: int, data: bytes) -> int:
        done = 0
        while done < len(data):
            addr = off + done
            n = min(len(data) - done, (addr // PAGE_SIZE + 1) * PAGE_SIZE - addr)
            if not self.mapped(t, addr):
                break
            t.mem.write(addr, data[done:done + n])
            done += n
        return done if done or not data else -errno.EIO

    def read(self, t, host_fd: int, buf: int, count: int) -> int:
        pos = os.lseek(host_fd, 0, os.SEEK_CUR)
        data = self.pread(t, pos, min(count, 1 << 24))
        if isinstance(data, int):
            return data
        t.mem.write(buf, data)
        os.lseek(host_fd, pos + len(data), os.SEEK_SET)
        return len(data)

    def write(self, t, host_fd: int, buf: int, count: int) -> int:
        pos = os.lseek(host_fd, 0, os.SEEK_CUR)
        n = self.pwrite(t, pos, t.mem.read(buf, min(count, 1 << 24)))
        if n > 0:
            os.lseek(host_fd, pos + n, os.SEEK_SET)
        return n


_fd_dirs: dict[int, str] = {}          # pid -> this process's private directory


def fd_dir(t, rest: bytes) -> int | None:
    """An open descriptor on a directory whose entries are the guest's descriptors, for
    /proc/self/fd and /proc/self/fdinfo (the host's would list pyloader's). The directory
    is private to this host process and refilled at each open."""
    if rest not in (b"/fd", b"/fdinfo"):
        return None
    import atexit
    import shutil
    import tempfile
    pid = os.getpid()
    d = _fd_dirs.get(pid)
    if d is None:
        d = _fd_dirs[pid] = tempfile.mkdtemp(prefix="pyloader-fd.")
        atexit.register(shutil.rmtree, d, True)
    for name in os.listdir(d):
        os.unlink(os.path.join(d, name))
    for fd in set(t.fds.files) | {t.fds.lowest_free()}:     # with the one being opened
        os.close(os.open(os.path.join(d, str(fd)), os.O_CREAT | os.O_WRONLY, 0o600))
    return os.open(d, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)


def host_path(t, rest: bytes) -> bytes:
    """Where on the host an entry of the guest's /proc/self is, with the host root (its
    cwd and root are the host's): for open/stat."""
    m = re.fullmatch(rb"/fd/(\d+)(/.*)?", rest)
    if m:
        f = t.fds.get(int(m.group(1)))
        return f"/proc/self/fd/{f.host_fd}".encode() + (m.group(2) or b"")
    if rest == b"/exe":
        return os.fsencode(t.exe)
    return b"/proc/self" + rest


def generated(target: bytes) -> bool:
    """Is this host readlink target one of the files made for the guest's /proc/self?"""
    return target.startswith(b"/memfd:proc ") or b"/pyloader-fd." in target


def memfd(data: bytes, name: str = "proc") -> int:
    fd = os.memfd_create(name, os.MFD_CLOEXEC)
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd
