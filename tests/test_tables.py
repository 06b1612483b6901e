"""The syscall table and the constant-name tables are consistent and print as strace does."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from syscalls.decode import DECODERS
from syscalls.table import BY_NAME, SYSCALLS
from syscalls.xlat import ERRNO, SIGNALS, XLAT

UNISTD = Path("/usr/include/x86_64-linux-gnu/asm/unistd_64.h")

KINDS = {"d", "ld", "u", "x", "p", "o", "fd", "dirfd", "path", "str", "sig", "argv", "envp",
         "fds2", "oepoll", "sockproto", "socklen", "ogids", "orem", "ocwd"}
PARAM_KINDS = {"ibuf", "obuf", "iov", "oiov", "flags", "enum", "s", "os", "pollfd", "fd_set",
               "gids"}
CLASSES = {"file", "desc", "memory", "process", "signal", "network", "ipc", "creds", "stat",
           "lstat", "fstat", "statfs", "fstatfs", "clock", "pure"}


def test_every_number_present():
    want = set(range(335)) | set(range(424, 463))
    assert set(SYSCALLS) == want
    assert len(BY_NAME) == len(SYSCALLS)


@pytest.mark.skipif(not UNISTD.exists(), reason="no kernel headers")
def test_names_match_unistd():
    for m in re.finditer(r"#define __NR_(\w+) (\d+)", UNISTD.read_text()):
        name, nr = m.group(1), int(m.group(2))
        assert SYSCALLS[nr].name == name


def test_rows_are_well_formed():
    for sc in SYSCALLS.values():
        assert len(sc.args) <= 6, sc
        assert sc.classes <= CLASSES, sc
        assert sc.ret in ("d", "x", "fd", "none"), sc
        for k in sc.args:
            kind, _, param = k.partition(":")
            assert kind in DECODERS, (sc.name, k)
            if kind in KINDS:
                assert not param, (sc.name, k)
            else:
                assert kind in PARAM_KINDS and param, (sc.name, k)
            if kind in ("ibuf", "obuf", "iov", "oiov", "pollfd", "fd_set", "gids"):
                assert int(param) < len(sc.args), (sc.name, k)
            if kind in ("flags", "enum"):
                assert param in XLAT, (sc.name, k)


def test_some_rows():
    assert BY_NAME["openat"].args == ("dirfd", "path", "flags:open", "o")
    assert BY_NAME["openat"].ret == "fd"
    assert BY_NAME["newfstatat"].classes == {"file", "desc", "fstat"}
    assert BY_NAME["exit_group"].ret == "none"
    assert BY_NAME["mmap"].ret == "x"
    assert len(BY_NAME["clone"].args) == 5


def test_flags():
    assert XLAT["open"].flags(0o2000000 | 0) == "O_RDONLY|O_CLOEXEC"
    assert XLAT["open"].flags(0o2 | 0o100 | 0o1000) == "O_RDWR|O_CREAT|O_TRUNC"
    assert XLAT["open"].flags(0o100000) == "O_RDONLY|O_LARGEFILE"
    assert XLAT["open"].flags(0x40000000) == "O_RDONLY|0x40000000"
    assert XLAT["mmap_prot"].flags(3) == "PROT_READ|PROT_WRITE"
    assert XLAT["mmap_prot"].flags(0) == "PROT_NONE"
    assert XLAT["mmap_flags"].flags(0x22) == "MAP_PRIVATE|MAP_ANONYMOUS"
    assert XLAT["mmap_flags"].flags(0x812) == "MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE"
    assert XLAT["clone"].flags(0x1200011) == "CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD"
    assert XLAT["clone"].flags(0x11) == "SIGCHLD"
    assert XLAT["socket_type"].flags(0x80801) == "SOCK_STREAM|SOCK_CLOEXEC|SOCK_NONBLOCK"
    assert XLAT["at"].flags(0x1000) == "AT_EMPTY_PATH"
    assert XLAT["access"].flags(0) == "F_OK"
    assert XLAT["access"].flags(4) == "R_OK"
    assert XLAT["wait"].flags(0) == "0"
    assert XLAT["statx_flags"].flags(0x100) == "AT_STATX_SYNC_AS_STAT|AT_SYMLINK_NOFOLLOW"
    assert XLAT["getrandom"].flags(1) == "GRND_NONBLOCK"
    assert XLAT["sa_flags"].flags(0x04000000 | 0x10000000) == "SA_RESTORER|SA_RESTART"
    assert XLAT["file_mode"].flags(0o100644) == "S_IFREG|0644"


def test_enums():
    assert XLAT["rlimit"].enum(3) == "RLIMIT_STACK"
    assert XLAT["arch_prctl"].enum(0x1002) == "ARCH_SET_FS"
    assert XLAT["fcntl"].enum(2) == "F_SETFD"
    assert XLAT["fcntl"].enum(99) == "0x63"
    assert XLAT["fcntl"].enum(99, comment=True) == "0x63 /* F_??? */"
    assert XLAT["clockid"].enum(1) == "CLOCK_MONOTONIC"
    assert XLAT["sigprocmask_how"].enum(2) == "SIG_SETMASK"
    assert XLAT["futex_op"].enum(0x81) == "FUTEX_WAKE_PRIVATE"
    assert XLAT["futex_op"].enum(0x189) == "FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME"
    assert XLAT["ioctl"].enum(0x5401) == "TCGETS"
    assert XLAT["ioctl"].enum(0x5413) == "TIOCGWINSZ"
    assert XLAT["rusage_who"].enum(0xFFFFFFFF) == "RUSAGE_CHILDREN"


def test_errno_and_signals():
    assert ERRNO[2] == ("ENOENT", "No such file or directory")
    assert ERRNO[512][0] == "ERESTARTSYS"
    assert all(n in ERRNO for n in range(1, 134) if n not in (41, 58))
    assert SIGNALS[17] == "SIGCHLD"
    assert SIGNALS[32] == "SIGRTMIN" and SIGNALS[34] == "SIGRT_2"


def test_sigset_complement_names_every_missing_signal():
    """strace prints a set with most bits set as its complement, naming each missing signal
    (glibc's thread exit blocks all but SIGSETXID: ~[RT_1])."""
    from syscalls.decode import fmt_sigset_bits
    full = (1 << 64) - 1
    assert fmt_sigset_bits(full) == "~[]"
    assert fmt_sigset_bits(full & ~(1 << 32)) == "~[RT_1]"
    assert fmt_sigset_bits(full & ~(3 << 31)) == "~[RTMIN RT_1]"
    assert fmt_sigset_bits(1 << 9 | 1 << 11) == "[USR1 USR2]"
