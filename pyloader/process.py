"""Process: one guest program = address space + CPU + kernel state (fds, cwd, creds).

This is the "task" the syscall handlers receive (see syscalls/task.py for the interface
they may use) and the object the binfmt loaders fill in.
"""
from __future__ import annotations

import errno
import os
import random
import signal
import struct
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass

from unicorn import UcError
from unicorn.unicorn_const import UC_ERR_INSN_INVALID

from syscalls import dispatch_table
from syscalls.table import BY_NAME, SYSCALLS
from syscalls.vfs import FdTable, Root

from .binfmt import do_execve
from .cpu import FAULT_ERRORS, INTR_BP, INTR_DE, INTR_GP, INTR_UD, Cpu
from .memory import AddressSpace
from .signals import (
    CORE_SIGNALS,
    ERESTART_RESTARTBLOCK,
    ERESTARTNOHAND,
    ERESTARTNOINTR,
    ERESTARTSYS,
    NO_RESTART,
    SA_NODEFER,
    SA_RESETHAND,
    SA_RESTART,
    SI_KERNEL,
    SI_TKILL,
    SI_USER,
    SIG_DFL,
    SIG_IGN,
    SIGCONT,
    SIGFPE,
    SIGILL,
    SIGKILL,
    SIGPIPE,
    SIGSEGV,
    SIGSTOP,
    SIGTRAP,
    STOP_SIGNALS,
    SYNCHRONOUS,
    SigAction,
    bit,
    default_action,
    from_signalfd,
    restore_sigframe,
    setup_rt_frame,
    siginfo,
)
from .threads import BLOCKED, ThreadsMixin, Wait, child_ready, fd_ready

# si_codes of faults (include/uapi/asm-generic/siginfo.h)
ILL_ILLOPN, FPE_INTDIV, SEGV_MAPERR, SEGV_ACCERR, TRAP_BRKPT = 2, 1, 1, 2, 1
WAKE = signal.SIGRTMAX          # ours: interrupts a blocking host call (never the guest's)
# host signals that are the guest's: all but the host's own faults, SIGPIPE (raised by us on
# EPIPE), glibc's two internal signals and WAKE
FORWARDED = [s for s in range(1, 64) if s not in (SIGKILL, SIGSTOP, SIGSEGV, 7, SIGFPE, SIGILL,
                                                    SIGTRAP, SIGPIPE, 32, 33)]
MSG_NOSIGNAL = 0x4000
# calls that raise SIGPIPE with EPIPE (pipe_write, sock_sendmsg without MSG_NOSIGNAL)
SIGPIPE_CALLS = {BY_NAME[n].nr for n in ("write", "writev", "pwrite64", "pwritev", "pwritev2",
                                         "sendto", "sendmsg", "sendfile", "splice", "vmsplice",
                                         "tee", "copy_file_range", "sendmmsg")}
NANOSLEEP = BY_NAME["nanosleep"].nr
SEND_CALLS = {BY_NAME[n].nr for n in ("sendto", "sendmsg", "sendmmsg")}


@dataclass
class Creds:
    uid: int
    euid: int
    gid: int
    egid: int


class GuestExit(Exception):
    """The guest is finished: exited with a status or killed by a signal."""

    def __init__(self, status: int = 0, signo: int = 0, core: bool = False):
        super().__init__(status, signo)
        self.status, self.signo, self.core = status, signo, core


class Process(ThreadsMixin):
    def __init__(self, argv: list[str], env: dict[str, str] | list[str] | None = None, *,
                 root: str = "/", ld: str = "system", tracer=None, seed: int | None = None,
                 timeout: float | None = None, tlb: str = "cpu"):
        self.argv = [os.fsencode(a) for a in argv]
        if env is None:
            env = dict(os.environ)
        if isinstance(env, dict):
            self.envp = [os.fsencode(f"{k}={v}") for k, v in env.items()]
        else:
            self.envp = [os.fsencode(e) for e in env]
        self.root = Root(root)
        self.ld_mode = ld
        self.tracer = tracer
        self.timeout = timeout
        self.rng = random.Random(seed) if seed is not None else None
        self.cpu = Cpu(tlb)
        self.mem = AddressSpace(self.cpu)
        self.fds = FdTable()
        for fd in (0, 1, 2):
            try:
                self.fds.install_at(fd, os.dup(fd))
            except OSError:
                pass
        self.pid = self.tid = os.getpid()
        self.creds = Creds(os.getuid(), os.geteuid(), os.getgid(), os.getegid())
        self.umask = os.umask(0o022)
        os.umask(self.umask)
        self.exe = ""                  # guest path of the running image (/proc/self/exe)
        self.bprm = None
        self.exit: GuestExit | None = None
        self.sigqueue: list[tuple[int, bytes]] = []   # pending guest signals, with siginfo
        self.host_sigq: deque = deque()    # signals the host delivered (watcher thread)
        self.altstack = (0, 2, 0)          # ss_sp, ss_flags (SS_DISABLE), ss_size
        self.saved_sigmask: int | None = None   # rt_sigsuspend's mask to restore
        self.restart_nr = -1               # the syscall that left -ERESTART* in rax
        self.resume_pc: int | None = None  # where rt_sigreturn resumes the guest
        self.in_syscall = False
        self.timed_out = False
        self._timer = None
        self.clear_child_tid = 0
        self.robust_list = (0, 0)
        self.sigactions: dict[int, bytes] = {}
        self.current_nr = -1
        self.rseq = 0
        self.comm = b""
        self.sigmask = 0
        self.rlimits: dict[int, tuple[int, int]] = {}
        self.said_enosys: set[int] = set()
        self.arg_start = self.arg_end = self.env_end = self.envp_addr = self.auxv_addr = 0
        self.hwcap = self.cpu.cpuid(1)[3]     # CPUID.1:EDX, as the kernel's ELF_HWCAP
        self.hwcap2 = 0                # no FSGSBASE enabled for ring 3 (CR4.FSGSBASE is off)
        self.minsigstksz = 2048        # MINSIGSTKSZ: our signal frame (no XSAVE state)
        self.start_time = time.monotonic()
        self._handlers = dispatch_table()
        self._syscall_args = self.cpu.syscall_args
        self._set_rax = self.cpu.set_rax
        self.cpu.on_syscall(self._on_syscall)
        self.cpu.on_interrupt(self._on_interrupt)
        self._fault: tuple[int, int, int] | None = None   # (signo, si_code, addr)
        self.forked = False            # a host process made by the guest's fork
        self.children: set[int] = set()   # forked guest children not yet reaped
        self.vfork_fd = -1             # a vfork child closes this at exec or exit
        self.exec_request: tuple | None = None
        self.clone_request: tuple | None = None
        self.threads: dict = {}            # tid -> Thread, once the guest made a thread
        self.thread = None                 # the running Thread
        self.tsigqueue: list[tuple[int, bytes]] = []   # signals sent to this thread (tgkill)
        self.slice_expired = False
        self.nested = 0                    # emu_starts of the linker inside a hook
        self._last_args: tuple = ()
        self._epipe = False
        self.on_exec: list = []        # callbacks(task) once the program is at its entry point
        self.use_vdso = True           # map a vDSO at exec (--no-vdso: every clock call a syscall)
        self.vdso = None               # binfmt.vdso.Vdso of the current image

    # --- services for binfmt and the syscall handlers ---------------------------------------
    def random_bytes(self, n: int) -> bytes:
        return self.rng.randbytes(n) if self.rng else os.urandom(n)

    def flush_old_exec(self) -> None:
        """Past exec's point of no return: drop the old image and close-on-exec fds."""
        for vma in list(self.mem.vmas):
            self.mem.unmap(vma.start, vma.end - vma.start)
        self.mem = AddressSpace(self.cpu)
        rtld = getattr(self, "rtld", None)
        if rtld is not None:            # the Python linker's stub page belonged to the old image
            rtld.stubs.close()
            self.rtld = None
        if self.vdso is not None:       # so did the vDSO
            self.vdso.close()
            self.vdso = None
        self.cpu.uc.ctl_flush_tb()      # translated code of the old image must not run again
        if self.threads:                # de_thread: the other threads are gone
            self.threads = {}
            self.thread = None
        self.fds.close_on_exec()
        # exec resets handled signals to SIG_DFL; ignored ones stay ignored
        self.sigactions = {k: v for k, v in self.sigactions.items()
                           if int.from_bytes(v[:8], "little") == 1}

    def start_thread(self, entry: int, sp: int) -> None:
        cpu = self.cpu
        for name in ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8", "r9", "r10", "r11",
                     "r12", "r13", "r14", "r15"):
            cpu.set_reg(name, 0)
        cpu.set_fs_base(0)
        cpu.set_reg("rsp", sp)
        cpu.set_reg("rip", entry)

    def ldd(self, filename: str) -> list[tuple[str, str, int]]:
        """What `ldd` prints: (name, path, load address) of every object, program excluded."""
        bprm = do_execve(self, filename, self.argv, self.envp)
        if bprm.interp_path is None:
            return []
        from .ld import link_program
        r = link_program(self, bprm, list_only=True)
        return [(m.name, m.path, m.map_start) for m in r.namespace() if not m.is_main]

    def execve(self, filename: str, argv: list[bytes] | None = None,
               envp: list[bytes] | None = None) -> None:
        """Replace the image (raises ExecError before the point of no return)."""
        bprm = do_execve(self, filename, argv if argv is not None else self.argv,
                         envp if envp is not None else self.envp)
        self.bprm = bprm
        self.exe = bprm.interp
        if bprm.interp_path is not None and self.ld_mode == "python":
            from .ld import LayoutError, LinkError, link_program
            try:
                link_program(self, bprm)
            except LayoutError as e:
                print(f"pyloader: --ld=python cannot link with this glibc ({e}); "
                      "running the real ld.so instead", file=sys.stderr)
                self.ld_mode = "system"
                self.execve(filename, argv, envp)
            except LinkError as e:
                print(f"{filename}: error while loading shared libraries: {e}"
                      if "symbol lookup" not in str(e) and "version" not in str(e)
                      else f"{filename}: {e}", file=sys.stderr)
                raise GuestExit(127) from None

    @property
    def current_name(self) -> str:
        sc = SYSCALLS.get(self.current_nr)
        return sc.name if sc else ""

    def fd_path(self, fd: int) -> bytes:
        """What a guest descriptor refers to, as /proc/self/fd/N shows it to the guest."""
        f = self.fds.get(fd)
        try:
            return self.root.to_guest(os.readlink(f"/proc/self/fd/{f.host_fd}".encode()))
        except OSError:
            return f.path

    def kernel(self, name: str, *args: int) -> int:
        """Make a syscall on the guest's behalf (the Python ld.so maps libraries this way),
        traced like the guest's own."""
        nr = BY_NAME[name].nr
        args = tuple(a & 0xFFFFFFFFFFFFFFFF for a in args) + (0,) * (6 - len(args))
        tr = self.tracer
        traced = tr is not None and (tr.all or nr in tr.selected)
        if traced:
            tr.enter(self, nr, args)
        saved, self.current_nr = self.current_nr, nr
        try:
            ret = self._handlers[nr](self, *args)
        except OSError as e:
            ret = -(e.errno or errno.EIO)
        finally:
            self.current_nr = saved
        if traced:
            tr.syscall(self, nr, args, ret)
        return ret

    def guest_fault(self, err) -> None:
        """Guest code run by the linker (an ifunc resolver, a constructor) stopped abnormally."""
        if err is not None and getattr(err, "errno", None) in FAULT_ERRORS:
            self._memory_fault(err.errno)
        if self._fault:
            self._deliver_fault(fatal=True)
        if self.timed_out:
            raise GuestExit(signo=SIGKILL)
        raise GuestExit(signo=SIGSEGV, core=True)

    def do_exit(self, status: int) -> None:
        raise GuestExit(status)

    def do_exit_signal(self, signo: int) -> None:
        """The guest dies of `signo` (SIGKILL for a deadlock, as nothing else could end it)."""
        raise GuestExit(signo=signo, core=signo in CORE_SIGNALS)

    # --- signals (see signals.py) ---------------------------------------------------------------
    def action(self, signo: int) -> SigAction:
        return SigAction(self.sigactions.get(signo))

    def send_signal(self, signo: int, code: int = SI_TKILL, tid: int | None = None) -> None:
        """A signal the guest sends itself (kill, tgkill, raise, SIGPIPE)."""
        if code == SI_TKILL and tid is None:
            tid = self.tid
        self.queue_signal(signo, siginfo(signo, code, pid=self.pid, uid=self.creds.uid), tid)

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
        if self.nested == 0:            # delivered before the guest runs on (after a run
            self.cpu.stop()             # the linker waits for: see StubPage.call_guest)

    def _drain_host_signals(self) -> None:
        q = self.host_sigq
        while q:
            self.queue_signal(*q.popleft())

    def deliverable(self, mask: int | None = None) -> tuple[list, int] | None:
        """(queue, index) of the first signal the running thread may take now, or None:
        its own signals first, then the process's."""
        mask = self.sigmask if mask is None else mask
        for queue in (self.tsigqueue, self.sigqueue):
            for i, (signo, _) in enumerate(queue):
                if signo in SYNCHRONOUS or signo == SIGKILL or not mask & bit(signo):
                    return queue, i
        return None

    def wants(self, signo: int, mask: int | None = None) -> bool:
        """Would this signal do anything now (so it should interrupt a blocking call)?"""
        if signo == SIGKILL:
            return True
        if (self.sigmask if mask is None else mask) & bit(signo):
            return False
        h = self.action(signo).handler
        return h != SIG_IGN and not (h == SIG_DFL and default_action(signo) == "ignore")

    def deliver_signals(self) -> None:
        """get_signal + handle_signal: take each deliverable signal's action."""
        self._drain_host_signals()
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
            self.sigmask = old | act.mask | (0 if act.flags & SA_NODEFER else bit(signo))
            self.sigmask &= ~(bit(SIGKILL) | bit(SIGSTOP))
            if act.flags & SA_RESETHAND:
                self.sigactions.pop(signo, None)
        self._handle_restart(None)

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
                    self.wake(th, -516 if th.wait.kind == "sleep" else -512)
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
                self._drain_host_signals()
                if any_signal and self.sigqueue or any(self.wants(s) for s, _ in self.sigqueue):
                    return False

    def sleep_until_signal(self, mask: int | None = None,
                           timeout: float | None = None) -> tuple[list, int] | None:
        """pause/sigsuspend/sigtimedwait: sleep until a signal not in `mask` is pending;
        returns (queue, index) of it, or None on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            self._drain_host_signals()
            found = self.deliverable(mask)
            if found is not None:
                return found
            if self.timed_out:
                raise GuestExit(signo=SIGKILL)
            left = 0.05 if deadline is None else min(0.05, deadline - time.monotonic())
            if left <= 0:
                return None
            time.sleep(left)

    # --- processes ---------------------------------------------------------------------------
    def do_clone(self, flags: int, stack: int, ptid: int, ctid: int, tls: int) -> int:
        """fork/vfork/clone without CLONE_THREAD: the child is a real host process (the
        whole emulator is forked, so its memory is copy-on-write as the guest's would be)."""
        from syscalls.process import (
            CLONE_CHILD_SETTID,
            CLONE_PARENT_SETTID,
            CLONE_THREAD,
            CLONE_VFORK,
        )
        if flags & CLONE_THREAD:
            return self.clone_thread(flags, stack, ptid, ctid, tls)
        tr = self.tracer
        if tr is not None:
            tr.before_fork(self)
        sys.stdout.flush()
        sys.stderr.flush()
        vfork = flags & CLONE_VFORK
        if vfork:
            r, w = os.pipe2(os.O_CLOEXEC)
        pid = os.fork()
        if pid == 0:
            self._become_child(flags, stack, ctid, tls)
            if vfork:
                os.close(r)
                self.vfork_fd = w
            if flags & CLONE_CHILD_SETTID:
                self.mem.write(ctid, self.tid.to_bytes(4, "little"))
            return 0
        self.children.add(pid)
        if tr is not None:
            tr.forked(self, pid)
        if flags & CLONE_PARENT_SETTID:
            self.mem.write(ptid, pid.to_bytes(4, "little"))
        if vfork:                       # the parent sleeps until the child execs or exits
            os.close(w)
            try:
                while os.read(r, 1):
                    pass
            except OSError:
                pass
            os.close(r)
        return pid

    def _become_child(self, flags: int, stack: int, ctid: int, tls: int) -> None:
        from syscalls.process import CLONE_CHILD_CLEARTID, CLONE_SETTLS
        self.forked = True
        self.pid = self.tid = os.getpid()
        self.children = set()
        if self.vfork_fd >= 0:          # the parent's vfork pipe is not ours to hold
            os.close(self.vfork_fd)
            self.vfork_fd = -1
        self._timer = None              # the --timeout timer thread stays in the parent
        self.sigqueue = []              # pending signals are not inherited
        self.tsigqueue = []
        if self.threads:                # only the forking thread lives on in the child
            self.threads = {}
            self.thread = None
        self.host_sigq.clear()
        if getattr(self, "_old_handlers", None):
            self._start_signal_watcher()
        if stack:
            self.cpu.set_reg("rsp", stack)
        if flags & CLONE_SETTLS:
            self.cpu.set_fs_base(tls)
        self.clear_child_tid = ctid if flags & CLONE_CHILD_CLEARTID else 0
        if self.tracer is not None:
            self.tracer = self.tracer.in_child(self)
        self._set_rax(0)

    def child_reaped(self, pid: int) -> None:
        self.children.discard(pid)

    def blocking(self, fn, *args, fd: int | None = None, events: int = 0,
                 child_wait: bool = False):
        """A host call that may sleep and returns -EINTR when a host signal (our WAKE, sent by
        the watcher) interrupts it: the guest's call is then interrupted if a pending signal
        wants that, and otherwise simply made again. With several guest threads a call that
        would block (its `fd` not ready, or no child to reap) blocks only its thread, which
        makes the call again once it can succeed."""
        if self.threads and (fd is not None or child_wait) and self.other_threads_alive():
            if fd is not None and not fd_ready(fd, events):
                return self.block(Wait("io", addr=fd, bitset=events))
            if child_wait and not child_ready():
                return self.block(Wait("child"))
        while True:
            r = fn(*args)
            if r != -errno.EINTR:
                return r
            if self.timed_out:
                raise GuestExit(signo=SIGKILL)
            if child_wait and child_ready():
                continue                # do_wait finds the child before it sees the signal
            self._drain_host_signals()
            if any(self.wants(s) for s, _ in self.sigqueue):
                raise Interrupted()

    def request_execve(self, filename: str, argv: list[bytes], envp: list[bytes]) -> None:
        """execve from the guest: done by the run loop, outside emu_start, since the old
        image (the code making this call) is unmapped."""
        self.exec_request = (self.current_nr, self._last_args, filename, argv, envp)
        self.cpu.stop()

    def _exec_from_guest(self) -> None:
        from .binfmt import ExecError
        nr, args, filename, argv, envp = self.exec_request
        self.exec_request = None
        tr = self.tracer
        traced = tr is not None and (tr.all or nr in tr.selected)
        if traced:
            tr.defer_execve(self, filename, argv, len(envp), args)
        try:
            self.execve(filename, argv, envp)
        except ExecError as e:
            self._set_rax(-e.errno)
            if traced:
                tr.exec_failed(self, nr, args, -e.errno)
            return
        self.argv, self.envp = argv, envp
        if self.vfork_fd >= 0:
            os.close(self.vfork_fd)
            self.vfork_fd = -1
        if traced:
            tr.execve_done(self)

    def _exit_host(self, ex: GuestExit) -> None:
        """A forked guest ends its host process the same way, so the parent's wait4 sees
        the exit status or the signal."""
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except OSError:
            pass
        if ex.signo:
            import resource
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            signal.signal(ex.signo, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, [ex.signo])
            os.kill(os.getpid(), ex.signo)
        os._exit(ex.status)

    # --- running -----------------------------------------------------------------------------
    def run(self, filename: str | None = None) -> GuestExit:
        """Exec `filename` (default argv[0]) and run until the guest exits; returns how it
        ended. ExecError is raised when the program cannot be executed at all."""
        tr = self.tracer
        filename = filename or os.fsdecode(self.argv[0])
        self._install_host_signals()
        try:
            if tr:
                tr.defer_execve(self, filename, self.argv, len(self.envp))
            self.execve(filename)
            if tr:
                tr.execve_done(self)
            for observe in self.on_exec:     # `explain`, --trace-faults (teaching modes)
                observe(self)
            while self.exit is None:
                if self.timed_out:
                    raise GuestExit(signo=SIGKILL)
                try:
                    self.cpu.run(self.cpu.pc)
                    if self.resume_pc is not None:     # rt_sigreturn's rip
                        self.cpu.set_reg("rip", self.resume_pc)
                        self.resume_pc = None
                    if self.clone_request:
                        self._start_requested_thread()
                except UcError as e:
                    if e.errno in FAULT_ERRORS:
                        self._memory_fault(e.errno)
                    elif e.errno == UC_ERR_INSN_INVALID:
                        self._fault = (SIGILL, ILL_ILLOPN, self.cpu.pc, "exec")
                    else:   # anything else the engine refuses: a general protection fault
                        self._fault = (SIGSEGV, SI_KERNEL, 0, "exec")
                if self.exec_request:
                    self._exec_from_guest()
                if self._fault:
                    self._deliver_fault()
                if self.timed_out:
                    raise GuestExit(signo=SIGKILL)
                if self.threads:
                    self.schedule()
                if self.sigqueue or self.host_sigq or self.tsigqueue:
                    self.deliver_signals()
        except GuestExit as ex:
            self.exit = ex
            if self.vfork_fd >= 0:
                os.close(self.vfork_fd)
                self.vfork_fd = -1
        finally:
            self._restore_host_signals()
            try:
                self.mem.sync()
            except OSError:
                pass
        if self.timed_out:
            for pid in self.children:       # a runaway guest's children go with it
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
        if self.tracer:
            self.tracer.exited(self, self.exit)
        if self.forked:
            self._exit_host(self.exit)
        return self.exit

    # --- system calls ---------------------------------------------------------------------------
    def _on_syscall(self) -> None:
        """The hot path: one raw register read, one dict lookup, the handler, rax."""
        a = self._syscall_args()
        nr = self.current_nr = a[0]
        args = self._last_args = (a[1], a[2], a[3], a[4], a[5], a[6])
        tr = self.tracer
        traced = tr is not None and (tr.all or nr in tr.selected)
        if traced:
            tr.enter(self, nr, args)
        entry = self._handlers.get(nr)
        self.in_syscall = True
        try:
            ret = entry(self, *args) if entry is not None else self._enosys(nr)
        except OSError as e:
            ret = -(e.errno or errno.EIO)
        except Interrupted:
            # the kernel's internal code; deliver_signals turns it into EINTR or a restart
            sc = SYSCALLS.get(nr)
            ret = -ERESTARTNOHAND if sc and sc.name in NO_RESTART else -ERESTARTSYS
            self.cpu.stop()
        except GuestExit:
            raise
        except Exception as e:  # noqa: BLE001 - a bug of ours must not become a guest traceback
            ret = -errno.ENOSYS
            self._internal_error(nr, e)
        finally:
            self.in_syscall = False
        if ret is BLOCKED:              # the thread waits; the call completes on wake-up
            self.thread.call = (nr, args, traced)
            return
        if ret is not None:
            self._set_rax(ret)
            if -ERESTART_RESTARTBLOCK <= ret <= -ERESTARTSYS:
                self.restart_nr = nr
            if ret == -errno.EPIPE and nr in SIGPIPE_CALLS and not (
                    nr in SEND_CALLS and args[3] & MSG_NOSIGNAL):
                self._epipe = True
        if traced and self.exec_request is None:
            tr.syscall(self, nr, self._last_args, ret)
        if self._epipe:
            self._epipe = False
            self.send_signal(SIGPIPE, SI_USER)
        if (self.sigqueue or self.host_sigq or self.tsigqueue) and self.nested == 0:
            self.cpu.stop()             # signals are delivered on the way back to the guest

    def _enosys(self, nr: int) -> int:
        if nr not in self.said_enosys:
            self.said_enosys.add(nr)
            sc = SYSCALLS.get(nr)
            name = sc.name if sc else f"syscall_{nr:#x}"
            print(f"pyloader: {name} (syscall {nr}) is not implemented; the guest gets ENOSYS",
                  file=sys.stderr)
        return -errno.ENOSYS

    def _internal_error(self, nr: int, e: Exception) -> None:
        sc = SYSCALLS.get(nr)
        name = sc.name if sc else str(nr)
        print(f"pyloader: internal error in {name}: {type(e).__name__}: {e}; the guest gets ENOSYS",
              file=sys.stderr)
        if os.environ.get("PYLOADER_DEBUG"):
            import traceback
            traceback.print_exc()

    # --- faults -----------------------------------------------------------------------------------
    def _memory_fault(self, uc_errno: int) -> None:
        pc = self.cpu.pc
        access, why = FAULT_ERRORS[uc_errno]
        detail = self.cpu.fault_detail(pc)
        if detail is None and why == "prot":
            # Unicorn 2.1.4 lets the replayed access succeed after a protection fault: the
            # address is then the memory operand whose page forbids this access
            need = {"read": 1, "write": 2, "exec": 4}.get(access, 1)
            try:
                code = self.mem.read(pc, 16)
            except OSError:
                code = b""
            for a, _size in self.cpu.memory_operands(pc, code) if code else []:
                vma = self.mem.find(a)
                if vma is None or not vma.prot & need:
                    detail = (a, access)
                    break
        addr = detail[0] if detail else pc
        code = SEGV_ACCERR if why == "prot" else SEGV_MAPERR
        self._fault = (SIGSEGV, code, addr, access)

    def _on_interrupt(self, intno: int) -> None:
        pc = self.cpu.pc
        if intno == INTR_UD:
            self._fault = (SIGILL, ILL_ILLOPN, pc, "exec")
        elif intno == INTR_DE:
            self._fault = (SIGFPE, FPE_INTDIV, pc, "exec")
        elif intno == INTR_BP:
            self._fault = (SIGTRAP, SI_KERNEL, 0, "exec")
        elif intno == INTR_GP:
            self._fault = (SIGSEGV, SI_KERNEL, 0, "exec")
        else:
            self._fault = (SIGSEGV, SI_KERNEL, 0, "exec")
        self.cpu.stop()

    def _deliver_fault(self, fatal: bool = False) -> None:
        """force_sig_fault: to the guest's handler when it has one and does not block the
        signal; otherwise the default action (and our one-line crash report)."""
        signo, code, addr, access = self._fault
        self._fault = None
        info = siginfo(signo, code, addr=addr if code != SI_KERNEL else None)
        act = self.action(signo)
        if not fatal and act.handler not in (SIG_DFL, SIG_IGN) and not self.sigmask & bit(signo):
            self.sigqueue.insert(0, (signo, info))
            self.deliver_signals()
            return
        if self.tracer:
            self.tracer.signal_info(self, signo, info)
        from .crash import describe_crash
        print(describe_crash(self, signo, code, addr, access), file=sys.stderr)
        raise GuestExit(signo=signo, core=signo in CORE_SIGNALS)

    # --- host signals ------------------------------------------------------------------------------
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
        mask = sum(1 << (s - 1) for s in FORWARDED)
        buf = buffer(8)
        buf.raw = mask.to_bytes(8, "little")
        self._sigfd = host_syscall(NR["signalfd4"].nr, -1, buf, 8, os.O_CLOEXEC)
        self._old_handlers = {WAKE: signal.signal(WAKE, self._wake)}
        self._start_signal_watcher()
        if self.timeout:
            uc = self.cpu.uc
            main = threading.main_thread().ident

            def expire():
                self.timed_out = True
                if self.nested == 0:
                    uc.emu_stop()
                signal.pthread_kill(main, WAKE)     # wakes a blocked host call

            self._timer = threading.Timer(self.timeout, expire)
            self._timer.daemon = True
            self._timer.start()

    def _start_signal_watcher(self) -> None:
        """The thread that reads the signalfd (a forked child starts its own: threads do not
        survive fork; the descriptor does, and reads the child's own signals)."""
        fd, uc = self._sigfd, self.cpu.uc
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
                if self.nested == 0:    # never cut short a run the linker is waiting for
                    uc.emu_stop()
                if self.in_syscall and self.wants(signo):
                    signal.pthread_kill(main, WAKE)

        threading.Thread(target=watch, daemon=True, name="pyloader-signals").start()

    def _restore_host_signals(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if not getattr(self, "_old_handlers", None):
            return
        for s, h in self._old_handlers.items():
            signal.signal(s, h)
        os.close(self._sigfd)
        signal.pthread_sigmask(signal.SIG_SETMASK, self._old_mask)
        self._old_handlers = None

    def _wake(self, signo: int, frame) -> None:
        """Nothing to do: WAKE exists to make a blocked host call return EINTR (`blocking`).
        Raising here could lose the result of a call that had just completed."""


class Interrupted(Exception):
    """A host signal arrived while a syscall blocked: the syscall returns EINTR."""
