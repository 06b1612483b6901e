"""The kernel's user-space ABI that more than one module needs, declared once (include/uapi
and arch/x86/include/uapi): file, memory, clone and poll constants, signal numbers and
flags, si_codes, the restart errnos, and the layouts of siginfo_t, struct kernel_sigaction
and struct signalfd_siginfo. Data only: the
handlers (signal.py), the delivery (pyloader/signals.py) and strace's text (decode.py) all
read these structures through the functions here."""
from __future__ import annotations

import struct

# asm-generic/fcntl.h, linux/fcntl.h, linux/limits.h
O_ACCMODE, O_CREAT, O_DIRECTORY, O_NOFOLLOW, O_CLOEXEC = 3, 0o100, 0o200000, 0o400000, 0o2000000
O_PATH, __O_TMPFILE = 0o10000000, 0o20000000
O_TMPFILE = __O_TMPFILE | O_DIRECTORY
AT_FDCWD = -100
AT_SYMLINK_NOFOLLOW, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, AT_EMPTY_PATH = 0x100, 0x200, 0x400, 0x1000
PATH_MAX = 4096
# asm-generic/poll.h
POLLIN, POLLPRI, POLLOUT, POLLNVAL = 0x1, 0x2, 0x4, 0x20
# asm-generic/mman-common.h, linux/mman.h
PAGE_SIZE = 4096
PROT_READ, PROT_WRITE, PROT_EXEC = 1, 2, 4
MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE = 1, 2, 3
MAP_FIXED, MAP_ANONYMOUS, MAP_32BIT, MAP_DENYWRITE, MAP_NORESERVE = 0x10, 0x20, 0x40, 0x800, \
    0x4000
# asm/prctl.h, linux/sched.h, asm-generic/resource.h
ARCH_SET_GS, ARCH_SET_FS, ARCH_GET_FS, ARCH_GET_GS = 0x1001, 0x1002, 0x1003, 0x1004
CLONE_VM, CLONE_VFORK, CLONE_THREAD = 0x100, 0x4000, 0x10000
CLONE_SETTLS, CLONE_PARENT_SETTID, CLONE_CHILD_CLEARTID, CLONE_CHILD_SETTID = \
    0x80000, 0x100000, 0x200000, 0x1000000
RLIM_INFINITY = (1 << 64) - 1
# linux/futex.h: the word of a robust or PI futex
FUTEX_WAITERS, FUTEX_OWNER_DIED, FUTEX_TID_MASK = 0x80000000, 0x40000000, 0x3FFFFFFF

# asm/signal.h
SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGKILL = range(1, 10)
SIGUSR1, SIGSEGV, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM, SIGSTKFLT = range(10, 17)
SIGCHLD, SIGCONT, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU, SIGURG = range(17, 24)
SIGXCPU, SIGXFSZ, SIGVTALRM, SIGPROF, SIGWINCH, SIGPOLL, SIGPWR, SIGSYS = range(24, 32)
SIGRTMIN = 32
SIG_DFL, SIG_IGN = 0, 1
SA_SIGINFO, SA_RESTORER, SA_ONSTACK, SA_RESTART, SA_NODEFER, SA_RESETHAND = \
    4, 0x04000000, 0x08000000, 0x10000000, 0x40000000, 0x80000000
SS_ONSTACK, SS_DISABLE, SS_AUTODISARM = 1, 2, 1 << 31
SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK = 0, 1, 2


def sigmask(signo: int) -> int:
    """The signal's bit in a sigset_t."""
    return 1 << (signo - 1)


UNBLOCKABLE = sigmask(SIGKILL) | sigmask(SIGSTOP)

# linux/errno.h: never seen by the guest; the signal code makes them EINTR or a restart
ERESTARTSYS, ERESTARTNOINTR, ERESTARTNOHAND, ERESTART_RESTARTBLOCK = 512, 513, 514, 516

# asm-generic/siginfo.h: si_code values
SI_USER, SI_KERNEL, SI_QUEUE, SI_TIMER, SI_MESGQ, SI_ASYNCIO, SI_SIGIO, SI_TKILL = \
    0, 0x80, -1, -2, -3, -4, -5, -6
ILL_ILLOPC, ILL_ILLOPN = 1, 2
FPE_INTDIV, FPE_INTOVF = 1, 2
SEGV_MAPERR, SEGV_ACCERR = 1, 2
BUS_ADRALN, BUS_ADRERR = 1, 2
TRAP_BRKPT, TRAP_TRACE = 1, 2
CLD_EXITED, CLD_KILLED, CLD_DUMPED, CLD_TRAPPED, CLD_STOPPED, CLD_CONTINUED = range(1, 7)
NSIGPOLL = 6
# kernel/signal.c sig_specific_sicodes: the signals whose positive si_codes (up to NSIG*)
# have a union member of their own
SIG_SPECIFIC = {SIGILL: ("fault", 11), SIGFPE: ("fault", 15), SIGSEGV: ("fault", 10),
                SIGBUS: ("fault", 5), SIGTRAP: ("fault", 6), SIGCHLD: ("chld", 6),
                SIGPOLL: ("poll", NSIGPOLL), SIGSYS: ("sys", 2)}

# siginfo_t: si_signo, si_errno, si_code, then a union at offset 16 read by its layout
SIGINFO_SIZE = 128
SIGINFO_HEAD = struct.Struct("<iii")
SIGINFO_UNION = 16
SIGINFO_FIELDS: dict[str, tuple[struct.Struct, tuple[str, ...]]] = {
    "kill": (struct.Struct("<iI"), ("pid", "uid")),
    "timer": (struct.Struct("<iiQ"), ("tid", "overrun", "value")),
    "rt": (struct.Struct("<iIQ"), ("pid", "uid", "value")),
    "chld": (struct.Struct("<iIi4xqq"), ("pid", "uid", "status", "utime", "stime")),
    "fault": (struct.Struct("<Q"), ("addr",)),
    "poll": (struct.Struct("<qi"), ("band", "fd")),
    "sys": (struct.Struct("<QiI"), ("addr", "syscall", "arch")),
}


def siginfo_layout(signo: int, code: int) -> str:
    """Which member of siginfo_t's union a (signal, si_code) uses (kernel/signal.c)."""
    if SI_USER < code < SI_KERNEL:
        layout, limit = SIG_SPECIFIC.get(signo, ("kill", 0))
        if code <= limit:
            return layout
        return "poll" if code <= NSIGPOLL else "kill"
    if code == SI_TIMER:
        return "timer"
    if code == SI_SIGIO:
        return "poll"
    return "rt" if code < 0 else "kill"


def pack_siginfo(signo: int, code: int, **fields: int) -> bytes:
    """A siginfo_t: the union member of this signal and code, from `fields` (others 0)."""
    b = bytearray(SIGINFO_SIZE)
    SIGINFO_HEAD.pack_into(b, 0, signo, 0, code)
    layout, names = SIGINFO_FIELDS[siginfo_layout(signo, code)]
    layout.pack_into(b, SIGINFO_UNION, *(fields.get(n, 0) for n in names))
    return bytes(b)


def unpack_siginfo(raw: bytes) -> tuple[int, int, dict[str, int]]:
    """siginfo_t -> (signo, code, the union member's fields by name)."""
    signo, _errno, code = SIGINFO_HEAD.unpack_from(raw)
    layout, names = SIGINFO_FIELDS[siginfo_layout(signo, code)]
    return signo, code, dict(zip(names, layout.unpack_from(raw, SIGINFO_UNION)))


# struct kernel_sigaction (what rt_sigaction copies): sa_handler, sa_flags, sa_restorer,
# sa_mask (the kernel's 8-byte sigset)
KERNEL_SIGACTION = struct.Struct("<QQQQ")
# glibc's struct sigaction (what sigaction(3) takes): handler, a 1024-bit sa_mask (the
# first 64 bits are the kernel's), sa_flags, sa_restorer
GLIBC_SIGACTION = struct.Struct("<Q8s120xI4xQ")

# linux/signalfd.h struct signalfd_siginfo: the siginfo flattened, 128 bytes
SIGNALFD_SIGINFO = struct.Struct("<IiiIIiIIIIiiQQQQ")
SIGNALFD_FIELDS = ("signo", "errno", "code", "pid", "uid", "fd", "tid", "band", "overrun",
                   "trapno", "status", "int", "ptr", "utime", "stime", "addr")
SIGNALFD_SIGINFO_SIZE = 128
