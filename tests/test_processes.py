"""Processes: fork/vfork/clone, execve from the guest, wait, pipes, -f tracing; against
native runs and native `strace -f`."""
from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
from conftest import native, pyloader

PIPELINES = [
    "seq 1 20000 | tail -2",
    "sort {data} | uniq -c | sort -rn | head -3",
    "gzip -c {data} | gunzip | md5sum",
    "seq 1 100000 | head -1",                 # seq dies of SIGPIPE, as natively
    "for i in 1 2 3; do echo $i; done | wc -l; (exit 7); echo $?",
    "cat /nonexistent 2>&1 | tr a-z A-Z",
]


@pytest.fixture
def data(tmp_path):
    f = tmp_path / "data"
    f.write_text("".join(w + "\n" for w in ["b", "a", "b", "c", "b", "a", "d", "c", "b"]))
    return f


@pytest.mark.parametrize("ld", ["python", "system"])
def test_fork_pipe_exec_wait_system(examples, ld):
    want = native(str(examples["fork_pipe"]))
    got = pyloader("run", f"--ld={ld}", "-e", "trace=none", str(examples["fork_pipe"]))
    assert got.stdout == want.stdout
    assert got.returncode == want.returncode == 0
    assert b"second child: signaled=1 sig=15" in got.stdout
    assert b"system returned 3" in got.stdout


@pytest.mark.parametrize("ld", ["python", "system"])
@pytest.mark.parametrize("cmd", PIPELINES)
def test_shell_pipelines_match_native(cmd, ld, data):
    cmd = cmd.format(data=data)
    want = native("/bin/sh", "-c", cmd)
    got = pyloader("run", f"--ld={ld}", "-e", "trace=none", "/bin/sh", "-c", cmd)
    assert (got.stdout, got.returncode) == (want.stdout, want.returncode)


def test_bash_pipeline_and_command_substitution():
    cmd = 'x=$(echo abc | rev); echo "$x" | tr a-z A-Z; ls /nonexistent 2>/dev/null || echo failed'
    want = native("/bin/bash", "-c", cmd)
    got = pyloader("run", "-e", "trace=none", "/bin/bash", "-c", cmd)
    assert (got.stdout, got.returncode) == (want.stdout, want.returncode)


def _exec_fixture(tmp_path):
    (tmp_path / "data.bin").write_bytes(b"\x00\x01\x02 not a program")
    os.chmod(tmp_path / "data.bin", 0o755)
    script = tmp_path / "script.sh"
    script.write_text('#!/bin/sh\necho "script $# $1 $GREETING"\nexit 5\n')
    os.chmod(script, 0o755)
    for i in range(1, 7):               # loop1 -> loop2 -> ... -> loop6 -> loop1
        f = tmp_path / f"loop{i}"
        f.write_text(f"#!{tmp_path}/loop{i % 6 + 1}\n")
        os.chmod(f, 0o755)


def test_execve_errors_and_script(examples, tmp_path):
    _exec_fixture(tmp_path)
    want = native(str(examples["exec_errors"]), str(tmp_path))
    got = pyloader("run", "-e", "trace=none", str(examples["exec_errors"]), str(tmp_path))
    assert got.stdout == want.stdout
    assert got.returncode == want.returncode == 5
    assert b"ENOENT" in got.stdout and b"EACCES" in got.stdout and b"ENOEXEC" in got.stdout
    assert b"ELOOP" in got.stdout and b"script 1 arg1 hi" in got.stdout


def test_execve_failure_is_traced_as_strace_does(examples, tmp_path):
    _exec_fixture(tmp_path)
    got = pyloader("run", "-s", "256", "-e", "trace=execve", str(examples["exec_errors"]),
                   str(tmp_path))
    lines = got.stderr.decode().splitlines()
    assert any(re.fullmatch(r'execve\("/nonexistent/program", \["/nonexistent/program"\], NULL\) +'
                            r'= -1 ENOENT \(No such file or directory\)', ln) for ln in lines)
    assert any(ln.startswith(f'execve("{tmp_path}/script.sh", ["{tmp_path}/script.sh", "arg1"],')
               and ln.endswith("= 0") for ln in lines)


def test_inherited_descriptors_reach_the_guest(tmp_path):
    """`prog 3<file 7>out`: descriptors above 2 are the guest's, and /proc/self/fd lists the
    guest's table (the one ls opens itself included)."""
    import sys
    src, out = tmp_path / "in", tmp_path / "out"
    src.write_text("from fd 3\n")
    script = "cat <&3; echo to7 >&7; ls /proc/self/fd"

    def run(*prefix):
        return subprocess.run(["/bin/sh", "-c", 'exec "$@" 3<"$IN" 7>"$OUT"', "sh", *prefix,
                               "/bin/sh", "-c", script], capture_output=True, check=False,
                              timeout=120, stdin=subprocess.DEVNULL,
                              env={**os.environ, "IN": str(src), "OUT": str(out)})
    want = run()
    want_out = out.read_text()
    got = run(sys.executable, "-m", "pyloader", "run", "-e", "trace=none")
    assert got.returncode == want.returncode == 0, got.stderr
    assert got.stdout == want.stdout
    assert want.stdout.startswith(b"from fd 3\n") and b"\n7\n" in want.stdout
    assert out.read_text() == want_out == "to7\n"


def test_close_on_exec_is_honoured():
    # perl opens files with O_CLOEXEC (fd > $^F); the shell it execs finds fd 3 closed, while
    # the descriptor dup2'd to 4 (no close-on-exec) stays open
    script = ('open(my $f, "<", "/etc/passwd") or die; open(STDIN, "<&", $f); '
              'printf("fd %d\\n", fileno($f)); $^F = 10; open(my $g, "<", "/etc/passwd"); '
              'exec "/bin/sh", "-c", "cat <&3 >/dev/null 2>&1 && echo 3 open || echo 3 closed; '
              'cat <&4 >/dev/null 2>&1 && echo 4 open || echo 4 closed"')
    want = native("/usr/bin/perl", "-e", script)
    got = pyloader("run", "-e", "trace=none", "/usr/bin/perl", "-e", script)
    assert got.stdout == want.stdout == b"fd 3\n3 closed\n4 open\n"


def _events(text: str) -> list[tuple[int, str]]:
    """(process index in order of appearance, call) for the process-level events; lines
    without a [pid N] prefix are the first process's (strace drops the prefix while it
    traces only one)."""
    main = re.search(r"\[pid +(\d+)\] (?:<\.\.\. )?(?:clone|wait4)", text).group(1)
    order: dict[str, int] = {main: 0}
    out = []
    for ln in text.splitlines():
        m = re.match(r"(?:\[pid +(\d+)\] )?(?:<\.\.\. )?(\w+|\+\+\+ exited with \d+|--- SIG\w+)", ln)
        if not m:
            continue
        pid = m.group(1) or main
        what = m.group(2)
        if what in ("clone", "clone3", "vfork", "execve", "wait4", "exit_group") or \
                what.startswith("+++"):
            out.append((order.setdefault(pid, len(order)), what))
    return out


def test_follow_forks_matches_strace_f(examples):
    if shutil.which("strace") is None:
        pytest.skip("strace is not installed")
    prog = str(examples["fork_pipe"])
    want = subprocess.run(["strace", "-f", "-e", "trace=process", prog], capture_output=True,
                          check=False)
    got = pyloader("run", "-f", "-e", "trace=process", prog)
    assert got.stdout == want.stdout
    ours, theirs = _events(got.stderr.decode()), _events(want.stderr.decode())
    # the same calls by the same processes (interleaving, and so how often a call is split
    # into <unfinished ...> and <... resumed>, may differ)
    assert sorted(set(ours)) == sorted(set(theirs))
    text = got.stderr.decode()
    assert "<unfinished ...>" in text and "<... wait4 resumed>" in text
    assert re.search(r"\[pid +\d+\] execve\(\"/bin/echo\", \[\"echo\", \"hello\"", text)
    assert "clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD" in text
    assert "clone3({flags=CLONE_VM|CLONE_VFORK, exit_signal=SIGCHLD, stack=0x" in text
    assert "[{WIFSIGNALED(s) && WTERMSIG(s) == SIGTERM}]" in text


def test_without_f_children_run_untraced(examples):
    got = pyloader("run", "-e", "trace=execve,exit_group", str(examples["fork_pipe"]))
    assert b"system returned 3" in got.stdout
    assert b"[pid" not in got.stderr
    assert got.stderr.count(b"execve(") == 2        # the program's, and its failing execl


def test_ff_writes_one_file_per_pid(examples, tmp_path):
    out = tmp_path / "tr"
    got = pyloader("run", "-ff", "-o", str(out), "-e", "trace=execve,exit_group",
                   str(examples["fork_pipe"]))
    assert got.returncode == 0
    files = sorted(tmp_path.glob("tr.*"))
    assert len(files) == 5                          # the program and its four children
    texts = [f.read_text() for f in files]
    assert sum('execve("/bin/echo"' in t for t in texts) == 1
    assert sum('execve("/bin/sh"' in t for t in texts) == 1
    assert all("[pid" not in t for t in texts)


# --- signals -------------------------------------------------------------------------------------
@pytest.mark.parametrize("ld", ["python", "system"])
def test_signal_delivery_matches_native(examples, ld):
    want = native(str(examples["signals"]))
    got = pyloader("run", f"--ld={ld}", "-e", "trace=none", str(examples["signals"]))
    assert got.stdout == want.stdout
    assert got.returncode == 128 + 15 and want.returncode == -15
    assert b"recovered from SIGSEGV 1 (on the alternate stack: 1)" in got.stdout
    assert b"recovered from SIGBUS: code 2 at page offset 4101" in got.stdout
    assert b"SA_RESTART read: 1 x" in got.stdout and b"-1 EINTR" in got.stdout


def test_signal_trace_matches_strace(examples):
    prog = str(examples["signals"])
    sel = "trace=pause,rt_sigsuspend,rt_sigreturn,read,kill,tgkill"
    want = subprocess.run(["strace", "-e", sel, prog], capture_output=True,
                          check=False).stderr.decode()
    got = pyloader("run", "-e", sel, prog).stderr.decode()

    def norm(text):
        text = re.sub(r"0x[0-9a-f]+", "0xADDR", text)
        text = re.sub(r"si_pid=\d+", "si_pid=PID", text)
        text = re.sub(r"\(\d+, \d+, SIG", "(PID, PID, SIG", text)
        return [ln for ln in text.splitlines() if not ln.startswith(("read(3, \"\\177ELF", "execve"))]
    assert norm(got) == norm(want)


def test_sigbus_default_action(examples):
    """Past the end of a mapped file: SIGBUS (BUS_ADRERR), killed with a core as natively."""
    want = native(str(examples["signals"]), "bus")
    got = pyloader("run", str(examples["signals"]), "bus")
    assert want.returncode == -7 and got.returncode == 128 + 7
    assert b"--- SIGBUS {si_signo=SIGBUS, si_code=BUS_ADRERR, si_addr=0x" in got.stderr
    assert b"+++ killed by SIGBUS (core dumped) +++" in got.stderr


def test_abort_dumps_core(examples):
    got = pyloader("run", str(examples["signals"]), "abort")
    assert got.returncode == 128 + 6
    assert b"+++ killed by SIGABRT (core dumped) +++" in got.stderr
    assert b"--- SIGABRT {si_signo=SIGABRT, si_code=SI_TKILL" in got.stderr


def _start(args, **kw):
    import sys
    return subprocess.Popen([sys.executable, "-m", "pyloader", "run", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def test_sigint_from_outside_reaches_the_guest_handler(tmp_path):
    import signal
    import time

    from test_trace import build_c
    exe = build_c(tmp_path, "onint", '#include <signal.h>\n#include <stdio.h>\n#include <unistd.h>\n'
                  'static volatile int got; static void h(int s){got=s;}\n'
                  'int main(void){signal(SIGINT,h); puts("ready"); fflush(stdout);\n'
                  'while(!got) pause(); printf("got signal %d\\n", got); return 3;}\n')
    p = _start(["-e", "trace=none", exe])
    assert p.stdout.readline() == b"ready\n"
    time.sleep(0.2)
    p.send_signal(signal.SIGINT)
    out, _ = p.communicate(timeout=30)
    assert out == b"got signal 2\n" and p.returncode == 3


def test_sigterm_from_outside_kills_with_default_action():
    import signal
    import time
    p = _start(["-e", "trace=none", "/bin/sleep", "30"])
    time.sleep(1.0)
    p.send_signal(signal.SIGTERM)
    p.communicate(timeout=30)
    assert p.returncode == 128 + 15


def test_kill_from_outside_is_traced_with_sender():
    import os as _os
    import signal
    import time
    p = _start(["-e", "trace=none", "/bin/sleep", "30"])
    time.sleep(1.0)
    _os.kill(p.pid, signal.SIGTERM)
    _, err = p.communicate(timeout=30)
    assert f"--- SIGTERM {{si_signo=SIGTERM, si_code=SI_USER, si_pid={_os.getpid()}, ".encode() in err
    assert b"+++ killed by SIGTERM +++" in err


# --- threads -------------------------------------------------------------------------------------
@pytest.mark.parametrize("ld", ["python", "system"])
def test_threads_match_native(examples, ld):
    want = native(str(examples["threads"]))
    got = pyloader("run", f"--ld={ld}", "-e", "trace=none", str(examples["threads"]))
    assert got.stdout == want.stdout
    assert got.returncode == want.returncode == 0
    assert b"sum 499999500000, join values 10, tls 0 100 200 300, main tls 7" in got.stdout
    assert b"producer/consumer total 500500" in got.stdout
    assert b"spinner stopped" in got.stdout          # time slices let the setter run
    assert b"priority-inheritance mutex counter 60000" in got.stdout
    assert b"reader thread got the pipe's data: 1" in got.stdout
    assert b"reaper thread saw exit code 9" in got.stdout


@pytest.mark.parametrize("ld", ["python", "system"])
def test_cxx_threads_match_native(examples, ld):
    want = native(str(examples["cxx_threads"]))
    got = pyloader("run", f"--ld={ld}", "--timeout", "100", "-e", "trace=none",
                   str(examples["cxx_threads"]), timeout=150)
    assert got.returncode == want.returncode == 0, got.stderr.decode()[-1000:]
    assert got.stdout == want.stdout
    assert b"caught from async\natomic 40000\n" in got.stdout


@pytest.mark.parametrize("ld", ["python", "system"])
def test_pthread_cancel(examples, ld):
    got = pyloader("run", f"--ld={ld}", "-e", "trace=none", str(examples["threads"]), "cancel")
    assert (got.stdout, got.returncode) == (b"cancelled: 1\n", 0)


def test_thread_trace_follows_threads_with_f(examples):
    got = pyloader("run", "-f", "-e", "trace=clone3,exit,futex", str(examples["threads"]))
    text = got.stderr.decode()
    assert "clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|" in text
    assert re.search(r"=> \{parent_tid=\[(\d+)\]\}, 88\) = \1", text)
    assert re.search(r"\[pid +\d+\] exit\(0\) += \?", text)
    assert "<unfinished ...>" in text and "<... futex resumed>" in text
    # without -f only the main thread is traced, as strace does
    got = pyloader("run", "-e", "trace=exit,exit_group", str(examples["threads"]))
    assert "exit(0)" not in got.stderr.decode() and "exit_group(0)" in got.stderr.decode()


def test_deadlock_is_reported(tmp_path):
    from test_trace import build_c
    exe = build_c(tmp_path, "deadlock", '#include <pthread.h>\n'
                  'static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER;\n'
                  'static void *f(void *x){pthread_mutex_lock(&a); return 0;}\n'
                  'int main(void){pthread_t t; pthread_mutex_lock(&a);\n'
                  'pthread_create(&t, 0, f, 0); pthread_join(t, 0); return 0;}\n')
    got = pyloader("run", "-e", "trace=none", exe, timeout=60)
    assert got.returncode == 137
    assert b"pyloader: deadlock: all 2 guest threads are blocked" in got.stderr


def test_summary_with_f_counts_every_process():
    def counts(text):
        out = {}
        for ln in text.splitlines():
            f = ln.split()
            if len(f) >= 5 and f[-1] in ("execve", "clone", "wait4", "pipe2", "dup2"):
                out[f[-1]] = int(f[3])
        return out
    cmd = "ls / | wc -l; echo x"
    want = subprocess.run(["strace", "-c", "-f", "/bin/sh", "-c", cmd], capture_output=True,
                          text=True, check=False)
    got = pyloader("run", "-c", "-f", "/bin/sh", "-c", cmd)
    assert got.stdout.decode() == want.stdout
    theirs, ours = counts(want.stderr), counts(got.stderr.decode())
    assert theirs["execve"] == 3
    # how often the shell's wait4 is interrupted by SIGCHLD depends on timing, natively too
    assert ours.pop("wait4") >= 2 and theirs.pop("wait4") >= 2
    assert ours == theirs


def test_stop_and_continue_from_outside():
    import signal
    import time
    p = _start(["-e", "trace=none", "/bin/sh", "-c", "read x; sleep 1; echo done"],
               stdin=subprocess.PIPE)
    p.stdin.write(b"go\n")                  # answered once the guest runs: the shell, not
    p.stdin.flush()                         # Python's default action, stops
    time.sleep(0.5)
    p.send_signal(signal.SIGTSTP)           # default action: stop (the host process stops)
    deadline = time.time() + 10
    state = ""
    while time.time() < deadline:
        with open(f"/proc/{p.pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        if state == "T":
            break
        time.sleep(0.05)
    assert state == "T"
    p.send_signal(signal.SIGCONT)
    out, _ = p.communicate(timeout=30)
    assert out == b"done\n" and p.returncode == 0


def test_asynchronous_signals_stop_the_guest_exactly(examples):
    """Host signals arrive while the guest runs; stopping the emulator for them must not make
    an instruction run twice (Unicorn's uc_emu_stop from another thread would)."""
    got = pyloader("run", "-e", "trace=none", str(examples["signals"]), "timer-stress")
    assert (got.stdout, got.returncode) == (b"200 timer signals, no instruction run twice\n", 0)


def test_many_children_each_killed_by_a_signal(tmp_path):
    """Every forked guest keeps receiving its signals after earlier children ended (they share
    the signal descriptor's file description with the parent)."""
    from test_trace import build_c
    exe = build_c(tmp_path, "killkids", '#include <signal.h>\n#include <stdio.h>\n'
                  '#include <unistd.h>\n#include <sys/wait.h>\n'
                  'int main(void){int n=0; for(int i=0;i<10;i++){pid_t k=fork();\n'
                  'if(k==0){pause();_exit(0);} usleep(2000); kill(k,SIGTERM); int st;\n'
                  'waitpid(k,&st,0); n+=WIFSIGNALED(st)&&WTERMSIG(st)==SIGTERM;}\n'
                  'printf("%d killed\\n",n); return 0;}\n')
    got = pyloader("run", "-e", "trace=none", exe, timeout=60)
    assert (got.stdout, got.returncode) == (b"10 killed\n", 0)


def test_robust_mutex_of_an_exited_thread(tmp_path):
    """The robust list is walked when a thread exits: the next locker gets EOWNERDEAD."""
    from test_trace import build_c
    exe = build_c(tmp_path, "robust", '#include <pthread.h>\n#include <stdio.h>\n'
                  '#include <errno.h>\nstatic pthread_mutex_t m;\n'
                  'static void *holder(void *a){pthread_mutex_lock(&m); return NULL;}\n'
                  'int main(void){pthread_mutexattr_t at; pthread_mutexattr_init(&at);\n'
                  'pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_ROBUST);\n'
                  'pthread_mutex_init(&m, &at); pthread_t t;\n'
                  'pthread_create(&t, NULL, holder, NULL); pthread_join(t, NULL);\n'
                  'int r = pthread_mutex_lock(&m); printf("%s\\n", r == EOWNERDEAD ?\n'
                  '"EOWNERDEAD" : "other"); return 0;}\n')
    want = native(exe)
    for ld in ("python", "system"):
        got = pyloader("run", f"--ld={ld}", "-e", "trace=none", exe, timeout=60)
        assert got.stdout == want.stdout == b"EOWNERDEAD\n"


PY_THREADS = """
import threading, queue, concurrent.futures, time, subprocess, selectors, socket
q = queue.Queue()
def worker(n):
    q.put((n, sum(i * i for i in range(20000 * n))))
ts = [threading.Thread(target=worker, args=(i,)) for i in range(1, 5)]
[t.start() for t in ts]; [t.join() for t in ts]
print(sorted(q.get() for _ in range(4)))
with concurrent.futures.ThreadPoolExecutor(4) as ex:
    print(list(ex.map(lambda x: x * 2, range(8))))
ev = threading.Event()
threading.Timer(0.1, ev.set).start()
print("event", ev.wait(5))
a, b = socket.socketpair()
sel = selectors.DefaultSelector(); sel.register(a, selectors.EVENT_READ)
threading.Thread(target=lambda: (time.sleep(0.05), b.send(b"hi"))).start()
print("epoll", [k.fileobj is a for k, _ in sel.select(5)], a.recv(2))
print(subprocess.run(["echo", "child"], capture_output=True).stdout)
"""


def test_python_threads_queues_timers_and_epoll():
    """A real interpreter's threads: queue, thread pool, Timer, an epoll selector woken by
    another thread, and a subprocess."""
    want = native("/usr/bin/python3", "-c", PY_THREADS)
    got = pyloader("run", "--timeout", "200", "-e", "trace=none", "/usr/bin/python3", "-c",
                   PY_THREADS, timeout=300)
    assert got.returncode == want.returncode == 0, got.stderr.decode()[-2000:]
    assert got.stdout == want.stdout
    assert b"epoll [True] b'hi'" in got.stdout


BASH_JOBS = r"""
sleep 0.2 & pid=$!
echo started
wait $pid; echo "waited $?"
trap 'echo got USR1' USR1
( sleep 0.1; kill -USR1 $$ ) &
sleep 0.5
wait
echo "procsub: $(cat <(echo inner))"
timeout 0.2 sleep 5; echo "timeout rc $?"
printf '%s\n' 1 2 3 4 | xargs -P 2 -n 1 echo x | sort
read -t 0.1 line < <(sleep 1); echo "read rc $?"
echo "stdin: $(cat /dev/stdin < /etc/hostname) fd: $(readlink /dev/fd/0 < /etc/hostname)"
"""


def test_bash_jobs_traps_and_process_substitution(tmp_path):
    """Background jobs and wait, a trap run by a signal from a subshell, <(...) through
    /dev/fd/N, timeout(1), xargs -P, read -t (SIGALRM), /dev/stdin."""
    script = tmp_path / "jobs.sh"
    script.write_text(BASH_JOBS)
    want = native("/bin/bash", str(script))
    got = pyloader("run", "--timeout", "100", "-e", "trace=none", "/bin/bash", str(script),
                   timeout=150)
    assert got.returncode == want.returncode == 0, got.stderr.decode()[-1000:]
    assert got.stdout == want.stdout
    assert b"procsub: inner\n" in got.stdout and b"read rc 142\n" in got.stdout


def test_task_name_is_the_guests():
    """exec names the task after the program (PR_SET_NAME renames it): /proc/self/comm,
    /proc/self/status and ps show the guest's name, not python3."""
    got = pyloader("run", "-e", "trace=none", "/bin/sh", "-c",
                   "cat /proc/self/comm; grep ^Name: /proc/self/status; ps -o comm= -p $$")
    assert got.stdout == b"cat\nName:\tgrep\nsh\n"
    script = "import ctypes; ctypes.CDLL(None).prctl(15, b'renamed', 0, 0, 0); " \
             "print(open('/proc/self/comm').read().strip())"
    got = pyloader("run", "-e", "trace=none", "/usr/bin/python3", "-c", script)
    assert got.stdout == b"renamed\n"


@pytest.mark.parametrize("ld", ["python", "system"])
def test_processes_synchronise_through_shared_memory(examples, ld):
    """A process-shared mutex and condition variable in a MAP_SHARED page after fork, a
    named semaphore and POSIX shared memory: the futex words are the host's, and the two
    emulators never interleave an atomic instruction (40000 contended increments)."""
    for _ in range(3):
        got = pyloader("run", f"--ld={ld}", "--timeout", "60", "-e", "trace=none",
                       str(examples["shared_sync"]), timeout=120)
        assert got.returncode == 0, got.stderr.decode()[-1000:]
        assert got.stdout == native(str(examples["shared_sync"])).stdout
    assert got.stdout.startswith(b"counter 40000 ")


PY_MULTIPROCESSING = """
import multiprocessing as mp
def work(q, lock, n):
    with lock:
        q.put(n * n)
def inc(v):
    for _ in range(200):
        with v.get_lock():
            v.value += 1
if __name__ == "__main__":
    mp.set_start_method("fork")
    q, lock = mp.Queue(), mp.Lock()
    ps = [mp.Process(target=work, args=(q, lock, i)) for i in range(4)]
    [p.start() for p in ps]; [p.join() for p in ps]
    print(sorted(q.get() for _ in range(4)))
    with mp.Pool(2) as pool:
        print(pool.map(abs, [-1, -2, -3]))
    v = mp.Value("i", 0)
    ps = [mp.Process(target=inc, args=(v,)) for _ in range(3)]
    [p.start() for p in ps]; [p.join() for p in ps]
    print(v.value)
"""


def test_python_multiprocessing(tmp_path):
    """Queues, locks, a pool and a shared Value: POSIX semaphores in /dev/shm between
    forked interpreters (each with a second thread: the GIL's timed waits)."""
    script = tmp_path / "mp.py"
    script.write_text(PY_MULTIPROCESSING)
    want = native("/usr/bin/python3", str(script))
    got = pyloader("run", "--timeout", "200", "-e", "trace=none", "/usr/bin/python3",
                   str(script), timeout=300)
    assert got.returncode == want.returncode == 0, got.stderr.decode()[-1000:]
    assert got.stdout == want.stdout == b"[0, 1, 4, 9]\n[1, 2, 3]\n600\n"
