"""Sockets: each guest socket is a host socket; addresses and options are copied through."""
from __future__ import annotations

import ctypes
import errno
import struct

from . import syscall
from .fs import NR, sint
from .host import buffer, from_bytes, host_syscall

SOCK_CLOEXEC = 0o2000000


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


def addr_in(t, addr: int, length: int):
    return from_bytes(t.mem.read(addr, min(length, 128))) if addr else None


@syscall("connect", "bind")
def sys_connect(t, fd, addr, length, *_):
    return host_syscall(t.current_nr, t.fds.host(sint(fd)), addr_in(t, addr, length), length)


@syscall("listen", "shutdown")
def sys_listen(t, fd, arg, *_):
    return host_syscall(t.current_nr, t.fds.host(sint(fd)), arg)


def addr_out_call(t, nr, fd, addr, lenp, *extra):
    if not addr:
        return host_syscall(nr, t.fds.host(sint(fd)), None, None, *extra)
    ln = int.from_bytes(t.mem.read(lenp, 4), "little")
    abuf, lbuf = buffer(max(ln, 1)), from_bytes(ln.to_bytes(4, "little"))
    r = host_syscall(nr, t.fds.host(sint(fd)), abuf, lbuf, *extra)
    if r >= 0:
        out = int.from_bytes(lbuf.raw[:4], "little")
        t.mem.write(addr, abuf.raw[:min(ln, out)])
        t.mem.write(lenp, lbuf.raw[:4])
    return r


@syscall("getsockname", "getpeername")
def sys_getsockname(t, fd, addr, lenp, *_):
    return addr_out_call(t, t.current_nr, fd, addr, lenp)


@syscall("accept", "accept4")
def sys_accept4(t, fd, addr, lenp, flags=0, *_):
    flags = flags if t.current_name == "accept4" else 0
    r = addr_out_call(t, NR["accept4"], fd, addr, lenp, flags | SOCK_CLOEXEC)
    if r < 0:
        return r
    return t.fds.install(r, b"", bool(flags & SOCK_CLOEXEC))


@syscall("sendto")
def sys_sendto(t, fd, buf, length, flags, addr, alen):
    data = from_bytes(t.mem.read(buf, length))
    return host_syscall(NR["sendto"], t.fds.host(sint(fd)), data, length, flags,
                        addr_in(t, addr, alen), alen if addr else 0)


@syscall("recvfrom")
def sys_recvfrom(t, fd, buf, length, flags, addr, lenp):
    length = min(length, 1 << 24)
    data = buffer(max(length, 1))
    if addr:
        ln = int.from_bytes(t.mem.read(lenp, 4), "little")
        abuf, lbuf = buffer(max(ln, 1)), from_bytes(ln.to_bytes(4, "little"))
    else:
        abuf = lbuf = None
    r = host_syscall(NR["recvfrom"], t.fds.host(sint(fd)), data, length, flags, abuf, lbuf)
    if r >= 0:
        t.mem.write(buf, data.raw[:r])
        if addr:
            t.mem.write(addr, abuf.raw[:ln])
            t.mem.write(lenp, lbuf.raw[:4])
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


class _HostMsg:
    """A guest msghdr copied into host buffers (and the results copied back)."""

    def __init__(self, t, addr: int, receiving: bool):
        self.t, self.addr = t, addr
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
        self.hname = (buffer(max(self.namelen, 1)) if receiving else
                      from_bytes(t.mem.read(self.name, self.namelen))) if self.name else None
        clen = min(self.controllen, 1 << 16)
        self.hcontrol = (buffer(max(clen, 1)) if receiving else
                         from_bytes(t.mem.read(self.control, clen))) if self.control else None
        self.hdr = from_bytes(MSGHDR.pack(
            ctypes.addressof(self.hname) if self.hname else 0, self.namelen,
            ctypes.addressof(self.hiov), self.iovlen,
            ctypes.addressof(self.hcontrol) if self.hcontrol else 0, clen, self.flags))

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
            t.mem.write(self.name, self.hname.raw[:min(namelen, self.namelen)])
        if self.hcontrol and controllen:
            t.mem.write(self.control, self.hcontrol.raw[:controllen])
        t.mem.write(self.addr + 8, namelen.to_bytes(4, "little"))
        t.mem.write(self.addr + 40, controllen.to_bytes(8, "little"))
        t.mem.write(self.addr + 48, (flags & 0xFFFFFFFF).to_bytes(4, "little"))


@syscall("sendmsg")
def sys_sendmsg(t, fd, msg, flags, *_):
    m = _HostMsg(t, msg, receiving=False)
    return host_syscall(NR["sendmsg"], t.fds.host(sint(fd)), m.hdr, flags)


@syscall("recvmsg")
def sys_recvmsg(t, fd, msg, flags, *_):
    m = _HostMsg(t, msg, receiving=True)
    r = host_syscall(NR["recvmsg"], t.fds.host(sint(fd)), m.hdr, flags)
    if r >= 0:
        m.copy_back(r)
    return r
