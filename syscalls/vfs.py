"""The guest's view of files: the root policy and the file descriptor table.

Guest paths reach the host only through `Root.resolve`. With the host root ("/") paths pass
through unchanged (dirfd-relative calls use the host dirfd). With `--rootfs DIR` every path
is resolved component by component inside DIR, following symlinks as the kernel's
path walk does but with DIR as "/", so neither ".." nor a symlink can climb out.
"""
from __future__ import annotations

import errno
import os

AT_FDCWD = -100
MAXSYMLINKS = 40
NR_OPEN_DEFAULT = 1024   # RLIMIT_NOFILE soft limit the guest sees


def err(code: int) -> OSError:
    return OSError(code, os.strerror(code))


class OpenFile:
    """One guest descriptor: the host descriptor behind it and what it was opened as."""
    __slots__ = ("cloexec", "file", "host_fd", "path")

    def __init__(self, host_fd: int, path: bytes = b"", cloexec: bool = False,
                 file: object = None):
        self.host_fd = host_fd
        self.path = path            # the guest path it was opened by ("" for pipes, sockets...)
        self.cloexec = cloexec
        self.file = file            # what pyloader emulates behind host_fd (a signalfd), shared
                                    # by dup as the kernel shares the struct file


class FdTable:
    def __init__(self) -> None:
        self.files: dict[int, OpenFile] = {}
        self.limit = NR_OPEN_DEFAULT

    def get(self, fd: int) -> OpenFile:
        f = self.files.get(fd)
        if f is None:
            raise err(errno.EBADF)
        return f

    def host(self, fd: int) -> int:
        f = self.files.get(fd)
        if f is None:
            raise err(errno.EBADF)
        return f.host_fd

    def lowest_free(self, start: int = 0) -> int:
        fd = start
        while fd in self.files:
            fd += 1
        if fd >= self.limit:
            raise err(errno.EMFILE)
        return fd

    def install(self, host_fd: int, path: bytes = b"", cloexec: bool = False,
                start: int = 0, file: object = None) -> int:
        """Give host_fd the lowest free guest number >= start (the table owns host_fd)."""
        try:
            fd = self.lowest_free(start)
        except OSError:
            os.close(host_fd)
            raise
        self.files[fd] = OpenFile(host_fd, path, cloexec, file)
        return fd

    def install_at(self, fd: int, host_fd: int, path: bytes = b"", cloexec: bool = False,
                   file: object = None) -> int:
        if not 0 <= fd < self.limit:
            os.close(host_fd)
            raise err(errno.EBADF)
        self.close(fd, missing_ok=True)
        self.files[fd] = OpenFile(host_fd, path, cloexec, file)
        return fd

    def close(self, fd: int, missing_ok: bool = False) -> None:
        f = self.files.pop(fd, None)
        if f is None:
            if missing_ok:
                return
            raise err(errno.EBADF)
        try:
            os.close(f.host_fd)
        except OSError:
            pass

    def close_on_exec(self) -> None:
        for fd in [fd for fd, f in self.files.items() if f.cloexec]:
            self.close(fd)

    def close_all(self) -> None:
        for fd in list(self.files):
            self.close(fd)


class Root:
    """Where guest "/" is on the host, and how guest paths become host paths."""

    def __init__(self, root: str = "/"):
        self.root = os.path.realpath(root).encode()
        self.is_host = self.root == b"/"

    # The guest's cwd is the host process's cwd (chdir goes to the host), shown relative
    # to the root.
    def guest_cwd(self) -> bytes:
        cwd = os.getcwdb()
        if self.is_host:
            return cwd
        if cwd == self.root:
            return b"/"
        if cwd.startswith(self.root + b"/"):
            return cwd[len(self.root):]
        return b"/"

    def to_guest(self, host_path: bytes) -> bytes:
        """A host path inside the root as the guest names it."""
        if self.is_host:
            return host_path
        if host_path == self.root:
            return b"/"
        if host_path.startswith(self.root + b"/"):
            return host_path[len(self.root):]
        return host_path

    def resolve(self, path: bytes, dir_path: bytes | None = None, follow: bool = True) -> bytes:
        """A guest path (relative to guest dir `dir_path`, else to the cwd) -> host path.

        Only used with a rootfs; with the host root the callers pass paths straight on."""
        if not path:
            raise err(errno.ENOENT)
        if path.startswith(b"/"):
            base = b"/"
        else:
            base = dir_path if dir_path is not None else self.guest_cwd()
        parts = [p for p in (base + b"/" + path).split(b"/") if p]
        trailing_slash = path.endswith(b"/")
        done: list[bytes] = []
        links = 0
        while parts:
            name = parts.pop(0)
            if name == b".":
                continue
            if name == b"..":
                if done:
                    done.pop()
                continue
            host = self.root + b"/" + b"/".join(done + [name])
            last = not parts
            if (not last or follow or trailing_slash) and os.path.islink(host):
                links += 1
                if links > MAXSYMLINKS:
                    raise err(errno.ELOOP)
                target = os.readlink(host)
                if target.startswith(b"/"):
                    done = []
                parts = [p for p in target.split(b"/") if p] + parts
                continue
            done.append(name)
        return self.root + b"/" + b"/".join(done) if done else self.root

    def host_path(self, guest_path: bytes) -> bytes:
        """Absolute guest path -> host path (for the loader's own opens)."""
        return guest_path if self.is_host else self.resolve(guest_path)
