"""binfmt_script: `#!interpreter [one-argument]` as fs/binfmt_script.c parses it."""
from __future__ import annotations

import errno

from .exec import BINPRM_BUF_SIZE, ExecError, LinuxBinprm, open_exec, register_binfmt


def _spacetab(c: int) -> bool:
    return c in b" \t"


def _next_non_spacetab(buf: bytes, first: int, last: int) -> int | None:
    for i in range(first, last + 1):
        if not _spacetab(buf[i]):
            return i
    return None


def _next_terminator(buf: bytes, first: int, last: int) -> int | None:
    for i in range(first, last + 1):
        if _spacetab(buf[i]) or buf[i] == 0:
            return i
    return None


def _cstring(buf: bytes, start: int, end: int) -> bytes:
    """buf[start:end] up to its first NUL: the kernel hands on C strings."""
    s = bytes(buf[start:end])
    return s[:s.index(0)] if 0 in s else s


def load_script(task, bprm: LinuxBinprm) -> int:
    if bprm.buf[:2] != b"#!":
        return -errno.ENOEXEC
    # bprm->buf: the first BINPRM_BUF_SIZE bytes, zero-filled past the end of a short file;
    # its last byte is overwritten with NUL when no newline ends the line inside it
    buf = bytearray(bprm.buf[:BINPRM_BUF_SIZE].ljust(BINPRM_BUF_SIZE, b"\0"))
    buf_end = BINPRM_BUF_SIZE - 1
    i_end = buf.find(b"\n")
    if i_end < 0:
        first = _next_non_spacetab(buf, 2, buf_end)
        if first is None:
            return -errno.ENOEXEC                   # the whole buffer is spaces and tabs
        if _next_terminator(buf, first, buf_end) is None:   # the name goes on past it
            raise ExecError(errno.ENOEXEC, f"{bprm.interp}: #! interpreter name too long")
        i_end = buf_end
    while i_end > 2 and _spacetab(buf[i_end - 1]):  # trailing spaces and tabs
        i_end -= 1
    buf[i_end] = 0
    i_name = _next_non_spacetab(buf, 2, i_end)
    if i_name is None or i_name == i_end:
        return -errno.ENOEXEC                       # no interpreter name
    i_sep = _next_terminator(buf, i_name, i_end)
    interp = _cstring(buf, i_name, i_sep if i_sep is not None else i_end)
    arg = None                                      # the rest of the line is ONE argument
    if i_sep is not None and buf[i_sep] != 0:
        i_arg = _next_non_spacetab(buf, i_sep, i_end)
        if i_arg is not None:
            arg = _cstring(buf, i_arg, i_end)
    # argv: interpreter, [arg], the script path (as execve named it), original argv[1:]
    new_argv = [interp] + ([arg] if arg is not None else []) + [bprm.interp.encode()] \
        + bprm.argv[1:]
    bprm.steps.append(f"binfmt_script: {bprm.interp!s} starts with '#!': interpreter "
                      f"{interp.decode(errors='replace')!r}"
                      + (f", argument {arg.decode(errors='replace')!r}" if arg is not None
                         else ""))
    bprm.scripts.append((bprm.interp, interp, arg))
    bprm.argv = new_argv
    name = interp.decode("utf-8", "surrogateescape")
    bprm.interpreter = (name, *open_exec(task, name))     # exec_binprm runs it next
    return 0


register_binfmt(load_script)
