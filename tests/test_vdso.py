"""The vDSO: mapped as the kernel maps it, found by both linkers, answering clock calls
without a system call, as native runs do (compared with native runs and native strace)."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from conftest import native, pyloader

LD_MODES = ["python", "system"]
CLOCK_CALLS = re.compile(r"^(clock_gettime|clock_getres|gettimeofday|time|getcpu)\(")


def clock_lines(trace: str) -> list[str]:
    """The clock system calls of a trace, values dropped: name and first argument."""
    return [re.match(r"^\w+\([^,)]*", ln).group(0) for ln in trace.splitlines()
            if CLOCK_CALLS.match(ln)]


def native_trace(*argv: str) -> str:
    if shutil.which("strace") is None:
        pytest.skip("strace is not installed")
    got = subprocess.run(["strace", *argv], capture_output=True, check=False, timeout=60)
    return got.stderr.decode()


@pytest.mark.parametrize("exe", ["clocks", "clocks_static"])
@pytest.mark.parametrize("ld", LD_MODES)
def test_clock_values_are_sane_as_natively(examples, exe, ld):
    want = native(str(examples[exe]))
    assert b"never goes back 1" in want.stdout and b"never goes back 0" not in want.stdout
    got = pyloader("run", f"--ld={ld}", "-e", "trace=none", str(examples[exe]))
    assert got.stdout == want.stdout
    assert got.returncode == want.returncode == 0, got.stderr.decode()


@pytest.mark.parametrize("exe", ["clocks", "clocks_static"])
@pytest.mark.parametrize("ld", LD_MODES)
def test_trace_shows_the_clock_calls_native_strace_shows(examples, exe, ld):
    """Only the clocks the vDSO cannot serve (CPU time) enter the kernel."""
    want = clock_lines(native_trace(str(examples[exe])))
    got = pyloader("run", f"--ld={ld}", str(examples[exe]))
    have = clock_lines(got.stderr.decode())
    assert want and all("CPUTIME" in ln for ln in want)
    assert have == want


@pytest.mark.parametrize("ld", LD_MODES)
def test_no_vdso_makes_every_clock_call_a_syscall(examples, ld):
    got = pyloader("run", f"--ld={ld}", "--no-vdso", str(examples["clocks"]))
    calls = clock_lines(got.stderr.decode())
    assert got.returncode == 0
    for call in ("clock_gettime(CLOCK_MONOTONIC", "clock_gettime(CLOCK_REALTIME",
                 "clock_getres(CLOCK_BOOTTIME", "gettimeofday(", "time(", "getcpu("):
        assert any(c.startswith(call) for c in calls), call
    assert calls.count("clock_gettime(CLOCK_MONOTONIC") == 1001
    got = pyloader("run", f"--ld={ld}", "--no-vdso", "-e", "trace=none",
                   str(examples["show_auxv"]))
    assert b"AT_SYSINFO_EHDR is an ELF image: 0\n" in got.stdout
    got = pyloader("run", f"--ld={ld}", "--no-vdso", "-e", "trace=none", "/bin/cat",
                   "/proc/self/maps")
    assert b"[vdso]" not in got.stdout and b"[vvar]" not in got.stdout


@pytest.mark.parametrize("exe", ["show_auxv", "show_auxv_static"])
@pytest.mark.parametrize("ld", LD_MODES)
def test_auxv_sysinfo_ehdr_first_and_an_elf_image(examples, exe, ld):
    got = pyloader("run", f"--ld={ld}", "-e", "trace=none", str(examples[exe]))
    assert b"AT_SYSINFO_EHDR is an ELF image: 1\n" in got.stdout
    # its place: the first entry, as create_elf_tables puts ARCH_DLINFO
    got = pyloader("run", f"--ld={ld}", "-e", "trace=none", "/bin/od", "-An", "-tx8", "-w16",
                   "-N16", "/proc/self/auxv")
    key, value = got.stdout.split()
    assert int(key, 16) == 33 and int(value, 16) % 4096 == 0


@pytest.mark.parametrize("ld", LD_MODES)
def test_maps_show_vvar_and_vdso_where_the_kernel_puts_them(ld):
    """With ASLR off, [vvar], [vvar_vclock] and [vdso] sit just below ld.so, as natively."""
    want = subprocess.run(["setarch", "-R", "cat", "/proc/self/maps"], capture_output=True,
                          check=False).stdout.decode()
    got = pyloader("run", f"--ld={ld}", "-e", "trace=none", "/bin/cat", "/proc/self/maps")
    pick = lambda text: [ln.split()[0] + " " + ln.split()[1] + " " + ln.split()[-1]
                         for ln in text.splitlines() if any(k in ln for k in ("[vvar", "[vdso]", "ld-linux"))]
    assert "[vdso]" in got.stdout.decode()
    assert pick(got.stdout.decode()) == pick(want)


@pytest.mark.parametrize("ld", LD_MODES)
@pytest.mark.parametrize("mode, sign", [
    ("objects", b'"linux-vdso.so.1"'),       # dl_iterate_phdr: right after the program
    ("dlopen", b"it agrees with time(): 1"),  # dlopen finds it by its soname
])
def test_vdso_in_the_namespace_as_natively(examples, ld, mode, sign):
    want = native(str(examples["clocks"]), mode)
    assert sign in want.stdout
    got = pyloader("run", f"--ld={ld}", "-e", "trace=none", str(examples["clocks"]), mode)
    assert got.stdout == want.stdout


@pytest.mark.parametrize("clock", ["1", "2"])
@pytest.mark.parametrize("ld", LD_MODES)
def test_bad_pointer_faults_in_the_guest_like_the_real_vdso(examples, ld, clock):
    """CLOCK_MONOTONIC: the vDSO stores through the pointer unchecked (SIGSEGV); a CPU-time
    clock goes to the kernel, which answers EFAULT."""
    want = native(str(examples["clocks"]), "fault", clock)
    got = pyloader("run", f"--ld={ld}", "-e", "trace=none", str(examples["clocks"]), "fault",
                   clock)
    assert got.stdout == want.stdout
    if want.returncode < 0:
        assert got.returncode == 128 - want.returncode == 139
        assert b"in [vdso]+0x" in got.stderr
    else:
        assert got.returncode == want.returncode == 0


def test_vdso_after_a_guest_execve(examples):
    """exec drops the old image with its vDSO hook and maps a new one."""
    got = pyloader("run", "-f", "/bin/sh", "-c", f"exec {examples['clocks']}")
    assert got.returncode == 0
    assert b"never goes back 0" not in got.stdout and got.stdout.count(b"never goes back 1") == 8
    assert [ln for ln in clock_lines(got.stderr.decode()) if "CPUTIME" not in ln] == []


def test_the_image_is_a_shared_object_as_glibc_expects(tmp_path):
    from pyloader.binfmt.vdso import image
    from pyloader.ld.dso import LinkMap
    data, entries, _ = image()
    m = LinkMap("linux-vdso.so.1", "linux-vdso.so.1", data)
    assert m.img.e_type == 3 and m.soname == "linux-vdso.so.1"
    for name in ("clock_gettime", "gettimeofday", "time", "getcpu", "clock_getres"):
        for sym in ("__vdso_" + name, name):
            (idx,) = m.by_name[sym]
            ver, hidden = m.symbol_version(idx)
            assert ver.name == "LINUX_2.6" and not hidden
            assert m.syms[idx].value == entries[name]
    if shutil.which("readelf"):
        (tmp_path / "vdso.so").write_bytes(data)
        out = subprocess.run(["readelf", "-W", "--dyn-syms", "-d", "-V", str(tmp_path / "vdso.so")],
                             capture_output=True, check=True).stdout.decode()
        assert "Warning" not in out and "Error" not in out
        assert "__vdso_clock_gettime@@LINUX_2.6" in out and "WEAK" in out
        assert "Library soname: [linux-vdso.so.1]" in out


def test_explain_names_the_vdso(examples):
    got = pyloader("explain", str(examples["hello_13"]))
    text = got.stdout.decode()
    assert "The kernel also maps its vDSO, a small shared object (linux-vdso.so.1), at " \
        "0x7ffff7fc8000" in text
    assert re.search(r"linux-vdso\.so\.1 \(the kernel's vDSO.*\) at 0x7ffff7fc8000", text)
