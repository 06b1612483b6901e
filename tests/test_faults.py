"""--trace-faults: demand paging shown for real, without changing what the program does."""
from __future__ import annotations

import re
import subprocess

import pytest
from conftest import pyloader

FAULT = re.compile(r"^fault at (0x[0-9a-f]+) \((read|write|exec), (\S+)\+(0x[0-9a-f]+)\) -> page "
                   r"read from file offset (0x[0-9a-f]+)$", re.MULTILINE)


@pytest.mark.parametrize("name", ["hello_13", "cxx_demo", "tls_demo", "dlopen_demo", "ctors",
                                  "hello_13_static"])
def test_same_behaviour_with_and_without(examples, name):
    exe = str(examples[name])
    plain = pyloader("run", "-e", "trace=none", exe)
    traced = pyloader("run", "-e", "trace=none", "--trace-faults", exe)
    assert (traced.returncode, traced.stdout) == (plain.returncode, plain.stdout)
    faults = FAULT.findall(traced.stderr.decode())
    assert faults, traced.stderr[-2000:]
    pages = [(obj, int(addr, 16) >> 12) for addr, _k, obj, _o, _f in faults]
    assert len(pages) == len(set(pages))             # each page faults once


def _build(tmp_path, name: str, source: str) -> str:
    (tmp_path / f"{name}.c").write_text(source)
    subprocess.run(["gcc", "-O0", "-o", str(tmp_path / name), str(tmp_path / f"{name}.c")],
                   check=True)
    return str(tmp_path / name)


def test_first_touch_can_be_a_write(tmp_path):
    # data[6000] lies pages away from anything the linker relocates: its page still holds
    # the file's bytes at entry, and the program's first access to it is a store
    exe = _build(tmp_path, "bigdata", "#include <stdio.h>\nint data[8192] = {1};\n"
                 "int main(void) { data[6000] = 5; printf(\"%d\\n\", data[6000] + data[0]);"
                 " return 0; }\n")
    got = pyloader("run", "-e", "trace=none", "--trace-faults", exe)
    assert got.returncode == 0 and got.stdout == b"6\n"
    writes = [f for f in FAULT.findall(got.stderr.decode()) if f[1] == "write"]
    assert writes and writes[0][2] == "bigdata"
    _addr, _kind, _obj, off, file_off = writes[0]
    assert int(file_off, 16) == file_offset_of(exe, int(off, 16)) & ~0xFFF


def file_offset_of(path: str, vaddr: int) -> int:
    """Where readelf's program headers put a (load-bias-free) address in the file."""
    out = subprocess.run(["readelf", "-lW", path], capture_output=True, text=True,
                         check=True).stdout
    for line in out.splitlines():
        f = line.split()
        if f and f[0] == "LOAD":
            off, va, memsz = int(f[1], 16), int(f[2], 16), int(f[5], 16)
            if va <= vaddr < va + memsz:
                return off + vaddr - va
    raise AssertionError(f"{vaddr:#x} is in no LOAD segment of {path}")


def test_a_real_fault_is_still_a_crash(tmp_path):
    # a store into a string literal (.rodata, an untouched read-only page): the VMA forbids
    # it, so it is SIGSEGV, reported at the right address, not a page-in
    exe = _build(tmp_path, "rodata", "#include <stdio.h>\nint main(void) { char *s = "
                 "(char *)\"literal\"; s[0] = 'x'; puts(s); return 0; }\n")
    plain = pyloader("run", "-e", "trace=none", exe)
    traced = pyloader("run", "-e", "trace=none", "--trace-faults", exe)
    assert plain.returncode == traced.returncode == 139
    crash = re.search(rb"pyloader: SIGSEGV: write of (0x[0-9a-f]+)", traced.stderr)
    assert crash and crash.group(0) in plain.stderr
