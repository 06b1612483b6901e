"""futex (kernel/futex/): with one guest thread no one else can wake a waiter, so WAIT only
checks the value (EAGAIN), sleeps out a timeout (ETIMEDOUT) or reports the deadlock."""
from __future__ import annotations

import errno
import sys
import time as _time

from . import syscall
from .time import read_ts

FUTEX_WAIT, FUTEX_WAKE, FUTEX_FD, FUTEX_REQUEUE, FUTEX_CMP_REQUEUE, FUTEX_WAKE_OP = range(6)
FUTEX_LOCK_PI, FUTEX_UNLOCK_PI, FUTEX_TRYLOCK_PI, FUTEX_WAIT_BITSET, FUTEX_WAKE_BITSET = range(6, 11)
FUTEX_WAIT_REQUEUE_PI, FUTEX_CMP_REQUEUE_PI, FUTEX_LOCK_PI2 = 11, 12, 13
FUTEX_CMD_MASK = 0x7F        # without FUTEX_PRIVATE_FLAG and FUTEX_CLOCK_REALTIME


@syscall("futex")
def sys_futex(t, uaddr, op, val, timeout, uaddr2, val3):
    cmd = op & FUTEX_CMD_MASK
    if uaddr & 3:
        return -errno.EINVAL
    if cmd in (FUTEX_WAIT, FUTEX_WAIT_BITSET):
        cur = int.from_bytes(t.mem.read(uaddr, 4), "little")
        if cur != val & 0xFFFFFFFF:
            return -errno.EAGAIN
        if timeout:
            ns = read_ts(t, timeout)
            if cmd == FUTEX_WAIT_BITSET:        # absolute time on the chosen clock
                clock = _time.CLOCK_REALTIME if op & 256 else _time.CLOCK_MONOTONIC
                ns = max(0, ns - _time.clock_gettime_ns(clock))
            _time.sleep(ns / 1e9)
            return -errno.ETIMEDOUT
        print("pyloader: deadlock: the only guest thread waits on a futex nobody can wake "
              f"(0x{uaddr:x})", file=sys.stderr)
        t.do_exit_signal(9)
    if cmd in (FUTEX_WAKE, FUTEX_WAKE_BITSET, FUTEX_WAKE_OP, FUTEX_REQUEUE, FUTEX_CMP_REQUEUE):
        if cmd == FUTEX_CMP_REQUEUE:
            cur = int.from_bytes(t.mem.read(uaddr, 4), "little")
            if cur != val3 & 0xFFFFFFFF:
                return -errno.EAGAIN
        if cmd == FUTEX_WAKE_OP:
            _wake_op(t, uaddr2, val3)
        return 0                                 # nobody is waiting
    if cmd in (FUTEX_LOCK_PI, FUTEX_LOCK_PI2, FUTEX_TRYLOCK_PI):
        word = int.from_bytes(t.mem.read(uaddr, 4), "little")
        if word & 0x3FFFFFFF == 0:
            t.mem.write(uaddr, (t.tid | (word & 0x80000000)).to_bytes(4, "little"))
            return 0
        return -errno.EDEADLK if word & 0x3FFFFFFF == t.tid else -errno.EAGAIN
    if cmd == FUTEX_UNLOCK_PI:
        t.mem.write(uaddr, bytes(4))
        return 0
    return -errno.ENOSYS


def _wake_op(t, uaddr2: int, val3: int) -> None:
    """Apply FUTEX_WAKE_OP's operation to *uaddr2 (the comparison only chooses whom to wake)."""
    op = (val3 >> 28) & 7
    oparg = (val3 >> 12) & 0xFFF
    if val3 >> 28 & 8:
        oparg = 1 << oparg
    old = int.from_bytes(t.mem.read(uaddr2, 4), "little")
    new = {0: oparg, 1: old + oparg, 2: old | oparg, 3: old & ~oparg, 4: old ^ oparg}.get(op, old)
    t.mem.write(uaddr2, (new & 0xFFFFFFFF).to_bytes(4, "little"))
