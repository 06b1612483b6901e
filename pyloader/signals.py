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

import errno
import os
import signal
import struct
import threading
import time

from unicorn import x86_const as X

from syscalls.table import BY_NAME
from syscalls.uapi import (
    ERESTART_RESTARTBLOCK,
    ERESTARTNOHAND,
    ERESTARTNOINTR,
    ERESTARTSYS,
    KERNEL_SIGACTION,
    SA_NODEFER,
    SA_ONSTACK,
    SA_RESETHAND,
    SA_RESTART,
    SI_TKILL,
    SIG_DFL,
    SIG_IGN,
    SIGABRT,
    SIGBUS,
    SIGCHLD,
    SIGCONT,
    SIGFPE,
    SIGILL,
    SIGINFO_SIZE,
    SIGKILL,
    SIGNALFD_FIELDS,
    SIGNALFD_SIGINFO,
    SIGPIPE,
    SIGQUIT,
    SIGRTMIN,
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
    sigmask,
)

from .cpu import XMM
from .exit import GuestExit

WAKE = signal.SIGRTMAX          # ours: interrupts a blocking host call (never the guest's)
# host signals that are the guest's: all but the host's own faults, SIGPIPE (raised by us on
# EPIPE), glibc's two internal signals and WAKE
FORWARDED = [s for s in range(1, 64) if s not in (SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGFPE,
                                                    SIGILL, SIGTRAP, SIGPIPE, SIGRTMIN,
                                                    SIGRTMIN + 1)]
NANOSLEEP = BY_NAME["nanosleep"].nr

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


class Interrupted(Exception):
    """A host signal arrived while a syscall blocked: the syscall returns EINTR."""


class SignalMixin:
    """Process methods for signals (kernel/signal.c): the pending queues and the actions
    (sighand_struct, signal_struct, the thread's pending and blocked), delivery, sleeping
    until a signal, and the host signals that are the guest's (the watcher thread)."""

    def action(self, signo: int) -> SigAction:
        return SigAction(self.sigactions.get(signo))

    def send_signal(self, signo: int, code: int = SI_TKILL, tid: int | None = None) -> None:
        """A signal the guest sends itself (kill, tgkill, raise, SIGPIPE)."""
        if code == SI_TKILL and tid is None:
            tid = self.tid
        self.queue_signal(signo, pack_siginfo(signo, code, pid=self.pid, uid=self.creds.uid), tid)

    def queue_signal(self, signo: int, info: bytes, tid: int | None = None) -> None:
        """Pending for the process, or for thread `tid` (tgkill)."""
        if tid is None or tid == self.tid:
            queue = self.sigqueue if tid is None else self.tsigqueue
        else:
            queue = self.threads[tid].saved["tsigqueue"]
            self.slice_expired = True
        if signo < 32 and any(s == signo for s, _ in queue):
            return                      # standard signals do not queue
        if signo in STOP_SIGNALS or signo == SIGCONT:   # prepare_signal: each cancels the other
            cancels = {SIGCONT} if signo in STOP_SIGNALS else STOP_SIGNALS
            for q in (self.sigqueue, self.tsigqueue):
                q[:] = [(s, i) for s, i in q if s not in cancels]
        queue.append((signo, info))
        self.signals_changed()
        self.cpu.request_stop()         # delivered before the guest runs on (never inside
                                        # a run the linker waits for)

    def signals_changed(self) -> None:
        """What is pending changed: signalfds are readable exactly while theirs is."""
        for sfd in self.signalfds:
            sfd.sync(self)

    def take_host_signals(self) -> None:
        q = self.host_sigq
        while q:
            self.queue_signal(*q.popleft())

    def deliverable(self, mask: int | None = None) -> tuple[list, int] | None:
        """(queue, index) of the first signal the running thread may take now, or None:
        its own signals first, then the process's."""
        mask = self.sigmask if mask is None else mask
        for queue in (self.tsigqueue, self.sigqueue):
            for i, (signo, _) in enumerate(queue):
                if signo in SYNCHRONOUS or signo == SIGKILL or not mask & sigmask(signo):
                    return queue, i
        return None

    def wants(self, signo: int, mask: int | None = None) -> bool:
        """Would this signal do anything now (so it should interrupt a blocking call)?"""
        if signo == SIGKILL:
            return True
        if (self.sigmask if mask is None else mask) & sigmask(signo):
            return False
        h = self.action(signo).handler
        return h != SIG_IGN and not (h == SIG_DFL and default_action(signo) == "ignore")

    def deliver_signals(self) -> None:
        """get_signal + handle_signal: take each deliverable signal's action."""
        self.take_host_signals()
        while True:
            found = self.deliverable()
            if found is None:
                self._offer_to_other_thread()
                break
            queue, i = found
            signo, info = queue.pop(i)
            if self.tracer:
                self.tracer.signal_info(self, signo, info)
            act = self.action(signo)
            if act.handler == SIG_IGN or signo == SIGKILL or act.handler == SIG_DFL:
                self._default_action(signo, act)
                continue
            self._handle_restart(act)
            old = self.saved_sigmask if self.saved_sigmask is not None else self.sigmask
            self.saved_sigmask = None
            setup_rt_frame(self, signo, info, act, old)
            self.sigmask = old | act.mask | (0 if act.flags & SA_NODEFER else sigmask(signo))
            self.sigmask &= ~UNBLOCKABLE
            if act.flags & SA_RESETHAND:
                self.sigactions.pop(signo, None)
        self._handle_restart(None)
        if self.saved_sigmask is not None:     # no handler ran: sigsuspend/ppoll's mask ends
            self.sigmask, self.saved_sigmask = self.saved_sigmask, None
        if self.signalfds:
            self.signals_changed()

    def _offer_to_other_thread(self) -> None:
        """complete_signal: a process signal this thread blocks goes to one that does not."""
        if not self.threads or not self.sigqueue:
            return
        for th in self.threads.values():
            if th is self.thread or th.state == "dead":
                continue
            mask = th.saved.get("sigmask", 0)
            if any(self.wants(s, mask) for s, _ in self.sigqueue):
                if th.state == "blocked":
                    self.interrupt(th)
                self.slice_expired = True
                return

    def _handle_restart(self, act: SigAction | None) -> None:
        """handle_signal's syscall restart: a call interrupted by a signal left -ERESTART* in
        rax; with a handler it becomes EINTR (or restarts under SA_RESTART), without one the
        call runs again."""
        if self.restart_nr < 0:
            return
        rax = self.cpu.reg("rax")
        code = -(rax - (1 << 64)) if rax >> 63 else 0
        if code not in (ERESTARTSYS, ERESTARTNOINTR, ERESTARTNOHAND, ERESTART_RESTARTBLOCK):
            self.restart_nr = -1
            return
        if act is None or code == ERESTARTNOINTR or (code == ERESTARTSYS
                                                     and act.flags & SA_RESTART):
            self.cpu.set_reg("rip", self.cpu.pc - 2)     # the syscall instruction, again
            self.cpu.set_rax(self.restart_nr)
        else:
            self.cpu.set_rax(-errno.EINTR)
        self.restart_nr = -1

    def _default_action(self, signo: int, act: SigAction) -> None:
        what = "ignore" if act.handler == SIG_IGN and signo != SIGKILL else default_action(signo)
        if signo == SIGKILL:
            what = "term"
        if what == "ignore":
            return
        if what == "stop":
            if self.tracer:
                self.tracer.out.flush()
            os.kill(os.getpid(), signal.SIGSTOP)      # really stopped: the shell sees it
            return
        raise GuestExit(signo=signo, core=what == "core")

    def sigreturn(self) -> int:
        """rt_sigreturn: returns the restored rax (what the call "returns")."""
        self.resume_pc, mask = restore_sigframe(self)
        self._last_args = (mask,) + self._last_args[1:]
        self.cpu.stop()
        rax = self.cpu.reg("rax")
        return rax - (1 << 64) if rax >> 63 else rax

    def sleep_until(self, end_ns: int, any_signal: bool = False) -> bool:
        """Sleep until CLOCK_MONOTONIC reaches end_ns (True), or a signal the guest wants
        arrives (False). The host nanosleep returns EINTR on our WAKE (time.sleep would
        resume sleeping, PEP 475)."""
        from syscalls.host import buffer, host_syscall
        ts = buffer(16)
        while True:
            left = end_ns - time.monotonic_ns()
            if left <= 0:
                return True
            ts.raw = struct.pack("<qq", *divmod(left, 1_000_000_000))
            if host_syscall(NANOSLEEP, ts, None) == -errno.EINTR:
                if self.timed_out:
                    raise GuestExit(signo=SIGKILL)
                self.take_host_signals()
                if any_signal and self.sigqueue or any(self.wants(s) for s, _ in self.sigqueue):
                    return False

    def sleep_until_signal(self, mask: int | None = None,
                           timeout: float | None = None) -> tuple[list, int] | None:
        """pause/sigsuspend/sigtimedwait: sleep until a signal not in `mask` is pending;
        returns (queue, index) of it, or None on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            self.take_host_signals()
            found = self.deliverable(mask)
            if found is not None:
                return found
            if self.timed_out:
                raise GuestExit(signo=SIGKILL)
            left = 1.0 if deadline is None else min(1.0, deadline - time.monotonic())
            if left <= 0:
                return None
            self._nap(left)

    def _nap(self, seconds: float) -> None:
        """Sleep on the host until `seconds` pass or a host signal comes (our WAKE makes the
        host nanosleep return EINTR; time.sleep would sleep on, PEP 475)."""
        from syscalls.host import from_bytes, host_syscall
        ns = int(seconds * 1e9)
        host_syscall(NANOSLEEP, from_bytes(struct.pack("<qq", *divmod(ns, 10**9))), None)

    def _install_host_signals(self) -> None:
        """The guest's signals arrive at this host process for real. Block them in every host
        thread and read them, with their siginfo, from a signalfd in a watcher thread (Python
        handlers run only between bytecodes, and emu_start may run for a long time)."""
        self._old_handlers = None
        if threading.current_thread() is not threading.main_thread():
            return
        from syscalls.host import buffer, host_syscall
        from syscalls.table import BY_NAME as NR
        self._old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, FORWARDED)
        mask = sum(sigmask(s) for s in FORWARDED)
        buf = buffer(8)
        buf.raw = mask.to_bytes(8, "little")
        self._sigfd = host_syscall(NR["signalfd4"].nr, -1, buf, 8, os.O_CLOEXEC)
        self._old_handlers = {WAKE: signal.signal(WAKE, self._wake)}
        self._start_signal_watcher()
        if self.timeout:
            cpu = self.cpu
            main = threading.main_thread().ident

            def expire():
                self.timed_out = True
                cpu.request_stop()
                signal.pthread_kill(main, WAKE)     # wakes a blocked host call

            self._timer = threading.Timer(self.timeout, expire)
            self._timer.daemon = True
            self._timer.start()

    def _start_signal_watcher(self) -> None:
        """The thread that reads the signalfd (a forked child starts its own: threads do not
        survive fork; the descriptor does, and reads the child's own signals)."""
        fd, cpu = self._sigfd, self.cpu
        main = threading.main_thread().ident

        def watch():
            while True:
                try:
                    raw = os.read(fd, 128)
                except OSError:
                    return
                if len(raw) < 128:
                    return
                signo, info = from_signalfd(raw)
                self.host_sigq.append((signo, info))
                cpu.request_stop()      # (never inside a run the linker is waiting for)
                if self.in_syscall:     # even a blocked signal: a signalfd or sigwait may
                    signal.pthread_kill(main, WAKE)     # be what the call waits for

        threading.Thread(target=watch, daemon=True, name="pyloader-signals").start()

    def _restore_host_signals(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if not self._old_handlers:
            return
        for s, h in self._old_handlers.items():
            signal.signal(s, h)
        # the guest's timers are this process's: disarm them, and take what is pending, so
        # that unblocking does not deliver the guest's SIGALRM to us
        for which in (signal.ITIMER_REAL, signal.ITIMER_VIRTUAL, signal.ITIMER_PROF):
            signal.setitimer(which, 0)
        from syscalls.host import host_syscall
        for timerid in self.posix_timers:
            host_syscall(BY_NAME["timer_delete"].nr, timerid)
        # (sigtimedwait, never a read of the signalfd: the watcher may take the signal
        # between a poll and the read, which would then block for good)
        try:
            while signal.sigtimedwait(FORWARDED, 0) is not None:
                pass
        except OSError:
            pass
        os.close(self._sigfd)
        signal.pthread_sigmask(signal.SIG_SETMASK, self._old_mask)
        self._old_handlers = None

    def _wake(self, signo: int, frame) -> None:
        """Nothing to do: WAKE exists to make a blocked host call return EINTR (`blocking`).
        Raising here could lose the result of a call that had just completed."""

    def do_exit_signal(self, signo: int) -> None:
        """The guest dies of `signo` (SIGKILL for a deadlock, as nothing else could end it)."""
        raise GuestExit(signo=signo, core=signo in CORE_SIGNALS)
