"""The strace-style trace: compared with native strace, and each option's effect."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT, pyloader

needs_strace = pytest.mark.skipif(shutil.which("strace") is None, reason="strace not installed")


def compare(*argv: str, extra: list[str] | None = None) -> dict:
    cmd = [sys.executable, str(ROOT / "scripts" / "compare_strace.py"), "--json",
           *(extra or []), "--", *argv]
    p = subprocess.run(cmd, check=False, capture_output=True, timeout=300)
    assert p.stdout, p.stderr.decode()
    return json.loads(p.stdout)


def share(report: dict) -> float:
    for key in ("percent", "identical_percent", "share"):
        if key in report:
            return float(report[key])
    return 100.0 * report["identical"] / report["native_lines"]


@needs_strace
@pytest.mark.parametrize("name,args", [
    ("hello_static", ["Samir"]), ("hello_static_pie", ["Samir"]), ("show_auxv_static", []),
    ("hello_name", ["Samir"]),
])
def test_trace_matches_strace_examples(examples, name, args):
    report = compare(str(examples[name]), *args)
    assert share(report) >= 90.0, json.dumps(report, indent=1)[:3000]


@needs_strace
@pytest.mark.parametrize("argv", [["/bin/ls", "/usr/include/linux/netfilter"],
                                  ["/bin/cat", "/etc/passwd"]])
def test_trace_matches_strace_system(argv):
    report = compare(*argv)
    assert share(report) >= 90.0, json.dumps(report, indent=1)[:3000]


@needs_strace
def test_stat_modes_name_the_special_bits(tmp_path):
    """st_mode's set-user-ID, set-group-ID and sticky bits by name, as strace has them."""
    for name, mode in (("sticky", 0o1777), ("suid", 0o4755), ("sgid", 0o2750)):
        (tmp_path / name).mkdir()
        (tmp_path / name).chmod(mode)
    argv = ["/bin/python3", "-c", "import os,sys; [os.stat(p) for p in sys.argv[1:]]",
            *(str(tmp_path / n) for n in ("sticky", "suid", "sgid"))]
    st = subprocess.run(["strace", "-e", "trace=newfstatat", *argv], capture_output=True,
                        check=False)
    got = pyloader("run", "-e", "trace=newfstatat", *argv)

    def lines(text: bytes) -> list[str]:
        return [ln for ln in text.decode().splitlines() if str(tmp_path) in ln]
    assert lines(got.stderr) == lines(st.stderr)
    assert "S_IFDIR|S_ISVTX|0777" in lines(got.stderr)[0]


@needs_strace
def test_sigaltstack_decodes_stack_t():
    """python3's faulthandler sets, reads and disables an alternate signal stack. Its size
    comes from AT_MINSIGSTKSZ, which is the emulated CPU's, so sizes are not compared."""
    argv = ["/usr/bin/python3", "-X", "faulthandler", "-c", "pass"]
    st = subprocess.run(["strace", "-e", "trace=sigaltstack", *argv], capture_output=True,
                        check=False)
    got = pyloader("run", "-e", "trace=sigaltstack", *argv)

    def lines(text: bytes) -> list[str]:
        return [re.sub(r"0x[0-9a-f]+|ss_size=[1-9]\d*", "X", ln)
                for ln in text.decode().splitlines() if ln.startswith("sigaltstack(")]
    assert lines(got.stderr) == lines(st.stderr)
    assert "{ss_sp=NULL, ss_flags=SS_DISABLE, ss_size=0}" in got.stderr.decode()


@needs_strace
def test_sched_getaffinity_is_one_cpu_in_the_hosts_mask_size():
    """The guest's one CPU, in a mask as long as the kernel's (what it returns), printed as
    strace prints a CPU set; nproc agrees."""
    argv = ["/usr/bin/nproc"]
    st = subprocess.run(["strace", "-e", "trace=sched_getaffinity", *argv], capture_output=True,
                        check=False)
    got = pyloader("run", "-e", "trace=sched_getaffinity", *argv)
    def lines(text: str) -> list[str]:        # the same list, the columns aside
        return [re.sub(r"\s+", " ", re.sub(r"\[[\d ]+\]", "[0]", ln))
                for ln in text.splitlines() if ln.startswith("sched_getaffinity(")]
    assert lines(got.stderr.decode()) == lines(st.stderr.decode()) != []
    assert got.stdout == b"1\n"


@needs_strace
def test_exec_clears_rseq_and_failed_socklen_is_the_input():
    """env execs bash: the new image registers its rseq area again (exec cleared the old
    one; it got EBUSY); bash's getpeername(0) fails and strace prints the length it was
    given, [16]."""
    argv = ["/usr/bin/env", "/bin/bash", "-c", "echo"]
    st = subprocess.run(["strace", "-e", "trace=rseq,getpeername", *argv], capture_output=True,
                        check=False)
    got = pyloader("run", "-e", "trace=rseq,getpeername", *argv)

    def lines(text: bytes) -> list[str]:
        return [re.sub(r"0x[0-9a-f]+", "ADDR", ln) for ln in text.decode().splitlines()
                if ln.startswith(("rseq(", "getpeername("))]
    assert lines(got.stderr) == lines(st.stderr)
    assert len(lines(got.stderr)) == 3 and "[16]" in lines(got.stderr)[-1]


def trace_of(*args: str) -> tuple[list[str], subprocess.CompletedProcess]:
    got = pyloader("run", *args)
    return got.stderr.decode().splitlines(), got


def test_first_and_last_lines(examples):
    exe = str(examples["hello_name"])
    lines, got = trace_of("-s", "200", exe, "Samir")
    assert got.stdout == b"hello, Samir!\n"
    assert re.fullmatch(rf'execve\("{re.escape(exe)}", \["{re.escape(exe)}", "Samir"\], '
                        r'0x[0-9a-f]+ /\* \d+ vars \*/\) = 0', lines[0])
    assert 'write(1, "hello, Samir!\\n", 14)'.ljust(39) + " = 14" in lines
    assert lines[-2] == "exit_group(14)                          = ?"
    assert lines[-1] == "+++ exited with 14 +++"


def test_output_file_leaves_program_output_alone(examples, tmp_path):
    out = tmp_path / "trace.txt"
    got = pyloader("run", "-o", str(out), "--", str(examples["hello_name"]), "Samir")
    assert got.stdout == b"hello, Samir!\n"
    assert got.stderr == b""
    text = out.read_text()
    assert text.startswith("execve(") and text.endswith("+++ exited with 14 +++\n")


def test_filter_by_name_and_class(examples):
    exe = str(examples["hello_name"])
    lines, _ = trace_of("-e", "trace=write", exe, "x")
    assert [line.split("(")[0] for line in lines[:-1]] == ["write"]
    lines, _ = trace_of("-e", "trace=%file", exe, "x")
    names = {line.split("(")[0] for line in lines[:-1]}
    assert names <= {"execve", "openat", "access", "newfstatat", "readlink"} and "openat" in names
    lines, _ = trace_of("-e", "trace=!write,brk", exe, "x")
    names = {line.split("(")[0] for line in lines[:-1]}
    assert "write" not in names and "brk" not in names and "mmap" in names
    lines, _ = trace_of("-e", "trace=%memory", exe, "x")
    assert {line.split("(")[0] for line in lines[:-1]} <= {"mmap", "munmap", "mprotect", "brk"}
    lines, _ = trace_of("-e", "trace=none", exe, "x")
    assert lines == ["+++ exited with 10 +++"]


def test_bad_filter_is_a_usage_error(examples):
    got = pyloader("run", "-e", "trace=nosuchcall", str(examples["hello_name"]))
    assert got.returncode == 2
    assert b"invalid system call" in got.stderr


def test_strsize(examples):
    lines, _ = trace_of("-s", "5", "-e", "trace=write", str(examples["hello_name"]), "Samir")
    assert lines[0] == 'write(1, "hello"..., 14)'.ljust(39) + " = 14"


def test_summary(examples):
    lines, got = trace_of("-c", str(examples["hello_name"]), "Samir")
    assert got.stdout == b"hello, Samir!\n"
    assert lines[0].split() == ["%", "time", "seconds", "usecs/call", "calls", "errors",
                                "syscall"]
    rows = {line.split()[-1]: line.split() for line in lines[2:-2]}
    assert rows["write"][3] == "1"
    assert lines[-1].split()[-1] == "total"
    assert not any(line.startswith("write(") for line in lines)


def test_fd_paths(examples):
    lines, _ = trace_of("-y", "-e", "trace=openat,read,close", str(examples["hello_name"]))
    assert any(re.search(r'openat\(AT_FDCWD, "[^"]*libc\.so\.6", O_RDONLY\|O_CLOEXEC\) = '
                         r'3</usr/lib/x86_64-linux-gnu/libc\.so\.6>', line) for line in lines)
    assert any(line.startswith("read(3</usr/lib/x86_64-linux-gnu/libc.so.6>, ") for line in lines)
    assert any(line.startswith("close(3</usr/lib/x86_64-linux-gnu/libc.so.6>)") for line in lines)


def test_times_and_timestamps(examples):
    exe = str(examples["hello_static"])
    lines, _ = trace_of("-T", "-e", "trace=write", exe)
    assert re.search(r" = \d+ <\d+\.\d{6}>$", lines[0])
    lines, _ = trace_of("-tt", "-e", "trace=write", exe)
    assert re.match(r"\d\d:\d\d:\d\d\.\d{6} write\(", lines[0])
    lines, _ = trace_of("-ttt", "-e", "trace=write", exe)
    assert re.match(r"\d{10}\.\d{6} write\(", lines[0])
    lines, _ = trace_of("-t", "-e", "trace=write", exe)
    assert re.match(r"\d\d:\d\d:\d\d write\(", lines[0])
    lines, _ = trace_of("-r", "-e", "trace=write", exe)
    assert re.match(r" +\d+\.\d{6} write\(", lines[0])


def test_only_failed_and_only_ok(examples):
    exe = str(examples["hello_name"])
    lines, _ = trace_of("-Z", exe)
    assert lines[:-1] and all(" = -1 " in line for line in lines[:-1])
    lines, _ = trace_of("-z", exe)
    assert not any(" = -1 " in line for line in lines)


def test_xlat_styles(examples):
    exe = str(examples["hello_name"])
    lines, _ = trace_of("-X", "raw", "-e", "trace=openat", exe)
    assert lines[0].startswith('openat(-100, "/etc/ld.so.cache", 0x80000) = 3')
    lines, _ = trace_of("-X", "verbose", "-e", "trace=openat", exe)
    assert lines[0].startswith('openat(-100 /* AT_FDCWD */, "/etc/ld.so.cache", '
                               '0x80000 /* O_RDONLY|O_CLOEXEC */) = 3')


def test_verbose_structs(examples):
    lines, _ = trace_of("-v", "-e", "trace=newfstatat", str(examples["hello_name"]))
    assert "st_dev=makedev(" in lines[0] and "st_ino=" in lines[0] and "..." not in lines[0]
    lines, _ = trace_of("-e", "trace=newfstatat", str(examples["hello_name"]))
    assert re.search(r"\{st_mode=S_IFREG\|0644, st_size=\d+, \.\.\.\}", lines[0])


def test_errors_are_named(tmp_path):
    lines, got = trace_of("-e", "trace=openat", "/bin/cat", str(tmp_path / "missing"))
    assert got.returncode == 1
    assert any(line.endswith("= -1 ENOENT (No such file or directory)") and "missing" in line
               for line in lines)


def test_faults_in_trace(examples):
    lines, got = trace_of(str(examples["crash"]))
    assert got.returncode == 139
    assert "--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x8} ---" in lines
    assert lines[-1] == "+++ killed by SIGSEGV (core dumped) +++"


def build_c(tmp_path, name: str, source: str) -> str:
    src = tmp_path / f"{name}.c"
    src.write_text(source)
    exe = tmp_path / name
    subprocess.run(["gcc", "-w", "-pthread", "-o", str(exe), str(src)], check=True)
    return str(exe)


def test_unknown_syscall_is_enosys_and_said_once(tmp_path):
    exe = build_c(tmp_path, "nosys", '#include <unistd.h>\n#include <stdio.h>\n#include <errno.h>\n'
                   'int main(void){long r = syscall(500); long s = syscall(500);\n'
                  'printf("%ld %ld %d\\n", r, s, errno == ENOSYS); return 0;}\n')
    got = pyloader("run", "-e", "trace=none", exe)
    assert got.stdout == b"-1 -1 1\n"
    assert got.stderr.count(b"syscall 500") == 1


def test_bad_pointer_is_efault(tmp_path):
    exe = build_c(tmp_path, "efault", '#include <unistd.h>\n#include <stdio.h>\n#include <errno.h>\n'
                   'int main(void){long r = write(1, (void*)8, 4); int e = errno;\n'
                  'printf("%ld %d\\n", r, e == EFAULT); return 0;}\n')
    got = pyloader("run", "-e", "trace=write", exe)
    assert got.stdout == b"-1 1\n"
    assert "write(1, 0x8, 4)".ljust(39) + " = -1 EFAULT (Bad address)" in got.stderr.decode()


FCNTL_SCRIPT = """
import fcntl, os, struct
r, w = os.pipe()
fcntl.fcntl(r, fcntl.F_SETFL, os.O_NONBLOCK); fcntl.fcntl(r, fcntl.F_GETFL)
fcntl.fcntl(r, fcntl.F_SETFD, 0); fcntl.fcntl(r, fcntl.F_GETFD)
fcntl.fcntl(r, fcntl.F_SETFD, fcntl.FD_CLOEXEC); fcntl.fcntl(r, fcntl.F_GETFD)
fcntl.fcntl(r, fcntl.F_DUPFD, 10); fcntl.fcntl(r, fcntl.F_GETPIPE_SZ)
fcntl.fcntl(r, fcntl.F_SETPIPE_SZ, 8192); fcntl.fcntl(r, fcntl.F_SETSIG, 10)
fcntl.fcntl(r, fcntl.F_GETSIG)
f = open("/etc/passwd", "rb")
fcntl.fcntl(f, fcntl.F_GETLK, struct.pack("hhqqi", 0, 0, 0, 0, 0)); fcntl.fcntl(f, fcntl.F_GETLEASE)
m = os.memfd_create("x", os.MFD_ALLOW_SEALING)
fcntl.fcntl(m, fcntl.F_ADD_SEALS, fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW)
fcntl.fcntl(m, fcntl.F_GET_SEALS)
try:
    fcntl.ioctl(m, 0x40049409, f.fileno())              # FICLONE: the source is a descriptor
except OSError:
    pass
os.getgroups()
"""


@needs_strace
def test_fcntl_commands_print_as_strace(tmp_path):
    """The third argument and the result are decoded by command (F_GETFL's open flags,
    F_SETFD's FD_CLOEXEC, struct flock, seals, signals); FICLONE's source descriptor is
    translated and printed; getgroups' list."""
    script = tmp_path / "fc.py"
    script.write_text(FCNTL_SCRIPT)
    sel = "trace=fcntl,getgroups,ioctl"
    st = subprocess.run(["strace", "-e", sel, "-o", str(tmp_path / "want"),
                         "/usr/bin/python3", str(script)], capture_output=True, check=False)
    assert st.returncode == 0
    got = pyloader("run", "-e", sel, "-o", str(tmp_path / "got"), "/usr/bin/python3",
                   str(script))
    assert got.returncode == 0

    def lines(name):
        text = re.sub(r"0x[0-9a-f]{6,}", "ADDR", (tmp_path / name).read_text())
        return [re.sub(r" +=", " =", ln) for ln in text.splitlines()]
    want = lines("want")
    assert "fcntl(3, F_GETFL) = 0x800 (flags O_RDONLY|O_NONBLOCK)" in want
    assert any(re.match(r"ioctl\(\d+, BTRFS_IOC_CLONE or FICLONE, \d+\) = -1 ", ln) for ln in want)
    assert lines("got") == want
