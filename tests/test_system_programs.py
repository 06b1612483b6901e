"""Real system programs under `pyloader run` (the real ld.so in the emulator), against native."""
from __future__ import annotations

import shutil

import pytest
from conftest import native, pyloader

PROGRAMS = [
    ["/bin/ls", "-l", "/usr/include/linux/if.h"],
    ["/bin/ls", "/usr/include/linux/netfilter"],
    ["/bin/cat", "/etc/passwd"],
    ["sort", "/etc/passwd"],
    ["wc", "/etc/passwd"],
    ["head", "-3", "/etc/passwd"],
    ["tail", "-2", "/etc/passwd"],
    ["sha256sum", "/etc/passwd"],
    ["find", "/usr/include/linux/netfilter", "-name", "*.h"],
    ["date", "-d", "@0", "-u"],
    ["seq", "1", "5"],
    ["grep", "-c", "root", "/etc/passwd"],
    ["sed", "s/root/ROOT/", "/etc/passwd"],
    ["awk", "-F:", "{print $1}", "/etc/passwd"],
    ["perl", "-e", "print join(',', map { $_ * 2 } 1..5), qq(\\n)"],
    ["python3", "-c", "import json; print(json.dumps({'a': [1, 2]}))"],
    ["python3", "-c", ("import decimal, hashlib, ctypes; print(decimal.Decimal(1) / 7, "
                       "hashlib.sha256(b'x').hexdigest(), ctypes.CDLL(None).getpid() > 0)")],
    ["bash", "-c", "echo $((6 * 7)); printf '%s\\n' a b"],
    ["ls", "/nonexistent-dir"],           # fails: exit 2 and a message on stderr
]


@pytest.mark.parametrize("ld", ["python", "system"])
@pytest.mark.parametrize("argv", PROGRAMS, ids=[" ".join(a)[:40] for a in PROGRAMS])
def test_system_program_matches_native(argv, ld):
    exe = shutil.which(argv[0])
    if exe is None:
        pytest.skip(f"{argv[0]} is not installed")
    want = native(exe, *argv[1:])
    got = pyloader("run", f"--ld={ld}", "-e", "trace=none", exe, *argv[1:])
    assert got.stdout == want.stdout
    assert got.returncode == want.returncode
    assert b"Traceback" not in got.stderr
    assert b"not implemented" not in got.stderr


NUMPY = ("import numpy; a = numpy.arange(12).reshape(3, 4); "
         "print(a.sum(), numpy.linalg.inv(numpy.eye(3) * 2)[0], (a @ a.T)[2])")
NODE_SCRIPT = """const fs = require('fs'), os = require('os');
console.log(fs.readFileSync('/etc/hostname').length > 0, [3, 1, 2].sort().join(','),
            os.platform(), JSON.stringify({a: [1, 2]}), Array.from({length: 5}, (_, i) => i * i));
"""


@pytest.mark.parametrize("ld", ["python", "system"])
@pytest.mark.parametrize("what", ["numpy", "node -e", "node script"])
def test_big_runtimes_match_native(what, ld, tmp_path):
    """numpy (extension modules dlopened with RTLD_LOCAL that share a library through their
    RPATHs) and node (V8: a JIT, threads, protection keys it cannot have)."""
    if what == "numpy":
        argv = [shutil.which("python3"), "-c", NUMPY]
        if native(*argv).returncode != 0:
            pytest.skip("numpy is not installed")
    else:
        if shutil.which("node") is None:
            pytest.skip("node is not installed")
        script = tmp_path / "s.js"
        script.write_text(NODE_SCRIPT)
        argv = [shutil.which("node"), *(["-e", NODE_SCRIPT] if what == "node -e" else [str(script)])]
    want = native(*argv)
    got = pyloader("run", f"--ld={ld}", "-e", "trace=none", *argv, timeout=300)
    assert (got.returncode, got.stdout) == (want.returncode, want.stdout), got.stderr[-2000:]
    assert b"Traceback" not in got.stderr
    assert b"not implemented" not in got.stderr


def test_gzip_roundtrip(tmp_path):
    data = tmp_path / "data.txt"
    data.write_bytes(b"pyloader " * 1000)
    got = pyloader("run", "-e", "trace=none", "/bin/gzip", "-c", str(data))
    assert got.returncode == 0
    import gzip
    assert gzip.decompress(got.stdout) == data.read_bytes()


def test_stdin_is_the_users():
    got = pyloader("run", "-e", "trace=none", "/bin/cat", input=b"from stdin\n")
    assert got.stdout == b"from stdin\n"
    assert got.returncode == 0


@pytest.mark.parametrize("argv", [["xz", "-T2", "-c"], ["sort", "--parallel=4"]],
                         ids=["xz -T2", "sort --parallel=4"])
def test_threaded_system_programs(argv, tmp_path):
    """Real programs that start worker threads (each makes at least one clone3 for this
    input): output identical to the native run."""
    exe = shutil.which(argv[0])
    if exe is None:
        pytest.skip(f"{argv[0]} is not installed")
    data = tmp_path / "data.txt"
    data.write_text("".join(f"{(i * 7919) % 1000003}\n" for i in range(150000)))
    want = native(exe, *argv[1:], str(data))
    got = pyloader("run", "--timeout", "250", "-e", "trace=none", exe, *argv[1:], str(data),
                   timeout=300)
    assert got.returncode == want.returncode == 0, got.stderr.decode()[-1000:]
    assert got.stdout == want.stdout


def test_script_runs_a_command_in_a_pseudo_terminal():
    """script(1): a pty pair (ptmx ioctls, the kernel's 36-byte termios), a child on the
    slave side, the parent polling the master and a signalfd for SIGCHLD."""
    exe = shutil.which("script")
    if exe is None:
        pytest.skip("script is not installed")
    argv = [exe, "-qc", "echo in pty; tty | sed s/[0-9]*$//", "/dev/null"]
    want = native(*argv)
    got = pyloader("run", "--timeout", "60", "-e", "trace=none", *argv, timeout=120)
    assert got.returncode == want.returncode == 0, got.stderr.decode()[-1000:]
    assert got.stdout == want.stdout == b"in pty\r\n/dev/pts/\r\n"


def test_gcc_compiles_a_program_under_pyloader(tmp_path):
    """The whole toolchain in the emulator: gcc forks and execs cc1, as and collect2/ld,
    passing files and pipes between them; the program it makes runs natively."""
    from conftest import EXAMPLES
    gcc = shutil.which("gcc")
    if gcc is None:
        pytest.skip("gcc is not installed")
    out = tmp_path / "hello"
    got = pyloader("run", "--timeout", "250", "-e", "trace=none", gcc, "-o", str(out),
                   str(EXAMPLES / "hello_name.c"), timeout=300)
    assert got.returncode == 0, got.stderr.decode()[-1000:]
    assert native(str(out), "gcc").stdout == b"hello, gcc!\n"
