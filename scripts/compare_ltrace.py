#!/usr/bin/env python3
"""Compare `pyloader run -L` with real ltrace on a program.

Usage::

    python3 scripts/compare_ltrace.py [--ltrace-opt OPT]... [--] PROGRAM [ARGS...]

Both runs start from the current directory with stdin from /dev/null and stdout
captured: ``ltrace -o TMP1 [OPTS] PROGRAM ARGS`` and ``python3 -m pyloader run -L
-o TMP2 [OPTS] PROGRAM ARGS`` (ltrace's ``-e X`` becomes ``-e ltrace=X``, ``-n N``
becomes ``--indent N``). The traces are normalised and aligned with difflib; the
differing lines are listed, and the last line is ``identical: K/N lines (P%)`` with
N the number of ltrace's lines.

Normalised: hex numbers of 5+ digits (addresses differ from run to run), the
padding before `` = `` (it depends on the addresses' width), process ids (fork's result,
waitpid's and kill's first argument), sa_flags and sa_restorer
of a struct sigaction (ltrace shows stack garbage there in some runs), and the arguments and
result of functions ltrace has no prototype for in /etc/ltrace.conf (it prints raw
registers there; pyloader's table knows more, e.g. atoi or sqrt).
"""
from __future__ import annotations

import argparse
import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CALL = re.compile(r"^\s*(?:[\w.+-]+->)?(\w+)\(")


def ltrace_knows() -> set[str]:
    try:
        with open("/etc/ltrace.conf") as f:
            text = f.read()
    except OSError:
        return set()
    return set(re.findall(r"^\s*[\w+ ]+?\s+\**(\w+)\s*\(", text, re.MULTILINE))


def normalise(text: str, known: set[str]) -> list[str]:
    out = []
    for line in text.splitlines():
        line = re.sub(r"0x[0-9a-f]{5,}", "ADDR", line)
        line = re.sub(r"\s+= ", " = ", line)
        # process ids: each run is another process
        line = re.sub(r"^((?:\w+->)?(?:v?fork\(\) = |waitpid\(|kill\()|<\.\.\. waitpid resumed> "
                      r"\) = )\d+", r"\1PID", line)
        # a struct sigaction read back: ltrace sometimes shows stack garbage in sa_flags and
        # sa_restorer (run to run, natively), so only the handler and the mask are compared
        line = re.sub(r"(\{ [^,{}]+, <[^>]*>), [^,{}]+, [^,{} ]+ \}", r"\1, _, _ }", line)
        m = CALL.match(line)
        if m and m.group(1) not in known:
            tail = " <unfinished ...>" if line.endswith("<unfinished ...>") else ") = ..."
            line = line[:m.end()] + "..." + tail
        out.append(line)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ltrace-opt", action="append", default=[], metavar="OPT",
                    help="an ltrace option (-e X, -n N), given to both")
    ap.add_argument("argv", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    argv = a.argv[1:] if a.argv[:1] == ["--"] else a.argv
    if not argv or shutil.which("ltrace") is None:
        print("compare_ltrace: need a program, and ltrace installed", file=sys.stderr)
        return 2
    ours_opts = []
    opts = " ".join(a.ltrace_opt).split()
    for i, o in enumerate(opts):
        if o == "-e":
            ours_opts += ["-e", "ltrace=" + opts[i + 1]]
        elif o == "-n":
            ours_opts += ["--indent", opts[i + 1]]
    with tempfile.TemporaryDirectory() as tmp:
        t1, t2 = os.path.join(tmp, "ltrace"), os.path.join(tmp, "ours")
        subprocess.run(["ltrace", *opts, "-o", t1, *argv], stdin=subprocess.DEVNULL,
                       capture_output=True, check=False, timeout=600)
        env = dict(os.environ, PYTHONPATH=str(REPO))
        subprocess.run([sys.executable, "-m", "pyloader", "run", "-L", *ours_opts, "-o", t2,
                        *argv], stdin=subprocess.DEVNULL, capture_output=True, check=False,
                       timeout=600, env=env)
        known = ltrace_knows()
        real = normalise(Path(t1).read_text(errors="replace"), known)
        ours = normalise(Path(t2).read_text(errors="replace"), known)
    same = 0
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, real, ours, autojunk=False) \
            .get_opcodes():
        if op == "equal":
            same += i2 - i1
            continue
        for x in real[i1:i2]:
            print(f"- {x}")
        for x in ours[j1:j2]:
            print(f"+ {x}")
    n = len(real)
    print(f"identical: {same}/{n} lines ({100.0 * same / max(n, 1):.1f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
