"""Waiting for descriptors: poll, ppoll, select, pselect6 (fs/select.c) and epoll
(fs/eventpoll.c). Guest descriptors are host descriptors, so each call is the host's own,
made on the translated descriptors through `task.wait_ready`: that keeps the deadline across
host signals, and with several guest threads it parks only the calling thread."""
from __future__ import annotations

import errno
import struct
import time

from . import syscall
from .fs import NR, sint
from .host import buffer, from_bytes, host_syscall
from .uapi import POLLIN, POLLOUT, POLLPRI, UNBLOCKABLE

CLOSED_FD = 0x7FFFFFFF          # a host descriptor number that is never open: POLLNVAL
EP_MAX_EVENTS = 0x7FFFFFFF // 12
EPOLL_CLOEXEC = 0o2000000


def timespec(ns: int | None):
    """A host struct timespec (None: no timeout, a NULL pointer)."""
    return None if ns is None else from_bytes(struct.pack("<qq", *divmod(ns, 10**9)))


def read_timeout(t, ptr: int, usec: bool = False) -> int | None:
    """A guest timespec (timeval with usec) as nanoseconds; NULL is None (wait forever)."""
    if not ptr:
        return None
    sec, frac = struct.unpack("<qq", t.mem.read(ptr, 16))
    if sec < 0 or frac < 0 or frac >= (10**6 if usec else 10**9):
        raise OSError(errno.EINVAL, "bad timeout")
    return sec * 10**9 + frac * (1000 if usec else 1)


def write_left(t, ptr: int, deadline_left: int, usec: bool = False) -> None:
    """poll_select_finish: the time left goes back to the guest's timeout."""
    sec, ns = divmod(max(0, deadline_left), 10**9)
    t.mem.write(ptr, struct.pack("<qq", sec, ns // 1000 if usec else ns))


def _masked(t, ptr: int, call):
    """ppoll/pselect6/epoll_pwait: `call()` under the guest's temporary signal mask at `ptr`,
    set as rt_sigsuspend sets it. The mask from before comes back when the call returns; when
    a signal interrupts it, the handler's frame restores it; while the thread waits (a
    non-int result) it is still in the call."""
    if not ptr:
        return call()
    new = t.mem.read_u64(ptr) & ~UNBLOCKABLE
    if t.saved_sigmask is None:         # a call made again keeps the first saved mask
        t.saved_sigmask = t.sigmask
    t.sigmask = new
    t.after_eintr()                     # a pending signal the new mask lets in: EINTR now
    result = call()
    if isinstance(result, int):
        t.sigmask, t.saved_sigmask = t.saved_sigmask, None
    return result


# --- poll ---------------------------------------------------------------------------------------
def do_poll(t, fds: int, nfds: int, timeout_ns: int | None, left_ptr: int = 0):
    if nfds > t.fds.limit:
        return -errno.EINVAL
    raw = bytearray(t.mem.read(fds, 8 * nfds)) if nfds else bytearray()
    host = bytearray(raw)
    waits = []
    for i in range(nfds):
        fd, events = struct.unpack_from("<ih", raw, 8 * i)
        if fd < 0:
            continue                # ignored, as the kernel does
        f = t.fds.files.get(fd)
        hfd = f.host_fd if f is not None else CLOSED_FD
        struct.pack_into("<i", host, 8 * i, hfd)
        waits.append((hfd, events & 0xFFFF))
    hbuf = from_bytes(bytes(host))
    start = time.monotonic_ns()

    def call(left: int | None, probe: bool) -> int:
        r = host_syscall(NR["ppoll"], hbuf, nfds, timespec(left), None, 8)
        if r < 0 or (probe and r == 0):
            return r
        out = hbuf.raw
        for i in range(nfds):           # only revents changes
            raw[8 * i + 6:8 * i + 8] = out[8 * i + 6:8 * i + 8]
        if nfds:
            t.mem.write(fds, bytes(raw))
        if left_ptr and timeout_ns:
            write_left(t, left_ptr, timeout_ns - (time.monotonic_ns() - start))
        return r

    return t.wait_ready(call, tuple(waits), timeout_ns)


@syscall("poll")
def sys_poll(t, fds, nfds, timeout, *_):
    ms = sint(timeout)
    return do_poll(t, fds, nfds, None if ms < 0 else ms * 10**6)


@syscall("ppoll")
def sys_ppoll(t, fds, nfds, tsp, sigmask, sigsetsize, *_):
    if sigmask and sigsetsize != 8:
        return -errno.EINVAL
    timeout = read_timeout(t, tsp)
    return _masked(t, sigmask, lambda: do_poll(t, fds, nfds, timeout, tsp))


# --- select -------------------------------------------------------------------------------------
def do_select(t, nfds: int, ptrs: tuple[int, int, int], timeout_ns: int | None, tsp: int,
              usec: bool):
    nfds = sint(nfds)
    if nfds < 0:
        return -errno.EINVAL
    nfds = min(nfds, t.fds.limit)
    nbytes = (nfds + 63) // 64 * 8
    sets = [int.from_bytes(t.mem.read(p, nbytes), "little") if p and nbytes else 0
            for p in ptrs]
    to_host: dict[int, int] = {}
    for bits in sets:
        for fd in range(nfds):
            if bits >> fd & 1 and fd not in to_host:
                to_host[fd] = t.fds.host(fd)            # EBADF, as the kernel
    back = {h: fd for fd, h in to_host.items()}
    hn = max(back, default=-1) + 1
    hbytes = (hn + 63) // 64 * 8 or 8
    host_sets = []
    for bits in sets:
        hb = 0
        for fd, h in to_host.items():
            if bits >> fd & 1:
                hb |= 1 << h
        host_sets.append(hb)
    waits = tuple((h, (POLLIN if sets[0] >> fd & 1 else 0) | (POLLOUT if sets[1] >> fd & 1 else 0)
                   | (POLLPRI if sets[2] >> fd & 1 else 0)) for fd, h in to_host.items())
    start = time.monotonic_ns()

    def call(left: int | None, probe: bool) -> int:
        bufs = [from_bytes(hb.to_bytes(hbytes, "little")) if p else None
                for p, hb in zip(ptrs, host_sets)]
        r = host_syscall(NR["pselect6"], hn, *bufs, timespec(left), None)
        if r < 0 or (probe and r == 0):
            return r
        for p, b in zip(ptrs, bufs):
            if p and nbytes:
                hb = int.from_bytes(b.raw[:hbytes], "little")
                bits = sum(1 << back[h] for h in back if hb >> h & 1)
                t.mem.write(p, bits.to_bytes(nbytes, "little"))
        if tsp and timeout_ns:
            write_left(t, tsp, timeout_ns - (time.monotonic_ns() - start), usec)
        return r

    return t.wait_ready(call, waits, timeout_ns)


@syscall("select")
def sys_select(t, nfds, rfds, wfds, efds, tvp, *_):
    return do_select(t, nfds, (rfds, wfds, efds), read_timeout(t, tvp, usec=True), tvp, True)


@syscall("pselect6")
def sys_pselect6(t, nfds, rfds, wfds, efds, tsp, sig, *_):
    timeout = read_timeout(t, tsp)
    ss = 0
    if sig:
        ss, size = struct.unpack("<QQ", t.mem.read(sig, 16))
        if ss and size != 8:
            return -errno.EINVAL
    return _masked(t, ss, lambda: do_select(t, nfds, (rfds, wfds, efds), timeout, tsp, False))


# --- epoll --------------------------------------------------------------------------------------
@syscall("epoll_create", "epoll_create1")
def sys_epoll_create1(t, arg, *_):
    if t.current_name == "epoll_create":
        if sint(arg) <= 0:
            return -errno.EINVAL
        flags = 0
    else:
        flags = arg
        if flags & ~EPOLL_CLOEXEC:
            return -errno.EINVAL
    fd = host_syscall(NR["epoll_create1"], EPOLL_CLOEXEC)
    if fd < 0:
        return fd
    return t.fds.install(fd, b"anon_inode:[eventpoll]", bool(flags & EPOLL_CLOEXEC))


@syscall("epoll_ctl")
def sys_epoll_ctl(t, epfd, op, fd, event, *_):
    # ep_op_has_event: the event is copied in before the descriptors are looked at
    ev = from_bytes(t.mem.read(event, 12)) if sint(op) != 2 else None   # packed, 12 bytes
    hep, hfd = t.fds.host(sint(epfd)), t.fds.host(sint(fd))
    return host_syscall(NR["epoll_ctl"], hep, sint(op), hfd, ev)


def do_epoll_wait(t, epfd: int, events: int, maxevents: int, timeout_ns: int | None):
    maxevents = sint(maxevents)
    if maxevents <= 0 or maxevents > EP_MAX_EVENTS:
        return -errno.EINVAL
    hep = t.fds.host(sint(epfd))
    n = min(maxevents, 1024)
    buf = buffer(12 * n)

    def call(left: int | None, probe: bool) -> int:
        ms = -1 if left is None else (left + 999_999) // 10**6
        r = host_syscall(NR["epoll_pwait"], hep, buf, n, ms, None, 8)
        if r > 0:
            t.mem.write(events, buf.raw[:12 * r])     # a bad buffer: EFAULT, as the kernel
        return r

    return t.wait_ready(call, ((hep, POLLIN),), timeout_ns)


@syscall("epoll_wait")
def sys_epoll_wait(t, epfd, events, maxevents, timeout, *_):
    ms = sint(timeout)
    return do_epoll_wait(t, epfd, events, maxevents, None if ms < 0 else ms * 10**6)


@syscall("epoll_pwait")
def sys_epoll_pwait(t, epfd, events, maxevents, timeout, sigmask, sigsetsize, *_):
    if sigmask and sigsetsize != 8:
        return -errno.EINVAL
    ms = sint(timeout)
    return _masked(t, sigmask, lambda: do_epoll_wait(t, epfd, events, maxevents,
                                                     None if ms < 0 else ms * 10**6))


@syscall("epoll_pwait2")
def sys_epoll_pwait2(t, epfd, events, maxevents, tsp, sigmask, sigsetsize, *_):
    if sigmask and sigsetsize != 8:
        return -errno.EINVAL
    timeout = read_timeout(t, tsp)
    return _masked(t, sigmask, lambda: do_epoll_wait(t, epfd, events, maxevents, timeout))
