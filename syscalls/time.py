"""Clocks and sleeping (the kernel's kernel/time/)."""
from __future__ import annotations

import errno
import time as _time

from . import syscall
from .fs import sint
from .uapi import ERESTART_RESTARTBLOCK

CLOCKS = {0: _time.CLOCK_REALTIME, 1: _time.CLOCK_MONOTONIC, 2: _time.CLOCK_PROCESS_CPUTIME_ID,
          3: _time.CLOCK_THREAD_CPUTIME_ID, 4: _time.CLOCK_MONOTONIC_RAW, 5: 5, 6: 6,
          7: _time.CLOCK_BOOTTIME, 8: 8, 9: 9, 11: 11}
TIMER_ABSTIME = 1


def ts_bytes(ns: int) -> bytes:
    return (ns // 10**9).to_bytes(8, "little", signed=True) + (ns % 10**9).to_bytes(8, "little")


def read_ts(t, ptr: int) -> int:
    raw = t.mem.read(ptr, 16)
    sec = int.from_bytes(raw[:8], "little", signed=True)
    nsec = int.from_bytes(raw[8:], "little", signed=True)
    if sec < 0 or not 0 <= nsec < 10**9:
        raise OSError(errno.EINVAL, "bad timespec")
    return sec * 10**9 + nsec


def clock_ns(clockid: int) -> int:
    cid = CLOCKS.get(sint(clockid))
    if cid is None:
        raise OSError(errno.EINVAL, "bad clock")
    return _time.clock_gettime_ns(cid)


@syscall("clock_gettime")
def sys_clock_gettime(t, clockid, tp, *_):
    t.mem.write(tp, ts_bytes(clock_ns(clockid)))
    return 0


@syscall("clock_getres")
def sys_clock_getres(t, clockid, res, *_):
    cid = CLOCKS.get(sint(clockid))
    if cid is None:
        return -errno.EINVAL
    if res:
        t.mem.write(res, ts_bytes(int(_time.clock_getres(cid) * 1e9)))
    return 0


@syscall("gettimeofday")
def sys_gettimeofday(t, tv, tz, *_):
    ns = _time.time_ns()
    if tv:
        t.mem.write(tv, (ns // 10**9).to_bytes(8, "little") + (ns % 10**9 // 1000).to_bytes(8, "little"))
    if tz:
        t.mem.write(tz, bytes(8))
    return 0


@syscall("time")
def sys_time(t, tloc, *_):
    now = _time.time_ns() // 10**9
    if tloc:
        t.mem.write_u64(tloc, now)
    return now


def sleep_ns(t, ns: int, rem: int) -> int:
    """Sleep; a signal the guest wants ends it early with the time left in *rem."""
    end = _time.monotonic_ns() + ns
    if t.threads:                       # only this thread sleeps
        return t.sleep_thread(end)
    if t.sleep_until(end):
        return 0
    if rem:
        t.mem.write(rem, ts_bytes(max(0, end - _time.monotonic_ns())))
    return -ERESTART_RESTARTBLOCK


@syscall("nanosleep")
def sys_nanosleep(t, req, rem, *_):
    return sleep_ns(t, read_ts(t, req), rem)


@syscall("clock_nanosleep")
def sys_clock_nanosleep(t, clockid, flags, req, rem, *_):
    ns = read_ts(t, req)
    if flags & TIMER_ABSTIME:
        ns = max(0, ns - clock_ns(clockid))
        rem = 0
    return sleep_ns(t, ns, rem)
