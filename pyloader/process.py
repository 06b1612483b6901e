"""Process: one guest program = address space + CPU + kernel state (fds, cwd, creds).

This is the task the syscall handlers receive (syscalls/task.py declares what they may use
of it: syscalls/ never imports pyloader) and the object the binfmt loaders fill in.
"""
from __future__ import annotations

import errno
import os
import random
import re
import resource
import signal
import sys
import threading
import time
from collections import deque

from unicorn import UcError
from unicorn.unicorn_const import UC_ERR_INSN_INVALID

from syscalls import dispatch_table, procfs
from syscalls.table import BY_NAME, SYSCALLS
from syscalls.uapi import (
    ERESTART_RESTARTBLOCK,
    ERESTARTNOHAND,
    ERESTARTSYS,
    ILL_ILLOPN,
    SI_KERNEL,
    SI_USER,
    SIGBUS,
    SIGILL,
    SIGKILL,
    SIGPIPE,
    SIGSEGV,
)
from syscalls.vfs import FdTable, Root

from .binfmt import ExecFatal, do_execve
from .cpu import FAULT_ERRORS, Cpu, TlbAuto
from .cred import Cred
from .elf import ElfError
from .exit import ExitMixin, GuestExit
from .fork import ForkMixin
from .memory import AddressSpace, Fault
from .signals import (
    NO_RESTART,
    Interrupted,
    SignalMixin,
)
from .threads import (
    BLOCKED,
    RESTART,
    ThreadsMixin,
    Wait,
    child_ready,
    fd_ready,
    nonblocking,
)
from .traps import TrapsMixin

MSG_NOSIGNAL = 0x4000
# calls that raise SIGPIPE with EPIPE (pipe_write, sock_sendmsg without MSG_NOSIGNAL)
SIGPIPE_CALLS = {BY_NAME[n].nr for n in ("write", "writev", "pwrite64", "pwritev", "pwritev2",
                                         "sendto", "sendmsg", "sendfile", "splice", "vmsplice",
                                         "tee", "copy_file_range", "sendmmsg")}
SEND_CALLS = {BY_NAME[n].nr for n in ("sendto", "sendmsg", "sendmmsg")}


SHARE_SLICE = 0.01      # seconds of guest code before another sharing process gets a turn


class ShareLock:
    """Processes that share memory run guest code one at a time. Unicorn translates guest
    atomic instructions (lock cmpxchg, lock xadd, xchg) for a single CPU, as a load and a
    store: two emulators running at once could interleave them and lose an update of a
    process-shared mutex or semaphore. Between the processes of one run (a guest and the
    children it forks, who inherit the descriptor), a POSIX record lock on one file is held
    while guest code runs, and let go during every system call and every time slice."""

    def __init__(self) -> None:
        import tempfile
        self.fd, path = tempfile.mkstemp(prefix="pyloader-share-")
        os.unlink(path)
        os.set_inheritable(self.fd, False)

    def acquire(self) -> None:
        import fcntl
        fcntl.lockf(self.fd, fcntl.LOCK_EX)

    def release(self) -> None:
        import fcntl
        fcntl.lockf(self.fd, fcntl.LOCK_UN)
        os.sched_yield()                # a process waiting for the lock gets it now


class Process(ThreadsMixin, SignalMixin, ForkMixin, ExitMixin, TrapsMixin):
    """One guest process: its state is here (each piece declared where it lives), its
    behaviour in the mixins named as the kernel's files are (threads: CLONE_THREAD and
    the scheduler; signals: kernel/signal.c; fork: kernel/fork.c; exit: kernel/exit.c;
    traps: faults). The user-facing API is hook, redirect, stdout and run."""

    def __init__(self, argv: list[str], env: dict[str, str] | list[str] | None = None, *,
                 root: str = "/", ld: str = "python", tracer=None, seed: int | None = None,
                 timeout: float | None = None, tlb: str = "auto"):
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
        # the trials compare blocks per second, which only the stock engine's hook counts
        self.tlb_auto = TlbAuto(self, trials=not self.cpu.patched_engine) if tlb == "auto" \
            else None
        self.mem = AddressSpace(self.cpu)
        self.fds = FdTable()
        # the guest starts with the descriptor limit we were given
        self.fds.limit = min(resource.getrlimit(resource.RLIMIT_NOFILE)[0], 1 << 20)
        for fd in (0, 1, 2):
            try:
                self.fds.install_at(fd, os.dup(fd))
            except OSError:
                pass
        self._inherit_fds()
        self.pid = self.tid = os.getpid()
        self.creds = Cred(os.getuid(), os.geteuid(), os.getgid(), os.getegid())
        self.umask = os.umask(0o022)
        os.umask(self.umask)
        self.exe = ""                  # guest path of the running image (/proc/self/exe)
        self.bprm = None
        self.exit: GuestExit | None = None
        self.sigqueue: list[tuple[int, bytes]] = []   # pending guest signals, with siginfo
        self.signalfds: list = []       # syscalls.signal.SignalFd: readable while theirs is pending
        self.host_sigq: deque = deque()    # signals the host delivered (watcher thread)
        self.posix_timers: set[int] = set()    # timer_create ids (host timers)
        self.saved_sigmask: int | None = None   # rt_sigsuspend's mask to restore
        self.restart_nr = -1               # the syscall that left -ERESTART* in rax
        self.resume_pc: int | None = None  # where rt_sigreturn resumes the guest
        self.in_syscall = False
        self.timed_out = False
        self._timer = None
        self.clear_child_tid = 0
        self.sigactions: dict[int, bytes] = {}
        self.current_nr = -1
        self.comm = b""
        self.sigmask = 0
        self.rlimits: dict[int, tuple[int, int]] = {}   # the emulated ones (syscalls.process)
        self.share_lock: ShareLock | None = None       # memory shared with other processes
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
        self.on_exec: list = []        # callbacks(task) once the program is at its entry point
        self.hooks = None              # pyloader.hooks.Hooks, made by the first hook()
        self.use_vdso = True           # map a vDSO at exec (--no-vdso: every clock call a syscall)
        self.vdso = None               # binfmt.vdso.Vdso of the current image
        self.rtld = None               # ld.rtld.Rtld: the Python ld.so that linked the image
        self.ld_debug: set[str] = set()    # --ld-debug categories (LD_DEBUG's)
        self.on_bind = None            # callback for each lazy binding (see Rtld.on_bind)
        self.rseq = 0                  # the registered rseq area
        self.robust_list = (0, 0)      # set_robust_list: (head, len)
        self.altstack = (0, 2, 0)      # sigaltstack: ss_sp, ss_flags (SS_DISABLE), ss_size
        self.next_tid: int | None = None   # the last guest tid given (threads.new_tid)
        self._old_handlers: dict | None = None     # host signal handlers to restore

    # --- services for binfmt and the syscall handlers ---------------------------------------
    def random_bytes(self, n: int) -> bytes:
        return self.rng.randbytes(n) if self.rng else os.urandom(n)

    def flush_old_exec(self) -> None:
        """Past exec's point of no return: drop the old image and close-on-exec fds."""
        for vma in list(self.mem.vmas):
            self.mem.unmap(vma.start, vma.end - vma.start)
        self.mem = AddressSpace(self.cpu)
        rtld = self.rtld
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
        self.exe = bprm.interp              # the program's $ORIGIN is its directory
        if bprm.interp_path is None:
            return []
        from .ld import link_program
        r = link_program(self, bprm, list_only=True)
        return [(m.name, m.path, m.map_start) for m in r.namespace() if not m.is_main]

    def execve(self, filename: str, argv: list[bytes] | None = None,
               envp: list[bytes] | None = None) -> None:
        """Replace the image (raises ExecError before the point of no return)."""
        try:
            bprm = do_execve(self, filename, argv if argv is not None else self.argv,
                             envp if envp is not None else self.envp)
        except ExecFatal as e:
            print(f"pyloader: exec of {filename} failed past the point of no return "
                  f"({errno.errorcode.get(e.errno, e.errno)}: {e}): SIGSEGV", file=sys.stderr)
            raise GuestExit(signo=SIGSEGV) from None
        self.bprm = bprm
        self.exe = bprm.interp
        # past the point of no return: what exec clears (the old image's rseq area, robust
        # list and alternate signal stack), before ld.so registers the new ones
        self.rseq = 0
        self.robust_list = (0, 0)           # (head, len)
        self.altstack = (0, 2, 0)           # ss_sp, ss_flags (SS_DISABLE), ss_size
        self.set_comm(os.path.basename(os.fsencode(filename)))
        if bprm.interp_path is not None and self.ld_mode == "python":
            from .ld import LayoutError, LinkError, RtldAssertion, link_program
            try:
                link_program(self, bprm)
            except LayoutError as e:
                print(f"pyloader: --ld=python cannot link with this glibc ({e}); "
                      "running the real ld.so instead", file=sys.stderr)
                self.ld_mode = "system"
                self.execve(filename, argv, envp)
            except RtldAssertion as e:
                print(e, file=sys.stderr)
                raise GuestExit(127) from None
            except (LinkError, ElfError) as e:
                print(f"{filename}: error while loading shared libraries: {e}"
                      if "symbol lookup" not in str(e) and "version" not in str(e)
                      else f"{filename}: {e}", file=sys.stderr)
                raise GuestExit(127) from None
            except Fault as e:          # ld.so's own load or store would fault there
                name = "SIGBUS" if e.signo == SIGBUS else "SIGSEGV"
                print(f"pyloader: ld.so: {e}: {name}", file=sys.stderr)
                raise GuestExit(signo=e.signo) from None
        if self.hooks is not None:     # names can be resolved now that everything is mapped
            self.hooks.attach()

    def share_memory(self) -> None:
        """The guest maps memory that other processes may map too: from now on it runs
        guest code only while it holds the share lock (see ShareLock)."""
        if self.share_lock is None:
            self.share_lock = ShareLock()
            cpu = self.cpu

            def slices():
                while self.exit is None:
                    time.sleep(SHARE_SLICE)
                    cpu.request_stop()  # the run loop lets another process have a turn

            threading.Thread(target=slices, daemon=True, name="pyloader-share").start()

    def set_comm(self, name: bytes) -> None:
        """The task's name (exec's basename, PR_SET_NAME): the host process gets it too, so
        /proc/self/comm and stat, ps and top show the guest's name, not python3."""
        import ctypes
        self.comm = name[:15]
        ctypes.CDLL(None).prctl(15, ctypes.c_char_p(self.comm), 0, 0, 0)   # PR_SET_NAME

    @property
    def current_name(self) -> str:
        sc = SYSCALLS.get(self.current_nr)
        return sc.name if sc else ""

    def _inherit_fds(self) -> None:
        """Descriptors above 2 that pyloader was started with (a shell's `3<file`, a make
        jobserver pipe) are the guest's too, as exec would pass them. Python opens its own
        non-inheritable, so the inheritable ones are exactly those; the guest's table takes
        them over (closing one must really close it, or a pipe's reader never sees EOF)."""
        try:
            fds = [int(n) for n in os.listdir("/proc/self/fd")]
        except OSError:
            return
        for fd in sorted(fds):
            try:
                if fd > 2 and fd not in self.fds.files and os.get_inheritable(fd):
                    os.set_inheritable(fd, False)
                    self.fds.install_at(fd, fd)
            except OSError:
                pass                    # the listing's own descriptor, closed by now

    def fd_path(self, fd: int) -> bytes:
        """What a guest descriptor refers to, as /proc/self/fd/N shows it to the guest."""
        f = self.fds.get(fd)
        if f.file is not None:          # emulated: the host's descriptor is something else
            return f.path
        try:
            target = os.readlink(f"/proc/self/fd/{f.host_fd}".encode())
        except OSError:
            return f.path
        if procfs.generated(target):     # /proc/self/maps, /proc/self/fd: /proc/PID/...
            return re.sub(rb"^/proc/(self|thread-self)\b", b"/proc/%d" % self.pid, f.path)
        return self.root.to_guest(target)

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

    # --- waiting (see threads.py) -------------------------------------------------------------
    def blocking(self, fn, *args, fd: int | None = None, events: int = 0,
                 child_wait: bool = False, on_ready=None):
        """A host call that may sleep and returns -EINTR when a host signal (our WAKE, sent by
        the watcher) interrupts it: the guest's call is then interrupted if a pending signal
        wants that, and otherwise simply made again. With several guest threads a call that
        would block (its blocking `fd` not ready, or no child to reap) blocks only its
        thread, which makes the call again once it can succeed (or gets `on_ready()`)."""
        if self.threads and (fd is not None or child_wait) and self.other_threads_alive():
            if fd is not None and not fd_ready(fd, events) and not nonblocking(fd):
                return self.block(Wait("io", fds=((fd, events),), on_ready=on_ready))
            if child_wait and not child_ready():
                return self.block(Wait("child"))
        while True:
            r = fn(*args)
            if r != -errno.EINTR:
                return r
            if child_wait and child_ready():
                continue                # do_wait finds the child before it sees the signal
            self.after_eintr()

    def wait_ready(self, call, fds: tuple, timeout_ns: int | None):
        """poll, select, epoll_wait: `call(timeout_ns, probe)` makes the host call (None
        waits forever) and returns the guest's result; with probe it leaves guest memory
        alone when nothing is ready. With several guest threads only this thread waits: a
        probe, then a Wait on `fds` ((host fd, events), ...) until one is ready or the
        deadline passes, and the call is made again with the time that is left."""
        deadline = None if timeout_ns is None else time.monotonic_ns() + timeout_ns
        if self.threads and self.other_threads_alive():
            deadline = self.resumed_deadline(deadline)
            if deadline is not None and deadline <= time.monotonic_ns():
                return call(0, False)
            r = call(0, True)
            if r != 0:
                return r
            return self.block(Wait("io", fds=fds, deadline=deadline, timeout_result=RESTART))
        while True:
            left = None if deadline is None else max(0, deadline - time.monotonic_ns())
            r = call(left, False)
            if r != -errno.EINTR:
                return r
            self.after_eintr()

    def after_eintr(self) -> None:
        """A host call returned EINTR: interrupt the guest's call if a pending signal wants
        that (Interrupted), else return so that the call is made again."""
        if self.timed_out:
            raise GuestExit(signo=SIGKILL)
        self.take_host_signals()
        if any(self.wants(s) for s, _ in self.sigqueue + self.tsigqueue):
            raise Interrupted()

    # --- execve from the guest -------------------------------------------------------------
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

    # --- function hooks (pyloader/hooks.py) ---------------------------------------------------
    def hook(self, target, func=None, *, when: str = "replace", callers=None):
        """Hook a function: `name`, `name@VERSION`, `lib:name` or an address; when is
        "replace" (default; `call.original()` makes it a wrapper), "enter" or "exit";
        callers limits it to calls made from those objects. Returns the Hook (`.remove()`);
        without func, a decorator (the Hook is then the function's `hook` attribute)."""
        from .hooks import hooks_of
        return hooks_of(self).hook(target, func, when=when, callers=callers)

    def redirect(self, name: str, to: str, library: str | None = None):
        """Calls of `name` go to `to` (in `library`, loaded for it), as LD_PRELOAD would."""
        from .hooks import redirect
        return redirect(self, name, to, library)

    @property
    def stdout(self):
        """A text stream onto the guest's descriptor 1."""
        from .hooks import GuestStream
        return GuestStream(self, 1)

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
            if self.tlb_auto is not None:
                self.tlb_auto.start()
            while self.exit is None:
                if self.timed_out:
                    raise GuestExit(signo=SIGKILL)
                try:
                    share = self.share_lock
                    if share is not None:
                        share.acquire()
                    try:
                        self.cpu.run(self.cpu.pc)
                    finally:
                        if share is not None:
                            share.release()
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
                # also with no signal left: a call that returned -ERESTART* must still be
                # restarted (the guest would see -512)
                if self.sigqueue or self.host_sigq or self.tsigqueue or self.restart_nr >= 0:
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
        # with -f every other thread's call ends unfinished and its own end line comes first;
        # without -f only the main thread is traced: its tracer reports the end even when
        # another thread was running
        tracer = self.tracer
        if self.threads:
            leader = self.threads.get(self.pid)
            if leader is None or leader.state == "dead":
                leader = self.thread        # the leader is gone: the last thread reports
            for th in list(self.threads.values()):
                tr = self.tracer if th is self.thread else th.saved.get("tracer")
                if th is not leader and th.state != "dead" and tr is not None:
                    tr.thread_killed(self, self.exit)
            tracer = (self.tracer if leader is self.thread else leader.saved.get("tracer")) \
                or self.main_tracer
        if tracer:
            tracer.exited(self, self.exit)
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
        share = self.share_lock
        if share is not None:           # other processes run guest code while we serve this
            share.release()
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
            if traced:
                tr.killed_in_call(self, nr, args)
            raise
        except Exception as e:  # noqa: BLE001 - a bug of ours must not become a guest traceback
            ret = -errno.ENOSYS
            self._internal_error(nr, e)
        finally:
            self.in_syscall = False
            if share is not None:
                share.acquire()
        if ret is BLOCKED:              # the thread waits; the call completes on wake-up
            self.thread.call = (nr, args, traced)
            return
        epipe = False
        if ret is not None:
            self._set_rax(ret)
            if ret < 0:
                if -ERESTART_RESTARTBLOCK <= ret <= -ERESTARTSYS:
                    self.restart_nr = nr
                    self.cpu.stop()     # the run loop restarts it or makes it EINTR first
                epipe = ret == -errno.EPIPE and nr in SIGPIPE_CALLS and not (
                    nr in SEND_CALLS and args[3] & MSG_NOSIGNAL)
        if traced and self.exec_request is None:
            tr.syscall(self, nr, self._last_args, ret)
        if epipe:                       # pipe_write: EPIPE comes with SIGPIPE
            self.send_signal(SIGPIPE, SI_USER)

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
