"""The kernel half: #! scripts, ELF checks and bad input, against what the kernel does."""
from __future__ import annotations

import errno
import os
import struct
import subprocess
import sys

import pytest
from conftest import ROOT, native, pyloader

sys.path.insert(0, str(ROOT / "scripts"))
import fuzz_exec  # scripts/fuzz_exec.py: the native outcome, the status expected


def native_errno(path: str) -> int:
    try:
        subprocess.run([path], check=False, capture_output=True, timeout=30)
    except OSError as e:
        return e.errno
    return 0


def write_exec(path, data: bytes | str, mode: int = 0o755) -> str:
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    path.chmod(mode)
    return str(path)


def test_missing_program_is_127(tmp_path):
    got = pyloader("run", str(tmp_path / "nope"))
    assert got.returncode == 127
    assert b"No such file or directory" in got.stderr
    assert b"Traceback" not in got.stderr


def test_command_not_found_in_path():
    got = pyloader("run", "no-such-command-anywhere")
    assert got.returncode == 127
    assert b"command not found" in got.stderr


@pytest.mark.parametrize("kind", ["not-executable", "directory", "no-format"])
def test_cannot_execute_is_126(tmp_path, kind):
    if kind == "directory":
        path = str(tmp_path)
    elif kind == "not-executable":
        path = write_exec(tmp_path / "f", "#!/bin/sh\necho hi\n", 0o644)
    else:
        path = write_exec(tmp_path / "f", "just text, no #! line\n")
    got = pyloader("run", path)
    assert got.returncode == 126, got.stderr
    want = native_errno(path)
    assert want in (errno.EACCES, errno.ENOEXEC)
    assert os.strerror(want).encode() in got.stderr or b"exec format error" in got.stderr
    assert b"Traceback" not in got.stderr


def test_script_with_one_argument(tmp_path):
    # binfmt_script: the rest of the line is ONE argument ("-n" here), then the script path
    script = write_exec(tmp_path / "s", "#!/bin/cat -n\nline two\n")
    want = native(script, "extra")
    got = pyloader("run", "-e", "trace=none", script, "extra")
    assert got.stdout == want.stdout
    assert got.returncode == want.returncode


def test_script_argument_is_not_split(tmp_path):
    # "#!/bin/echo a b" passes "a b" as a single argument: echo prints it as given
    script = write_exec(tmp_path / "s", "#!/bin/echo a   b  \n")
    want = native(script, "c")
    got = pyloader("run", "-e", "trace=none", script, "c")
    assert got.stdout == want.stdout == f"a   b {script} c\n".encode()


def test_nested_scripts(tmp_path):
    inner = write_exec(tmp_path / "inner", "#!/bin/echo inner-arg\n")
    outer = write_exec(tmp_path / "outer", f"#!{inner}\n")
    want = native(outer, "x")
    got = pyloader("run", "-e", "trace=none", outer, "x")
    assert got.stdout == want.stdout
    assert got.returncode == want.returncode == 0


def test_script_loop_is_eloop(tmp_path):
    loop = tmp_path / "loop"
    write_exec(loop, f"#!{loop}\n")
    assert native_errno(str(loop)) == errno.ELOOP
    got = pyloader("run", str(loop))
    assert got.returncode == 126
    assert b"too many levels" in got.stderr.lower()


def test_interpreter_line_longer_than_binprm_buf(tmp_path):
    # the interpreter name does not end within the first 256 bytes: ENOEXEC
    script = write_exec(tmp_path / "long", "#!/" + "x" * 300 + "\n")
    assert native_errno(script) == errno.ENOEXEC
    got = pyloader("run", script)
    assert got.returncode == 126
    assert b"Traceback" not in got.stderr


def test_argument_cut_by_binprm_buf_as_the_kernel_cuts_it(tmp_path):
    # no newline in the first 256 bytes: the argument keeps what fits before the buffer's
    # last byte, which the kernel overwrites with NUL (255 bytes of line in all)
    script = write_exec(tmp_path / "long", "#!/bin/echo " + "0" * 300 + "\n")
    want = native(script).stdout
    got = pyloader("run", "-e", "trace=none", script)
    assert got.stdout == want
    assert want.split()[0] == b"0" * (255 - len("#!/bin/echo "))


def test_shell_script_runs(tmp_path):
    script = write_exec(tmp_path / "s.sh", "#!/bin/sh\necho \"args: $*\"\nexit 3\n")
    got = pyloader("run", "-e", "trace=none", script, "a", "b")
    assert got.stdout == b"args: a b\n"
    assert got.returncode == 3


# --- malformed ELF files: what the kernel does (refused in one line with its errno, exit 126;
# run; or killed by SIGSEGV past the point of no return), never a traceback or a hang ---
def _static_hello(examples) -> bytes:
    return examples["hello_static"].read_bytes()


def _patch_phdr(data: bytes, index: int, **fields) -> bytes:
    names = ("p_type", "p_flags", "p_offset", "p_vaddr", "p_paddr", "p_filesz", "p_memsz",
             "p_align")
    phoff = struct.unpack_from("<Q", data, 32)[0]
    off = phoff + 56 * index
    vals = dict(zip(names, struct.unpack_from("<IIQQQQQQ", data, off)))
    vals.update(fields)
    out = bytearray(data)
    struct.pack_into("<IIQQQQQQ", out, off, *(vals[n] for n in names))
    return bytes(out)


def _first_load(data: bytes) -> int:
    phoff = struct.unpack_from("<Q", data, 32)[0]
    phnum = struct.unpack_from("<H", data, 56)[0]
    return next(i for i in range(phnum) if struct.unpack_from("<I", data, phoff + 56 * i)[0] == 1)


DAMAGES = ["truncated-header", "truncated-file", "phdrs-outside", "absurd-size",
           "filesz-gt-memsz", "overlap", "wrong-machine", "bad-class", "bad-data",
           "align-3", "memsz-64g", "memsz-512g"]


@pytest.mark.parametrize("damage", DAMAGES)
def test_malformed_elf(examples, tmp_path, damage):
    data = _static_hello(examples)
    i = _first_load(data)
    if damage == "truncated-header":
        data = data[:40]
    elif damage == "truncated-file":
        data = data[:8192]
    elif damage == "phdrs-outside":
        data = data[:32] + struct.pack("<Q", 1 << 40) + data[40:]
    elif damage == "absurd-size":
        data = _patch_phdr(data, i, p_memsz=1 << 46)
    elif damage == "filesz-gt-memsz":
        data = _patch_phdr(data, i, p_filesz=1 << 20, p_memsz=16)
    elif damage == "overlap":
        phoff = struct.unpack_from("<Q", data, 32)[0]
        vaddr = struct.unpack_from("<Q", data, phoff + 56 * i + 16)[0]
        data = _patch_phdr(data, i + 1, p_vaddr=vaddr, p_paddr=vaddr)
    elif damage == "wrong-machine":
        data = data[:18] + struct.pack("<H", 40) + data[20:]
    elif damage == "bad-class":             # the kernel does not look at EI_CLASS
        data = data[:4] + b"\x01" + data[5:]
    elif damage == "bad-data":              # nor at EI_DATA
        data = data[:5] + b"\x09" + data[6:]
    elif damage == "align-3":               # a p_align that is no power of two: ignored
        for k in range(i, i + 4):
            data = _patch_phdr(data, k, p_align=3)
    elif damage in ("memsz-64g", "memsz-512g"):     # a bss vm_brk cannot give: SIGSEGV
        phoff = struct.unpack_from("<Q", data, 32)[0]
        last = max(k for k in range(struct.unpack_from("<H", data, 56)[0])
                   if struct.unpack_from("<I", data, phoff + 56 * k)[0] == 1)
        data = _patch_phdr(data, last, p_memsz=(64 if damage == "memsz-64g" else 512) << 30)
    path = write_exec(tmp_path / "bad", data)
    want = fuzz_exec.native(path, ["x"])
    got = pyloader("run", "-e", "trace=none", path, "x", timeout=60)
    err = got.stderr.decode()
    assert got.returncode == fuzz_exec.expected_status(want[0]), (want, err)
    assert "Traceback" not in err and "internal error" not in err
    if want[0].startswith("errno"):
        assert len(err.strip().splitlines()) == 1, err
    else:
        assert got.stdout == want[1]


def test_missing_interpreter(examples, tmp_path):
    data = examples["hello_name"].read_bytes()
    interp = b"/lib64/ld-linux-x86-64.so.2"
    assert interp in data
    path = write_exec(tmp_path / "badinterp", data.replace(interp, b"/lib64/ld-nowhere-x86-64.so"))
    assert native_errno(path) == errno.ENOENT
    got = pyloader("run", path)
    assert got.returncode == 127
    assert b"No such file or directory" in got.stderr


def test_guest_proc_self_maps():
    """cat reads its own /proc/self/maps: the guest's layout, as the kernel places it."""
    got = pyloader("run", "-e", "trace=none", "/bin/cat", "/proc/self/maps")
    assert got.returncode == 0
    lines = got.stdout.decode().splitlines()
    first = lines[0].split()
    assert first[0].startswith("555555554000-") and first[-1] == "/usr/bin/cat"
    assert any(line.endswith("[stack]") and line.startswith("7ff") for line in lines)
    assert any("ld-linux-x86-64.so.2" in line and line.startswith("7ffff7") for line in lines)
    assert any("libc.so.6" in line and " r-xp " in line for line in lines)


def test_proc_self_exe_is_the_guest():
    got = pyloader("run", "-e", "trace=none", "/bin/readlink", "/proc/self/exe")
    assert got.stdout == b"/usr/bin/readlink\n"


@pytest.mark.parametrize("line", [b"#!/bin/echo\0hidden\n", b"#!/bin/echo \0arg\n",
                                  b"#!/bin/echo\tone two  \n", b"#! \t/bin/echo\n"])
def test_script_line_as_the_kernel_splits_it(tmp_path, line):
    """The interpreter and its one argument are C strings: a NUL ends them (after a space,
    the argument is then empty, and still passed)."""
    script = tmp_path / "s"
    script.write_bytes(line + b"echo body\n")
    script.chmod(0o755)
    want = native(str(script))
    got = pyloader("run", "-e", "trace=none", str(script))
    assert (got.returncode, got.stdout) == (want.returncode, want.stdout), got.stderr
    assert b"Traceback" not in got.stderr and b"internal error" not in got.stderr


@pytest.mark.parametrize("size", [254, 255, 256])
def test_interpreter_name_filling_binprm_buf(tmp_path, size):
    """No newline in a script of SIZE bytes whose #! name runs to its end: a name that ends
    before the buffer's last byte runs (the rest of the buffer is zeros); one that fills
    all 256 bytes is cut, and the kernel refuses it (ENOEXEC)."""
    prefix = str(tmp_path) + "/"
    interp = prefix + "e" * (size - 2 - len(prefix))
    os.symlink("/bin/echo", interp)
    script = tmp_path / "s"
    script.write_bytes(b"#!" + interp.encode())
    script.chmod(0o755)
    assert script.stat().st_size == size
    err = native_errno(str(script))
    got = pyloader("run", "-e", "trace=none", str(script))
    if err:
        assert err == errno.ENOEXEC and got.returncode == 126
        assert len(got.stderr.decode().strip().splitlines()) == 1, got.stderr
    else:
        assert got.returncode == 0 and got.stdout == native(str(script)).stdout
    assert b"Traceback" not in got.stderr and b"internal error" not in got.stderr
