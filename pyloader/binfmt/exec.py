"""do_execve and the format-handler loop, as fs/exec.c has them.

`do_execve` opens the file through the task's root policy, reads the first
BINPRM_BUF_SIZE bytes into `bprm.buf` and runs `exec_binprm`: each registered format
(`formats`, filled by `register_binfmt` as the format modules are imported) is asked in
turn (`search_binary_handler`); a handler returns ENOEXEC to pass. binfmt_script rewrites
argv and leaves the interpreter it opened in `bprm.interpreter`; the loop then makes it the
file and asks again, at most 5 times (`exec_binprm`'s depth limit), then ELOOP.
"""
from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable

from syscalls.uapi import O_PATH

BINPRM_BUF_SIZE = 256
MAX_REWRITES = 5          # exec_binprm: "for (depth = 0;; depth++) if (depth > 5) -ELOOP"
MAX_ARG_STRLEN = 32 * 4096


class ExecError(Exception):
    """exec failed before the point of no return; errno as the kernel returns it."""

    def __init__(self, code: int, message: str = ""):
        super().__init__(message or os.strerror(code))
        self.errno = code


class ExecFatal(Exception):
    """exec failed after the point of no return: the old image is gone, and the kernel
    kills the process with SIGSEGV (bprm_execve: force_fatal_sig). errno: the reason."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.errno = code


class LinuxBinprm:
    """struct linux_binprm: what is being executed, and what the handlers learned. (A plain
    class: see memory.Vma.)"""

    def __init__(self, filename: str, interp: str, argv: list[bytes], envp: list[bytes],
                 buf: bytes = b"", data: bytes = b"", host_path: bytes = b"",
                 st: os.stat_result | None = None):
        self.filename = filename    # the name execve was given (AT_EXECFN, the trace line)
        self.interp = interp        # the file being loaded now (changes with #! rewrites)
        self.argv, self.envp = argv, envp
        self.buf = buf              # first BINPRM_BUF_SIZE bytes of `interp`
        self.data = data            # the whole file (ELF images are mapped from it)
        self.host_path = host_path
        self.st = st
        # (name, host path, stat, bytes) a handler opened to run instead (binfmt_script's
        # interpreter): exec_binprm makes it the file and asks the formats again
        self.interpreter: tuple[str, bytes, os.stat_result, bytes] | None = None
        self.steps: list[str] = []  # what each handler decided, for `explain`
        self.scripts: list = []     # [(script, interpreter, arg)] per #! rewrite
        # filled by load_elf_binary for the loader, the trace and `explain`:
        self.load_bias = 0
        self.entry = 0              # where the CPU starts (ld.so's entry when it runs)
        self.interp_base = 0        # AT_BASE
        self.interp_path: str | None = None
        # (host path, stat, ElfImage) of PT_INTERP, opened and checked before the point of
        # no return: the Python linker maps and reads ld.so from it, not from the file again
        self.interp_file: tuple | None = None
        self.sp = 0
        self.image: object = None   # the executable's ElfImage
        self.auxv: list = []        # [(AT_*, value)] as placed on the stack


def open_exec(task, path: str) -> tuple[bytes, os.stat_result, bytes]:
    """Find and read an executable as open_exec does; ENOENT/EACCES/ENOEXEC as the kernel.
    Returns the file's canonical host path (for its name), its stat and its bytes, all of
    the one file the lookup found (no second lookup by name)."""
    if not path:
        raise ExecError(errno.ENOENT)
    try:
        fd = task.root.open(path, O_PATH)
    except OSError as e:
        raise ExecError(e.errno or errno.ENOENT) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ExecError(errno.EACCES, f"{path}: Permission denied (not a regular file)")
        here = b"/proc/self/fd/%d" % fd
        if not os.access(here, os.X_OK):
            raise ExecError(errno.EACCES)
        try:
            with open(here, "rb") as f:
                data = f.read()
        except OSError as e:
            raise ExecError(e.errno or errno.EACCES) from None
        return os.readlink(here), st, data
    finally:
        os.close(fd)


def prepare_binprm(bprm: LinuxBinprm) -> None:
    """The first BINPRM_BUF_SIZE bytes, which the handlers look at."""
    bprm.buf = bprm.data[:BINPRM_BUF_SIZE]


# the registered format handlers, in order: handler(task, bprm) -> 0, or -ENOEXEC to pass
formats: list[Callable[[object, LinuxBinprm], int]] = []


def register_binfmt(handler: Callable[[object, LinuxBinprm], int]) -> None:
    formats.append(handler)


def search_binary_handler(task, bprm: LinuxBinprm) -> None:
    prepare_binprm(bprm)
    for handler in formats:
        if handler(task, bprm) != -errno.ENOEXEC:
            return
    bprm.steps.append("no format handler accepts the file")
    raise ExecError(errno.ENOEXEC, f"{bprm.interp}: exec format error (not ELF, no #!)")


def exec_binprm(task, bprm: LinuxBinprm) -> None:
    """Ask the formats; while one leaves an interpreter to run instead, run that."""
    for _depth in range(MAX_REWRITES + 1):
        search_binary_handler(task, bprm)
        if bprm.interpreter is None:
            return
        bprm.interp, bprm.host_path, bprm.st, bprm.data = bprm.interpreter
        bprm.interpreter = None
    raise ExecError(errno.ELOOP, f"{bprm.filename}: too many levels of #! interpreters")


def do_execve(task, filename: str, argv: list[bytes], envp: list[bytes]) -> LinuxBinprm:
    """Load `filename` into the task; on return the CPU is ready at the entry point."""
    for s in argv + envp:
        if len(s) + 1 > MAX_ARG_STRLEN:
            raise ExecError(errno.E2BIG)
    bprm = LinuxBinprm(filename=filename, interp=filename, argv=list(argv), envp=list(envp))
    bprm.host_path, bprm.st, bprm.data = open_exec(task, filename)
    exec_binprm(task, bprm)
    return bprm
