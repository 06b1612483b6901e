"""Signals: actions, masks, pending sets, waiting, alternate stacks, sending, timers.
Delivery itself (frames, default actions) is the task's (pyloader/signals.py)."""
from __future__ import annotations

import errno
import os
import struct

from . import syscall
from .fs import NR, sint, struct_call
from .host import buffer, from_bytes, host_syscall
from .time import read_ts

SIGKILL, SIGSTOP = 9, 19
SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK = 0, 1, 2
UNBLOCKABLE = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1))
SIGACTION_SIZE = 32     # struct kernel_sigaction: handler, flags, restorer, mask (8 bytes)
SS_ONSTACK, SS_DISABLE, SS_AUTODISARM = 1, 2, 1 << 31
MINSIGSTKSZ = 2048


@syscall("rt_sigaction")
def sys_rt_sigaction(t, sig, act, oact, sigsetsize, *_):
    sig = sint(sig)
    if sigsetsize != 8 or not 1 <= sig <= 64 or (act and sig in (SIGKILL, SIGSTOP)):
        return -errno.EINVAL
    new = t.mem.read(act, SIGACTION_SIZE) if act else None
    if oact:
        t.mem.write(oact, t.sigactions.get(sig, bytes(SIGACTION_SIZE)))
    if new is not None:
        t.sigactions[sig] = new
        if int.from_bytes(new[:8], "little") == 1:      # SIG_IGN discards what is pending
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
    t._drain_host_signals()
    bits = 0
    for s, _ in t.sigqueue + t.tsigqueue:
        bits |= 1 << (s - 1)
    t.mem.write_u64(setp, bits & t.sigmask)
    return 0


ERESTARTSYS, ERESTARTNOINTR, ERESTARTNOHAND, ERESTART_RESTARTBLOCK = 512, 513, 514, 516


@syscall("rt_sigreturn")
def sys_rt_sigreturn(t, *_):
    return t.sigreturn()        # the interrupted code's rax, restored from the frame
    # rax is the interrupted code's, restored from the frame


@syscall("pause")
def sys_pause(t, *_):
    t.sleep_until_signal()
    return -ERESTARTNOHAND      # EINTR once a handler ran (deliver_signals)


@syscall("rt_sigsuspend")
def sys_rt_sigsuspend(t, mask, size, *_):
    if size != 8:
        return -errno.EINVAL
    new = t.mem.read_u64(mask) & ~UNBLOCKABLE
    t.saved_sigmask = t.sigmask          # the handler's frame saves the mask from before
    t.sigmask = new
    t.sleep_until_signal()
    return -ERESTARTNOHAND


@syscall("rt_sigtimedwait")
def sys_rt_sigtimedwait(t, setp, infop, timeout, size, *_):
    if size != 8:
        return -errno.EINVAL
    wanted = t.mem.read_u64(setp) & ~UNBLOCKABLE
    secs = read_ts(t, timeout) / 1e9 if timeout else None
    found = t.sleep_until_signal(~wanted & ((1 << 64) - 1), secs)
    if found is None:
        return -errno.EAGAIN
    queue, i = found
    signo, info = queue.pop(i)
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
    nb = from_bytes(t.mem.read(new, 32)) if new else None
    if not old:
        return host_syscall(NR["setitimer"], which, nb, None)
    return struct_call(t, "setitimer", 32, old, which, nb)


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
    nb = from_bytes(t.mem.read(new, 32))
    if not old:
        return host_syscall(NR["timer_settime"], timerid, flags, nb, None)
    return struct_call(t, "timer_settime", 32, old, timerid, flags, nb)


@syscall("timer_gettime")
def sys_timer_gettime(t, timerid, cur, *_):
    return struct_call(t, "timer_gettime", 32, cur, timerid)


@syscall("timer_getoverrun", "timer_delete")
def sys_timer_simple(t, timerid, *_):
    r = host_syscall(NR[t.current_name], timerid)
    if r == 0 and t.current_name == "timer_delete":
        t.posix_timers.discard(timerid)
    return r
