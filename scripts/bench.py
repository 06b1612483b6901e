#!/usr/bin/env python3
"""Benchmark pyloader against native execution, strace and qemu-x86_64.

Usage::

    python3 scripts/bench.py [--repeat N] [--only NAME] [--json FILE] [--strict]

The examples are compiled with gcc into a temporary directory, then every
workload is run by every runner and timed (wall clock, ``time.perf_counter``
around ``subprocess.run``, so process start-up is included):

runners
    native; ``strace -f -o FILE``; ``qemu-x86_64`` (if installed);
    ``python3 -m pyloader run -o FILE`` (trace on, to a file) and
    ``python3 -m pyloader run -e trace=none`` (trace off); for the dynamic
    hello and the C++ program (examples/cxx_demo.cpp, cxx-dyn) also pyloader with
    ``--ld=python`` and ``--ld=system`` explicitly (start-up of the two linkers).
workloads
    hello-dyn / hello-static (examples/hello_name.c), cpu (examples/cpu_bound.c
    -O2, N=20000000), syscall-heavy (examples/syscall_heavy.c -O2, 20000 writes to
    /dev/null), ls (``/bin/ls /usr/include``), syscall-0 / syscall-200k
    (syscall_heavy with N=0 and N=200000) for the per-syscall cost, and threads-5k
    (examples/pingpong.c: 5000 futex round trips between two threads), and the
    engine workloads: xz (``xz -6 -c`` of 3 MB of generated text), python3-re
    (``python3 -c 'import re'``), sqlite3 (10,000 inserts in one transaction into a
    new database) with cpu and hello-static, each also on both Unicorn libraries
    (``PYLOADER_ENGINE=stock`` and ``=fast``, pyloader/engine.py; the library each one
    loaded is printed above the table).

Each runner is run once untimed (warm-up, and to find the runs that fail) and
then ``--repeat`` times, round robin, so slow drift affects all rows alike.
The table shows medians and ratios against native and against qemu; the
target checks after it are informational unless ``--strict`` is given, in
which case any FAIL makes the exit status 1.  Standard library only.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"

# `python3 -m pyloader` that works from any cwd and leaves os.environ alone
# (pyloader hands its own environment to the guest, so PYTHONPATH would leak).
_BOOT = ("import runpy, sys; sys.path.insert(0, {repo!r}); "
         "runpy.run_module('pyloader', run_name='__main__', alter_sys=True)")

SYSCOST_N = 200_000          # writes in the per-syscall cost measurement
HEAVY_N = 20_000             # writes in the syscall-heavy workload
PINGPONG_N = 5_000           # round trips (two thread switches each) in the threads workload
CPU_N = 20_000_000           # the sieve's size and the LCG's steps in the cpu workload


def pyloader_command(extra: list[str]) -> list[str]:
    """The argv prefix that runs `python3 -m pyloader run EXTRA`."""
    return [sys.executable, "-c", _BOOT.format(repo=str(REPO)), "run", *extra]


# ---------------------------------------------------------------- building

SOURCES = {  # binary name: (source, gcc flags)
    "hello_name": ("hello_name.c", []),
    "hello_name_static": ("hello_name.c", ["-static"]),
    "cpu_bound": ("cpu_bound.c", ["-O2"]),
    "syscall_heavy": ("syscall_heavy.c", ["-O2"]),
    "cxx_demo": ("cxx_demo.cpp", ["-O1"]),
    "pingpong": ("pingpong.c", ["-O2", "-pthread"]),
}


def build(outdir: str) -> dict[str, str | None]:
    """Compile the examples; a binary that does not build maps to None."""
    built: dict[str, str | None] = {}
    for name, (src, flags) in SOURCES.items():
        out = os.path.join(outdir, name)
        cc = "g++" if src.endswith(".cpp") else "gcc"
        p = subprocess.run([cc, "-w", *flags, "-o", out, str(EXAMPLES / src)],
                           capture_output=True, text=True, check=False)
        if p.returncode != 0:
            print(f"bench: cannot build {name}: {p.stderr.strip().splitlines()[-1:]}",
                  file=sys.stderr)
        built[name] = out if p.returncode == 0 else None
    return built


# ---------------------------------------------------------------- model

@dataclass
class Workload:
    name: str
    argv: list[str]
    runners: list[str]               # runner keys, in table order


@dataclass
class Result:
    times: list[float] = field(default_factory=list)
    error: str | None = None

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) if self.times and not self.error else None


RUNNER_LABELS = {
    "native": "native",
    "strace": "strace -f -o FILE",
    "qemu": "qemu-x86_64",
    "py-trace": "pyloader, trace to FILE",
    "py-notrace": "pyloader, trace off",
    "py-trace-ldpy": "pyloader, trace to FILE, --ld=python",
    "py-notrace-ldpy": "pyloader, trace off, --ld=python",
    "py-notrace-ldsys": "pyloader, trace off, --ld=system",
    "py-stock": "pyloader, trace off, stock engine",
    "py-fast": "pyloader, trace off, fast engine",
}
ENGINE_ENV = {"py-stock": "stock", "py-fast": "fast"}      # runner: PYLOADER_ENGINE
ENGINES = ["qemu", "py-stock", "py-fast"]
ALL = ["native", "strace", "qemu", "py-trace", "py-notrace"]


def command(runner: str, argv: list[str], trace_file: str) -> list[str]:
    """The full command line that runs ARGV under RUNNER."""
    if runner == "native":
        return argv
    if runner == "strace":
        return ["strace", "-f", "-o", trace_file, "--", *argv]
    if runner == "qemu":
        return ["qemu-x86_64", *argv]
    ld = ["--ld=python"] if runner.endswith("-ldpy") else \
        ["--ld=system"] if runner.endswith("-ldsys") else []
    if runner.startswith("py-trace"):
        return pyloader_command(["-o", trace_file, *ld, "--", *argv])
    if runner in ENGINE_ENV:
        return ["env", f"PYLOADER_ENGINE={ENGINE_ENV[runner]}",
                *pyloader_command(["-e", "trace=none", "--", *argv])]
    return pyloader_command(["-e", "trace=none", *ld, "--", *argv])


XZ_BYTES = 3_000_000         # the xz workload's input
SQLITE_N = 10_000            # rows inserted in the sqlite3 workload


def make_inputs(outdir: str) -> dict[str, str]:
    """The engine workloads' inputs: 3 MB of text xz can compress (words drawn with a
    fixed seed, so every run compresses the same bytes) and sqlite3's SQL script."""
    import random
    rng = random.Random(13)
    words = [bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9)))
             for _ in range(5000)]
    text = bytearray()
    while len(text) < XZ_BYTES:
        text += b" ".join(rng.choices(words, k=12)) + b"\n"
    xz_in = os.path.join(outdir, "words.txt")
    Path(xz_in).write_bytes(bytes(text[:XZ_BYTES]))
    sql = os.path.join(outdir, "insert.sql")
    with open(sql, "w") as f:
        f.write("DROP TABLE IF EXISTS t;\nCREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, n INTEGER);\nBEGIN;\n")
        f.writelines(f"INSERT INTO t(name, n) VALUES ('row{i}', {i * 7 % 1000});\n"
                     for i in range(SQLITE_N))
        f.write("COMMIT;\nSELECT count(*), sum(n) FROM t;\n")
    return {"xz": xz_in, "sql": sql, "db": os.path.join(outdir, "bench.db")}


def workloads(bins: dict[str, str | None], inputs: dict[str, str]) -> list[Workload]:
    hello, static = bins["hello_name"], bins["hello_name_static"]
    cpu, heavy = bins["cpu_bound"], bins["syscall_heavy"]
    wl = [
        Workload("hello-dyn", [hello, "bench"] if hello else [],
                 ALL + ["py-notrace-ldpy", "py-notrace-ldsys", "py-trace-ldpy"]),
        Workload("cxx-dyn", [bins["cxx_demo"]] if bins["cxx_demo"] else [],
                 ["native", "py-notrace-ldpy", "py-notrace-ldsys"]),
        Workload("hello-static", [static, "bench"] if static else [], ALL + ENGINES[1:]),
        # 20M: long enough that the emulator's speed, not start-up, is measured (qemu ~0.7 s)
        Workload("cpu", [cpu, str(CPU_N)] if cpu else [], ALL + ENGINES[1:]),
        Workload("xz", [shutil.which("xz") or "xz", "-6", "-c", inputs["xz"]]
                 if shutil.which("xz") else [], ["native"] + ENGINES),
        Workload("python3-re", [sys.executable, "-c", "import re"], ["native"] + ENGINES),
        # -init runs the script (which drops the table first), then stdin (/dev/null) ends it
        Workload("sqlite3", [shutil.which("sqlite3") or "sqlite3", "-init", inputs["sql"],
                             inputs["db"]] if shutil.which("sqlite3") else [],
                 ["native"] + ENGINES),
        Workload("syscall-heavy", [heavy, str(HEAVY_N)] if heavy else [], ALL),
        Workload("ls", ["/bin/ls", "/usr/include"], ALL),
        Workload("syscall-0", [heavy, "0"] if heavy else [],
                 ["native", "py-trace", "py-notrace"]),
        Workload(f"syscall-{SYSCOST_N // 1000}k", [heavy, str(SYSCOST_N)] if heavy else [],
                 ["native", "py-trace", "py-notrace"]),
        # two threads handing a token through futexes: thread switches and wake-ups
        # (scripts/bench_threads.py prints the cost of one round trip itself)
        Workload(f"threads-{PINGPONG_N // 1000}k", [bins["pingpong"], str(PINGPONG_N)]
                 if bins["pingpong"] else [], ALL),
    ]
    return wl


# ---------------------------------------------------------------- running

def run_once(cmd: list[str], timeout: float) -> tuple[float, int | None, str]:
    """Run CMD with stdout to /dev/null; return (seconds, exit status, stderr tail)."""
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return time.perf_counter() - t0, None, f"timed out after {timeout:g} s"
    except OSError as e:
        return 0.0, None, str(e)
    elapsed = time.perf_counter() - t0
    lines = p.stderr.decode(errors="replace").strip().splitlines()
    return elapsed, p.returncode, (lines[-1] if lines else "")


def bench_workload(wl: Workload, runners: list[str], repeat: int, warmup: int,
                   timeout: float, tmp: str) -> dict[str, Result]:
    """Warm up each runner (dropping those that fail), then time them round robin."""
    results = {r: Result() for r in runners}
    trace_file = os.path.join(tmp, "trace.out")
    expected: int | None = None
    for r in runners:                     # native first: its exit status is the reference
        progress(f"{wl.name}: {RUNNER_LABELS[r]} ...")
        for _ in range(max(warmup, 1)):
            _, rc, err = run_once(command(r, wl.argv, trace_file), timeout)
            if r == "native":
                expected = rc
            if rc is None or rc != expected:
                status = "no exit status" if rc is None else f"exit {rc}, native {expected}"
                err = err.removeprefix("pyloader: ")
                results[r].error = f"{status}: {err}" if err else status
                break
    live = [r for r in runners if not results[r].error]
    for _ in range(repeat):
        for r in live:
            if results[r].error:
                continue
            elapsed, rc, err = run_once(command(r, wl.argv, trace_file), timeout)
            if rc != expected:
                results[r].error = f"exit {rc} on a later run: {err}"
            else:
                results[r].times.append(elapsed)
    if os.path.exists(trace_file):
        os.unlink(trace_file)
    progress("")
    return results


def progress(text: str) -> None:
    """One status line on stderr: rewritten in place on a terminal, else appended."""
    if sys.stderr.isatty():
        print(f"\r\033[K{text}", end="", file=sys.stderr, flush=True)
    elif text:
        print(text, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- reporting

def fmt_time(t: float | None) -> str:
    if t is None:
        return "n/a"
    return f"{t * 1000:.1f} ms" if t < 1 else f"{t:.2f} s"


def fmt_ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}x" if a is not None and b else "-"


def print_table(all_results: dict[str, dict[str, Result]]) -> None:
    print(f"{'workload':<14} {'runner':<38} {'median':>10} {'vs native':>10} {'vs qemu':>9}")
    print("-" * 85)
    for wname, res in all_results.items():
        native = res["native"].median if "native" in res else None
        qemu = res["qemu"].median if "qemu" in res else None
        for k, (r, result) in enumerate(res.items()):
            label = wname if k == 0 else ""
            if result.error:
                err = result.error if len(result.error) <= 70 else result.error[:67] + "..."
                print(f"{label:<14} {RUNNER_LABELS[r]:<38} {'n/a':>10}   {err}")
                continue
            m = result.median
            print(f"{label:<14} {RUNNER_LABELS[r]:<38} {fmt_time(m):>10} "
                  f"{fmt_ratio(m, native):>10} {fmt_ratio(m, qemu):>9}")
        print()


@dataclass
class Check:
    status: str                      # PASS, FAIL, SKIP or INFO
    text: str
    value: float | None = None


def median_of(res: dict[str, dict[str, Result]], wl: str, runner: str) -> float | None:
    r = res.get(wl, {}).get(runner)
    return r.median if r else None


def verdict(ok: bool | None) -> str:
    return "SKIP" if ok is None else ("PASS" if ok else "FAIL")


def ratio_check(res: dict[str, dict[str, Result]], wl: str, runner: str, ref: str,
                limit: float, text: str) -> Check:
    """PASS when RUNNER's median on WL is at most LIMIT times REF's."""
    got, base = median_of(res, wl, runner), median_of(res, wl, ref)
    ratio = got / base if got and base else None
    return Check(verdict(None if ratio is None else ratio <= limit),
                 f"{text}: " + (f"{ratio:.2f}x ({fmt_time(got)} vs {fmt_time(base)})"
                                if ratio else "n/a"), ratio)


def checks(res: dict[str, dict[str, Result]]) -> list[Check]:
    out: list[Check] = []

    hello = median_of(res, "hello-dyn", "py-notrace")
    out.append(Check(verdict(None if hello is None else hello < 0.100),
                     f"dynamic hello end to end under 100 ms (pyloader, trace off): "
                     f"{fmt_time(hello)}", hello))

    py, st = median_of(res, "syscall-heavy", "py-trace"), median_of(res, "syscall-heavy", "strace")
    speedup = st / py if py and st else None
    out.append(Check(verdict(None if speedup is None else speedup >= 5),
                     "syscall-heavy traced to a file at least 5x faster than strace -f: "
                     + (f"{speedup:.2f}x (pyloader {fmt_time(py)}, strace {fmt_time(st)})"
                        if speedup else "n/a"), speedup))

    big = f"syscall-{SYSCOST_N // 1000}k"
    for runner, what, target in (("py-notrace", "trace off", 3.0), ("py-trace", "traced", None)):
        hi, lo = median_of(res, big, runner), median_of(res, "syscall-0", runner)
        us = (hi - lo) / SYSCOST_N * 1e6 if hi is not None and lo is not None else None
        text = (f"per-syscall round-trip cost, {what}: "
                + (f"{us:.2f} us" if us is not None else "n/a")
                + (f" (target < {target:g} us)" if target else ""))
        status = verdict(None if us is None else us < target) if target else (
            "INFO" if us is not None else "SKIP")
        out.append(Check(status, text, us))

    out.append(ratio_check(res, "cpu", "py-notrace", "qemu", 2.5,
                           "CPU-bound within 2.5x of qemu-x86_64 (pyloader, trace off)"))
    # the fast engine: within 2.5x of qemu where the emulator's speed is what is measured,
    # and no workload slower than on the stock engine (5%: the noise of a median of a few
    # runs on a shared machine)
    for wl in ("xz", "cpu", "python3-re"):
        out.append(ratio_check(res, wl, "py-fast", "qemu", 2.5,
                               f"{wl} on the fast engine within 2.5x of qemu-x86_64"))
    for wl in ("xz", "cpu", "python3-re", "sqlite3", "hello-static"):
        out.append(ratio_check(res, wl, "py-fast", "py-stock", 1.05,
                               f"{wl}: fast engine no slower than stock"))

    for wl in ("hello-dyn", "cxx-dyn"):      # the Python ld.so reaches main no slower
        sysld = median_of(res, wl, "py-notrace-ldsys")
        pyld = median_of(res, wl, "py-notrace-ldpy")
        out.append(Check(verdict(None if pyld is None or sysld is None else pyld <= sysld),
                         f"{wl}, trace off: --ld=python {fmt_time(pyld)} no slower than "
                         f"--ld=system {fmt_time(sysld)}", pyld))
    return out


# ---------------------------------------------------------------- main

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Time pyloader against native, strace and qemu.")
    p.add_argument("--repeat", type=int, default=5, metavar="N",
                   help="timed runs per cell; the median is reported (default 5)")
    p.add_argument("--warmup", type=int, default=1, metavar="N",
                   help="untimed runs per cell before timing (default 1)")
    p.add_argument("--only", action="append", metavar="NAME",
                   help="run only workloads whose name contains NAME (repeatable; "
                        "names: hello-dyn cxx-dyn hello-static cpu syscall-heavy ls syscall-0 "
                        "syscall-200k threads-5k xz python3-re sqlite3; 'syscost' selects "
                        "syscall-0 and syscall-200k)")
    p.add_argument("--json", metavar="FILE", help="also write the results to FILE as JSON")
    p.add_argument("--timeout", type=float, default=30, metavar="SECONDS",
                   help="give up on a single run after SECONDS (default 30)")
    p.add_argument("--strict", action="store_true", help="exit with status 1 if a check FAILs")
    return p.parse_args(argv)


def engine_library(name: str) -> str:
    """The Unicorn library PYLOADER_ENGINE=NAME loads, as `pyloader engine` says it."""
    p = subprocess.run(["env", f"PYLOADER_ENGINE={name}", sys.executable, "-c",
                        _BOOT.format(repo=str(REPO)), "engine"],
                       capture_output=True, text=True, check=False)
    lines = dict(line.split(": ", 1) for line in p.stdout.splitlines() if ": " in line)
    if "library" not in lines:
        out = (p.stdout + p.stderr).strip().splitlines()
        return out[-1] if out else "(not available)"
    return f"{lines['library']} ({lines.get('store', '?')})"


def selected(name: str, only: list[str] | None) -> bool:
    if not only:
        return True
    return any(o in name or (o == "syscost" and name.startswith("syscall-") and
                             name != "syscall-heavy") for o in only)


def main(argv: list[str] | None = None) -> int:
    a = parse_args(argv)
    if shutil.which("gcc") is None:
        print("bench: gcc is needed to build the examples", file=sys.stderr)
        return 2
    available = {"strace": shutil.which("strace"), "qemu": shutil.which("qemu-x86_64")}
    for key, path in available.items():
        if path is None:
            print(f"bench: {'qemu-x86_64' if key == 'qemu' else key} not found; "
                  f"its rows are skipped", file=sys.stderr)

    # an installed package runs from bytecode (pip compiles it); a checkout run with
    # PYTHONDONTWRITEBYTECODE=1 would compile every module again in every timed run
    import compileall
    for pkg in ("pyloader", "syscalls"):
        compileall.compile_dir(str(REPO / pkg), quiet=1)

    all_results: dict[str, dict[str, Result]] = {}
    t_start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="pyloader-bench.") as tmp:
        bins = build(tmp)
        for wl in workloads(bins, make_inputs(tmp)):
            if not selected(wl.name, a.only):
                continue
            runners = [r for r in wl.runners if available.get(r, "yes")]
            if not wl.argv:
                all_results[wl.name] = {r: Result(error="not built") for r in runners}
                continue
            all_results[wl.name] = bench_workload(wl, runners, a.repeat, a.warmup,
                                                  a.timeout, tmp)
    total = time.perf_counter() - t_start

    print()
    print(f"pyloader benchmark: {platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, median of {a.repeat} run(s), "
          f"wall time incl. process start-up; pyloader rows use the default --ld=python "
          f"unless stated")
    print()
    for runner, name in ENGINE_ENV.items():
        print(f"{RUNNER_LABELS[runner]}: {engine_library(name)}")
    print()
    print_table(all_results)
    results = checks(all_results)
    for c in results:
        print(f"{c.status}  {c.text}")
    print(f"\n(benchmark took {total:.0f} s)")

    if a.json:
        doc = {
            "machine": platform.machine(), "cpus": os.cpu_count(),
            "python": platform.python_version(), "repeat": a.repeat,
            "results": {w: {r: {"label": RUNNER_LABELS[r], "median_s": x.median,
                                "times_s": x.times, "error": x.error}
                            for r, x in res.items()}
                        for w, res in all_results.items()},
            "checks": [{"status": c.status, "text": c.text, "value": c.value} for c in results],
        }
        Path(a.json).write_text(json.dumps(doc, indent=2) + "\n")
    return 1 if a.strict and any(c.status == "FAIL" for c in results) else 0


if __name__ == "__main__":
    sys.exit(main())
