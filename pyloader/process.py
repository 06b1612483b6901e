"""Process: one guest program = address space + CPU + kernel state (fds, cwd, creds).

This is the "task" the syscall handlers receive (see syscalls/task.py for the interface
they may use) and the object the binfmt loaders fill in.
"""
from __future__ import annotations

import errno
import os
import random
import signal
import sys
import threading
import time
from dataclasses import dataclass

from unicorn import UcError
from unicorn.unicorn_const import UC_ERR_INSN_INVALID

from syscalls import dispatch_table
from syscalls.table import BY_NAME, SYSCALLS
from syscalls.vfs import FdTable, Root

from .binfmt import do_execve
from .cpu import FAULT_ERRORS, INTR_BP, INTR_DE, INTR_GP, INTR_UD, Cpu
from .memory import AddressSpace

# signal numbers and si_codes used for faults (include/uapi/asm-generic/siginfo.h)
SIGILL, SIGTRAP, SIGFPE, SIGKILL, SIGSEGV = 4, 5, 8, 9, 11
ILL_ILLOPN, FPE_INTDIV, SEGV_MAPERR, SEGV_ACCERR, SI_KERNEL, TRAP_BRKPT = 2, 1, 1, 2, 0x80, 1
SI_TKILL, SI_USER = -6, 0
DEFAULT_IGNORE = {17, 18, 23, 28}                   # SIGCHLD SIGCONT SIGURG SIGWINCH
CORE_SIGNALS = {3, 4, 5, 6, 7, 8, 11, 24, 25, 31}   # SIGQUIT ILL TRAP ABRT BUS FPE SEGV XCPU XFSZ SYS


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


class Process:
    def __init__(self, argv: list[str], env: dict[str, str] | list[str] | None = None, *,
                 root: str = "/", ld: str = "python", tracer=None, seed: int | None = None,
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
        self.pending: list[int] = []   # host signals to act on (SIGINT, SIGTERM, timeout)
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
        self.hooks = None              # pyloader.hooks.Hooks, made by the first hook()

    # --- services for binfmt and the syscall handlers ---------------------------------------
    def random_bytes(self, n: int) -> bytes:
        return self.rng.randbytes(n) if self.rng else os.urandom(n)

    def flush_old_exec(self) -> None:
        """Past exec's point of no return: drop the old image and close-on-exec fds."""
        for vma in list(self.mem.vmas):
            self.mem.unmap(vma.start, vma.end - vma.start)
        self.mem = AddressSpace(self.cpu)
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
        return [(m.name, m.path, m.map_start) for m in r.maps if not m.is_main]

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
        if self.hooks is not None:     # names can be resolved now that everything is mapped
            self.hooks.attach()

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
            self._deliver_fault()
        if self.pending or self.timed_out:
            self._act_on_host_signals()
        raise GuestExit(signo=SIGSEGV, core=True)

    def do_exit(self, status: int) -> None:
        raise GuestExit(status)

    def do_exit_signal(self, signo: int) -> None:
        """The guest dies of `signo` (SIGKILL for a deadlock, as nothing else could end it)."""
        raise GuestExit(signo=signo, core=signo in CORE_SIGNALS)

    def send_signal(self, signo: int) -> None:
        """A signal to the guest itself. Handlers are not run yet (no delivery): a signal
        the guest ignores is dropped, any other takes its default action."""
        act = self.sigactions.get(signo)
        handler = int.from_bytes(act[:8], "little") if act else 0
        if handler == 1 or (handler == 0 and signo in DEFAULT_IGNORE):
            return
        if self.tracer:
            self.tracer.signal(self, signo, SI_TKILL, 0, sender=self.pid)
        raise GuestExit(signo=signo, core=signo in CORE_SIGNALS)

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
            while self.exit is None:
                if self.timed_out:
                    raise GuestExit(signo=SIGKILL)
                try:
                    self.cpu.run(self.cpu.pc)
                except UcError as e:
                    if e.errno in FAULT_ERRORS:
                        self._memory_fault(e.errno)
                    elif e.errno == UC_ERR_INSN_INVALID:
                        self._fault = (SIGILL, ILL_ILLOPN, self.cpu.pc, "exec")
                    else:   # anything else the engine refuses: a general protection fault
                        self._fault = (SIGSEGV, SI_KERNEL, 0, "exec")
                if self._fault:
                    self._deliver_fault()
                if self.pending or self.timed_out:
                    self._act_on_host_signals()
        except GuestExit as ex:
            self.exit = ex
        finally:
            self._restore_host_signals()
            try:
                self.mem.sync()
            except OSError:
                pass
        if tr:
            tr.exited(self, self.exit)
        return self.exit

    # --- system calls ---------------------------------------------------------------------------
    def _on_syscall(self) -> None:
        """The hot path: one raw register read, one dict lookup, the handler, rax."""
        a = self._syscall_args()
        nr = self.current_nr = a[0]
        args = (a[1], a[2], a[3], a[4], a[5], a[6])
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
            ret = -errno.EINTR
            self.cpu.stop()
        except GuestExit:
            raise
        except Exception as e:  # noqa: BLE001 - a bug of ours must not become a guest traceback
            ret = -errno.ENOSYS
            self._internal_error(nr, e)
        finally:
            self.in_syscall = False
        if ret is not None:
            self._set_rax(ret)
        if traced:
            tr.syscall(self, nr, args, ret)

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

    def _deliver_fault(self) -> None:
        """No guest signal handlers yet: the default action kills the guest with a core."""
        signo, code, addr, access = self._fault
        self._fault = None
        if self.tracer:
            self.tracer.signal(self, signo, code, addr)
        from .crash import describe_crash
        print(describe_crash(self, signo, code, addr, access), file=sys.stderr)
        raise GuestExit(signo=signo, core=signo in CORE_SIGNALS)

    # --- host signals (Ctrl-C, kill, --timeout) ---------------------------------------------------
    def _install_host_signals(self) -> None:
        """Host signals stop the emulator through a wakeup-fd watcher thread, since Python
        runs signal handlers only between bytecodes and emu_start may run for a long time."""
        if threading.current_thread() is not threading.main_thread():
            self._old_handlers = None
            return
        r, w = os.pipe()
        os.set_blocking(w, False)
        self._wake = (r, w)
        self._old_wakeup = signal.set_wakeup_fd(w, warn_on_full_buffer=False)
        self._old_handlers = {s: signal.signal(s, self._host_signal)
                              for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP,
                                        signal.SIGALRM)}
        uc = self.cpu.uc
        if self.timeout:
            main = threading.main_thread().ident

            def expire():
                self.timed_out = True
                uc.emu_stop()
                signal.pthread_kill(main, signal.SIGALRM)   # wakes a blocked host call

            self._timer = threading.Timer(self.timeout, expire)
            self._timer.daemon = True
            self._timer.start()

        def watch():
            while True:
                try:
                    b = os.read(r, 1)
                except OSError:
                    return
                if not b:
                    return
                uc.emu_stop()

        threading.Thread(target=watch, daemon=True, name="pyloader-signals").start()

    def _restore_host_signals(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        if not getattr(self, "_old_handlers", None):
            return
        for s, h in self._old_handlers.items():
            signal.signal(s, h)
        signal.set_wakeup_fd(self._old_wakeup)
        for fd in self._wake:
            os.close(fd)
        self._old_handlers = None

    def _host_signal(self, signo: int, frame) -> None:
        if signo == signal.SIGALRM:     # our --timeout timer, not the guest's
            if not self.timed_out:
                return
        else:
            self.pending.append(signo)
        if self.in_syscall:
            raise Interrupted()

    def _act_on_host_signals(self) -> None:
        if self.timed_out:
            raise GuestExit(signo=SIGKILL)
        signo = self.pending.pop(0)
        if self.tracer:
            self.tracer.signal(self, signo, 0, 0, sender=os.getpid())
        raise GuestExit(signo=signo)


class Interrupted(Exception):
    """A host signal arrived while a syscall blocked: the syscall returns EINTR."""
