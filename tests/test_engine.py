"""The emulator under the guest: translated code must follow the code in memory whatever
writes it, and --tlb=auto must pick the faster TLB mode without changing what runs."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from conftest import ROOT, native, pyloader

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
