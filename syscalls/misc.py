"""Calls that fit no other group: getrandom, memfd_create, eventfd."""
from __future__ import annotations

import errno
import os

from . import syscall
from .fs import NR
from .host import host_syscall

GRND_NONBLOCK, GRND_RANDOM, GRND_INSECURE = 1, 2, 4


@syscall("getrandom")
def sys_getrandom(t, buf, count, flags, *_):
    if flags & ~7:
        return -errno.EINVAL
    count = min(count, 1 << 25)
    t.mem.write(buf, t.random_bytes(count))
    return count


@syscall("memfd_create")
def sys_memfd_create(t, name, flags, *_):
    label = t.mem.read_cstr(name, 249)
    fd = os.memfd_create(label, (flags & ~1) | 1)      # always MFD_CLOEXEC on the host
    return t.fds.install(fd, b"/memfd:" + label + b" (deleted)", bool(flags & 1))


@syscall("eventfd2", "eventfd")
def sys_eventfd2(t, initval, flags=0, *_):
    flags = flags if t.current_name == "eventfd2" else 0
    fd = host_syscall(NR["eventfd2"], initval & 0xFFFFFFFF, flags | 0o2000000)
    if fd < 0:
        return fd
    return t.fds.install(fd, b"anon_inode:[eventfd]", bool(flags & 0o2000000))


@syscall("umount2", "mount", "chroot", "pivot_root", "reboot", "sethostname", "setdomainname",
         "swapon", "swapoff", "init_module", "delete_module", "acct", "settimeofday",
         "clock_settime", "iopl", "ioperm")
def sys_privileged(t, *_):
    return -errno.EPERM


@syscall("ptrace")
def sys_ptrace(t, *_):
    return -errno.EPERM


@syscall("sched_getattr")
def sys_noattr(t, *_):
    return -errno.ENOSYS
