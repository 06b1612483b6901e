"""Signal bookkeeping: actions, masks, alternate stacks (delivery comes with processes)."""
from __future__ import annotations

import errno

from . import syscall
from .fs import sint

SIGKILL, SIGSTOP = 9, 19
SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK = 0, 1, 2
UNBLOCKABLE = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1))
SIGACTION_SIZE = 32     # struct kernel_sigaction: handler, flags, restorer, mask (8 bytes)


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
    return 0


@syscall("rt_sigpending")
def sys_rt_sigpending(t, setp, size, *_):
    t.mem.write_u64(setp, 0)
    return 0


@syscall("sigaltstack")
def sys_sigaltstack(t, ss, oss, *_):
    if oss:
        t.mem.write(oss, getattr(t, "altstack", None) or (bytes(8) + (2).to_bytes(4, "little")
                                                             + bytes(12)))   # SS_DISABLE
    if ss:
        t.altstack = t.mem.read(ss, 24)
    return 0
