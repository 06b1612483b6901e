"""Guest signals as the kernel delivers them (kernel/signal.c, arch/x86/kernel/signal.c).

A signal becomes pending (`Process.queue_signal`) from the guest itself (kill, tgkill, a
fault, SIGPIPE), or from the host: the guest's process *is* a host process, so signals sent
to it (kill from another guest, a child's exit, alarm, Ctrl-C) arrive for real. They are
blocked in every host thread and read with their siginfo from a signalfd by a watcher
thread, which queues them and stops the emulator.

Delivery (`Process.deliver_signals`) happens when the emulator is stopped: the default action, or an
`rt_sigframe` built on the guest stack (or the alternate stack) exactly as x86-64 Linux lays
it out (return address = sa_restorer, ucontext with the saved registers and mask, siginfo,
and an FXSAVE area for the SSE state), and the handler runs with rdi/rsi/rdx = signo,
&info, &uc. `rt_sigreturn` reads the registers back from that frame.
"""
from __future__ import annotations

import struct

from unicorn import x86_const as X

from syscalls.uapi import (
    KERNEL_SIGACTION,
    SA_ONSTACK,
    SIGABRT,
    SIGBUS,
    SIGCHLD,
    SIGCONT,
    SIGFPE,
    SIGILL,
    SIGINFO_SIZE,
    SIGNALFD_FIELDS,
    SIGNALFD_SIGINFO,
    SIGQUIT,
    SIGSEGV,
    SIGSTOP,
    SIGSYS,
    SIGTRAP,
    SIGTSTP,
    SIGTTIN,
    SIGTTOU,
    SIGURG,
    SIGWINCH,
    SIGXCPU,
    SIGXFSZ,
    SS_DISABLE,
    SS_ONSTACK,
    UNBLOCKABLE,
    pack_siginfo,
)

from .cpu import XMM

# default actions (signal(7))
DEFAULT_IGNORE = {SIGCHLD, SIGCONT, SIGURG, SIGWINCH}
CORE_SIGNALS = {SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGXCPU, SIGXFSZ,
                SIGSYS}
STOP_SIGNALS = {SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU}
SYNCHRONOUS = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP}      # faults: never blocked

# syscalls that SA_RESTART restarts (the rest return EINTR: see signal(7) "Interruption of
# system calls and library functions by signal handlers")
NO_RESTART = {"pause", "rt_sigsuspend", "rt_sigtimedwait", "nanosleep", "clock_nanosleep",
              "select", "pselect6", "poll", "ppoll", "epoll_wait", "epoll_pwait", "msgrcv",
              "semop", "semtimedop", "io_getevents"}

# struct sigcontext_64 (arch/x86/include/uapi/asm/sigcontext.h), in order
SIGCONTEXT_REGS = (X.UC_X86_REG_R8, X.UC_X86_REG_R9, X.UC_X86_REG_R10, X.UC_X86_REG_R11,
                   X.UC_X86_REG_R12, X.UC_X86_REG_R13, X.UC_X86_REG_R14, X.UC_X86_REG_R15,
                   X.UC_X86_REG_RDI, X.UC_X86_REG_RSI, X.UC_X86_REG_RBP, X.UC_X86_REG_RBX,
                   X.UC_X86_REG_RDX, X.UC_X86_REG_RAX, X.UC_X86_REG_RCX, X.UC_X86_REG_RSP,
                   X.UC_X86_REG_RIP, X.UC_X86_REG_EFLAGS)
UC_MCONTEXT = 40              # ucontext: uc_flags, uc_link, uc_stack (24), then uc_mcontext
UC_SIGMASK = UC_MCONTEXT + 256
UCONTEXT_SIZE = UC_SIGMASK + 8
FRAME_INFO = 8 + UCONTEXT_SIZE        # rt_sigframe: pretcode, uc, info
FRAME_SIZE = FRAME_INFO + SIGINFO_SIZE
FXSAVE_SIZE = 512
UC_SIGCONTEXT_SS, UC_STRICT_RESTORE_SS = 2, 4
EFLAGS_DF, EFLAGS_TF = 0x400, 0x100


class SigAction:
    """struct kernel_sigaction: handler, flags, restorer, mask."""

    __slots__ = ("flags", "handler", "mask", "restorer")

    def __init__(self, raw: bytes | None):
        self.handler, self.flags, self.restorer, self.mask = (
            KERNEL_SIGACTION.unpack(raw) if raw else (0, 0, 0, 0))


def from_signalfd(raw: bytes) -> tuple[int, bytes]:
    """struct signalfd_siginfo -> (signo, siginfo_t)."""
    f = dict(zip(SIGNALFD_FIELDS, SIGNALFD_SIGINFO.unpack_from(raw)))
    signo, code = f.pop("signo"), f.pop("code")
    f["value"] = f["ptr"] or f["int"]
    return signo, pack_siginfo(signo, code, **f)


def default_action(signo: int) -> str:
    if signo in DEFAULT_IGNORE:
        return "ignore"
    if signo in STOP_SIGNALS:
        return "stop"
    if signo in CORE_SIGNALS:
        return "core"
    return "term"


def setup_rt_frame(task, signo: int, info: bytes, act: SigAction, oldmask: int) -> None:
    """x86-64 setup_rt_frame / get_sigframe: build the frame and enter the handler."""
    cpu, uc, mem = task.cpu, task.cpu.uc, task.mem
    regs = [uc.reg_read(r) for r in SIGCONTEXT_REGS]
    sp = regs[15]
    ss_sp, ss_flags, ss_size = task.altstack
    on_alt = ss_size and ss_sp <= sp < ss_sp + ss_size
    if act.flags & SA_ONSTACK and ss_size and not ss_flags & SS_DISABLE and not on_alt:
        sp = ss_sp + ss_size
    else:
        sp -= 128                                      # the red zone
    sp = (sp - FXSAVE_SIZE) & ~63
    fxsave = sp
    sp = ((sp - FRAME_SIZE) & ~15) - 8                 # as if called: (rsp + 8) % 16 == 0
    frame = sp
    fx = bytearray(FXSAVE_SIZE)
    struct.pack_into("<HH", fx, 0, uc.reg_read(X.UC_X86_REG_FPCW), uc.reg_read(X.UC_X86_REG_FPSW))
    struct.pack_into("<I", fx, 24, uc.reg_read(X.UC_X86_REG_MXCSR))
    for i, r in enumerate(XMM):
        struct.pack_into("<QQ", fx, 160 + 16 * i, *divmod(uc.reg_read(r), 1 << 64)[::-1])
    sc = struct.pack("<18Q", *regs) + struct.pack("<HHHH", 0x33, 0, 0, 0x2b) + \
        struct.pack("<QQQQQ", 0, 0, oldmask & 0xFFFFFFFF, 0, fxsave) + bytes(64)
    ucontext = struct.pack("<QQQiiQ", UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS, 0, ss_sp,
                           SS_ONSTACK if on_alt else (ss_flags if ss_size else SS_DISABLE), 0,
                           ss_size) + sc + struct.pack("<Q", oldmask)
    mem.write(fxsave, bytes(fx))
    mem.write(frame, struct.pack("<Q", act.restorer) + ucontext + info)
    uc.reg_write(X.UC_X86_REG_RDI, signo)
    uc.reg_write(X.UC_X86_REG_RSI, frame + FRAME_INFO)
    uc.reg_write(X.UC_X86_REG_RDX, frame + 8)
    uc.reg_write(X.UC_X86_REG_RAX, 0)
    uc.reg_write(X.UC_X86_REG_RSP, frame)
    uc.reg_write(X.UC_X86_REG_EFLAGS, regs[17] & ~(EFLAGS_DF | EFLAGS_TF))
    cpu.set_reg("rip", act.handler)


def restore_sigframe(task) -> tuple[int, int]:
    """rt_sigreturn: the handler returned into sa_restorer, so rsp is the frame + 8. Every
    register but rip is restored here; returns (rip, the restored mask): rip is set once
    emu_start has returned (Unicorn moves a rip written inside a syscall hook)."""
    uc, mem = task.cpu.uc, task.mem
    ucp = uc.reg_read(X.UC_X86_REG_RSP)
    raw = mem.read(ucp, UCONTEXT_SIZE)
    regs = struct.unpack_from("<18Q", raw, UC_MCONTEXT)
    fxsave = struct.unpack_from("<Q", raw, UC_MCONTEXT + 184)[0]
    for r, v in zip(SIGCONTEXT_REGS, regs):
        if r == X.UC_X86_REG_RIP:
            continue
        if r == X.UC_X86_REG_EFLAGS:
            v = (uc.reg_read(r) & ~0x40DD5) | (v & 0x40DD5)   # FIX_EFLAGS: what user may set
        uc.reg_write(r, v)
    if fxsave:
        fx = mem.read(fxsave, FXSAVE_SIZE)
        uc.reg_write(X.UC_X86_REG_MXCSR, struct.unpack_from("<I", fx, 24)[0])
        for i, r in enumerate(XMM):
            lo, hi = struct.unpack_from("<QQ", fx, 160 + 16 * i)
            uc.reg_write(r, lo | hi << 64)
    task.sigmask = struct.unpack_from("<Q", raw, UC_SIGMASK)[0] & ~UNBLOCKABLE
    restored = task.sigmask
    ss_sp, ss_flags, _pad, ss_size = struct.unpack_from("<QiiQ", raw, 16)
    if task.altstack[2] and not task.altstack[1] & SS_DISABLE:
        task.altstack = (ss_sp, ss_flags & ~SS_ONSTACK, ss_size)
    return regs[16], restored
