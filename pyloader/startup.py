"""What every command does before it runs a program: its environment (-E), the program
found in $PATH, and the exit statuses of a program that cannot be run (the shell's)."""
from __future__ import annotations

import errno
import os

EXIT_NOT_FOUND, EXIT_CANNOT_EXEC, EXIT_USAGE = 127, 126, 2


def guest_env(items: list[str]) -> dict[str, str]:
    """Our environment with -E VAR=VAL set and -E VAR removed."""
    env = dict(os.environ)
    for item in items:
        k, eq, v = item.partition("=")
        if eq:
            env[k] = v
        else:
            env.pop(k, None)
    return env


def find_program(name: str, env: dict[str, str], root: str) -> str | None:
    """A name without '/' is looked up in $PATH inside the guest root, as strace does."""
    if "/" in name:
        return name
    # the syscalls package is imported only when a name is looked up
    from syscalls.vfs import Root

    r = Root(root)
    try:
        for d in env.get("PATH", "/usr/local/bin:/usr/bin:/bin").split(":"):
            cand = os.path.join(d or ".", name)
            if r.executable(cand):
                return cand
    finally:
        r.close()
    return None


def exec_status(err: int) -> int:
    """The exit status for an exec that failed with errno `err`, as a shell gives it."""
    return EXIT_NOT_FOUND if err == errno.ENOENT else EXIT_CANNOT_EXEC
