"""The Python ld.so: search order, errors worded as ld.so words them, the fallback."""
from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import native, pyloader


@pytest.fixture()
def libdemo(tmp_path):
    """libdemo.so.1 (in tmp/lib) and programs that need it through RUNPATH or not at all."""
    lib = tmp_path / "lib"
    lib.mkdir()
    (tmp_path / "demo.c").write_text(
        "int demo_value(void) { return 41; }\n__thread int demo_tls = 7;\n")
    subprocess.run(["gcc", "-shared", "-fPIC", "-Wl,-soname,libdemo.so.1", "-o",
                    str(lib / "libdemo.so.1"), str(tmp_path / "demo.c")], check=True)
    (tmp_path / "main.c").write_text(
        '#include <stdio.h>\nint demo_value(void);\nextern __thread int demo_tls;\n'
        'int main(void) { printf("%d %d\\n", demo_value() + 1, demo_tls); return 0; }\n')
    for name, flags in (("with_runpath", ["-Wl,-rpath,$ORIGIN/lib"]), ("plain", [])):
        subprocess.run(["gcc", "-o", str(tmp_path / name), str(tmp_path / "main.c"),
                        str(lib / "libdemo.so.1"), *flags], check=True)
    return tmp_path


def test_runpath_with_origin(libdemo):
    got = pyloader("run", "-e", "trace=openat", str(libdemo / "with_runpath"))
    assert got.stdout == b"42 7\n", got.stderr
    assert f'"{libdemo}/lib/libdemo.so.1"'.encode() in got.stderr


def test_ld_library_path(libdemo):
    got = pyloader("run", "-e", "trace=none", "-E", f"LD_LIBRARY_PATH={libdemo}/lib",
                   str(libdemo / "plain"))
    assert got.stdout == b"42 7\n"


def test_missing_library_is_worded_as_ldso(libdemo):
    exe = str(libdemo / "plain")
    want = native(exe)
    got = pyloader("run", "-e", "trace=none", exe)
    assert want.returncode == got.returncode == 127
    assert b"error while loading shared libraries: libdemo.so.1: cannot open shared object " \
        b"file: No such file or directory" in got.stderr


def test_version_not_found(libdemo, tmp_path):
    data = (libdemo / "with_runpath").read_bytes().replace(b"GLIBC_2.2.5", b"GLIBC_9.9.9")
    exe = tmp_path / "badver"
    exe.write_bytes(data)
    exe.chmod(0o755)
    got = pyloader("run", "-e", "trace=none", str(exe))
    assert got.returncode == 127
    assert b"version `GLIBC_9.9.9' not found (required by" in got.stderr


def test_both_linkers_map_the_same_objects(examples):
    """The oracle in its simplest form: the same objects, segment by segment, and ld.so at
    the kernel's address (libc may sit one page lower: our stub page is in the mmap area)."""
    maps = {}
    for ld in ("python", "system"):
        got = pyloader("run", f"--ld={ld}", "-e", "trace=none", "/bin/cat", "/proc/self/maps")
        maps[ld] = [line.split() for line in got.stdout.decode().splitlines() if ".so" in line]
    assert [(m[1], m[2], m[-1]) for m in maps["python"]] == \
        [(m[1], m[2], m[-1]) for m in maps["system"]]
    ldso = [m[0] for m in maps["python"] if "ld-linux" in m[-1]]
    assert ldso == [m[0] for m in maps["system"] if "ld-linux" in m[-1]]


def test_falls_back_to_the_real_ldso_without_debug_info(examples, tmp_path):
    code = ("import sys, pyloader.ld.layout as L; L.DEBUG_ROOTS = ('/nonexistent',); "
            "from pyloader.cli import main; sys.exit(main(sys.argv[1:]))")
    env = {"XDG_CACHE_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    got = subprocess.run([sys.executable, "-c", code, "run", "-e", "trace=none",
                          str(examples["hello_name"]), "x"], capture_output=True, env=env,
                         check=False, timeout=120)
    assert got.stdout == b"hello, x!\n"
    assert b"running the real ld.so instead" in got.stderr


def test_ldd_matches_system_ldd():
    import re
    got = pyloader("ldd", "/bin/ls")
    want = subprocess.run(["ldd", "/bin/ls"], capture_output=True, check=False)
    norm = [re.sub(r"0x[0-9a-f]+", "ADDR", line) for line in want.stdout.decode().splitlines()]
    assert "linux-vdso.so.1" in norm[0]
    assert got.returncode == 0
    assert [re.sub(r"0x[0-9a-f]+", "ADDR", line) for line in got.stdout.decode().splitlines()] \
        == norm


def test_ldd_static_is_not_dynamic(examples):
    got = pyloader("ldd", str(examples["hello_static"]))
    assert got.returncode == 1 and b"not a dynamic executable" in got.stdout


@pytest.fixture()
def uncalled(tmp_path):
    """A program that references a function nobody defines but never calls it."""
    (tmp_path / "lib.c").write_text("void maybe(void) {}\n")
    (tmp_path / "main.c").write_text(
        '#include <stdio.h>\nvoid maybe(void);\nint main(int c, char **v) {\n'
        '  if (c > 1) maybe();\n  puts("fine");\n  return 0;\n}\n')
    subprocess.run(["gcc", "-shared", "-fPIC", "-Wl,-soname,libmaybe.so", "-o",
                    str(tmp_path / "libmaybe.so"), str(tmp_path / "lib.c")], check=True)
    subprocess.run(["gcc", "-o", str(tmp_path / "prog"), str(tmp_path / "main.c"),
                    str(tmp_path / "libmaybe.so"), "-Wl,-rpath,$ORIGIN", "-Wl,-z,lazy"],
                   check=True)
    (tmp_path / "lib.c").write_text("void other(void) {}\n")      # now `maybe` is gone
    subprocess.run(["gcc", "-shared", "-fPIC", "-Wl,-soname,libmaybe.so", "-o",
                    str(tmp_path / "libmaybe.so"), str(tmp_path / "lib.c")], check=True)
    return tmp_path / "prog"


@pytest.mark.parametrize("ld", ["python", "system"])
def test_lazy_binding_and_bind_now(uncalled, ld):
    exe = str(uncalled)
    for args, env, status, text in (
            ([], [], 0, b""),                                   # lazy: never called, fine
            (["call"], [], 127, b"undefined symbol: maybe"),    # lazy: fails at the call
            ([], ["-E", "LD_BIND_NOW=1"], 127, b"undefined symbol: maybe")):  # eager: at start
        want = native(exe, *args, env={"LD_BIND_NOW": "1"} if env else {})
        got = pyloader("run", f"--ld={ld}", "-e", "trace=none", *env, exe, *args)
        assert want.returncode == got.returncode == status, got.stderr
        assert text in got.stderr
        assert got.stdout == want.stdout


def _ld_debug_lines(text: bytes, needle: str) -> list[str]:
    import re
    return [re.sub(r"^\s*\d+:\t", "", line) for line in text.decode().splitlines()
            if needle in line and ":\t" in line]


def test_ld_debug_libs_and_bindings_match_ld_so(examples):
    exe = str(examples["hello_name"])
    for cat, needle in (("libs", "library="), ("libs", "trying file="),
                        ("bindings", "binding file " + exe)):
        want = native(exe, "x", env={"LD_DEBUG": cat})
        got = pyloader("run", f"--ld-debug={cat}", "-e", "trace=none", exe, "x")
        assert got.stdout == want.stdout
        assert _ld_debug_lines(got.stderr, needle) == _ld_debug_lines(want.stderr, needle)
        assert _ld_debug_lines(got.stderr, needle)
