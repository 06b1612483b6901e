"""Sockets: each guest socket is a host socket; addresses and options are copied through."""
from __future__ import annotations

import ctypes
import errno
import os
import stat
import struct

from . import syscall
from .fs import NR, Lookup, as_path, sint
from .host import buffer, from_bytes, host_syscall
from .uapi import POLLIN, POLLOUT
from .vfs import ENTRY, FOLLOW

SOCK_CLOEXEC = 0o2000000
MSG_DONTWAIT = 0x40
SOL_SOCKET, SO_ERROR = 1, 4


def sock(t, fd: int) -> int:
    """The host descriptor of a guest socket; ENOTSOCK before any argument is read."""
    h = t.fds.host(sint(fd))
    if not stat.S_ISSOCK(os.fstat(h).st_mode):
        raise OSError(errno.ENOTSOCK, "not a socket")
    return h


def waits(h: int, flags: int, events: int) -> dict:
    """`blocking`'s keywords for a call on host socket h: only a call that may wait parks
    its thread (MSG_DONTWAIT never waits)."""
    return {} if flags & MSG_DONTWAIT else {"fd": h, "events": events}


@syscall("socket")
def sys_socket(t, domain, type_, proto, *_):
    fd = host_syscall(NR["socket"], domain, type_ | SOCK_CLOEXEC, proto)
    if fd < 0:
        return fd
    return t.fds.install(fd, b"", bool(type_ & SOCK_CLOEXEC))


@syscall("socketpair")
def sys_socketpair(t, domain, type_, proto, sv, *_):
    buf = buffer(8)
    r = host_syscall(NR["socketpair"], domain, type_ | SOCK_CLOEXEC, proto, buf)
    if r < 0:
        return r
    a = t.fds.install(int.from_bytes(buf.raw[:4], "little"), b"", bool(type_ & SOCK_CLOEXEC))
    b = t.fds.install(int.from_bytes(buf.raw[4:], "little"), b"", bool(type_ & SOCK_CLOEXEC))
    t.mem.write(sv, a.to_bytes(4, "little") + b.to_bytes(4, "little"))
    return 0


AF_UNIX = 1
SOCKADDR_MAX = 128                      # sizeof(struct sockaddr_storage)


def addr_in(t, addr: int, length: int, how: str = FOLLOW) -> Lookup:
    """(host buffer, length) for a guest socket address, for one host call made inside the
    with-block. With a rootfs, a unix socket's path name is looked up inside the root: a
    bind creates the name in the directory found there (ENTRY), the other calls reach the
    socket found there (FOLLOW); the host gets it as a /proc/self/fd name, which its own
    walk cannot take out of the root."""
    return Lookup(_addr_in, t, addr, length, how)


def _addr_in(t, addr: int, length: int, how: str, opened: list[int]) -> tuple:
    if not addr:
        return None, 0
    raw = unix_in(t, t.mem.read(addr, min(length, SOCKADDR_MAX)), how, opened)
    return from_bytes(raw), len(raw) if opened else length


def is_unix_path(raw: bytes) -> bool:
    return len(raw) > 2 and raw[:2] == AF_UNIX.to_bytes(2, "little") and raw[2] != 0


def unix_in(t, raw: bytes, how: str, opened: list[int]) -> bytes:
    """addr_in's address bytes; descriptors the lookup opens go to `opened`."""
    if t.root.is_host or not is_unix_path(raw):      # not a path name (unnamed, abstract)
        return raw
    path = raw[2:].split(b"\0", 1)[0]
    host = as_path(*t.root.lookup(path, None, how, opened))
    if len(host) >= 108:                # sizeof sun_path, with its NUL
        raise OSError(errno.ENAMETOOLONG, "socket path too long with --rootfs")
    if how == ENTRY:
        t.root.sun_paths[host] = path
    return raw[:2] + host + b"\0"


def addr_out(t, raw: bytes) -> bytes:
    """A socket address from the host as the guest names it: a unix socket bound inside
    the root by its guest name (for a bind this process made: the name it gave)."""
    if t.root.is_host or not is_unix_path(raw):
        return raw
    host = raw[2:].split(b"\0", 1)[0]
    guest = t.root.sun_paths.get(host) or t.root.to_guest(host)
    return raw[:2] + guest + b"\0"


def put_addr(t, addr: int, lenp: int, room: int, raw: bytes) -> None:
    """Store an address the guest asked for: what fits in its `room` bytes, and the
    address's whole length, as move_addr_to_user does."""
    t.mem.write(addr, raw[:room])
    t.mem.write(lenp, len(raw).to_bytes(4, "little"))


@syscall("bind")
def sys_bind(t, fd, addr, length, *_):
    h = t.fds.host(sint(fd))
    with addr_in(t, addr, length, ENTRY) as (a, hlen):
        return host_syscall(NR["bind"], h, a, hlen)


@syscall("connect")
def sys_connect(t, fd, addr, length, *_):
    """A connect that must wait for the peer parks only its thread: made non-blocking on the
    host, it is completed when the socket turns writable (SO_ERROR is then its result)."""
    h = t.fds.host(sint(fd))
    with addr_in(t, addr, length) as (a, hlen):
        return _connect(t, h, a, hlen)


def _connect(t, h: int, a, length: int) -> int:
    import fcntl
    if not (t.threads and t.other_threads_alive()):
        return t.blocking(host_syscall, NR["connect"], h, a, length)
    flags = fcntl.fcntl(h, fcntl.F_GETFL)
    if flags & os.O_NONBLOCK:
        return host_syscall(NR["connect"], h, a, length)
    fcntl.fcntl(h, fcntl.F_SETFL, flags | os.O_NONBLOCK)
    try:
        r = host_syscall(NR["connect"], h, a, length)
    finally:
        fcntl.fcntl(h, fcntl.F_SETFL, flags)
    if r != -errno.EINPROGRESS:
        return r

    def result() -> int:
        err = buffer(4)
        host_syscall(NR["getsockopt"], h, SOL_SOCKET, SO_ERROR, err,
                     from_bytes((4).to_bytes(4, "little")))
        return -int.from_bytes(err.raw, "little")

    return t.wait_fd(h, POLLOUT, result)


@syscall("listen", "shutdown")
def sys_listen(t, fd, arg, *_):
    return host_syscall(t.current_nr, t.fds.host(sint(fd)), arg)


def addr_out_call(t, nr, fd, addr, lenp, *extra):
    if not addr:
        return host_syscall(nr, t.fds.host(sint(fd)), None, None, *extra)
    ln = int.from_bytes(t.mem.read(lenp, 4), "little")
    if sint(ln) < 0:
        return -errno.EINVAL
    abuf, lbuf = buffer(SOCKADDR_MAX), from_bytes(SOCKADDR_MAX.to_bytes(4, "little"))
    r = host_syscall(nr, t.fds.host(sint(fd)), abuf, lbuf, *extra)
    if r >= 0:
        out = int.from_bytes(lbuf.raw[:4], "little")
        put_addr(t, addr, lenp, ln, addr_out(t, abuf.raw[:min(out, SOCKADDR_MAX)]))
    return r


@syscall("getsockname", "getpeername")
def sys_getsockname(t, fd, addr, lenp, *_):
    return addr_out_call(t, t.current_nr, fd, addr, lenp)


@syscall("accept", "accept4")
def sys_accept4(t, fd, addr, lenp, flags=0, *_):
    flags = flags if t.current_name == "accept4" else 0
    h = t.fds.host(sint(fd))
    r = t.blocking(addr_out_call, t, NR["accept4"], fd, addr, lenp, flags | SOCK_CLOEXEC,
                   fd=h, events=POLLIN)
    if not isinstance(r, int):
        return r
    if r < 0:
        return r
    return t.fds.install(r, b"", bool(flags & SOCK_CLOEXEC))


@syscall("sendto")
def sys_sendto(t, fd, buf, length, flags, addr, alen):
    data = from_bytes(t.mem.read(buf, length))
    h = t.fds.host(sint(fd))
    with addr_in(t, addr, alen) as (a, hlen):
        return t.blocking(host_syscall, NR["sendto"], h, data, length, flags, a, hlen,
                          **waits(h, flags, POLLOUT))


@syscall("recvfrom")
def sys_recvfrom(t, fd, buf, length, flags, addr, lenp):
    length = min(length, 1 << 24)
    data = buffer(max(length, 1))
    if addr:
        ln = int.from_bytes(t.mem.read(lenp, 4), "little")
        abuf, lbuf = buffer(SOCKADDR_MAX), from_bytes(SOCKADDR_MAX.to_bytes(4, "little"))
    else:
        abuf = lbuf = None
    h = t.fds.host(sint(fd))
    r = t.blocking(host_syscall, NR["recvfrom"], h, data, length, flags, abuf, lbuf,
                   **waits(h, flags, POLLIN))
    if not isinstance(r, int):
        return r
    if r >= 0:
        t.mem.write(buf, data.raw[:r])
        if addr:
            out = int.from_bytes(lbuf.raw[:4], "little")
            put_addr(t, addr, lenp, ln, addr_out(t, abuf.raw[:min(out, SOCKADDR_MAX)]))
    return r


@syscall("setsockopt")
def sys_setsockopt(t, fd, level, name, val, length, *_):
    return host_syscall(NR["setsockopt"], t.fds.host(sint(fd)), level, name,
                        from_bytes(t.mem.read(val, min(length, 4096))) if val else None, length)


@syscall("getsockopt")
def sys_getsockopt(t, fd, level, name, val, lenp, *_):
    ln = int.from_bytes(t.mem.read(lenp, 4), "little")
    vbuf, lbuf = buffer(max(ln, 1)), from_bytes(ln.to_bytes(4, "little"))
    r = host_syscall(NR["getsockopt"], t.fds.host(sint(fd)), level, name, vbuf, lbuf)
    if r >= 0:
        out = int.from_bytes(lbuf.raw[:4], "little")
        t.mem.write(val, vbuf.raw[:min(ln, out)])
        t.mem.write(lenp, lbuf.raw[:4])
    return r


# struct msghdr (56 bytes): name, namelen, iov, iovlen, control, controllen, flags
MSGHDR = struct.Struct("<QI4xQQQQi4x")
CMSGHDR = struct.Struct("<Qii")         # cmsg_len, cmsg_level, cmsg_type; data 8-aligned
SCM_RIGHTS = 1
MSG_CMSG_CLOEXEC = 0x40000000


def _scm_rights(control: bytes, convert) -> bytes:
    """Control messages with each SCM_RIGHTS descriptor replaced by convert(fd): the guest's
    numbers are not the host's."""
    out = bytearray(control)
    off = 0
    while off + CMSGHDR.size <= len(out):
        ln, level, kind = CMSGHDR.unpack_from(out, off)
        if ln < CMSGHDR.size or off + ln > len(out):
            break
        if level == SOL_SOCKET and kind == SCM_RIGHTS:
            for p in range(off + CMSGHDR.size, off + ln - 3, 4):
                fd = int.from_bytes(out[p:p + 4], "little", signed=True)
                out[p:p + 4] = convert(fd).to_bytes(4, "little", signed=True)
        off += (ln + 7) & ~7
    return bytes(out)


class _HostMsg:
    """A guest msghdr copied into host buffers (and the results copied back)."""

    def __init__(self, t, addr: int, receiving: bool):
        self.t, self.addr = t, addr
        self.recv_flags = 0             # recvmsg's flags (MSG_CMSG_CLOEXEC for passed fds)
        (self.name, self.namelen, self.iov, self.iovlen, self.control, self.controllen,
         self.flags) = MSGHDR.unpack(t.mem.read(addr, MSGHDR.size))
        if self.iovlen > 1024:
            raise OSError(errno.EMSGSIZE, "too many iovecs")
        raw = t.mem.read(self.iov, 16 * self.iovlen) if self.iovlen else b""
        self.vecs = [struct.unpack_from("<QQ", raw, 16 * i) for i in range(self.iovlen)]
        self.hbufs = [buffer(max(ln, 1)) if receiving else from_bytes(t.mem.read(b, ln))
                      for b, ln in self.vecs]
        self.hiov = (ctypes.c_uint64 * (2 * self.iovlen or 1))()
        for i, (hb, (_, ln)) in enumerate(zip(self.hbufs, self.vecs)):
            self.hiov[2 * i], self.hiov[2 * i + 1] = ctypes.addressof(hb), ln
        self.opened: list[int] = []     # descriptors of a unix name's lookup: close()
        if not self.name:
            self.hname = None
        elif receiving:
            self.hname = buffer(SOCKADDR_MAX)
        else:
            raw = t.mem.read(self.name, min(self.namelen, SOCKADDR_MAX))
            self.hname = from_bytes(unix_in(t, raw, FOLLOW, self.opened))
            if self.opened:
                self.namelen = len(self.hname.raw)
        clen = min(self.controllen, 1 << 16)
        if self.control and not receiving:
            self.hcontrol = from_bytes(_scm_rights(t.mem.read(self.control, clen), t.fds.host))
        else:
            self.hcontrol = buffer(max(clen, 1)) if self.control else None
        self.hdr = from_bytes(MSGHDR.pack(
            ctypes.addressof(self.hname) if self.hname else 0,
            SOCKADDR_MAX if receiving and self.name else self.namelen,
            ctypes.addressof(self.hiov), self.iovlen,
            ctypes.addressof(self.hcontrol) if self.hcontrol else 0, clen, self.flags))

    def close(self) -> None:
        for fd in self.opened:
            os.close(fd)
        self.opened.clear()

    def copy_back(self, n: int) -> None:
        t = self.t
        left = n
        for hb, (base, ln) in zip(self.hbufs, self.vecs):
            if left <= 0:
                break
            k = min(ln, left)
            t.mem.write(base, hb.raw[:k])
            left -= k
        (_, namelen, _, _, _, controllen, flags) = MSGHDR.unpack(self.hdr.raw[:MSGHDR.size])
        if self.hname:
            name = addr_out(t, self.hname.raw[:min(namelen, SOCKADDR_MAX)])
            t.mem.write(self.name, name[:self.namelen])
            namelen = len(name)
        if self.hcontrol and controllen:
            cloexec = bool(self.recv_flags & MSG_CMSG_CLOEXEC)
            got = _scm_rights(self.hcontrol.raw[:controllen],
                              lambda h: t.fds.install(h, b"", cloexec))
            t.mem.write(self.control, got)
        t.mem.write(self.addr + 8, namelen.to_bytes(4, "little"))
        t.mem.write(self.addr + 40, controllen.to_bytes(8, "little"))
        t.mem.write(self.addr + 48, (flags & 0xFFFFFFFF).to_bytes(4, "little"))


@syscall("sendmsg")
def sys_sendmsg(t, fd, msg, flags, *_):
    h = sock(t, fd)
    m = _HostMsg(t, msg, receiving=False)
    try:
        return t.blocking(host_syscall, NR["sendmsg"], h, m.hdr, flags,
                          **waits(h, flags, POLLOUT))
    finally:
        m.close()


@syscall("recvmsg")
def sys_recvmsg(t, fd, msg, flags, *_):
    h = sock(t, fd)
    m = _HostMsg(t, msg, receiving=True)
    m.recv_flags = flags
    r = t.blocking(host_syscall, NR["recvmsg"], h, m.hdr, flags | MSG_CMSG_CLOEXEC,
                   **waits(h, flags, POLLIN))
    if not isinstance(r, int):
        return r
    if r >= 0:
        m.copy_back(r)
    return r


# struct mmsghdr: a msghdr and the byte count the call stores after it
MMSGHDR_SIZE = 64


@syscall("sendmmsg")
def sys_sendmmsg(t, fd, vec, vlen, flags, *_):
    """Each message is a sendmsg; the count of those sent is the result (an error only when
    the first fails), as net/socket.c's __sys_sendmmsg."""
    h = sock(t, fd)
    sent = 0
    for i in range(min(vlen, 1024)):            # UIO_MAXIOV
        addr = vec + MMSGHDR_SIZE * i
        m = _HostMsg(t, addr, receiving=False)
        try:
            r = t.blocking(host_syscall, NR["sendmsg"], h, m.hdr, flags,
                           **waits(h, flags | (MSG_DONTWAIT if sent else 0), POLLOUT))
        finally:
            m.close()
        if not isinstance(r, int):
            return r
        if r < 0:
            return sent or r
        t.mem.write(addr + 56, r.to_bytes(4, "little"))
        sent += 1
    return sent


MSG_WAITFORONE = 0x10000


@syscall("recvmmsg")
def sys_recvmmsg(t, fd, vec, vlen, flags, timeout, *_):
    """Each message is a recvmsg; after the first, MSG_WAITFORONE stops the call waiting."""
    import time as _time
    h = sock(t, fd)
    deadline = None
    if timeout:
        sec, nsec = struct.unpack("<qq", t.mem.read(timeout, 16))
        deadline = _time.monotonic_ns() + sec * 10**9 + nsec
    got = 0
    for i in range(min(vlen, 1024)):
        addr = vec + MMSGHDR_SIZE * i
        m = _HostMsg(t, addr, receiving=True)
        m.recv_flags = flags
        f = flags & ~MSG_WAITFORONE
        if got and flags & MSG_WAITFORONE:
            f |= MSG_DONTWAIT
        r = t.blocking(host_syscall, NR["recvmsg"], h, m.hdr, f | MSG_CMSG_CLOEXEC,
                       **waits(h, f, POLLIN))
        if not isinstance(r, int):
            return r
        if r < 0:
            return got or r
        m.copy_back(r)
        t.mem.write(addr + 56, r.to_bytes(4, "little"))
        got += 1
        if deadline is not None and _time.monotonic_ns() >= deadline:
            break
    return got
