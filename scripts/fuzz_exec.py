#!/usr/bin/env python3
"""Mutated real binaries, run natively and under pyloader: the outcomes must agree.

Usage::

    python3 scripts/fuzz_exec.py BINARY [--seed N] [--flips N] [--show-all] [-- ARGS...]

Each mutant is BINARY with one change: an ELF header field, a program header field, a
truncation, or a few random bits flipped in the headers (seeded). Natively, the kernel either refuses it
(execve's errno), or runs it (exit status, or the signal that killed it). pyloader must do
the same: the same exit status (128+N for a signal), 126 with one line for a refused exec
(127 for ENOENT), the same stdout, and never a Python traceback, an internal error or a
hang. Prints each disagreement and a count; exit status 1 if there is one.
tests/test_fuzz_exec.py runs it over the examples. Standard library only.
"""
from __future__ import annotations

import argparse
import os
import random
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TIMEOUT = 20.0                  # a native run past this is a hang: such mutants are skipped
EHDR, PHDR = 64, 56
PT_LOAD = 1
HUGE = (64 << 30, 512 << 30, 1 << 47, (1 << 64) - 4096)


def mutants(data: bytes, seed: int, flips: int) -> list[tuple[str, bytes]]:
    """(what changed, the mutated file), in a fixed order for a given seed."""
    out: list[tuple[str, bytes]] = []

    def put(what: str, fmt: str, at: int, value: int) -> None:
        d = bytearray(data)
        if at + struct.calcsize(fmt) <= len(d):
            struct.pack_into(fmt, d, at, value & ((1 << (8 * struct.calcsize(fmt))) - 1))
            out.append((what, bytes(d)))

    for i, values in ((4, (0, 1, 3, 0xff)), (5, (0, 2, 0xff)), (6, (0, 2)), (7, (3, 0xff)),
                      (8, (1,)), (15, (0xff,))):
        for v in values:
            put(f"e_ident[{i}]={v}", "<B", i, v)
    for name, fmt, at, values in (
            ("e_type", "<H", 16, (0, 1, 4, 0xfe00)),
            ("e_machine", "<H", 18, (0, 3, 183)),
            ("e_version", "<I", 20, (0, 2)),
            ("e_entry", "<Q", 24, (0, 1, 0xdeadbeef, 1 << 47)),
            ("e_phoff", "<Q", 32, (0, 1, len(data), 1 << 40)),
            ("e_phentsize", "<H", 54, (0, 55, 57, 112)),
            ("e_phnum", "<H", 56, (0, 1, 0xffff, 200))):
        for v in values:
            put(f"{name}={v:#x}", fmt, at, v)
    phoff, = struct.unpack_from("<Q", data, 32)
    phnum, = struct.unpack_from("<H", data, 56)
    for i in range(phnum):
        at = phoff + i * PHDR
        p_type, = struct.unpack_from("<I", data, at)
        fields = [("p_type", "<I", 0, (0, PT_LOAD, 3, 6, 7, 0x6474e551)),
                  ("p_flags", "<I", 4, (0, 4, 7))]
        if p_type == PT_LOAD:
            p_offset, p_vaddr, _, p_filesz, _, _ = struct.unpack_from("<QQQQQQ", data,
                                                                            at + 8)
            fields += [("p_offset", "<Q", 8, (p_offset + 1, p_offset + 4096, 1 << 40)),
                       ("p_vaddr", "<Q", 16, (p_vaddr + 1, p_vaddr + 4096, 0, 1 << 47)),
                       ("p_filesz", "<Q", 32, (0, p_filesz + 1, p_filesz + (1 << 20),
                                               1 << 40)),
                       ("p_memsz", "<Q", 40, (0, p_filesz, *HUGE)),
                       ("p_align", "<Q", 48, (0, 1, 3, 0x200000, 1 << 40))]
        for name, fmt, off, values in fields:
            for v in values:
                put(f"phdr[{i}].{name}={v:#x}", fmt, at + off, v)
    for cut in sorted({16, EHDR - 1, EHDR, phoff + PHDR, phoff + phnum * PHDR - 1,
                       len(data) // 2, len(data) - 1}):
        if 0 < cut < len(data):
            out.append((f"truncated at {cut}", data[:cut]))
    # flips in what the kernel reads: the ELF header and the PT_LOAD headers. The rest is
    # the program's own (a flipped IRELATIVE addend or PT_TLS offset makes glibc's start-up
    # do something else, and what that does depends on the CPU's features: AVX-512 memmove
    # natively, SSE2 on the emulated CPU)
    rng = random.Random(seed)
    spots_ok = list(range(EHDR)) + [phoff + i * PHDR + k for i in range(phnum) for k in range(PHDR)
                                    if struct.unpack_from("<I", data, phoff + i * PHDR)[0]
                                    == PT_LOAD]
    for k in range(flips):
        d = bytearray(data)
        spots = sorted(rng.sample(spots_ok, rng.randint(1, 4)))
        for s in spots:
            d[s] ^= 1 << rng.randrange(8)
        out.append((f"flip #{k} at {','.join(map(str, spots))}", bytes(d)))
    return out


def native(path: str, args: list[str]) -> tuple[str, bytes] | None:
    """The kernel's outcome: ('exit N' | 'signal N' | 'errno NAME', stdout); None: a hang."""
    try:
        p = subprocess.run([path, *args], capture_output=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return None
    except OSError as e:
        import errno
        return f"errno {errno.errorcode.get(e.errno, e.errno)}", b""
    if p.returncode < 0:
        return f"signal {-p.returncode}", p.stdout
    return f"exit {p.returncode}", p.stdout


def under_pyloader(path: str, args: list[str], extra: list[str]) -> tuple[int, bytes, bytes]:
    cmd = [sys.executable, "-m", "pyloader", "run", "-e", "trace=none",
           "--timeout", str(TIMEOUT * 2), *extra, path, *args]
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT * 4, check=False,
                           cwd=str(REPO))
    except subprocess.TimeoutExpired:
        return -1, b"", b"(pyloader hung)"
    return p.returncode, p.stdout, p.stderr


def expected_status(outcome: str) -> int:
    kind, _, value = outcome.partition(" ")
    if kind == "exit":
        return int(value)
    if kind == "signal":
        return 128 + int(value)
    return 127 if value == "ENOENT" else 126


def check(path: str, args: list[str], extra: list[str], seed: int = 1, flips: int = 40,
          show_all: bool = False) -> list[str]:
    """Every disagreement between native runs and pyloader runs of the mutants of PATH."""
    data = Path(path).read_bytes()
    problems = []
    with tempfile.TemporaryDirectory(prefix="pyloader-fuzz.") as tmp:
        exe = os.path.join(tmp, "mutant")
        for what, blob in mutants(data, seed, flips):
            Path(exe).write_bytes(blob)
            os.chmod(exe, 0o755)
            want = native(exe, args)
            if want is None:
                continue                # natively a hang: nothing to compare in bounded time
            status, out, err = under_pyloader(exe, args, extra)
            text = err.decode(errors="replace")
            bad = []
            if "Traceback" in text or "internal error" in text or status == 70:
                bad.append("internal error")
            if status == -1:
                bad.append("hang")
            if status != expected_status(want[0]):
                bad.append(f"status {status}, native {want[0]}")
            elif want[0].startswith("exit") and out != want[1]:
                bad.append("stdout differs")
            if want[0].startswith("errno") and len(text.strip().splitlines()) != 1:
                bad.append("a refused exec is not said in one line")
            if bad or show_all:
                last = text.strip().splitlines()[-1:] or [""]
                problems.append(f"{what}: {'; '.join(bad) or 'ok'} ({last[0][:120]})")
    return problems


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("binary")
    p.add_argument("args", nargs="*")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--flips", type=int, default=40, help="random-flip mutants (default 40)")
    p.add_argument("--ld", choices=("python", "system"), default="python")
    p.add_argument("--show-all", action="store_true", help="print agreeing mutants too")
    a = p.parse_args(argv)
    problems = check(a.binary, a.args, [f"--ld={a.ld}"], a.seed, a.flips, a.show_all)
    for line in problems:
        print(line)
    bad = [x for x in problems if ": ok (" not in x]
    print(f"{len(bad)} disagreements")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
