"""--rootfs is a chroot the guest cannot leave: examples/rootfs_escape.c tries every way
out that a hostile corpus found (and more) to a host directory OUTSIDE holding a secret
file, a listening unix socket and a program. Each case's line must be what the program
prints natively under chroot(8) with /proc mounted (checked here too when this machine
can chroot), and no line may show the secret, nor may the host's files change."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading

import pytest
from conftest import pyloader

# what each case prints natively (chroot(8) into ROOT, /proc mounted), by the ways out
EXPECTED = {
    "the starting cwd outside the root": {
        "starting cwd": "/",
        "secret relative to the starting cwd": "ENOENT",
        "listing of the starting cwd": "escape proc tmp",
    },
    "/proc/self/root": {
        "readlink /proc/self/root": "/",
        "/proc/self/root as a directory": "ok",
        "listing of /proc/self/root": "escape proc tmp",
        "/proc/self/root + host path": "ENOENT",
        "fchdir(/proc/self/root), getcwd": "/",
        "listing of .. after it": "escape proc tmp",
        "openat(/proc/self/root, host path)": "ENOENT",
        "openat(/proc/self/root, climb)": "ENOENT",
        "/proc/self/root/../ host path": "ENOENT",
    },
    "/proc/self/cwd": {
        "/proc/self/cwd/secret": "ENOENT",
        "readlink /proc/self/cwd": "/",
        "/proc/self/cwd as a directory": "ok",
        "listing of /proc/self/cwd/..": "escape proc tmp",
        "openat(/proc/self/cwd, climb)": "ENOENT",
        "/proc/self/cwd/ climb": "ENOENT",
    },
    "/proc/self/fd/N directories": {
        "openat(dirfd, climb)": "ENOENT",
        "openat2(dirfd, climb, RESOLVE_IN_ROOT)": "ENOENT",
        "openat2(dirfd, .., RESOLVE_BENEATH)": "EXDEV",
        "openat2(host path, RESOLVE_NO_SYMLINKS)": "ENOENT",
        "/proc/self/fd/N/ climb": "ENOENT",
        "listing of /proc/self/fd/N/..": "escape proc tmp",
        "listing of /proc/self/fd/N/../..": "escape proc tmp",
        "openat(/proc/self/fd/N/.., climb)": "ENOENT",
        "/dev/fd/N/ climb": "ENOENT",
    },
    "/proc/self/mem": {
        "/proc/self/mem read": '"GUEST-MEMORY-PROBE"',
        "/proc/self/mem write to read-only data": '"WEAD-ONLY-PROBE"',
        "/proc/self/mem at an unmapped address": "EIO",
        "readlink /proc/self/exe": "/escape",
    },
    "paths and ..": {
        "secret by its host path": "ENOENT",
        "secret by climbing": "ENOENT",
        "cwd after chdir(..) x40": "/",
        "secret relative after chdir(..)": "ENOENT",
    },
    "symlinks the guest makes": {
        "symlink to the host path": "ENOENT",
        "symlink that climbs": "ENOENT",
        "through a symlinked directory": "ENOENT",
        "lstat through a symlinked directory": "ENOENT",
        "listing through a symlinked directory": "ENOENT",
        "readlink /tmp/dir-link": "{outside}",
        "lstat of dir-link/ (trailing slash follows)": "ENOENT",
        "chdir to a symlinked directory": "ENOENT",
        "secret after that chdir": "ENOENT",
        "truncate through a symlink": "ENOENT",
        "chmod through a symlink": "ENOENT",
        "rename through a symlinked directory": "ENOENT",
        "unlink through a symlinked directory": "ENOENT",
    },
    "hard links the guest makes": {
        "hard link of the host path": "ENOENT",
        "that hard link": "ENOENT",
        "hard link through a symlink (AT_SYMLINK_FOLLOW)": "ENOENT",
        "that second hard link": "ENOENT",
    },
    "unix sockets by path": {
        "connect to the host socket": "ENOENT",
        "connect through a symlink": "ENOENT",
        "connect through a symlinked directory": "ENOENT",
        "bind /tmp/bound": "ok",
        "the bound socket inside": "mode 140000",
        "getsockname": "/tmp/bound",
        "connect to /tmp/bound": "connected",
    },
    "execve": {
        "exec the host program": "ENOENT",
        "exec through a symlink": "ENOENT",
    },
    "a rename racing with the lookup": {
        "rename race": "stayed inside",
    },
}


def _lines(out: bytes, outside: str) -> dict[str, str]:
    got = {}
    for line in out.decode(errors="replace").splitlines():
        name, sep, value = line.partition(": ")
        if sep:
            got[name] = value.replace(outside, "{outside}")
    return got


def _make_root(base, program) -> str:
    root = base / "root"
    for d in ("tmp", "proc"):
        (root / d).mkdir(parents=True)
    shutil.copy(program, root / "escape")
    return str(root)


@pytest.fixture(scope="module")
def escapes(tmp_path_factory, examples):
    """Each case's line under pyloader (and natively, when this machine can chroot)."""
    base = tmp_path_factory.mktemp("escape")
    outside = base / "outside"
    outside.mkdir()
    shutil.copy(examples["rootfs_escape"], outside / "prog")
    (outside / "secret").write_text("HOST-SECRET-FILE\n")
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(str(outside / "sock"))
    srv.listen(8)

    def serve():
        while True:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            c.sendall(b"HOST-SECRET-SOCK\n")
            c.close()
    threading.Thread(target=serve, daemon=True).start()
    host_bound = os.path.exists("/tmp/bound")
    mode = (outside / "secret").stat().st_mode
    try:
        root = _make_root(base / "py", examples["rootfs_escape"])
        got = pyloader("run", "-e", "trace=none", "--rootfs", root, "/escape", str(outside),
                       cwd=str(outside), timeout=300)
        native = None
        nroot = _make_root(base / "native", examples["rootfs_escape"])
        if os.geteuid() == 0 and shutil.which("unshare") and shutil.which("chroot"):
            script = (f'mount -t proc proc "{nroot}/proc"'
                      f' && exec chroot "{nroot}" /escape "{outside}"')
            p = subprocess.run(["unshare", "-m", "sh", "-c", script], cwd=str(outside),
                               capture_output=True, timeout=120, check=False)
            if p.returncode == 0:
                native = _lines(p.stdout, str(outside))
    finally:
        srv.close()
    yield {"run": got, "lines": _lines(got.stdout, str(outside)), "native": native,
           "outside": outside, "mode": mode, "root": root,
           "host_bound_before": host_bound}


@pytest.mark.parametrize("way", list(EXPECTED))
def test_no_way_out(escapes, way):
    got = escapes["lines"]
    wrong = {case: got.get(case) for case, want in EXPECTED[way].items() if got.get(case) != want}
    assert not wrong, (wrong, escapes["run"].stderr[-2000:])


def test_the_cases_are_what_chroot_gives(escapes):
    if escapes["native"] is None:
        pytest.skip("this machine cannot chroot with /proc mounted (needs root and unshare)")
    want = {case: v for cases in EXPECTED.values() for case, v in cases.items()}
    assert {c: escapes["native"].get(c) for c in want} == want
    assert escapes["lines"] == escapes["native"]        # every line, nothing more


def test_nothing_outside_changed_or_shown(escapes):
    got = escapes["run"]
    assert got.returncode == 0, got.stderr[-2000:]
    assert b"HOST-SECRET" not in got.stdout
    secret = escapes["outside"] / "secret"
    assert secret.read_text() == "HOST-SECRET-FILE\n"     # not truncated, moved or removed
    assert secret.stat().st_mode == escapes["mode"]       # not chmod'ed
    assert os.path.exists(os.path.join(escapes["root"], "tmp/bound"))   # bound inside
    if not escapes["host_bound_before"]:
        assert not os.path.exists("/tmp/bound")
