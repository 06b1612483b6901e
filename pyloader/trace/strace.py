"""Tracer: prints each system call as strace does, or keeps the -c summary.

Formatting is lazy: `wants(nr)` is a set lookup, and nothing is formatted for a call that
is filtered out. Lines are complete when written (strace writes the first half at entry;
we write after the call returns, except for calls that do not return).

With -f, forked guests are other host processes writing to the same file. While more than
one is traced, each writes its call's first half at entry, as strace does, and a shared page
(`Shared`) says whose line is open, so that another task's line first ends it with
` <unfinished ...>` and the owner later writes `<... name resumed>` and the rest.
"""
from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING

from syscalls.table import BY_NAME, SYSCALLS
from syscalls.uapi import SI_KERNEL, SIGCHLD, unpack_siginfo

if TYPE_CHECKING:
    from syscalls.decode import Ctx


_decoder = None


def _decode():
    """syscalls.decode, imported by the first line that needs it: its tables take ~15 ms to
    build, which `-e trace=none` never needs."""
    global _decoder
    if _decoder is None:
        import syscalls.decode
        _decoder = syscalls.decode
    return _decoder


OUTPUT_KINDS = ("obuf", "oiov", "os", "fds2", "oepoll", "socklen", "ogids", "orem", "ocwd")


class Shared:
    """State shared by every traced process of one run: how many are alive, and which one
    (pid) has written the first half of a line. A lockf lock on an unlinked file orders them."""

    def __init__(self) -> None:
        import mmap
        import tempfile
        self.page = mmap.mmap(-1, 4096, flags=mmap.MAP_SHARED | mmap.MAP_ANONYMOUS)
        self.words = memoryview(self.page).cast("i")
        self.words[0] = 1
        fd, path = tempfile.mkstemp(prefix="pyloader-lock-")
        os.unlink(path)
        self.lock_fd = fd

    @property
    def nprocs(self) -> int:
        return self.words[0]

    def lock(self) -> None:
        import fcntl
        fcntl.lockf(self.lock_fd, fcntl.LOCK_EX)

    def unlock(self) -> None:
        import fcntl
        fcntl.lockf(self.lock_fd, fcntl.LOCK_UN)


class Tracer:
    def __init__(self, out=None, *, selected: set[int] | None = None, strsize: int = 32,
                 summary: bool = False, show_paths: bool = False, syscall_times: bool = False,
                 timestamps: int = 0, relative: bool = False, only_ok: bool = False,
                 only_failed: bool = False, xlat_style: str = "abbrev", verbose: bool = False,
                 follow: int = 0, outname: str | None = None):
        self.out = out or sys.stderr
        self.follow = follow            # 1: -f, 2: -ff (one file per pid with -o)
        self.outname = outname
        self.pid = os.getpid()
        self.shared: Shared | None = None
        self._open: str | None = None   # the syscall name whose first half this task wrote
        self._skip_exit = False
        self.restarting = False         # a blocked thread makes its call again: one line
        self.counts_fd = -1             # -c -f: forked children append their counts here
        self.forked_child = False
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
        self._entry: dict | None = None      # select's fd sets as they were at entry
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

    def _lead(self) -> str:
        """The pid prefix (-f) and the timestamps."""
        pfx = ""
        if self.follow == 1 and self.outname:
            pfx = f"{self.pid:<5d} "
        elif self.follow == 1 and self.shared is not None and self.shared.nprocs > 1:
            pfx = f"[pid {self.pid:5d}] "
        return pfx + self._prefix()

    def _write(self, line: str) -> None:
        """One whole line; `line` has no lead yet."""
        sh = self.shared
        if sh is None:
            self.out.write(self._lead() + line + "\n")
            return
        sh.lock()
        try:
            self._end_other_line(sh)
            self.out.write(self._lead() + line + "\n")
            self.out.flush()
        finally:
            sh.unlock()

    def _end_other_line(self, sh: Shared) -> None:
        owner = sh.words[1]
        if owner and owner != self.pid:
            self.out.write(" <unfinished ...>\n")
            sh.words[1] = 0

    def _write_call(self, text: str, tail: str) -> None:
        """A call's line: `text` is the call, `tail` what follows it (" = 0 <0.1>")."""
        sh = self.shared
        if sh is None or self._open is None:
            lead = self._lead()
            self._write_raw(lead, (lead + text).ljust(39)[len(lead):] + tail)
            return
        head = self._open_head
        name = self._open
        self._open = None
        rest = text.removeprefix(head)
        sh.lock()
        try:
            if sh.words[1] == self.pid:
                sh.words[1] = 0
                col = self._open_col + len(rest)
                self.out.write(rest + " " * max(0, 39 - col) + tail + "\n")
            else:
                self._end_other_line(sh)
                lead = self._lead()
                self.out.write((lead + f"<... {name} resumed>" + rest).ljust(39) + tail + "\n")
            self.out.flush()
        finally:
            sh.unlock()

    def _write_raw(self, lead: str, body: str) -> None:
        sh = self.shared
        if sh is None:
            self.out.write(lead + body + "\n")
            return
        sh.lock()
        try:
            self._end_other_line(sh)
            self.out.write(lead + body + "\n")
            self.out.flush()
        finally:
            sh.unlock()

    def _write_head(self, sc, args: tuple, task) -> None:
        """-f with several tasks: the call's first half now (strace prints input arguments at
        entry), so that a line another task writes meanwhile shows it <unfinished ...>."""
        if sc.name in ("ioctl", "clone", "clone3", "execve", "execveat"):
            return
        head = self._head(sc, args, task)
        sh = self.shared
        sh.lock()
        try:
            self._end_other_line(sh)
            lead = self._lead()
            self.out.write(lead + head)
            self.out.flush()
            sh.words[1] = self.pid
        finally:
            sh.unlock()
        self._open, self._open_head, self._open_col = sc.name, head, len(lead) + len(head)

    def _head(self, sc, args: tuple, task) -> str:
        """The call up to its first output argument: "read(3, " (what strace knows at entry)."""
        ctx = self._ctx(task, 0)
        kinds = [k.partition(":")[0] for k in sc.args]
        n = next((i for i, k in enumerate(kinds) if k in OUTPUT_KINDS), len(kinds))
        if sc.name == "futex":          # every argument is an input
            return _decode().format_call(sc, args, ctx)[:-1]
        from syscalls.decode import plan, shown_args
        shown = shown_args(sc, args)
        ctx.args = args
        steps = plan(sc)
        parts = [fn(ctx, args[i], p, args, sc) for i, (fn, p) in enumerate(steps[:min(n, shown)])]
        return f"{sc.name}(" + ", ".join(parts) + (", " if parts and n < shown else "")

    def killed_in_call(self, task, nr: int, args: tuple) -> None:
        """The process ended inside a traced call (--timeout, a signal's default action):
        strace shows what it knew at entry, `<unfinished ...>) = ?`."""
        sc = SYSCALLS.get(nr)
        if (sc is None or sc.ret == "none" or self.summary or self.only_failed
                or self._open is not None or self._printed_enter):
            return                      # exit and exit_group were printed at entry
        self._write(self._head(sc, args, task) + " <unfinished ...>) = ?")

    # --- processes (-f) -------------------------------------------------------------------------
    def before_fork(self, task) -> None:
        """Flush what this process wrote (a forked buffer would be written twice), and share
        the line state with the child-to-be."""
        if self.follow and self.shared is None and not self.summary:
            self.shared = Shared()
        if self.follow and self.summary and self.counts_fd < 0:
            import tempfile
            self.counts_fd, path = tempfile.mkstemp(prefix="pyloader-counts-")
            os.unlink(path)
        if self.shared is not None:
            self.shared.lock()
            self.shared.words[0] += 1
            self.shared.unlock()
        self.out.flush()

    def forked(self, task, child: int) -> None:
        """In the parent, after fork (the child's count was taken in before_fork)."""
        if not self.follow and self.shared is not None:
            self.shared.words[0] -= 1

    def for_thread(self, tid: int) -> Tracer | None:
        """A new thread's tracer: strace follows threads only with -f. It shares the output,
        the -c counts and the line state; its own pid and open line."""
        if not self.follow:
            return None
        import copy
        if self.shared is None:
            self.shared = Shared()
        self.shared.lock()
        self.shared.words[0] += 1
        self.shared.unlock()
        t = copy.copy(self)
        t.pid, t._open, t._skip_exit, t._printed_enter = tid, None, False, False
        return t

    def _end_unfinished(self) -> None:
        """The process ended while this task was in a call (-f): the call is
        `<... name resumed> <unfinished ...>) = ?`, as strace prints it."""
        if self._open is None or self.summary:
            return
        name, self._open = self._open, None
        sh = self.shared
        sh.lock()
        try:
            if sh.words[1] == self.pid:         # its head is the last thing written
                sh.words[1] = 0
                self.out.write(" <unfinished ...>) = ?\n")
            else:
                self._end_other_line(sh)
                self.out.write((self._lead() + f"<... {name} resumed> <unfinished ...>)")
                               .ljust(39) + " = ?\n")
        finally:
            sh.unlock()

    def thread_killed(self, task, ex) -> None:
        """Another thread of a process that ended: its call, then its own end line."""
        self._end_unfinished()
        if not self.summary:
            core = " (core dumped)" if ex.core else ""
            self._write(f"+++ killed by {_decode().signame(ex.signo)}{core} +++" if ex.signo
                        else f"+++ exited with {ex.status} +++")
        sh = self.shared
        sh.lock()
        sh.words[0] -= 1
        sh.unlock()

    def thread_exited(self, task, status: int) -> None:
        self._write(f"+++ exited with {status} +++")
        if self.shared is not None:
            self.shared.lock()
            self.shared.words[0] -= 1
            self.shared.unlock()

    def in_child(self, task) -> Tracer | None:
        """The tracer a forked child uses: none without -f; with -ff -o FILE its own FILE.pid."""
        self.pid = task.pid
        self._open = None
        self._skip_exit = True          # the parent prints the clone line, not the child
        if not self.follow:
            return None
        self.forked_child = True
        self.counts = {}                # the parent's counts stay the parent's
        if self.follow == 2 and self.outname:
            self.out = open(f"{self.outname}.{self.pid}", "w")  # noqa: SIM115 - lives as long as the guest
        return self

    def _ctx(self, task, ret) -> Ctx:
        """One Ctx reused for every line (only the memory and result change)."""
        ctx = self._context
        if ctx is None:
            ctx = self._context = _decode().Ctx(task.mem, strsize=self.strsize, verbose=self.verbose,
                                      xlat_style=self.xlat_style, fd_paths=self._fd_paths,
                                      show_paths=self.show_paths)
        ctx.mem = task.mem
        ctx.ret = ret
        ctx.fd_paths = self._fd_paths
        ctx.entry = self._entry
        return ctx

    # --- events --------------------------------------------------------------------------------------
    def defer_execve(self, task, filename: str, argv: list[bytes], envc: int,
                     args: tuple | None = None) -> None:
        """The execve line is printed once the new stack exists (its envp address is part of
        the line) and before anything the loader does in the new image. `args` are the
        registers of a guest's own execve (its envp pointer is printed)."""
        self._pending_execve = (filename, argv, envc, args)

    def execve_done(self, task) -> None:
        if self._pending_execve is not None:
            filename, argv, envc, args = self._pending_execve
            self._pending_execve = None
            self.execve(task, filename, argv, envc, args[2] if args else task.envp_addr)

    def exec_failed(self, task, nr: int, args: tuple, ret: int) -> None:
        """A guest's execve that failed: its line, from the arguments it gave."""
        if self._pending_execve is None:
            return
        filename, argv, envc, _ = self._pending_execve
        self._pending_execve = None
        self.execve(task, filename, argv, envc, args[2], ret)

    def execve(self, task, filename: str, argv: list[bytes], envc: int, envp_addr: int,
               ret: int = 0) -> None:
        if self.summary:
            c = self.counts.setdefault(BY_NAME["execve"].nr, [0, 0, 0.0])
            c[0] += 1
            c[1] += ret < 0
            return
        if self.only_failed and ret == 0:
            return
        sc = BY_NAME["execve"]
        if not self.wants(sc.nr):
            return
        from syscalls.decode import quote
        args = []
        for i, a in enumerate(argv):
            if i >= self.strsize and not self.verbose:
                args.append("...")
                break
            args.append(quote(a, self.strsize))
        envp = (f"{envp_addr:#x} /* {envc} var{'s' if envc != 1 else ''} */" if envp_addr
                else "NULL")
        head = f"execve({quote(os.fsencode(filename))}, [{', '.join(args)}], {envp})"
        if ret == 0:
            self._wall0 = time.time()
            self._write_call(head, " = 0")
        elif not self.only_ok:
            from syscalls.xlat import ERRNO
            name, msg = ERRNO.get(-ret, (f"errno {-ret}", "Unknown error"))
            self._write_call(head, f" = -1 {name} ({msg})")

    def enter(self, task, nr: int, args: tuple) -> None:
        if self._pending_execve is not None:
            self.execve_done(task)
        self._t0 = time.perf_counter()
        if self.timestamps:
            self._wall0 = time.time()
        if self.show_paths:
            self._capture_fd_paths(task, nr, args)
        sc = SYSCALLS.get(nr)
        d = _decode()
        self._entry = d.entry_capture(sc, task.mem, args) if nr in d.ENTRY_CAPTURE else None
        if sc is not None and sc.ret == "none" and not self.summary and not self.only_failed:
            # calls that do not return are printed on entry
            self._write_call(d.format_call(sc, args, self._ctx(task, None)), " = ?")
            self._printed_enter = True
        elif self.restarting:
            self.restarting = False     # the first half, if written, is this call's
        elif (self.shared is not None and self.shared.nprocs > 1 and sc is not None
              and not self.summary):
            self._write_head(sc, args, task)

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
        if self._skip_exit:
            self._skip_exit = False
            return
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
        ctx.args = args
        tail = " = " + _decode().format_ret(sc, ret, ctx)
        if self.syscall_times:
            tail += f" <{elapsed:.6f}>"
        self._write_call(_decode().format_call(sc, args, ctx), tail)

    def signal_info(self, task, signo: int, info: bytes) -> None:
        """--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, ...} --- from a siginfo_t."""
        if self.summary:
            return
        _, code, fields = unpack_siginfo(info)
        if code == SI_KERNEL and signo != SIGCHLD:
            text = f"si_signo={_decode().signame(signo)}, si_code=SI_KERNEL"
        else:
            text = _decode().siginfo_text(signo, code, fields)
        self._write(f"--- {_decode().signame(signo)} {{{text}}} ---")

    def exited(self, task, ex) -> None:
        self._pending_execve = None
        self._end_unfinished()
        if self.summary and self.forked_child:
            if self.counts_fd >= 0:     # one line per process; the first one merges them
                import json
                os.write(self.counts_fd, (json.dumps(self.counts) + "\n").encode())
        elif self.summary:
            self._merge_children_counts()
            self._write_summary()
        elif ex.signo:
            core = " (core dumped)" if ex.core else ""
            self._write(f"+++ killed by {_decode().signame(ex.signo)}{core} +++")
        else:
            self._write(f"+++ exited with {ex.status} +++")
        if self.shared is not None:
            self.shared.lock()
            self.shared.words[0] -= 1
            self.shared.unlock()
        self.out.flush()

    def _merge_children_counts(self) -> None:
        if self.counts_fd < 0:
            return
        import json
        size = os.fstat(self.counts_fd).st_size
        for line in os.pread(self.counts_fd, size, 0).decode().splitlines():
            for nr, (n, e, secs) in json.loads(line).items():
                c = self.counts.setdefault(int(nr), [0, 0, 0.0])
                c[0] += n
                c[1] += e
                c[2] += secs

    def _write_summary(self) -> None:
        rows = sorted(self.counts.items(), key=lambda kv: (-kv[1][2], SYSCALLS[kv[0]].name
                                                           if kv[0] in SYSCALLS else ""))
        total = sum(c[2] for _, c in rows) or 1e-12
        calls = sum(c[0] for _, c in rows)
        errors = sum(c[1] for _, c in rows)
        def w(line: str) -> None:
            self.out.write(line + "\n")
        w("% time     seconds  usecs/call     calls    errors syscall")
        w("------ ----------- ----------- --------- --------- ----------------")
        for nr, (n, e, secs) in rows:
            name = SYSCALLS[nr].name if nr in SYSCALLS else f"syscall_{nr:#x}"
            w(f"{100 * secs / total:6.2f} {secs:11.6f} {int(secs * 1e6 / n):11d} {n:9d} "
              f"{e if e else '':>9} {name}")
        w("------ ----------- ----------- --------- --------- ----------------")
        w(f"100.00 {total if rows else 0:11.6f} {int(total * 1e6 / calls) if calls else 0:11d} "
          f"{calls:9d} {errors if errors else '':>9} total")
