"""Tracer: prints each system call as strace does, or keeps the -c summary.

Formatting is lazy: `wants(nr)` is a set lookup, and nothing is formatted for a call that
is filtered out. Lines are complete when written (strace writes the first half at entry;
we write after the call returns, except for calls that do not return).
"""
from __future__ import annotations

import os
import sys
import time

from syscalls.decode import Ctx, format_call, format_ret, signame
from syscalls.table import SYSCALLS

SI_CODES = {0: "SI_USER", 0x80: "SI_KERNEL", -6: "SI_TKILL"}
SEGV_CODES = {1: "SEGV_MAPERR", 2: "SEGV_ACCERR"}
FAULT_CODES = {4: {2: "ILL_ILLOPN"}, 8: {1: "FPE_INTDIV"}, 11: SEGV_CODES, 5: {1: "TRAP_BRKPT"}}


class Tracer:
    def __init__(self, out=None, *, selected: set[int] | None = None, strsize: int = 32,
                 summary: bool = False, show_paths: bool = False, syscall_times: bool = False,
                 timestamps: int = 0, relative: bool = False, only_ok: bool = False,
                 only_failed: bool = False, xlat_style: str = "abbrev", verbose: bool = False):
        self.out = out or sys.stderr
        self.all = selected is None
        self.selected = selected if selected is not None else set()
        self.strsize = strsize
        self.summary = summary
        self.show_paths = show_paths
        self.syscall_times = syscall_times
        self.timestamps = timestamps
        self.relative = relative
        self.only_ok, self.only_failed = only_ok, only_failed
        self.xlat_style = xlat_style
        self.verbose = verbose
        self.counts: dict[int, list] = {}     # nr -> [calls, errors, seconds]
        self._t0 = 0.0
        self._wall0 = 0.0
        self._last = None
        self._fd_paths: dict[int, bytes] = {}
        self._printed_enter = False
        self._context: Ctx | None = None
        self._pending_execve = None

    def wants(self, nr: int) -> bool:
        return self.all or nr in self.selected

    # --- line pieces ---------------------------------------------------------------------------
    def _prefix(self) -> str:
        parts = ""
        if self.relative:
            now = time.monotonic()
            d = now - self._last if self._last is not None else 0.0
            self._last = now
            parts += f"{d:13.6f} "
        if self.timestamps:
            now = self._wall0 or time.time()
            if self.timestamps >= 3:
                parts += f"{now:.6f} "
            else:
                parts += time.strftime("%H:%M:%S", time.localtime(now))
                parts += f".{int(now % 1 * 1e6):06d} " if self.timestamps == 2 else " "
        return parts

    def _write(self, line: str) -> None:
        self.out.write(line + "\n")

    def _ctx(self, task, ret) -> Ctx:
        """One Ctx reused for every line (only the memory and result change)."""
        ctx = self._context
        if ctx is None:
            ctx = self._context = Ctx(task.mem, strsize=self.strsize, verbose=self.verbose,
                                      xlat_style=self.xlat_style, fd_paths=self._fd_paths,
                                      show_paths=self.show_paths)
        ctx.mem = task.mem
        ctx.ret = ret
        ctx.fd_paths = self._fd_paths
        return ctx

    # --- events --------------------------------------------------------------------------------------
    def defer_execve(self, task, filename: str, argv: list[bytes], envc: int) -> None:
        """The execve line is printed once the new stack exists (its envp address is part of
        the line) and before anything the loader does in the new image."""
        self._pending_execve = (filename, argv, envc)

    def execve_done(self, task) -> None:
        if self._pending_execve is not None:
            filename, argv, envc = self._pending_execve
            self._pending_execve = None
            self.execve(task, filename, argv, envc, task.envp_addr)

    def execve(self, task, filename: str, argv: list[bytes], envc: int, envp_addr: int) -> None:
        if self.summary or self.only_failed:
            return
        sc = next((s for s in SYSCALLS.values() if s.name == "execve"), None)
        if sc is not None and not self.wants(sc.nr):
            return
        from syscalls.decode import quote
        args = []
        for i, a in enumerate(argv):
            if i >= self.strsize and not self.verbose:
                args.append("...")
                break
            args.append(quote(a, self.strsize))
        head = (f"execve({quote(os.fsencode(filename))}, [{', '.join(args)}], "
                f"{envp_addr:#x} /* {envc} var{'s' if envc != 1 else ''} */)")
        self._wall0 = time.time()
        self._write(self._prefix() + head.ljust(39) + " = 0")

    def enter(self, task, nr: int, args: tuple) -> None:
        if self._pending_execve is not None:
            self.execve_done(task)
        self._t0 = time.perf_counter()
        if self.timestamps:
            self._wall0 = time.time()
        if self.show_paths:
            self._capture_fd_paths(task, nr, args)
        sc = SYSCALLS.get(nr)
        if sc is not None and sc.ret == "none" and not self.summary and not self.only_failed:
            # calls that do not return are printed on entry
            self._write(self._prefix() + format_call(sc, args, self._ctx(task, None)).ljust(39)
                        + " = ?")
            self._printed_enter = True

    def _capture_fd_paths(self, task, nr: int, args: tuple) -> None:
        self._fd_paths = {}
        sc = SYSCALLS.get(nr)
        if sc is None:
            return
        for kind, v in zip(sc.args, args):
            if kind in ("fd", "dirfd"):
                fd = v & 0xFFFFFFFF
                fd = fd - (1 << 32) if fd & 0x80000000 else fd
                if fd >= 0 and fd in task.fds.files:
                    self._fd_paths[fd] = task.fd_path(fd)

    def syscall(self, task, nr: int, args: tuple, ret: int | None) -> None:
        if self._printed_enter:
            self._printed_enter = False
            return
        if ret is None:          # did not return (exit under -Z)
            return
        elapsed = time.perf_counter() - self._t0
        failed = ret is not None and -4096 < ret < 0
        if self.summary:
            c = self.counts.setdefault(nr, [0, 0, 0.0])
            c[0] += 1
            c[1] += failed
            c[2] += elapsed
            return
        if (self.only_ok and failed) or (self.only_failed and not failed):
            return
        sc = SYSCALLS.get(nr)
        if sc is None:
            from syscalls.table import Syscall
            sc = Syscall(nr, f"syscall_{nr:#x}", ("x",) * 6, frozenset(), "d")
        ctx = self._ctx(task, ret)
        if self.show_paths and sc.ret == "fd" and ret is not None and ret >= 0:
            self._fd_paths[ret] = task.fd_path(ret)
        line = self._prefix() + format_call(sc, args, ctx).ljust(39) + " = " + format_ret(sc, ret, ctx)
        if self.syscall_times:
            line += f" <{elapsed:.6f}>"
        self._write(line)

    def signal(self, task, signo: int, code: int, addr: int, sender: int | None = None) -> None:
        if self.summary:
            return
        name = signame(signo)
        if code in FAULT_CODES.get(signo, {}) and sender is None:
            codes = FAULT_CODES[signo]
            info = f"si_signo={name}, si_code={codes[code]}, si_addr={addr:#x}" if addr else \
                f"si_signo={name}, si_code={codes[code]}, si_addr=NULL"
        elif sender is not None:
            info = (f"si_signo={name}, si_code={SI_CODES.get(code, code)}, si_pid={sender}, "
                    f"si_uid={os.getuid()}")
        else:
            info = f"si_signo={name}, si_code={SI_CODES.get(code, code)}"
        self._write(f"{self._prefix()}--- {name} {{{info}}} ---")

    def exited(self, task, ex) -> None:
        self._pending_execve = None
        if self.summary:
            self._write_summary()
        elif ex.signo:
            core = " (core dumped)" if ex.core else ""
            self._write(f"{self._prefix()}+++ killed by {signame(ex.signo)}{core} +++")
        else:
            self._write(f"{self._prefix()}+++ exited with {ex.status} +++")
        self.out.flush()

    def _write_summary(self) -> None:
        rows = sorted(self.counts.items(), key=lambda kv: (-kv[1][2], SYSCALLS[kv[0]].name
                                                           if kv[0] in SYSCALLS else ""))
        total = sum(c[2] for _, c in rows) or 1e-12
        calls = sum(c[0] for _, c in rows)
        errors = sum(c[1] for _, c in rows)
        w = self._write
        w("% time     seconds  usecs/call     calls    errors syscall")
        w("------ ----------- ----------- --------- --------- ----------------")
        for nr, (n, e, secs) in rows:
            name = SYSCALLS[nr].name if nr in SYSCALLS else f"syscall_{nr:#x}"
            w(f"{100 * secs / total:6.2f} {secs:11.6f} {int(secs * 1e6 / n):11d} {n:9d} "
              f"{e if e else '':>9} {name}")
        w("------ ----------- ----------- --------- --------- ----------------")
        w(f"100.00 {total if rows else 0:11.6f} {int(total * 1e6 / calls) if calls else 0:11d} "
          f"{calls:9d} {errors if errors else '':>9} total")
