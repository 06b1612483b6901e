"""The examples, run under `pyloader run`, against the native run: stdout and exit status."""
from __future__ import annotations

import os

import pytest
from conftest import native, pyloader

CASES = [
    ("hello_world", []),                 # exits 13: printf's return value left in eax
    ("hello_name", ["Samir"]),
    ("hello_name", []),
    ("hello_static", ["Samir"]),
    ("hello_static_pie", ["Samir"]),
    ("hello_nopie", ["Samir"]),
    ("show_auxv", ["one", "two words"]),
    ("show_auxv_static", ["x"]),
    ("cpu_bound", ["100000"]),
    ("syscall_heavy", ["500"]),
    ("syscall_heavy_static", ["500"]),
    ("socket_msg", []),
    ("cxx_demo", []),
    ("tls_demo", []),
    ("ctors", []),
    ("dlopen_demo", []),
    ("users", []),
    ("more_calls", []),
    ("bad_args", []),
    ("big_alloc", []),
    ("mem_calls", []),
    ("limits", []),
    ("file_calls", []),
]
LD_MODES = ["python", "system"]


def env_for_test() -> dict[str, str]:
    env = dict(os.environ)
    env["GREETING"] = "hi there"
    return env


@pytest.mark.parametrize("ld", LD_MODES)
@pytest.mark.parametrize("name,args", CASES, ids=[f"{n}-{len(a)}" for n, a in CASES])
def test_example_matches_native(examples, name, args, ld):
    env = env_for_test()
    exe = str(examples[name])
    want = native(exe, *args, env=env)
    got = pyloader("run", f"--ld={ld}", "-e", "trace=none", exe, *args, env=env)
    assert got.stdout == want.stdout
    assert got.returncode == want.returncode, got.stderr.decode()
    assert b"Traceback" not in got.stderr


def test_hello_world_returns_13(examples):
    got = pyloader("run", "-e", "trace=none", str(examples["hello_world"]))
    assert got.stdout == b"hello world!\n"
    assert got.returncode == 13


def test_mmap_shared_writes_back(examples, tmp_path):
    got = pyloader("run", "-e", "trace=none", str(examples["mmap_shared"]), str(tmp_path / "f"))
    assert got.stdout == b"written through MAP_SHARED\nand after munmap\n"
    assert got.returncode == 0


def test_environment_set_and_unset(examples):
    exe = str(examples["show_auxv"])
    got = pyloader("run", "-e", "trace=none", "-E", "GREETING=from -E", exe)
    assert b"GREETING=from -E\n" in got.stdout
    env = env_for_test()
    got = pyloader("run", "-e", "trace=none", "-E", "GREETING", exe, env=env)
    assert b"GREETING=(unset)\n" in got.stdout


def test_auxv_values(examples):
    got = pyloader("run", "-e", "trace=none", str(examples["show_auxv"]))
    out = got.stdout.decode()
    assert "AT_PAGESZ=4096" in out and "AT_CLKTCK=100" in out and "AT_PHENT=56" in out
    assert "AT_PLATFORM=x86_64" in out
    assert f"AT_EXECFN={examples['show_auxv']}" in out
    assert f"AT_UID={os.getuid()} AT_EUID={os.geteuid()}" in out


@pytest.mark.parametrize("mode,signo,name,code", [
    ([], 11, "SIGSEGV", "SEGV_MAPERR"),
    (["fpe"], 8, "SIGFPE", "FPE_INTDIV"),
    (["ill"], 4, "SIGILL", "ILL_ILLOPN"),
    (["abort"], 6, "SIGABRT", "SI_TKILL"),
    (["prot"], 11, "SIGSEGV", "SEGV_ACCERR"),
])
def test_crash_is_a_signal(examples, mode, signo, name, code):
    exe = str(examples["crash"])
    want = native(exe, *mode)
    got = pyloader("run", exe, *mode)
    assert want.returncode == -signo
    assert got.returncode == 128 + signo
    assert got.stdout.startswith(b"about to crash\n")
    assert want.stdout.startswith(b"about to crash\n")
    err = got.stderr.decode()
    assert f"--- {name} {{si_signo={name}, si_code={code}" in err
    assert f"+++ killed by {name} (core dumped) +++" in err
    if mode == ["prot"]:            # the address is the PROT_NONE page's byte 5, not the pc
        page = int(got.stdout.split()[-1], 16)
        assert f"si_addr={page + 5:#x}}}" in err
        assert f"pyloader: SIGSEGV: read of {page + 5:#x}" in err
    elif signo == 11:
        assert "si_addr=0x8}" in err
        # the crash line names the address, the object, the function and the instruction
        assert "pyloader: SIGSEGV: read of 0x8" in err and "(main+" in err and "mov" in err


def test_timeout_kills_a_spinning_guest(examples):
    got = pyloader("run", "--timeout", "1", str(examples["runaway"]), timeout=60)
    assert got.returncode == 137
    assert b"+++ killed by SIGKILL +++" in got.stderr


def test_timeout_kills_a_blocked_guest(examples):
    import subprocess
    import sys
    r, w = os.pipe()          # stdin that never delivers a byte and never closes
    try:
        p = subprocess.run([sys.executable, "-m", "pyloader", "run", "--timeout", "1",
                            str(examples["runaway"]), "read"], check=False, stdin=r, capture_output=True,
                           timeout=60)
    finally:
        os.close(r)
        os.close(w)
    assert p.returncode == 137
    assert b"+++ killed by SIGKILL +++" in p.stderr
