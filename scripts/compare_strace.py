#!/usr/bin/env python3
"""Compare pyloader's syscall trace of a program with native strace's.

Usage::

    python3 scripts/compare_strace.py [options] [--] PROGRAM [ARGS...]

The program is run twice from the current directory with the same environment,
stdin from /dev/null and stdout/stderr captured (so both runs see the same kind
of descriptors, e.g. the same ``ioctl(1, TCGETS, ...)`` result):

* natively as ``strace -o TMP1 PROGRAM ARGS``
* emulated as ``python3 -m pyloader run -o TMP2 PROGRAM ARGS`` (the package is
  imported from this checkout, without touching the program's environment)

Both traces are normalised, aligned with ``difflib.SequenceMatcher`` and the
differing lines are listed; the last line is ``identical: K/N lines (P%)`` where
N is the number of native trace lines.

What is normalised, and why (everything else must match byte for byte):

* **Addresses**: any hex number with 6+ digits becomes ``ADDR``. ASLR makes
  native addresses differ from run to run anyway, and pyloader lays out memory
  differently (this also covers execve's envp pointer and rseq's signature).
* **Alignment padding**: strace pads ``= RESULT`` to column 40; padding depends
  on the length of the (address-bearing) call text, so runs of spaces before
  ``=`` collapse to one.
* **Environment size**: execve's ``/* N vars */`` differs when the Python
  interpreter adds or drops variables.
* **Process ids**: results of getpid/gettid/getppid/set_tid_address, the pid
  arguments of kill/tgkill/tkill and friends, ``si_pid=`` and ``[pid N]``
  prefixes: each run is a different process.
* **Clocks**: time-of-day results (clock_gettime, gettimeofday, time, times,
  sysinfo, getrusage), stat timestamps (``st_atime=``..., statx ``stx_*time``)
  and the ``-t``/``-r``/``-T`` timestamps if they were requested.
* **Sizes that legitimately vary**: ``st_size`` of anything that is not a
  regular file (directories, pipes, ttys, /proc files) and the ``st_blocks`` /
  ``st_ino`` / ``st_dev`` fields shown with ``-v``.
* **Randomness**: the bytes getrandom returns, and the inode numbers in
  ``pipe:[N]`` / ``socket:[N]`` (shown by ``-y``).

Exit status: 0, or 1 if ``--min`` is given and the share is below it, or 2 if
the comparison could not be made (e.g. strace is missing).
"""
from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# `python3 -m pyloader` that works from any cwd and leaves os.environ alone
# (pyloader hands its own environment to the guest, so PYTHONPATH would leak).
_BOOT = ("import runpy, sys; sys.path.insert(0, {repo!r}); "
         "runpy.run_module('pyloader', run_name='__main__', alter_sys=True)")


def pyloader_command(extra: list[str]) -> list[str]:
    """The argv prefix that runs `python3 -m pyloader run EXTRA`."""
    return [sys.executable, "-c", _BOOT.format(repo=str(REPO)), "run", *extra]


# ---------------------------------------------------------------- normalising

_HEX = re.compile(r"0x[0-9a-fA-F]{6,}")
_VARS = re.compile(r"/\* \d+ vars \*/")
_PAD = re.compile(r"\)\s{2,}= ")
_LEAD_STAMP = re.compile(r"^(\[pid\s+\d+\]\s+)?\d+(?::\d\d:\d\d)?(?:\.\d+)?\s+")
_PID_PREFIX = re.compile(r"^\[pid\s+\d+\]")
_DURATION = re.compile(r" <\d+\.\d+>$")
_RESULT = re.compile(r"= (-?\d+)(?=$| )")
_PID_RESULT = re.compile(r"^(getpid|gettid|getppid|set_tid_address)\(")
_PID_ARG = re.compile(r"^(kill|tkill|pidfd_open|sched_getaffinity|sched_setaffinity"
                      r"|prlimit64|getpgid|getsid)\((\d+)")
_TGKILL = re.compile(r"^tgkill\(\d+, \d+")
_SI_PID = re.compile(r"si_pid=\d+")
_CLOCK_CALLS = re.compile(r"^(clock_gettime|gettimeofday|time|times|sysinfo|getrusage)\(")
_NUMBER = re.compile(r"\b\d+\b")
_STAT_TIME = re.compile(r"\b(st_[amc]time(?:_nsec)?)=[^,}]*?(?= /\*|,|\})(?: /\* [^*]* \*/)?")
_STATX_TIME = re.compile(r"\b(stx_[abcm]time)=\{[^}]*\}(?: /\* [^*]* \*/)?")
_STAT_VOLATILE = re.compile(r"\b(st_blocks|st_blksize|st_ino|st_dev|stx_ino|stx_dev_major"
                            r"|stx_dev_minor|stx_blocks)=(?:makedev\([^)]*\)|[^,}]*)")
_ST_SIZE = re.compile(r"\bst_mode=(?P<mode>[^,]*), (?P<mid>[^{}]*?)st_size=\d+")
_STX_SIZE = re.compile(r"\bstx_mode=(?P<mode>[^,]*), (?P<mid>[^{}]*?)stx_size=\d+")
_GETRANDOM = re.compile(r'^getrandom\("(?:[^"\\]|\\.)*"(\.\.\.)?')
_KOBJ = re.compile(r"\b(pipe|socket):\[\d+\]")


def _unstable_size(m: re.Match) -> str:
    """st_size of non-regular files (dirs, pipes, ttys, procfs) is not ours to compare."""
    whole = m.group(0)
    if "S_IFREG" in m.group("mode"):
        return whole
    return whole.rpartition("=")[0] + "=SIZE"


def normalise(line: str) -> str:
    """Map one strace-format line to the form in which the two traces are compared."""
    s = line.rstrip("\n")
    s = _LEAD_STAMP.sub(lambda m: m.group(1) or "", s)     # -t / -tt / -ttt / -r
    s = _DURATION.sub("", s)                              # -T
    s = _PID_PREFIX.sub("[pid PID]", s)
    s = _HEX.sub("ADDR", s)
    s = _VARS.sub("/* N vars */", s)
    s = _PAD.sub(") = ", s)
    body = s.removeprefix("[pid PID] ")
    prefix = s[: len(s) - len(body)]

    if _PID_RESULT.match(body):
        body = _RESULT.sub("= PID", body)
    m = _PID_ARG.match(body)
    if m and m.group(2) != "0":                          # 0 means "myself": keep it
        body = m.group(1) + "(PID" + body[m.end():]
    body = _TGKILL.sub("tgkill(PID, PID", body)
    body = _SI_PID.sub("si_pid=PID", body)
    if _CLOCK_CALLS.match(body):
        name, _, rest = body.partition("(")
        args, sep, result = rest.rpartition(") = ")
        if not sep:                                      # unfinished / no result
            args, result = rest, ""
        if name in ("time", "times"):                   # these return the clock itself
            result = _NUMBER.sub("N", result.split(" ")[0], count=1)  # drop "(date)"
        body = name + "(" + _NUMBER.sub("N", args) + sep + result
    body = _STAT_TIME.sub(r"\1=TIME", body)
    body = _STATX_TIME.sub(r"\1=TIME", body)
    body = _STAT_VOLATILE.sub(r"\1=N", body)
    body = _ST_SIZE.sub(_unstable_size, body)
    body = _STX_SIZE.sub(_unstable_size, body)
    body = _GETRANDOM.sub(lambda m: 'getrandom("RANDOM"' + (m.group(1) or ""), body)
    body = _KOBJ.sub(lambda m: m.group(1) + ":[N]", body)
    return prefix + body


# ---------------------------------------------------------------- running

@dataclass
class Run:
    """One traced execution of the program."""
    label: str
    argv: list[str]
    returncode: int | None = None
    trace: list[str] = field(default_factory=list)
    stdout: bytes = b""
    stderr: bytes = b""
    error: str | None = None


def run_traced(label: str, argv: list[str], trace_file: str, timeout: float) -> Run:
    run = Run(label, argv)
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout,
                           check=False)
        run.returncode, run.stdout, run.stderr = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        run.error = f"timed out after {timeout:g} s"
        run.stdout, run.stderr = e.stdout or b"", e.stderr or b""
    except OSError as e:
        run.error = f"cannot run {argv[0]}: {e}"
        return run
    try:
        run.trace = Path(trace_file).read_text(errors="replace").splitlines()
    except OSError:
        run.error = run.error or "no trace file was written"
    return run


# ---------------------------------------------------------------- comparing

@dataclass
class Hunk:
    """One block of differences: native lines [i1, i2) against pyloader lines [j1, j2)."""
    i1: int
    i2: int
    j1: int
    j2: int
    native: list[str]
    pyloader: list[str]


def _runs(lines: list[str]) -> list[tuple[str, int, int]]:
    """Run-length encode: (line, first index, count) for each run of equal lines."""
    runs: list[tuple[str, int, int]] = []
    for i, line in enumerate(lines):
        if runs and runs[-1][0] == line:
            runs[-1] = (line, runs[-1][1], runs[-1][2] + 1)
        else:
            runs.append((line, i, 1))
    return runs


def compare(native: list[str], emulated: list[str]) -> tuple[int, list[Hunk]]:
    """Return (identical line count, differing hunks) of the normalised traces.

    SequenceMatcher is quadratic on long runs of equal lines (a loop of 20000
    identical writes takes a minute), so runs are collapsed first and aligned
    as units; a run matched against a shorter one counts the shorter length
    and reports the excess.  autojunk stays off: frequent lines must match too.
    """
    ra = _runs([normalise(x) for x in native])
    rb = _runs([normalise(x) for x in emulated])
    sm = difflib.SequenceMatcher(None, [r[0] for r in ra], [r[0] for r in rb], autojunk=False)
    same = 0
    hunks: list[Hunk] = []

    def hunk(i1: int, i2: int, j1: int, j2: int) -> None:
        if i1 == i2 and j1 == j2:
            return
        if hunks and (hunks[-1].i2, hunks[-1].j2) == (i1, j1):    # adjacent: merge
            prev = hunks.pop()
            i1, j1 = prev.i1, prev.j1
        hunks.append(Hunk(i1, i2, j1, j2, native[i1:i2], emulated[j1:j2]))

    def start(runs: list[tuple[str, int, int]], k: int, total: int) -> int:
        return runs[k][1] if k < len(runs) else total

    for tag, a1, a2, b1, b2 in sm.get_opcodes():
        if tag != "equal":
            hunk(start(ra, a1, len(native)), start(ra, a2, len(native)),
                 start(rb, b1, len(emulated)), start(rb, b2, len(emulated)))
            continue
        for (_, i, n), (_, j, m) in zip(ra[a1:a2], rb[b1:b2]):
            same += min(n, m)
            hunk(i + min(n, m), i + n, j + min(n, m), j + m)   # the longer run's excess
    return same, hunks


def print_hunks(hunks: list[Hunk], native: list[str], context: int, max_lines: int = 40,
                out=sys.stdout) -> None:
    """A unified-diff-like listing: '-' native only, '+' pyloader only, ' ' context."""
    for h in hunks:
        def span(lo: int, hi: int) -> str:
            return f"{lo + 1}-{hi}" if hi - lo > 1 else (f"{lo + 1}" if hi > lo else f"after {lo}")
        kind = ("differs" if h.native and h.pyloader else
                "missing in pyloader" if h.native else "extra in pyloader")
        print(f"@@ native {span(h.i1, h.i2)}, pyloader {span(h.j1, h.j2)}: {kind} @@", file=out)
        for line in native[max(0, h.i1 - context):h.i1]:
            print(f"  {line}", file=out)
        # Pair lines up so that each native line sits right above its counterpart.
        longest = max(len(h.native), len(h.pyloader))
        for k in range(min(longest, max_lines)):
            if k < len(h.native):
                print(f"- {h.native[k]}", file=out)
            if k < len(h.pyloader):
                print(f"+ {h.pyloader[k]}", file=out)
        if longest > max_lines:
            print(f"  ... {max(len(h.native) - max_lines, 0)} more native and "
                  f"{max(len(h.pyloader) - max_lines, 0)} more pyloader lines", file=out)
        for line in native[h.i2:h.i2 + context]:
            print(f"  {line}", file=out)


def _tail(data: bytes, lines: int = 8) -> str:
    text = data.decode(errors="replace").rstrip("\n").splitlines()
    return "\n".join(text[-lines:])


# ---------------------------------------------------------------- main

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Compare `strace PROGRAM` with `pyloader run PROGRAM`, line by line.",
        epilog="Use -- before PROGRAM if its arguments start with '-'.")
    p.add_argument("--pyloader-args", default="", metavar="ARGS",
                   help="extra options for pyloader, e.g. \"--ld=python\"")
    p.add_argument("--strace-args", default="", metavar="ARGS",
                   help="extra options for native strace, e.g. \"-v\"")
    p.add_argument("--both-args", default="", metavar="ARGS",
                   help="extra options for both tracers, e.g. \"-e trace=file -s 64\"")
    p.add_argument("--min", type=float, metavar="PERCENT",
                   help="exit with status 1 if fewer than PERCENT%% of the lines are identical")
    p.add_argument("--quiet", action="store_true", help="print only the summary line")
    p.add_argument("--json", action="store_true", help="print a JSON report instead")
    p.add_argument("--context", type=int, default=1, metavar="N",
                   help="identical native lines shown around each difference (default 1)")
    p.add_argument("--normalised", action="store_true",
                   help="show differing lines after normalisation instead of as traced")
    p.add_argument("--timeout", type=float, default=120, metavar="SECONDS",
                   help="give up on either run after SECONDS (default 120)")
    p.add_argument("--keep", metavar="DIR", help="keep both trace files in DIR")
    p.add_argument("program", metavar="PROGRAM")
    p.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS")
    # argparse refuses `--pyloader-args "--ld=python"` (the value looks like an
    # option), so glue such values on: `--pyloader-args=--ld=python`.
    argv = list(sys.argv[1:] if argv is None else argv)
    glued: list[str] = []
    it = iter(argv)
    for arg in it:
        if arg == "--":
            glued += [arg, *it]
        elif arg in ("--pyloader-args", "--strace-args", "--both-args"):
            glued.append(f"{arg}={next(it, '')}")
        else:
            glued.append(arg)
    return p.parse_args(glued)


def main(argv: list[str] | None = None) -> int:
    a = parse_args(argv)
    strace = shutil.which("strace")
    if strace is None:
        print("compare_strace: strace is not installed", file=sys.stderr)
        return 2
    both = shlex.split(a.both_args)
    target = [a.program, *a.args]

    with tempfile.TemporaryDirectory(prefix="compare_strace.") as tmp:
        t_native, t_emul = os.path.join(tmp, "native.trace"), os.path.join(tmp, "pyloader.trace")
        native = run_traced("strace", [strace, "-o", t_native, *both,
                                       *shlex.split(a.strace_args), "--", *target],
                            t_native, a.timeout)
        emul = run_traced("pyloader", pyloader_command(["-o", t_emul, *both,
                                                        *shlex.split(a.pyloader_args),
                                                        "--", *target]),
                          t_emul, a.timeout)
        if a.keep:
            os.makedirs(a.keep, exist_ok=True)
            for f in (t_native, t_emul):
                if os.path.exists(f):
                    shutil.copy(f, a.keep)

    if native.error or not native.trace:
        print(f"compare_strace: native strace failed: {native.error or 'empty trace'}"
              f"\n{_tail(native.stderr)}", file=sys.stderr)
        return 2

    same, hunks = compare(native.trace, emul.trace)
    n = len(native.trace)
    pct = 100.0 * same / n
    summary = f"identical: {same}/{n} lines ({pct:.1f}%)"
    below = a.min is not None and pct < a.min
    # pyloader's own diagnostics share stderr with the program's; pick them out.
    diagnostics = [x for x in emul.stderr.decode(errors="replace").splitlines()
                   if x.startswith("pyloader:")]

    if a.json:
        report = {
            "program": target,
            "native": {"lines": n, "returncode": native.returncode},
            "pyloader": {"lines": len(emul.trace), "returncode": emul.returncode,
                         "error": emul.error, "diagnostics": diagnostics},
            "same_stdout": native.stdout == emul.stdout,
            "identical": same,
            "percent": round(pct, 2),
            "hunks": [{"native_start": h.i1 + 1, "pyloader_start": h.j1 + 1,
                       "native": h.native, "pyloader": h.pyloader} for h in hunks],
            "min": a.min,
            "passed": not below,
        }
        json.dump(report, sys.stdout, indent=2)
        print()
        return 1 if below else 0

    if not a.quiet:
        if a.normalised:
            print_hunks([Hunk(h.i1, h.i2, h.j1, h.j2, [normalise(x) for x in h.native],
                              [normalise(x) for x in h.pyloader]) for h in hunks],
                        [normalise(x) for x in native.trace], a.context)
        else:
            print_hunks(hunks, native.trace, a.context)
        if hunks:
            print()
        print(f"native:   {n} lines, exit status {native.returncode}")
        print(f"pyloader: {len(emul.trace)} lines, exit status {emul.returncode}"
              + (f" ({emul.error})" if emul.error else ""))
        if native.stdout != emul.stdout:
            print("program stdout differs between the two runs")
        if diagnostics:
            print("pyloader said:")
            for line in diagnostics[:20]:
                print(f"  {line}")
            if len(diagnostics) > 20:
                print(f"  ... and {len(diagnostics) - 20} more")
        elif emul.returncode not in (None, native.returncode) and emul.stderr:
            print("pyloader stderr (tail):")
            print("  " + _tail(emul.stderr).replace("\n", "\n  "))
    print(summary)
    if below:
        print(f"below the required {a.min:g}%", file=sys.stderr)
    return 1 if below else 0


if __name__ == "__main__":
    sys.exit(main())
