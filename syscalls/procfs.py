"""/proc/self as the guest must see it: its own maps, exe, auxv, cmdline, environ and fds.

Other /proc paths are the host's (there is one host process per guest, so /proc/self/status
and friends are close to true)."""
from __future__ import annotations

import os
import re

_SELF = re.compile(rb"^/proc/(self|thread-self|\d+)(/task/\d+)?(/.*)?$")


def _own(t, who: bytes) -> bool:
    return who in (b"self", b"thread-self") or who == str(t.pid).encode()


def split(t, path: bytes) -> bytes | None:
    """The part after /proc/self for the guest's own /proc entry, else None."""
    if not path.startswith(b"/proc/"):
        return None
    m = _SELF.match(os.path.normpath(path))
    if m is None or not _own(t, m.group(1)):
        return None
    return m.group(3) or b""


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
        return t.root.to_guest(os.path.realpath(t.root.host_path(os.fsencode(t.exe))))
    if rest == b"/cwd":
        return t.root.guest_cwd()
    if rest == b"/root":
        return b"/"
    m = re.fullmatch(rb"/fd/(\d+)", rest)
    if m:
        f = t.fds.get(int(m.group(1)))
        target = os.readlink(f"/proc/self/fd/{f.host_fd}".encode())
        return t.root.to_guest(target)
    return None


def host_path(t, rest: bytes) -> bytes:
    """Where on the host an entry of the guest's /proc/self is (for open/stat)."""
    m = re.fullmatch(rb"/fd/(\d+)(/.*)?", rest)
    if m:
        f = t.fds.get(int(m.group(1)))
        return f"/proc/self/fd/{f.host_fd}".encode() + (m.group(2) or b"")
    if rest == b"/exe":
        return t.root.host_path(os.fsencode(t.exe))
    return b"/proc/self" + rest


def memfd(data: bytes, name: str = "proc") -> int:
    fd = os.memfd_create(name, os.MFD_CLOEXEC)
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd
