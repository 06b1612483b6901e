"""The emulator under the guest: translated code must follow the code in memory whatever
writes it, a faulting store stops the CPU at that store, --tlb=auto must pick the faster TLB
mode without changing what runs, and `pyloader engine` says (and builds) the library.

The whole suite runs on the engine PYLOADER_ENGINE selects; .ci/run runs it on both."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap

import pytest
from conftest import ROOT, native, pyloader

from pyloader import engine, engine_build
from pyloader.cpu import TlbAuto


@pytest.mark.parametrize("tlb", ["cpu", "virtual", "auto"])
def test_self_modifying_code(examples, tlb):
    """examples/jit.c rewrites a function with stores (RWX), under W^X (mprotect), and with
    read() into the mapping, mapped anew or not: every call returns what was written last."""
    exe = str(examples["jit"])
    want = native(exe, "2000000", "20000")
    got = pyloader("run", f"--tlb={tlb}", "-e", "trace=none", exe, "2000000", "20000")
    assert want.returncode == got.returncode == 0, got.stdout + got.stderr
    assert got.stdout == want.stdout


def test_tlb_auto_switches_while_computing(examples, tmp_path):
    """After a quiet stretch of stores the process runs in virtual mode (its TLB flushed to
    grow), and the code rewritten afterwards is still followed."""
    script = tmp_path / "auto.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from pyloader.process import Process
        p = Process([{str(examples["jit"])!r}, "40000000", "20000"], tlb="auto")
        ex = p.run()
        print("status", ex.status, [w for _, w in p.tlb_auto.decisions], file=sys.stderr)
    """))
    got = subprocess.run([sys.executable, str(script)], check=False, capture_output=True,
                         timeout=300)
    want = native(str(examples["jit"]), "40000000", "20000")
    assert got.stdout == want.stdout, got.stderr
    if engine.chosen == "fast":     # cpu mode only, its TLB grown by flushes
        assert b"status 0 ['flush', 'flush', 'flush', 'flush'" in got.stderr
        assert b"virtual" not in got.stderr
    else:
        assert b"status 0 ['virtual', 'flush', 'flush', 'flush'" in got.stderr


def ticks(auto: TlbAuto, rates, syscalls=False, start=0.0):
    """Feed the policy ticks of the given rates; returns the requests made."""
    out = []
    for i, rate in enumerate(rates):
        out.append(auto.step(start + i * auto.TICK, rate, syscalls, True))
    return out


def test_tlb_auto_policy():
    """The decisions, tick by tick: a trial after QUIET quiet ticks, kept when faster, given
    up when not (and then tried twice as late), left when system calls come back."""
    a = TlbAuto(proc=None)
    # quiet cpu-mode computing at 100 blocks/s; virtual mode then does 300: kept, and its
    # TLB flushed 1, 2, 3 and 6 ticks after it was entered
    got = ticks(a, [100] * 4 + [300] * 6)
    assert got == [None] * 3 + ["virtual", "flush", "flush", "flush", None, None, "flush"]
    assert a.mode == "virtual"
    # system calls for QUIET ticks: back to cpu mode
    got = ticks(a, [300] * 4, syscalls=True, start=1.0)
    assert got == [None, None, None, "cpu"] and a.mode == "cpu"
    # the next trial comes a second later; virtual mode is slower this time: back, and the
    # trial after that waits two seconds
    got = ticks(a, [100] * 30, start=2.2)
    assert got[:9] == [None] * 3 + ["virtual", "flush", "flush", "flush", None, "cpu"]
    assert a.mode == "cpu" and a.interval == 2.0 and "virtual" not in got[9:]
    # a trial whose phase ends (a system call) goes back at once
    b = TlbAuto(proc=None)
    got = ticks(b, [100] * 5) + [b.step(0.3, 100, True, True)]
    assert got[3:] == ["virtual", "flush", "cpu"]
    # idle (blocked, few blocks executed) is not computing: no trial
    c = TlbAuto(proc=None)
    assert [c.step(i * 0.05, 5, False, False) for i in range(20)] == [None] * 20


def test_tlb_auto_policy_fast_engine():
    """With stores on the fast path there is no trial: cpu mode throughout, the TLB flushed
    (to grow) after 1, 2, 3, 6, 12, 24 ticks, computing or not."""
    a = TlbAuto(proc=None, trials=False)
    got = ticks(a, [100] * 30)
    assert [i + 1 for i, w in enumerate(got) if w] == [1, 2, 3, 6, 12, 24]
    assert set(got) == {None, "flush"} and a.mode == "cpu"
    assert ticks(a, [5] * 30, syscalls=True, start=2.0).count("flush") == 1      # tick 48


@pytest.mark.parametrize("ld", ["python", "system"])
def test_faulting_store_is_precise(examples, ld):
    """A store to a read-only and to an unmapped page: the handler sees rip at the store and
    the store after it not yet made; returning retries the store (the fast engine no longer
    checks for an exit after every access, so its store helper must leave at once)."""
    exe = str(examples["precise_fault"])
    want = native(exe)
    got = pyloader("run", f"--ld={ld}", "-e", "trace=none", exe)
    assert want.returncode == got.returncode == 0, got.stderr
    assert got.stdout == want.stdout
    assert b"at the store, the next store not done" in got.stdout


def test_engine_command():
    """`pyloader engine` names the library the binding loaded and what a store costs there."""
    got = pyloader("engine")
    assert got.returncode == 0, got.stderr
    lines = dict(line.split(": ", 1) for line in got.stdout.decode().splitlines())
    assert lines["engine"].split()[0] == engine.chosen
    assert os.path.exists(lines["library"])
    stock = pyloader("engine", env={**os.environ, "PYLOADER_ENGINE": "stock"})
    slines = dict(line.split(": ", 1) for line in stock.stdout.decode().splitlines())
    assert slines["engine"].startswith("stock") and "/unicorn/lib/" in slines["library"]
    if engine.binding_version() == "2.1.4":         # the release this patch is for
        assert "soft-MMU slow path" in slines["store"]
    if engine.chosen == "fast":
        assert "fast path" in lines["store"] and "slow" not in lines["store"]
        assert lines["library"] != slines["library"]


def test_fast_engine_missing(tmp_path):
    """PYLOADER_ENGINE=fast without a build: one line and exit status 2, nothing run."""
    env = {**os.environ, "PYLOADER_ENGINE": "fast", "XDG_CACHE_HOME": str(tmp_path)}
    got = pyloader("run", "/bin/true", env=env)
    assert got.returncode == 2 and got.stdout == b""
    assert got.stderr.decode().splitlines() == [
        ("pyloader: PYLOADER_ENGINE=fast: no fast engine for unicorn "
         f"{engine.binding_version()}: run `pyloader engine build`")]
    assert pyloader("engine", env=env).returncode == 1


def test_engine_build_fails_in_one_line(tmp_path):
    """No cmake: the build says so in one line, exits 1, and the stock engine stays."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("patch", "cc"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    env = {**os.environ, "PYLOADER_ENGINE": "auto", "XDG_CACHE_HOME": str(tmp_path),
           "PATH": str(bin_dir)}
    got = pyloader("engine", "build", env=env)
    err = got.stderr.decode().splitlines()
    assert got.returncode == 1, got.stdout + got.stderr
    assert "cmake" in err[-1] and "the stock engine stays in use" in err[-1]
    assert not any("Traceback" in line for line in err)
    after = pyloader("engine", env=env)
    assert after.stdout.startswith(b"engine: stock")


def test_engine_build_skips_an_engine_that_is_already_fast(tmp_path):
    """An installed Unicorn whose stores are already fast (here: the binding pointed at the
    fast build by LIBUNICORN_PATH, with no pyloader cache): measured, and nothing is built."""
    version = engine.binding_version()
    where = engine.fast_dir(version) if version else None
    if not where or not os.path.exists(os.path.join(where, engine.LIBNAME)):
        pytest.skip("no fast engine built (pyloader engine build)")
    env = {**os.environ, "PYLOADER_ENGINE": "auto", "XDG_CACHE_HOME": str(tmp_path),
           "LIBUNICORN_PATH": where}
    got = pyloader("engine", "build", env=env)
    assert got.returncode == 0, got.stderr
    assert b"already stores on the fast path" in got.stdout and b"nothing to build" in got.stdout
    assert not (tmp_path / "pyloader").exists()


def test_engine_build_needs_a_patch(monkeypatch):
    monkeypatch.setattr(engine, "binding_version", lambda: "9.9.9")
    with pytest.raises(engine_build.BuildError, match=r"no patch for unicorn 9\.9\.9 "
                                                      r"\(only for: 2\.1\.4\)"):
        engine_build.build()


def test_engine_leaves_no_trace_in_the_guest_environment(examples):
    """LIBUNICORN_PATH points the binding at the fast build only while it loads."""
    got = pyloader("run", "-e", "trace=none", "/usr/bin/env")
    assert got.returncode == 0
    assert b"LIBUNICORN_PATH" not in got.stdout
