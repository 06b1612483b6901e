"""Signals: actions, masks, pending sets, waiting, alternate stacks, sending, timers.
Delivery itself (frames, default actions) is the task's (pyloader/signals.py)."""
from __future__ import annotations

import errno
import os
import struct
import time

from . import syscall
from .fs import NR, sint, struct_call
from .host import buffer, from_bytes, host_syscall
from .time import read_ts
from .uapi import (
    ERESTARTNOHAND,
    KERNEL_SIGACTION,
    SIG_BLOCK,
    SIG_IGN,
    SIG_SETMASK,
    SIG_UNBLOCK,
    SIGINFO_HEAD,
    SIGKILL,
    SIGNALFD_SIGINFO,
    SIGNALFD_SIGINFO_SIZE,
    SIGSTOP,
    SS_AUTODISARM,
    SS_DISABLE,
    SS_ONSTACK,
    UNBLOCKABLE,
    sigmask,
    unpack_siginfo,
)

MINSIGSTKSZ = 2048


@syscall("rt_sigaction")
def sys_rt_sigaction(t, sig, act, oact, sigsetsize, *_):
    sig = sint(sig)
    if sigsetsize != 8 or not 1 <= sig <= 64 or (act and sig in (SIGKILL, SIGSTOP)):
        return -errno.EINVAL
    new = t.mem.read(act, KERNEL_SIGACTION.size) if act else None
    if oact:
        t.mem.write(oact, t.sigactions.get(sig, bytes(KERNEL_SIGACTION.size)))
    if new is not None:
        t.sigactions[sig] = new
        if KERNEL_SIGACTION.unpack(new)[0] == SIG_IGN:  # discards what is pending
            t.sigqueue = [(s, i) for s, i in t.sigqueue if s != sig]
    return 0


@syscall("rt_sigprocmask")
def sys_rt_sigprocmask(t, how, nset, oset, sigsetsize, *_):
    if sigsetsize != 8:
        return -errno.EINVAL
    new = t.mem.read_u64(nset) if nset else None
    if oset:
        t.mem.write_u64(oset, t.sigmask)
    if new is not None:
        if how == SIG_BLOCK:
            t.sigmask |= new
        elif how == SIG_UNBLOCK:
            t.sigmask &= ~new
        elif how == SIG_SETMASK:
            t.sigmask = new
        else:
            return -errno.EINVAL
        t.sigmask &= ~UNBLOCKABLE
        if t.sigqueue or t.tsigqueue:
            t.cpu.request_stop()        # what was blocked may be delivered now
    return 0


@syscall("rt_sigpending")
def sys_rt_sigpending(t, setp, size, *_):
    t.take_host_signals()
    bits = 0
    for s, _ in t.sigqueue + t.tsigqueue:
        bits |= sigmask(s)
    t.mem.write_u64(setp, bits & t.sigmask)
    return 0


@syscall("rt_sigreturn")
def sys_rt_sigreturn(t, *_):
    return t.sigreturn()        # the interrupted code's rax, restored from the frame
    # rax is the interrupted code's, restored from the frame


def threaded(t) -> bool:
    """Do other guest threads run while this one waits for a signal?"""
    return bool(t.threads) and t.other_threads_alive()


@syscall("pause")
def sys_pause(t, *_):
    if threaded(t):
        return t.wait_signal(0, None, -ERESTARTNOHAND)
    t.sleep_until_signal()
    return -ERESTARTNOHAND      # EINTR once a handler ran (deliver_signals)


@syscall("rt_sigsuspend")
def sys_rt_sigsuspend(t, mask, size, *_):
    if size != 8:
        return -errno.EINVAL
    new = t.mem.read_u64(mask) & ~UNBLOCKABLE
    t.saved_sigmask = t.sigmask          # the handler's frame saves the mask from before
    t.sigmask = new
    if threaded(t):
        return t.wait_signal(0, None, -ERESTARTNOHAND)
    t.sleep_until_signal()
    return -ERESTARTNOHAND


@syscall("rt_sigtimedwait")
def sys_rt_sigtimedwait(t, setp, infop, timeout, size, *_):
    if size != 8:
        return -errno.EINVAL
    wanted = t.mem.read_u64(setp) & ~UNBLOCKABLE
    ns = read_ts(t, timeout) if timeout else None
    if threaded(t):                 # only this thread waits (sigwait in a signal thread)
        t.take_host_signals()
        found = t.deliverable(~wanted & ((1 << 64) - 1))
        if found is None:
            deadline = t.resumed_deadline(None if ns is None else time.monotonic_ns() + ns)
            if deadline is not None and deadline <= time.monotonic_ns():
                return -errno.EAGAIN
            return t.wait_signal(wanted, deadline, -ERESTARTNOHAND)
    else:
        found = t.sleep_until_signal(~wanted & ((1 << 64) - 1), None if ns is None else ns / 1e9)
    if found is None:
        return -errno.EAGAIN
    queue, i = found
    signo, info = queue.pop(i)
    t.signals_changed()
    if infop:
        t.mem.write(infop, info)
    return signo


@syscall("sigaltstack")
def sys_sigaltstack(t, ss, oss, *_):
    sp, flags, size = t.altstack
    rsp = t.cpu.reg("rsp")
    on = size and sp <= rsp < sp + size
    if oss:
        t.mem.write(oss, struct.pack("<QiiQ", sp, SS_ONSTACK if on else flags, 0, size))
    if ss:
        nsp, nflags, _pad, nsize = struct.unpack("<QiiQ", t.mem.read(ss, 24))
        if on:
            return -errno.EPERM
        if nflags & ~(SS_DISABLE | SS_ONSTACK | SS_AUTODISARM) & 0xFFFFFFFF:
            return -errno.EINVAL
        if nflags & SS_DISABLE:
            t.altstack = (0, SS_DISABLE, 0)
        elif nsize < MINSIGSTKSZ:
            return -errno.ENOMEM
        else:
            t.altstack = (nsp, nflags & ~SS_ONSTACK, nsize)
    return 0


@syscall("kill", "tgkill", "tkill")
def sys_kill(t, *args):
    name = t.current_name
    target, sig = (args[1], args[2]) if name == "tgkill" else (args[0], args[1])
    target, sig = sint(target), sint(sig)
    if sig < 0 or sig > 64:
        return -errno.EINVAL
    if name == "kill" and target == t.pid:
        if sig:
            t.send_signal(sig, 0)                               # SI_USER, to the process
        return 0
    if name != "kill":
        if name == "tgkill" and sint(args[0]) != t.pid:
            return -errno.ESRCH
        if target != t.tid and target not in t.threads:
            return -errno.ESRCH
        if sig:
            t.send_signal(sig, -6, tid=target)                  # SI_TKILL, to one thread
        return 0
    try:
        os.kill(target, sig)            # another guest (a real host process), or a group
    except OSError as e:
        return -(e.errno or errno.ESRCH)
    return 0


# Timers are the host's: the guest's process is this host process, so SIGALRM and timer
# signals arrive for real, with their siginfo, and are delivered like any other.
@syscall("alarm")
def sys_alarm(t, seconds, *_):
    return host_syscall(NR["alarm"], seconds & 0xFFFFFFFF)


@syscall("setitimer")
def sys_setitimer(t, which, new, old, *_):
    return struct_call(t, "setitimer", 32, old, which,
                       from_bytes(t.mem.read(new, 32)) if new else None)


@syscall("getitimer")
def sys_getitimer(t, which, cur, *_):
    return struct_call(t, "getitimer", 32, cur, which)


@syscall("timer_create")
def sys_timer_create(t, clock, sevp, timerid, *_):
    ev = from_bytes(t.mem.read(sevp, 64)) if sevp else None
    tid = buffer(4)
    r = host_syscall(NR["timer_create"], clock, ev, tid)
    if r == 0:
        t.mem.write(timerid, tid.raw)
        t.posix_timers.add(int.from_bytes(tid.raw, "little", signed=True))
    return r


@syscall("timer_settime")
def sys_timer_settime(t, timerid, flags, new, old, *_):
    return struct_call(t, "timer_settime", 32, old, timerid, flags,
                       from_bytes(t.mem.read(new, 32)))


@syscall("timer_gettime")
def sys_timer_gettime(t, timerid, cur, *_):
    return struct_call(t, "timer_gettime", 32, cur, timerid)


@syscall("timer_getoverrun", "timer_delete")
def sys_timer_simple(t, timerid, *_):
    r = host_syscall(NR[t.current_name], timerid)
    if r == 0 and t.current_name == "timer_delete":
        t.posix_timers.discard(timerid)
    return r


# --- signalfd (fs/signalfd.c) -------------------------------------------------------------------
SFD_CLOEXEC, SFD_NONBLOCK = 0o2000000, 0o4000
EFD_NONBLOCK = 0o4000


def signalfd_siginfo(signo: int, info: bytes) -> bytes:
    """signalfd_copyinfo: the siginfo's union read by its layout into the flat record."""
    err = SIGINFO_HEAD.unpack_from(info)[1]
    _, code, f = unpack_siginfo(info)
    u32 = {k: v & 0xFFFFFFFF for k, v in f.items()}       # the record's fields are unsigned
    value = f.get("value", 0)
    rec = SIGNALFD_SIGINFO.pack(signo, err, code, u32.get("pid", 0), u32.get("uid", 0),
                                f.get("fd", 0), u32.get("tid", 0), u32.get("band", 0),
                                u32.get("overrun", 0), 0, f.get("status", 0),
                                (value + 2**31) % 2**32 - 2**31,   # ssi_int: sival_int
                                value, f.get("utime", 0), f.get("stime", 0), f.get("addr", 0))
    return rec.ljust(SIGNALFD_SIGINFO_SIZE, b"\0")


class SignalFd:
    """One signalfd: the signals it takes and an eventfd that is readable while one of them
    is pending, so that poll, select and epoll on it behave (the guest's pending signals are
    pyloader's, not the host's). Shared by dup; a forked child gets its own eventfd."""

    def __init__(self, mask: int) -> None:
        self.mask = mask
        self.event_fd = host_syscall(NR["eventfd2"], 0, EFD_NONBLOCK | SFD_CLOEXEC)
        self.armed = False

    def pending(self, t) -> tuple[list, int] | None:
        for queue in (t.tsigqueue, t.sigqueue):
            for i, (signo, _) in enumerate(queue):
                if self.mask >> (signo - 1) & 1:
                    return queue, i
        return None

    def sync(self, t) -> None:
        """Readable exactly while a signal of the mask is pending."""
        want = self.pending(t) is not None
        if want and not self.armed:
            os.write(self.event_fd, (1).to_bytes(8, "little"))
        elif not want and self.armed:
            try:
                os.read(self.event_fd, 8)
            except BlockingIOError:
                pass
        self.armed = want

    def read(self, t, host_fd: int, buf: int, count: int) -> int:
        if count < SIGNALFD_SIGINFO_SIZE:
            return -errno.EINVAL
        t.take_host_signals()
        out = b""
        while len(out) + SIGNALFD_SIGINFO_SIZE <= count:
            found = self.pending(t)
            if found is None:
                if out:
                    break
                import fcntl
                if fcntl.fcntl(host_fd, fcntl.F_GETFL) & os.O_NONBLOCK:
                    return -errno.EAGAIN
                # the eventfd turns readable when a signal of the mask comes (another
                # thread's kill, or the host's, drained by after_eintr)
                r = t.blocking(self._wait, fd=host_fd, events=1)
                if not isinstance(r, int) or r < 0:
                    return r
                continue
            queue, i = found
            signo, info = queue.pop(i)
            out += signalfd_siginfo(signo, info)
        t.signals_changed()
        t.mem.write(buf, out)
        return len(out)

    def _wait(self) -> int:
        """Read the eventfd (blocking, unless the guest asked for O_NONBLOCK, which was
        checked): our WAKE interrupts it when a host signal comes, and the drain that follows
        makes it readable if the signal is one of ours."""
        from .host import host_read
        r = host_read(self.event_fd, 8)
        if isinstance(r, int):
            return r
        self.armed = False
        return 0

    def after_fork(self, t) -> None:
        """The child's pending signals are its own: a new eventfd behind its descriptors."""
        new = host_syscall(NR["eventfd2"], 0, EFD_NONBLOCK | SFD_CLOEXEC)
        for f in t.fds.files.values():
            if f.file is self:
                os.dup2(new, f.host_fd, inheritable=False)
        os.close(self.event_fd)
        self.event_fd, self.armed = new, False
        self.sync(t)


@syscall("signalfd", "signalfd4")
def sys_signalfd4(t, fd, mask, size, flags=0, *_):
    flags = flags if t.current_name == "signalfd4" else 0
    if size != 8 or flags & ~(SFD_CLOEXEC | SFD_NONBLOCK):
        return -errno.EINVAL
    bits = t.mem.read_u64(mask) & ~UNBLOCKABLE
    fd = sint(fd)
    if fd != -1:                        # a new mask for an existing signalfd
        f = t.fds.get(fd)
        if not isinstance(f.file, SignalFd):
            return -errno.EINVAL
        f.file.mask = bits
        f.file.sync(t)
        return fd
    sfd = SignalFd(bits)
    if sfd.event_fd < 0:
        return sfd.event_fd
    import fcntl
    host = os.dup(sfd.event_fd)         # the same file description: O_NONBLOCK is shared
    fcntl.fcntl(host, fcntl.F_SETFL, os.O_NONBLOCK if flags & SFD_NONBLOCK else 0)
    t.signalfds.append(sfd)
    sfd.sync(t)
    return t.fds.install(host, b"anon_inode:[signalfd]", bool(flags & SFD_CLOEXEC), file=sfd)


# --- sigqueue: a signal with the sender's own siginfo ----------------------------------------------
@syscall("rt_sigqueueinfo", "rt_tgsigqueueinfo")
def sys_rt_sigqueueinfo(t, *args):
    tg = t.current_name == "rt_tgsigqueueinfo"
    pid, tid = sint(args[0]), (sint(args[1]) if tg else None)
    sig, uinfo = sint(args[2 if tg else 1]), args[3 if tg else 2]
    info = t.mem.read(uinfo, 128)
    code = struct.unpack_from("<i", info, 8)[0]
    if not 1 <= sig <= 64:
        return -errno.EINVAL
    if code >= 0 or code == -6:          # only SI_QUEUE-like codes may be forged (SI_TKILL no)
        return -errno.EPERM
    info = struct.pack("<i", sig) + info[4:]
    if pid == t.pid and (tid is None or tid == t.tid or tid in t.threads):
        t.queue_signal(sig, info, tid if tg else None)
        return 0
    return host_syscall(t.current_nr, *([pid, tid] if tg else [pid]), sig, from_bytes(info))


# --- pidfd: real processes (guest children are host processes) ------------------------------------
@syscall("pidfd_open")
def sys_pidfd_open(t, pid, flags, *_):
    fd = host_syscall(NR["pidfd_open"], sint(pid), flags)
    if fd < 0:
        return fd
    return t.fds.install(fd, b"anon_inode:[pidfd]", True)


@syscall("pidfd_send_signal")
def sys_pidfd_send_signal(t, pidfd, sig, info, flags, *_):
    h = t.fds.host(sint(pidfd))
    data = from_bytes(t.mem.read(info, 128)) if info else None
    target = None
    try:
        with open(f"/proc/self/fdinfo/{h}") as f:
            target = next((int(ln.split()[1]) for ln in f if ln.startswith("Pid:")), None)
    except OSError:
        pass
    if target == t.pid and sint(sig):    # ourselves: the guest's queue, not the host's
        t.send_signal(sint(sig), 0)
        return 0
    return host_syscall(NR["pidfd_send_signal"], h, sint(sig), data, flags)
