"""--rootfs: guest "/" is a directory; paths, libraries and symlinks resolve inside it."""
from __future__ import annotations

import os
import shutil

import pytest
from conftest import pyloader

LIBS = ["/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2"]


@pytest.fixture()
def rootfs(tmp_path, examples):
    root = tmp_path / "root"
    for d in ("bin", "etc", "lib/x86_64-linux-gnu", "lib64", "data"):
        (root / d).mkdir(parents=True)
    for lib in LIBS:
        shutil.copy2(os.path.realpath(lib), root / lib.lstrip("/"))
    shutil.copy2("/bin/cat", root / "bin/cat")
    shutil.copy2(examples["hello_static"], root / "bin/hello")
    (root / "etc/hostname").write_text("inside-the-rootfs\n")
    (root / "data/file").write_text("data inside\n")
    os.symlink("/etc/hostname", root / "data/abs-link")        # absolute: means root/etc
    os.symlink("../../../../../../etc/hostname", root / "data/climb")
    return root


def test_static_program_in_rootfs(rootfs):
    got = pyloader("run", "-e", "trace=none", "--rootfs", str(rootfs), "/bin/hello", "root")
    assert got.stdout == b"hello, root!\n"


def test_dynamic_program_finds_libraries_inside(rootfs):
    got = pyloader("run", "-e", "trace=openat", "--rootfs", str(rootfs), "/bin/cat",
                   "/etc/hostname")
    assert got.stdout == b"inside-the-rootfs\n", got.stderr
    assert got.returncode == 0


@pytest.mark.parametrize("path", ["/data/abs-link", "/data/climb", "/../../../etc/hostname",
                                  "/data/../../etc/hostname"])
def test_paths_cannot_leave_the_root(rootfs, path):
    got = pyloader("run", "-e", "trace=none", "--rootfs", str(rootfs), "/bin/cat", path)
    assert got.stdout == b"inside-the-rootfs\n", got.stderr


def test_cwd_relative_paths_in_rootfs(rootfs):
    got = pyloader("run", "-e", "trace=none", "--rootfs", str(rootfs), "/bin/cat",
                   "/proc/self/maps")
    assert b"/bin/cat" in got.stdout
    assert str(rootfs).encode() not in got.stdout     # the guest sees its own names


@pytest.mark.parametrize("bad,why", [("missing", b"No such file or directory"),
                                     ("file", b"Not a directory")])
def test_a_rootfs_that_is_not_a_directory_is_one_line(tmp_path, bad, why):
    (tmp_path / "file").write_text("x")
    got = pyloader("run", "--rootfs", str(tmp_path / bad), "/bin/true")
    assert got.returncode == 2
    assert got.stderr.strip().splitlines() == [
        f"pyloader: --rootfs {tmp_path / bad}: ".encode() + why]
