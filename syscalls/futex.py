"""futex (kernel/futex/). With several guest threads, waiters block in the scheduler
(pyloader/threads.py) and wakes, requeues and PI hand-offs are real. With one thread no one
else can wake a waiter: WAIT only checks the value (EAGAIN), sleeps out a timeout
(ETIMEDOUT) or reports the deadlock."""
from __future__ import annotations

import errno
import struct
import sys
import time as _time

from . import syscall
from .time import read_ts
from .uapi import FUTEX_OWNER_DIED, FUTEX_TID_MASK, FUTEX_WAITERS

FUTEX_WAIT, FUTEX_WAKE, FUTEX_FD, FUTEX_REQUEUE, FUTEX_CMP_REQUEUE, FUTEX_WAKE_OP = range(6)
FUTEX_LOCK_PI, FUTEX_UNLOCK_PI, FUTEX_TRYLOCK_PI, FUTEX_WAIT_BITSET, FUTEX_WAKE_BITSET = range(6, 11)
FUTEX_WAIT_REQUEUE_PI, FUTEX_CMP_REQUEUE_PI, FUTEX_LOCK_PI2 = 11, 12, 13
FUTEX_CMD_MASK = 0x7F        # without FUTEX_PRIVATE_FLAG and FUTEX_CLOCK_REALTIME
FUTEX_PRIVATE_FLAG, FUTEX_CLOCK_REALTIME = 128, 256
SHARED_CMDS = (FUTEX_WAIT, FUTEX_WAIT_BITSET, FUTEX_WAKE, FUTEX_WAKE_BITSET, FUTEX_REQUEUE,
               FUTEX_CMP_REQUEUE, FUTEX_WAKE_OP)


def _u32(t, addr: int) -> int:
    return int.from_bytes(t.mem.read(addr, 4), "little")


def _deadline(t, op: int, cmd: int, timeout: int) -> int | None:
    """CLOCK_MONOTONIC ns when the wait times out. WAIT takes a relative timeout; WAIT_BITSET
    and LOCK_PI an absolute one (LOCK_PI on CLOCK_REALTIME)."""
    if not timeout:
        return None
    ns = read_ts(t, timeout)
    now = _time.monotonic_ns()
    if cmd == FUTEX_WAIT:
        return now + ns
    realtime = cmd in (FUTEX_LOCK_PI,) or op & FUTEX_CLOCK_REALTIME
    return now + ns - (_time.clock_gettime_ns(_time.CLOCK_REALTIME) if realtime else now)


@syscall("futex")
def sys_futex(t, uaddr, op, val, timeout, uaddr2, val3):
    cmd = op & FUTEX_CMD_MASK
    if uaddr & 3:
        return -errno.EINVAL
    # process-shared (a MAP_SHARED page other processes map too): see _shared_wait/_wake
    host = t.mem.host_address(uaddr) if not op & FUTEX_PRIVATE_FLAG and cmd in SHARED_CMDS \
        else None
    if cmd in (FUTEX_WAIT, FUTEX_WAIT_BITSET):
        bitset = 0xFFFFFFFF if cmd == FUTEX_WAIT else val3 & 0xFFFFFFFF
        if not bitset:
            return -errno.EINVAL
        if _u32(t, uaddr) != val & 0xFFFFFFFF:
            return -errno.EAGAIN
        deadline = _deadline(t, op, cmd, timeout)
        if host is not None:
            return _shared_wait(t, host, uaddr, val & 0xFFFFFFFF, bitset, deadline)
        if t.threads:
            return t.futex_wait(uaddr, bitset, deadline)
        if deadline is not None:
            return -errno.ETIMEDOUT if t.sleep_until(deadline) else -512
        print("pyloader: deadlock: the only guest thread waits on a futex nobody can wake "
              f"(0x{uaddr:x})", file=sys.stderr)
        t.do_exit_signal(9)
    if host is not None:
        return _shared_wake(t, host, uaddr, cmd, val, timeout, uaddr2, val3)
    if cmd in (FUTEX_WAKE, FUTEX_WAKE_BITSET):
        bitset = 0xFFFFFFFF if cmd == FUTEX_WAKE else val3 & 0xFFFFFFFF
        return t.futex_wake(uaddr, val & 0x7FFFFFFF, bitset) if t.threads else 0
    if cmd in (FUTEX_REQUEUE, FUTEX_CMP_REQUEUE):
        if cmd == FUTEX_CMP_REQUEUE and _u32(t, uaddr) != val3 & 0xFFFFFFFF:
            return -errno.EAGAIN
        return t.futex_requeue(uaddr, val & 0x7FFFFFFF, timeout & 0x7FFFFFFF, uaddr2) \
            if t.threads else 0
    if cmd == FUTEX_WAKE_OP:
        cond = _wake_op(t, uaddr2, val3)
        if not t.threads:
            return 0
        n = t.futex_wake(uaddr, val & 0x7FFFFFFF)
        if cond:
            n += t.futex_wake(uaddr2, timeout & 0x7FFFFFFF)
        return n
    if cmd in (FUTEX_LOCK_PI, FUTEX_LOCK_PI2, FUTEX_TRYLOCK_PI):
        return _lock_pi(t, uaddr, op, cmd, timeout)
    if cmd == FUTEX_UNLOCK_PI:
        return _unlock_pi(t, uaddr)
    return -errno.ENOSYS


def _lock_pi(t, uaddr: int, op: int, cmd: int, timeout: int) -> int:
    word = _u32(t, uaddr)
    owner = word & FUTEX_TID_MASK
    if owner == 0 or word & FUTEX_OWNER_DIED:
        t.mem.write(uaddr, (t.tid | (word & FUTEX_WAITERS)).to_bytes(4, "little"))
        return 0
    if owner == t.tid:
        return -errno.EDEADLK
    if cmd == FUTEX_TRYLOCK_PI or not t.threads or owner not in t.threads:
        return -errno.EAGAIN if cmd == FUTEX_TRYLOCK_PI or owner in t.threads else -errno.ESRCH
    t.mem.write(uaddr, (word | FUTEX_WAITERS).to_bytes(4, "little"))
    from_thread = t.futex_wait(uaddr, 0xFFFFFFFF, _deadline(t, op, cmd, timeout))
    t.thread.wait.kind = "pi"
    return from_thread


def _unlock_pi(t, uaddr: int) -> int:
    """Hand the lock to the first waiter (the kernel's PI hand-off), or release it."""
    word = _u32(t, uaddr)
    if word & FUTEX_TID_MASK != t.tid:
        return -errno.EPERM
    waiters = t.pi_waiters(uaddr) if t.threads else []
    if not waiters:
        t.mem.write(uaddr, bytes(4))
        return 0
    nxt = waiters[0]
    more = FUTEX_WAITERS if len(waiters) > 1 else 0
    t.mem.write(uaddr, (nxt.tid | more).to_bytes(4, "little"))
    t.wake(nxt, 0)
    return 0


def _wake_op(t, uaddr2: int, val3: int) -> bool:
    """Apply FUTEX_WAKE_OP's operation to *uaddr2; returns its comparison of the old value."""
    op = (val3 >> 28) & 7
    cmp = (val3 >> 24) & 15
    oparg = (val3 >> 12) & 0xFFF
    cmparg = val3 & 0xFFF
    if val3 >> 28 & 8:
        oparg = 1 << oparg
    old = _u32(t, uaddr2)
    new = {0: oparg, 1: old + oparg, 2: old | oparg, 3: old & ~oparg, 4: old ^ oparg}.get(op, old)
    t.mem.write(uaddr2, (new & 0xFFFFFFFF).to_bytes(4, "little"))
    return {0: old == cmparg, 1: old != cmparg, 2: old < cmparg, 3: old <= cmparg,
            4: old > cmparg, 5: old >= cmparg}.get(cmp, False)


def _shared_wait(t, host: int, uaddr: int, val: int, bitset: int, deadline: int | None):
    """A futex in a MAP_SHARED page, which other (real) processes map too: the wait is the
    host's futex at pyloader's address of the page (our wake signal interrupts it). With
    several threads the waiter parks in the scheduler, which also wakes it when the word
    changes (another process's wake always follows a change of the word it watches)."""
    from .fs import NR
    from .host import from_bytes, host_syscall
    if t.threads and t.other_threads_alive():
        return t.futex_wait(uaddr, bitset, deadline, expect=val)
    # FUTEX_WAIT_BITSET: an absolute CLOCK_MONOTONIC deadline, which a wait made again
    # after our wake signal keeps
    ts = None if deadline is None else from_bytes(struct.pack("<qq", *divmod(deadline, 10**9)))
    while True:
        r = host_syscall(NR["futex"], host, FUTEX_WAIT_BITSET, val, ts, 0, bitset)
        if r != -errno.EINTR:
            return r
        t.after_eintr()                 # a signal the guest takes interrupts the wait


def _shared_wake(t, host: int, uaddr: int, cmd: int, val: int, timeout: int, uaddr2: int,
                 val3: int) -> int:
    """Wakes of a process-shared futex reach the host's waiters (other processes) as well
    as this process's threads."""
    from .fs import NR
    from .host import host_syscall
    local = 0
    if cmd in (FUTEX_WAKE, FUTEX_WAKE_BITSET):
        bitset = 0xFFFFFFFF if cmd == FUTEX_WAKE else val3 & 0xFFFFFFFF
        if t.threads:
            local = t.futex_wake(uaddr, val & 0x7FFFFFFF, bitset)
        n = max(0, (val & 0x7FFFFFFF) - local)
        r = host_syscall(NR["futex"], host, FUTEX_WAKE_BITSET, n, None, 0, bitset) if n else 0
        return local + max(r, 0)
    if cmd == FUTEX_WAKE_OP:
        host2 = t.mem.host_address(uaddr2)
        if host2 is None:
            return -errno.EINVAL
        if t.threads:                   # the operation is done once, by the host
            local = t.futex_wake(uaddr, val & 0x7FFFFFFF)
        r = host_syscall(NR["futex"], host, FUTEX_WAKE_OP, val, timeout, host2, val3)
        return local + max(r, 0) if r >= 0 else r
    # REQUEUE, CMP_REQUEUE: the host's waiters move on the host; ours are woken to look again
    if cmd == FUTEX_CMP_REQUEUE and _u32(t, uaddr) != val3 & 0xFFFFFFFF:
        return -errno.EAGAIN
    host2 = t.mem.host_address(uaddr2)
    if host2 is None:
        return -errno.EINVAL
    if t.threads:
        local = t.futex_wake(uaddr, 0x7FFFFFFF)
    r = host_syscall(NR["futex"], host, cmd, val, timeout, host2, val3)
    return local + max(r, 0) if r >= 0 else r
