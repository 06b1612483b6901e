"""Waiting for descriptors and signals: poll, select, epoll, timerfd, signalfd, inotify, and
the same waits in threaded programs, where only the waiting thread may stop."""
from __future__ import annotations

import re
import signal
import subprocess
import sys
import time

import pytest
from conftest import native, pyloader

# the lines of examples/io_wait.c's calls, compared with native strace
WAIT_CALLS = ("poll", "ppoll", "pselect6", "epoll_create1", "epoll_ctl", "epoll_wait",
              "epoll_pwait", "eventfd2", "timerfd_create", "timerfd_settime", "timerfd_gettime",
              "signalfd4", "inotify_init1", "inotify_add_watch", "inotify_rm_watch")


def _norm(text: str) -> list[str]:
    """Times left, addresses and the temporary directory's name differ from run to run."""
    out = []
    for ln in text.splitlines():
        if not ln.startswith(tuple(c + "(" for c in WAIT_CALLS)):
            continue
        ln = re.sub(r"left \{tv_sec=\d+, tv_nsec=\d+\}", "left {TIME}", ln)
        ln = re.sub(r"it_value=\{tv_sec=\d+, tv_nsec=\d+\}\}\) = 0$", "it_value={TIME}}) = 0", ln)
        ln = re.sub(r"0x[0-9a-f]+", "0xADDR", ln)
        ln = re.sub(r"io_wait\.\w{6}", "io_wait.XXXXXX", ln)
        out.append(re.sub(r" +=", " =", ln))
    return out


@pytest.mark.parametrize("ld", ["python", "system"])
def test_io_wait_matches_native(examples, ld):
    want = native(str(examples["io_wait"]))
    got = pyloader("run", f"--ld={ld}", "-e", "trace=none", str(examples["io_wait"]))
    assert got.returncode == want.returncode == 0, got.stderr.decode()[-2000:]
    assert got.stdout == want.stdout
    assert b"signalfd read: 128 signo 10" in got.stdout
    assert b"ppoll interrupted: -1 Interrupted system call" in got.stdout


def test_io_wait_trace_matches_strace(examples, tmp_path):
    prog = str(examples["io_wait"])
    sel = "trace=" + ",".join(WAIT_CALLS)
    st = subprocess.run(["strace", "-e", sel, "-o", str(tmp_path / "want"), prog],
                        capture_output=True, check=False)
    assert st.returncode == 0
    got = pyloader("run", "-e", sel, "-o", str(tmp_path / "got"), prog)
    assert got.returncode == 0
    want = _norm((tmp_path / "want").read_text())
    assert len(want) >= 20
    assert _norm((tmp_path / "got").read_text()) == want


@pytest.mark.parametrize("ld", ["python", "system"])
def test_waiting_threads_park_alone(examples, ld):
    """Each waiter is woken by the main thread: a wait that stopped every thread would hang
    until --timeout kills the run."""
    want = native(str(examples["thread_io"]), timeout=60)
    got = pyloader("run", f"--ld={ld}", "--timeout", "60", "-e", "trace=none",
                   str(examples["thread_io"]))
    assert got.returncode == 0, got.stderr.decode()[-2000:]
    assert got.stdout == want.stdout
    assert got.stdout.count(b"(main ran meanwhile: 1)") == 10


def _joined(text: str) -> list[str]:
    """-f lines with each `<unfinished ...>` call joined to its `<... resumed>` half."""
    open_: dict[str, str] = {}
    out = []
    for ln in text.splitlines():
        pid, _, rest = ln.partition(" ")
        if rest.endswith(" <unfinished ...>"):
            open_[pid] = rest[:-len(" <unfinished ...>")]
            continue
        m = re.match(r"<\.\.\. \w+ resumed>(.*)", rest)
        if m and pid in open_:
            rest = open_.pop(pid) + m.group(1)
        out.append(re.sub(r"\) +=", ") =", rest))
    return out


def test_waiting_thread_trace_with_f(examples, tmp_path):
    got = pyloader("run", "-f", "--timeout", "60", "-o", str(tmp_path / "t"),
                   "-e", "trace=poll,pselect6,epoll_wait,accept,rt_sigtimedwait,pause,write",
                   str(examples["thread_io"]))
    assert got.returncode == 0
    text = (tmp_path / "t").read_text()
    assert "<unfinished ...>" in text           # the main thread writes while others wait
    lines = _joined(text)
    assert "poll([{fd=3, events=POLLIN}], 1, -1) = 1 ([{fd=3, revents=POLLIN}])" in lines
    assert "poll([{fd=3, events=POLLIN}], 1, 100) = 0 (Timeout)" in lines
    assert "epoll_wait(5, [{events=EPOLLIN, data={u32=42, u64=42}}], 1, -1) = 1" in lines
    assert any(ln.startswith("pselect6(4, [3], NULL, NULL, {tv_sec=10, tv_nsec=0}, NULL) = 1 "
                             "(in [3], left {tv_sec=9, ") for ln in lines)
    assert any(ln.startswith("rt_sigtimedwait([USR1], {si_signo=SIGUSR1, si_code=SI_USER, ")
               and ln.endswith("NULL, 8) = 10") for ln in lines)
    assert "pause() = ? ERESTARTNOHAND (To be restarted if no handler)" in lines


def _start(*args):
    return subprocess.Popen([sys.executable, "-m", "pyloader", "run", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


@pytest.mark.parametrize("ld", ["python", "system"])
def test_a_wait_over_before_its_thread_parks_returns_to_that_call(examples, ld):
    """examples/timed_waits.c: two threads in 1-50 us timed condition waits. When the
    deadline had passed by the time the scheduler looked, the woken thread ran on without
    its call's result (glibc: "The futex facility returned an unexpected error code.") and
    the result came later, to another call (an mmap returned -ETIMEDOUT)."""
    exe = str(examples["timed_waits"])
    want = native(exe)
    got = pyloader("run", f"--ld={ld}", "-e", "trace=none", exe)
    assert got.returncode == want.returncode == 0, got.stderr.decode()[-500:]
    assert got.stdout == want.stdout == b"4000 timed waits, 0 wrong results\n"


def test_timeout_ends_a_guest_blocked_in_poll(examples):
    t0 = time.monotonic()
    got = pyloader("run", "--timeout", "1", "-e", "trace=none", str(examples["io_wait"]),
                   "forever", timeout=60)
    assert got.returncode == 137
    assert time.monotonic() - t0 < 30


def test_call_cut_short_by_the_end_is_unfinished(examples):
    """strace's form for a call the process ended in: what was known at entry, then
    `<unfinished ...>) = ?`; with -f each other thread's call ends so too."""
    got = pyloader("run", "--timeout", "1", "-e", "trace=poll", str(examples["io_wait"]),
                   "forever", timeout=60)
    assert b"poll(NULL, 0, -1 <unfinished ...>) = ?\n+++ killed by SIGKILL +++\n" in got.stderr
    got = pyloader("run", "-f", "--timeout", "1", "-e", "trace=poll,futex",
                   str(examples["thread_io"]), "forever", timeout=60)
    lines = [re.sub(r"\) +=", ") =", re.sub(r"^\[pid +\d+\] ", "", ln))
             for ln in got.stderr.decode().splitlines()]
    ends = [ln for ln in lines if ln.endswith("<unfinished ...>) = ?")]
    assert len(ends) == 2, lines      # the poll and the join's futex, each cut short
    assert any(ln in ("poll(NULL, 0, -1 <unfinished ...>) = ?",
                      "<... poll resumed> <unfinished ...>) = ?") for ln in ends)
    assert any("futex" in ln for ln in ends)
    assert lines.count("+++ killed by SIGKILL +++") == 2
    assert lines[-1] == "+++ killed by SIGKILL +++"


def test_timeout_ends_a_guest_whose_threads_all_wait(examples):
    got = pyloader("run", "--timeout", "1", "-e", "trace=none", str(examples["thread_io"]),
                   "forever", timeout=60)
    assert got.returncode == 137
    assert got.stdout == b"waiting\n"
    assert got.stderr.endswith(b"+++ killed by SIGKILL +++\n")


def test_sigint_ends_a_guest_blocked_in_poll(examples):
    p = _start("-e", "trace=poll", str(examples["io_wait"]), "forever")
    assert p.stdout.readline() == b"waiting\n"
    time.sleep(0.3)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=30)
    assert p.returncode == 128 + signal.SIGINT
    assert b"poll(NULL, 0, -1)" in err and b"+++ killed by SIGINT +++" in err
