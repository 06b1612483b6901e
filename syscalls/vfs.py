"""The guest's view of files: the root policy and the file descriptor table.

With the host root ("/") guest paths pass through unchanged (dirfd-relative calls use the
host dirfd). With `--rootfs DIR` the guest is chrooted to DIR: every lookup is made by the
host kernel with openat2(RESOLVE_IN_ROOT) on a descriptor of DIR, so "..", symlinks and
renames racing with the walk resolve inside DIR exactly as chroot(2) would, and the guest's
cwd is a descriptor too (never the host process's cwd). What the host does next with the
object is done through a descriptor, never by a path the host would walk again.
"""
from __future__ import annotations

import errno
import os
import stat
import struct

from .host import host_syscall
from .uapi import AT_FDCWD, O_PATH

NR_OPENAT2 = 437
RESOLVE_NO_MAGICLINKS, RESOLVE_BENEATH, RESOLVE_IN_ROOT = 0x02, 0x08, 0x10
# how a lookup treats its last component (the kernel's LOOKUP_FOLLOW, or a call on the
# directory entry itself: lstat, readlink, or one that creates or removes the name)
FOLLOW, NOFOLLOW, ENTRY = "follow", "nofollow", "entry"
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
    """Where guest "/" is on the host, the guest's cwd, and guest path lookups."""

    def __init__(self, root: str = "/"):
        self.root = os.fsencode(os.path.realpath(root))
        self.is_host = self.root == b"/"
        self.fd = self.cwd = -1
        self.sun_paths: dict[bytes, bytes] = {}   # host sun_path of a bind -> guest's
        if self.is_host:
            return
        self.fd = os.open(self.root, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            os.close(self.openat2(b"/", O_PATH))
        except OSError as e:
            os.close(self.fd)
            if e.errno == errno.ENOSYS:
                raise OSError(errno.ENOSYS, "confining the guest needs openat2 "
                                            "(Linux 5.6 or later)") from None
            raise
        # chroot(8) starts in the new "/": the host cwd is kept only when it is inside
        cwd = os.getcwdb()
        inside = cwd == self.root or cwd.startswith(self.root + b"/")
        self.cwd = os.open(cwd if inside else self.root,
                           os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)

    def close(self) -> None:
        for fd in (self.fd, self.cwd):
            if fd >= 0:
                os.close(fd)
        self.fd = self.cwd = -1

    def to_guest(self, host_path: bytes) -> bytes:
        """A host path inside the root as the guest names it."""
        if self.is_host:
            return host_path
        if host_path == self.root:
            return b"/"
        if host_path.startswith(self.root + b"/"):
            return host_path[len(self.root):]
        return host_path

    # --- the guest's cwd ------------------------------------------------------------------
    def guest_cwd(self) -> bytes:
        if self.is_host:
            return os.getcwdb()
        return self.guest_dir(self.cwd)

    def chdir(self, host_fd: int) -> None:
        """Make the directory open as host_fd (the caller keeps its own) the cwd."""
        if not stat.S_ISDIR(os.fstat(host_fd).st_mode):
            raise err(errno.ENOTDIR)
        if not os.access(b"/proc/self/fd/%d" % host_fd, os.X_OK):    # MAY_EXEC|MAY_CHDIR
            raise err(errno.EACCES)
        if self.is_host:
            os.fchdir(host_fd)
            return
        old, self.cwd = self.cwd, os.dup(host_fd)
        os.close(old)

    # --- lookups (with a rootfs) -------------------------------------------------------------
    def guest_dir(self, host_fd: int) -> bytes:
        """The guest path of a directory open on the host: what a relative lookup starts
        from (the kernel's d_path, so a directory renamed since it was opened is found)."""
        if host_fd != self.cwd and not stat.S_ISDIR(os.fstat(host_fd).st_mode):
            raise err(errno.ENOTDIR)
        target = os.readlink(b"/proc/self/fd/%d" % host_fd)
        if target.endswith(b" (deleted)") and os.fstat(host_fd).st_nlink == 0:
            raise err(errno.ENOENT)
        if target != self.root and not target.startswith(self.root + b"/"):
            raise err(errno.ENOENT)  # moved out of the root by the host: nothing to walk
        return self.to_guest(target)

    def absolute(self, path: bytes, dir_fd: int | None = None) -> bytes:
        """A guest path made absolute: relative to host directory dir_fd, else the cwd."""
        if path.startswith(b"/"):
            return path
        return self.guest_dir(self.cwd if dir_fd is None else dir_fd) + b"/" + path

    def openat2(self, path: bytes, flags: int, mode: int = 0, base: int | None = None,
                resolve: int = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS) -> int:
        """A host descriptor for guest path `path` (absolute, or relative to `base`, which is
        then the root of the walk), looked up by the host kernel inside the root."""
        how = struct.pack("<QQQ", flags | os.O_CLOEXEC, mode, resolve)
        for _ in range(8):
            fd = host_syscall(NR_OPENAT2, self.fd if base is None else base, path, how, 24)
            if fd != -errno.EAGAIN:      # a rename or mount raced with the walk: again
                break
        if fd < 0:
            raise err(-fd)
        return fd

    def lookup(self, path: bytes, dir_fd: int | None, how: str, opened: list[int],
               base: int | None = None, resolve: int = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS
               ) -> tuple[int, bytes]:
        """(host dirfd, name) for a host *at call on guest path `path`. FOLLOW: the object
        itself, found inside the root, as its /proc/self/fd magic link (the host follows it
        to exactly that object); otherwise the directory found inside the root and the last
        name, which the host call does not follow. Descriptors it opens go to `opened`."""
        full = path if base is not None else self.absolute(path, dir_fd)
        if how == FOLLOW or (how == NOFOLLOW and path.endswith(b"/")):  # "name/" follows
            fd = self.openat2(full, O_PATH, base=base, resolve=resolve)
            opened.append(fd)
            return AT_FDCWD, b"/proc/self/fd/%d" % fd
        parent, _, name = full.rstrip(b"/").rpartition(b"/")
        if name in (b"", b".", b".."):     # never a symlink: the directory itself, as "."
            fd = self.openat2(full, O_PATH | os.O_DIRECTORY, base=base, resolve=resolve)
            opened.append(fd)
            return fd, b"."
        if base is None:
            parent = parent or b"/"
        fd = self.openat2(parent or b".", O_PATH | os.O_DIRECTORY, base=base, resolve=resolve)
        opened.append(fd)
        return fd, name + (b"/" if full.endswith(b"/") else b"")

    # --- the loader's own opens ----------------------------------------------------------------
    def open(self, path: bytes | str, flags: int = os.O_RDONLY) -> int:
        """A host descriptor for an absolute guest path (or one relative to the cwd), as
        the guest's open would find it: the program, its interpreter, libraries."""
        path = os.fsencode(path)
        if self.is_host:
            return os.open(path, flags | os.O_CLOEXEC)
        if not path:
            raise err(errno.ENOENT)
        return self.openat2(self.absolute(path), flags)

    def read(self, path: bytes | str) -> bytes:
        """The whole file at a guest path (as open finds it)."""
        with open(self.open(path), "rb") as f:
            return f.read()

    def realpath(self, path: bytes | str) -> bytes:
        """The guest's canonical name of a path (symlinks and ".." resolved inside the root)."""
        fd = self.open(path, O_PATH)
        try:
            return self.to_guest(os.readlink(b"/proc/self/fd/%d" % fd))
        finally:
            os.close(fd)

    def executable(self, path: bytes | str) -> bool:
        """Is there a regular file the caller may execute at this guest path?"""
        try:
            fd = self.open(path, O_PATH)
        except OSError:
            return False
        try:
            return (stat.S_ISREG(os.fstat(fd).st_mode)
                    and os.access(b"/proc/self/fd/%d" % fd, os.X_OK))
        finally:
            os.close(fd)
