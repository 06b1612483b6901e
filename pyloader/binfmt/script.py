"""binfmt_script: `#!interpreter [one-argument]` as fs/binfmt_script.c parses it."""
from __future__ import annotations

import errno

from .exec import (
    BINPRM_BUF_SIZE,
    MAX_REWRITES,
    ExecError,
    LinuxBinprm,
    prepare_binprm,
    search_binary_handler,
)


def _spacetab(c: int) -> bool:
    return c in b" \t"


def load_script(task, bprm: LinuxBinprm) -> int:
    buf = bprm.buf
    if buf[:2] != b"#!":
        return -errno.ENOEXEC
    # Only the first BINPRM_BUF_SIZE bytes are looked at. Without a newline in them the
    # interpreter name must still end inside the buffer, else the line is too long.
    end = buf.find(b"\n")
    if end < 0:
        # the kernel NUL-terminates the buffer at its last byte (buf_end = buf + 255), so a
        # line cut by the buffer keeps 255 bytes, not 256
        end = min(len(buf), BINPRM_BUF_SIZE - 1)
        line = buf[2:end]
        stripped = line.lstrip(b" \t")
        name_end = next((i for i, c in enumerate(stripped) if _spacetab(c)), None)
        if stripped and name_end is None and len(bprm.data) > len(buf):
            raise ExecError(errno.ENOEXEC, f"{bprm.interp}: #! interpreter name too long")
    line = buf[2:end].strip(b" \t\0")
    if not line:
        return -errno.ENOEXEC
    i = 0
    while i < len(line) and not _spacetab(line[i]):
        i += 1
    interp = line[:i]
    arg = line[i:].strip(b" \t") or None        # the rest of the line is ONE argument
    bprm.depth += 1
    if bprm.depth > MAX_REWRITES:
        raise ExecError(errno.ELOOP, f"{bprm.filename}: too many levels of #! interpreters")
    # argv: interpreter, [arg], the script path (as execve named it), original argv[1:]
    new_argv = [interp] + ([arg] if arg else []) + [bprm.interp.encode()] + bprm.argv[1:]
    bprm.steps.append(f"binfmt_script: {bprm.interp!s} starts with '#!': interpreter "
                      f"{interp.decode(errors='replace')!r}"
                      + (f", argument {arg.decode(errors='replace')!r}" if arg else ""))
    bprm.scripts.append((bprm.interp, interp, arg))
    bprm.argv = new_argv
    bprm.interp = interp.decode("utf-8", "surrogateescape")
    prepare_binprm(task, bprm)
    search_binary_handler(task, bprm)
    return 0
