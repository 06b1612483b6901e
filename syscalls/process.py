"""Process calls (the kernel's kernel/): exit, ids, limits, TLS setup, rseq, uname, ..."""
from __future__ import annotations

import errno
import os
import struct

from . import syscall
from .fs import NR, sint, struct_call
from .host import buffer, from_bytes, host_syscall
from .uapi import (
    ARCH_GET_FS,
    ARCH_GET_GS,
    ARCH_SET_FS,
    ARCH_SET_GS,
    CLONE_VFORK,
    CLONE_VM,
    RLIM_INFINITY,
    SIGCHLD,
)

PR_SET_NAME, PR_GET_NAME = 15, 16
RLIMIT_NOFILE = 7


@syscall("exit_group")
def sys_exit_group(t, status, *_):
    t.do_exit(status & 0xFF)


@syscall("exit")
def sys_exit(t, status, *_):
    return t.thread_exit(status & 0xFF)     # the last thread's exit ends the process


@syscall("getpid")
def sys_getpid(t, *_):
    return t.pid


@syscall("gettid")
def sys_gettid(t, *_):
    return t.tid


@syscall("getppid")
def sys_getppid(t, *_):
    return os.getppid()


@syscall("getuid")
def sys_getuid(t, *_):
    return t.creds.uid


@syscall("geteuid")
def sys_geteuid(t, *_):
    return t.creds.euid


@syscall("getgid")
def sys_getgid(t, *_):
    return t.creds.gid


@syscall("getegid")
def sys_getegid(t, *_):
    return t.creds.egid


@syscall("getresuid")
def sys_getresuid(t, r, e, s, *_):
    for p, v in ((r, t.creds.uid), (e, t.creds.euid), (s, t.creds.euid)):
        t.mem.write(p, v.to_bytes(4, "little"))
    return 0


@syscall("getresgid")
def sys_getresgid(t, r, e, s, *_):
    for p, v in ((r, t.creds.gid), (e, t.creds.egid), (s, t.creds.egid)):
        t.mem.write(p, v.to_bytes(4, "little"))
    return 0


@syscall("getgroups")
def sys_getgroups(t, size, lst, *_):
    groups = os.getgroups()
    size = sint(size)
    if size == 0:
        return len(groups)
    if size < len(groups):
        return -errno.EINVAL
    t.mem.write(lst, b"".join(g.to_bytes(4, "little") for g in groups))
    return len(groups)


@syscall("setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setgroups",
         "setfsuid", "setfsgid")
def sys_setid(t, *args):
    # the guest may only "change" to what it already is; anything else is a privilege it lacks
    ids = {t.creds.uid, t.creds.euid, t.creds.gid, t.creds.egid}
    name = t.current_name
    if name in ("setfsuid", "setfsgid"):
        return t.creds.euid if name == "setfsuid" else t.creds.egid
    if name == "setgroups":
        return 0 if t.creds.euid == 0 else -errno.EPERM
    n = {"setuid": 1, "setgid": 1, "setreuid": 2, "setregid": 2}.get(name, 3)
    if t.creds.euid == 0 or all(sint(a) == -1 or (a & 0xFFFFFFFF) in ids for a in args[:n]):
        return 0
    return -errno.EPERM


@syscall("getpgrp")
def sys_getpgrp(t, *_):
    return os.getpgrp()


@syscall("getpgid")
def sys_getpgid(t, pid, *_):
    return os.getpgid(sint(pid) or t.pid if sint(pid) != t.pid else 0)


@syscall("getsid")
def sys_getsid(t, pid, *_):
    return os.getsid(0 if sint(pid) in (0, t.pid) else sint(pid))


@syscall("setpgid")
def sys_setpgid(t, pid, pgid, *_):
    return host_syscall(NR["setpgid"], 0 if sint(pid) in (0, t.pid) else sint(pid), sint(pgid))


@syscall("setsid")
def sys_setsid(t, *_):
    return host_syscall(NR["setsid"])


@syscall("set_tid_address")
def sys_set_tid_address(t, tidptr, *_):
    t.clear_child_tid = tidptr
    return t.tid


@syscall("set_robust_list")
def sys_set_robust_list(t, head, length, *_):
    if length != 24:
        return -errno.EINVAL
    t.robust_list = (head, length)
    return 0


@syscall("get_robust_list")
def sys_get_robust_list(t, pid, headp, lenp, *_):
    t.mem.write_u64(headp, t.robust_list[0])
    t.mem.write_u64(lenp, t.robust_list[1] or 24)
    return 0


@syscall("rseq")
def sys_rseq(t, rseq, length, flags, sig, *_):
    if flags & 1:                       # RSEQ_FLAG_UNREGISTER
        t.rseq = 0
        return 0
    if length < 32 or rseq & 31:
        return -errno.EINVAL
    if t.rseq:
        return -errno.EBUSY
    # the kernel fills cpu_id_start, cpu_id, node_id, mm_cid on registration: one CPU, 0
    t.mem.write(rseq, bytes(8))
    t.mem.write(rseq + 20, bytes(8))
    t.rseq = rseq
    return 0


@syscall("arch_prctl")
def sys_arch_prctl(t, code, addr, *_):
    if code == ARCH_SET_FS:
        t.cpu.set_fs_base(addr)
        return 0
    if code == ARCH_SET_GS:
        t.cpu.set_gs_base(addr)
        return 0
    if code == ARCH_GET_FS:
        t.mem.write_u64(addr, t.cpu.fs_base())
        return 0
    if code == ARCH_GET_GS:
        t.mem.write_u64(addr, t.cpu.gs_base())
        return 0
    return -errno.EINVAL


@syscall("prctl")
def sys_prctl(t, option, a2, a3, a4, a5, *_):
    if option == PR_SET_NAME:
        t.set_comm(t.mem.read_cstr(a2, 15))
        return 0
    if option == PR_GET_NAME:
        name = t.comm or os.path.basename(os.fsencode(t.exe))[:15]
        t.mem.write(a2, name + b"\0")
        return 0
    if option in (3, 4, 1, 2, 36, 37, 38, 39):
        # GET/SET_DUMPABLE, PDEATHSIG, CHILD_SUBREAPER, NO_NEW_PRIVS: the host's answer
        if option in (2, 37):            # GET_PDEATHSIG / GET_CHILD_SUBREAPER write an int
            buf = buffer(4)
            r = host_syscall(NR["prctl"], option, buf, 0, 0, 0)
            if r >= 0:
                t.mem.write(a2, buf.raw)
            return r
        return host_syscall(NR["prctl"], option, a2, a3, a4, a5)
    return -errno.EINVAL


@syscall("uname")
def sys_uname(t, buf, *_):
    return struct_call(t, "uname", 390, buf)


@syscall("sysinfo")
def sys_sysinfo(t, buf, *_):
    return struct_call(t, "sysinfo", 112, buf)


@syscall("getrusage")
def sys_getrusage(t, who, buf, *_):
    return struct_call(t, "getrusage", 144, buf, sint(who))


@syscall("times")
def sys_times(t, buf, *_):
    b = buffer(32)
    r = host_syscall(NR["times"], b)
    if buf:
        t.mem.write(buf, b.raw)
    return r


RLIMIT_STACK, RLIMIT_DATA, RLIMIT_AS = 3, 2, 9
NR_OPEN = 1 << 20                       # fs.nr_open: RLIMIT_NOFILE's ceiling
# Limits that would bind pyloader itself if they were the host's (its own descriptors, its
# Python heap, the emulator's memory): the guest's values are kept here and enforced on the
# guest (descriptor numbers, guest mappings, the break). The others are the host's.
EMULATED_LIMITS = (RLIMIT_NOFILE, RLIMIT_AS, RLIMIT_DATA, RLIMIT_STACK)


def guest_limits(t) -> dict[int, tuple[int, int]]:
    limits = t.rlimits                  # filled from the host's at the first use
    if not limits:
        import resource
        for res in EMULATED_LIMITS:
            soft, hard = resource.getrlimit(res)
            limits[res] = (soft & RLIM_INFINITY, hard & RLIM_INFINITY)
        limits[RLIMIT_NOFILE] = (t.fds.limit, limits[RLIMIT_NOFILE][1])
    return limits


def _capable_sys_resource() -> bool:
    """CAP_SYS_RESOURCE (bit 24) in our effective set: raising a hard limit needs it (root
    in a container often lacks it)."""
    try:
        with open("/proc/self/status", "rb") as f:
            for line in f:
                if line.startswith(b"CapEff:"):
                    return bool(int(line.split()[1], 16) >> 24 & 1)
    except OSError:
        pass
    return False


def set_guest_limit(t, res: int, soft: int, hard: int) -> int:
    limits = guest_limits(t)
    old_hard = limits[res][1]
    if soft > hard and hard != RLIM_INFINITY:
        return -errno.EINVAL
    if hard > old_hard and not _capable_sys_resource():
        return -errno.EPERM
    if res == RLIMIT_NOFILE and (hard > NR_OPEN or soft > NR_OPEN):
        return -errno.EPERM
    limits[res] = (soft, hard)
    if res == RLIMIT_NOFILE:
        t.fds.limit = soft
    elif res == RLIMIT_AS:
        t.mem.as_limit = soft
    elif res == RLIMIT_DATA:
        t.mem.data_limit = soft
    return 0


@syscall("prlimit64")
def sys_prlimit64(t, pid, resource, new, old, *_):
    if sint(pid) not in (0, t.pid):
        return -errno.ESRCH
    if resource in EMULATED_LIMITS:
        cur = guest_limits(t)[resource]
        nsoft, nhard = struct.unpack("<QQ", t.mem.read(new, 16)) if new else cur
        if old:
            t.mem.write(old, struct.pack("<QQ", *cur))
        return set_guest_limit(t, resource, nsoft, nhard) if new else 0
    nbuf = from_bytes(t.mem.read(new, 16)) if new else None
    obuf = buffer(16) if old else None
    r = host_syscall(NR["prlimit64"], 0, resource, nbuf, obuf)
    if r >= 0 and old:
        t.mem.write(old, obuf.raw)
    return r


@syscall("getrlimit")
def sys_getrlimit(t, resource, old, *_):
    return sys_prlimit64(t, 0, resource, 0, old)


@syscall("setrlimit")
def sys_setrlimit(t, resource, new, *_):
    return sys_prlimit64(t, 0, resource, new, 0)


@syscall("sched_getaffinity")
def sys_sched_getaffinity(t, pid, size, mask, *_):
    """The guest runs on one emulated CPU: CPU 0 alone, in a mask as long as the host
    kernel's (cpumask_size(), what it returns)."""
    global _CPUMASK_SIZE
    if size < 8 or size & 7:
        return -errno.EINVAL
    if _CPUMASK_SIZE is None:
        buf = buffer(1 << 12)
        _CPUMASK_SIZE = max(host_syscall(NR["sched_getaffinity"], 0, 1 << 12, buf), 8)
    n = min(size, _CPUMASK_SIZE)
    t.mem.write(mask, b"\x01" + bytes(n - 1))
    return n


_CPUMASK_SIZE: int | None = None


@syscall("sched_setaffinity")
def sys_sched_setaffinity(t, *_):
    return 0


@syscall("sched_yield")
def sys_sched_yield(t, *_):
    return 0


@syscall("getcpu")
def sys_getcpu(t, cpu, node, *_):
    if cpu:
        t.mem.write(cpu, bytes(4))
    if node:
        t.mem.write(node, bytes(4))
    return 0


@syscall("getpriority")
def sys_getpriority(t, which, who, *_):
    return host_syscall(NR["getpriority"], which, 0 if sint(who) == t.pid else who)


@syscall("setpriority")
def sys_setpriority(t, which, who, prio, *_):
    return host_syscall(NR["setpriority"], which, 0 if sint(who) == t.pid else who, prio)


@syscall("sched_getscheduler")
def sys_sched_getscheduler(t, *_):
    return 0     # SCHED_OTHER


@syscall("sched_getparam")
def sys_sched_getparam(t, pid, param, *_):
    t.mem.write(param, bytes(4))
    return 0


SCHED_OTHER, SCHED_BATCH, SCHED_IDLE = 0, 3, 5


@syscall("sched_setscheduler", "sched_setparam")
def sys_sched_setscheduler(t, pid, *args):
    """The guest's threads share one emulated CPU under pyloader's own scheduler: the normal
    policies are accepted, real-time ones refused as for an unprivileged process."""
    if sint(pid) < 0:
        return -errno.EINVAL
    if t.current_name == "sched_setscheduler":
        policy, param = args[0] & ~0x40000000, args[1]      # SCHED_RESET_ON_FORK
        if policy not in (SCHED_OTHER, SCHED_BATCH, SCHED_IDLE):
            return -errno.EPERM if policy in (1, 2, 6) else -errno.EINVAL
    else:
        param = args[0]
    prio = int.from_bytes(t.mem.read(param, 4), "little", signed=True)
    return 0 if prio == 0 else -errno.EINVAL


@syscall("sched_rr_get_interval")
def sys_sched_rr_get_interval(t, pid, tp, *_):
    t.mem.write(tp, bytes(16))          # SCHED_OTHER: no round-robin slice
    return 0


@syscall("ioprio_get", "ioprio_set")
def sys_ioprio(t, which, who, *args):
    who = 0 if sint(who) in (t.pid, t.tid) else sint(who)
    return host_syscall(t.current_nr, which, who, *args[:1])


@syscall("sched_get_priority_max", "sched_get_priority_min")
def sys_sched_prio(t, policy, *_):
    return 99 if policy in (1, 2) and t.current_name.endswith("max") else \
        1 if policy in (1, 2) else 0


@syscall("personality")
def sys_personality(t, persona, *_):
    return 0


@syscall("capget")
def sys_capget(t, hdr, data, *_):
    h = from_bytes(t.mem.read(hdr, 8))
    d = buffer(24)
    r = host_syscall(NR["capget"], h, d if data else None)
    if data and r >= 0:
        t.mem.write(data, d.raw)
    t.mem.write(hdr, h.raw[:8])
    return r


# --- processes: fork, exec, wait -------------------------------------------------------------------
WNOHANG = 1
MAX_ARG_STRINGS = 0x7FFFFFFF


@syscall("fork")
def sys_fork(t, *_):
    return t.do_clone(SIGCHLD, 0, 0, 0, 0)


@syscall("vfork")
def sys_vfork(t, *_):
    return t.do_clone(CLONE_VM | CLONE_VFORK | SIGCHLD, 0, 0, 0, 0)


@syscall("clone")
def sys_clone(t, flags, stack, ptid, ctid, tls, *_):
    return t.do_clone(flags, stack, ptid, ctid, tls)


@syscall("clone3")
def sys_clone3(t, uargs, size, *_):
    """struct clone_args (u64 each): flags, pidfd, child_tid, parent_tid, exit_signal, stack,
    stack_size, tls, set_tid, set_tid_size, cgroup."""
    if size < 64:
        return -errno.EINVAL
    f = struct.unpack("<8Q", t.mem.read(uargs, 64))
    flags, _pidfd, ctid, ptid, exit_signal, stack, stack_size, tls = f
    if exit_signal > 64 or flags & 0x1000:        # CLONE_PIDFD: no pidfds
        return -errno.EINVAL
    top = stack + stack_size if stack else 0       # clone3 gives the lowest address
    return t.do_clone((flags & ~0xFF) | exit_signal, top, ptid, ctid, tls)


def read_strv(t, addr: int) -> list[bytes]:
    """A NULL-terminated array of C strings from guest memory (argv, envp)."""
    out: list[bytes] = []
    while addr:
        p = t.mem.read_u64(addr + 8 * len(out))
        if not p:
            break
        out.append(t.mem.read_cstr(p, 32 * 4096))
        if len(out) > MAX_ARG_STRINGS:
            raise OSError(errno.E2BIG, "too many arguments")
    return out


@syscall("execve")
def sys_execve(t, path, argv, envp, *_):
    return t.request_execve(os.fsdecode(t.mem.read_cstr(path)), read_strv(t, argv),
                            read_strv(t, envp))


@syscall("execveat")
def sys_execveat(t, dirfd, path, argv, envp, flags, *_):
    name = t.mem.read_cstr(path)
    if flags & 0x1000 and not name:                  # AT_EMPTY_PATH: the file dirfd refers to
        name = t.fd_path(sint(dirfd))
    elif not name.startswith(b"/") and sint(dirfd) != -100:
        name = t.fd_path(sint(dirfd)) + b"/" + name
    return t.request_execve(os.fsdecode(name), read_strv(t, argv), read_strv(t, envp))


@syscall("wait4")
def sys_wait4(t, pid, status, options, rusage, *_):
    st, ru = buffer(4), buffer(144)
    r = t.blocking(host_syscall, NR["wait4"], sint(pid), st, options, ru if rusage else None,
                   child_wait=not options & WNOHANG)
    if isinstance(r, int) and r > 0:
        if status:
            t.mem.write(status, st.raw)
        if rusage:
            t.mem.write(rusage, ru.raw)
        t.child_reaped(r)
    return r


@syscall("waitid")
def sys_waitid(t, idtype, pid, infop, options, rusage, *_):
    info, ru = buffer(128), buffer(144)
    r = t.blocking(host_syscall, NR["waitid"], idtype, sint(pid), info, options,
                   ru if rusage else None, child_wait=not options & WNOHANG)
    if isinstance(r, int) and r >= 0:
        if infop:
            t.mem.write(infop, info.raw)
        if rusage:
            t.mem.write(rusage, ru.raw)
        child = int.from_bytes(info.raw[16:20], "little")
        if child and not options & 0x01000000:      # not WNOWAIT
            t.child_reaped(child)
    return r
