#!/usr/bin/env python3
"""Thread switching and futex wake latency: native, qemu-x86_64 and pyloader side by side.

Usage::

    python3 scripts/bench_threads.py [--rounds N] [--repeat K]

examples/pingpong.c hands a token between two threads through semaphores (futex WAIT and
WAKE): each round trip is two thread switches. It measures itself (CLOCK_MONOTONIC inside
the program) and prints the cost of one round trip and the latency from sem_post to the
woken thread running. pyloader runs guest threads one at a time on one emulated CPU, so
its wake latency includes the rest of the waker's run up to its next blocking call; native
and qemu run the two threads on two host CPUs. Standard library only.
"""
from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def measure(cmd: list[str]) -> tuple[float, float] | None:
    p = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=600)
    m = re.search(r"round trip ([\d.]+) us, wake latency ([\d.]+) us", p.stdout)
    return (float(m.group(1)), float(m.group(2))) if m else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        exe = str(Path(tmp) / "pingpong")
        subprocess.run(["gcc", "-O2", "-pthread", "-o", exe, str(REPO / "examples/pingpong.c")],
                       check=True)
        runners = {"native": [exe], "pyloader": [sys.executable, "-m", "pyloader", "run", "-e",
                                                 "trace=none", exe]}
        if shutil.which("qemu-x86_64"):
            runners["qemu-x86_64"] = ["qemu-x86_64", exe]
        results = {}
        for name, cmd in runners.items():
            got = [measure([*cmd, str(a.rounds)]) for _ in range(a.repeat)]
            got = [g for g in got if g]
            results[name] = (statistics.median(g[0] for g in got),
                             statistics.median(g[1] for g in got)) if got else None
    print(f"{'runner':<14}{'round trip (2 switches)':>26}{'wake latency':>16}")
    for name, r in results.items():
        print(f"{name:<14}" + (f"{r[0]:>23.2f} us{r[1]:>13.2f} us" if r else "   failed"))
    base = results.get("qemu-x86_64") or results.get("native")
    py = results.get("pyloader")
    if base and py:
        ref = "qemu-x86_64" if "qemu-x86_64" in results else "native"
        print(f"pyloader / {ref}: round trip {py[0] / base[0]:.1f}x, "
              f"wake latency {py[1] / base[1]:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
