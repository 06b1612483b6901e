"""Calls that fit no other group: getrandom, memfd_create, eventfd, timerfd, inotify."""
from __future__ import annotations

import errno
import os

from . import syscall
from .fs import NR, as_path, at_path, read_path, sint, struct_call
from .host import from_bytes, host_syscall
from .uapi import AT_FDCWD
from .vfs import FOLLOW, NOFOLLOW

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


# --- timerfd (fs/timerfd.c) and inotify (fs/notify/inotify/): the host's own --------------------
TFD_CLOEXEC, IN_CLOEXEC = 0o2000000, 0o2000000
IN_DONT_FOLLOW = 0x2000000
INOTIFY_PATH = b"anon_inode:inotify"


@syscall("timerfd_create")
def sys_timerfd_create(t, clockid, flags, *_):
    fd = host_syscall(NR["timerfd_create"], sint(clockid), flags | TFD_CLOEXEC)
    if fd < 0:
        return fd
    return t.fds.install(fd, b"anon_inode:[timerfd]", bool(flags & TFD_CLOEXEC))


@syscall("timerfd_settime")
def sys_timerfd_settime(t, fd, flags, new, old, *_):
    return struct_call(t, "timerfd_settime", 32, old, t.fds.host(sint(fd)), flags,
                       from_bytes(t.mem.read(new, 32)))


@syscall("timerfd_gettime")
def sys_timerfd_gettime(t, fd, cur, *_):
    return struct_call(t, "timerfd_gettime", 32, cur, t.fds.host(sint(fd)))


@syscall("inotify_init", "inotify_init1")
def sys_inotify_init1(t, flags=0, *_):
    flags = flags if t.current_name == "inotify_init1" else 0
    fd = host_syscall(NR["inotify_init1"], flags | IN_CLOEXEC)
    if fd < 0:
        return fd
    return t.fds.install(fd, INOTIFY_PATH, bool(flags & IN_CLOEXEC))


@syscall("inotify_add_watch")
def sys_inotify_add_watch(t, fd, path, mask, *_):
    f = t.fds.get(sint(fd))
    if f.path != INOTIFY_PATH:
        return -errno.EINVAL            # not an inotify descriptor: checked before the path
    h = f.host_fd
    with at_path(t, AT_FDCWD, read_path(t, path),
                 NOFOLLOW if mask & IN_DONT_FOLLOW else FOLLOW) as (dirfd, hpath):
        return host_syscall(NR["inotify_add_watch"], h, as_path(dirfd, hpath), mask & 0xFFFFFFFF)


@syscall("inotify_rm_watch")
def sys_inotify_rm_watch(t, fd, wd, *_):
    return host_syscall(NR["inotify_rm_watch"], t.fds.host(sint(fd)), sint(wd))


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
