"""Mutated real binaries (scripts/fuzz_exec.py: header and program header fields, truncations,
seeded bit flips in what the kernel reads) run natively and under pyloader: the same refusal
(errno, in one line), the same exit status or fatal signal, the same output; never a
traceback, an internal error or a hang. It found, among others, a store to a page the fast
engine had mapped read-only going through (the region's permissions were not checked)."""
from __future__ import annotations

import sys

import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import fuzz_exec


# a dynamic program under both linkers: ours reads the program as ld.so does, from memory
# (l_addr from PT_PHDR, the dynamic section at l_ld, its tables with guest code's faults,
# its asserts), the real one is ld.so itself in the emulator
@pytest.mark.parametrize("name,ld", [("hello_static", "python"), ("hello_static_pie", "python"),
                                     ("hello_name", "system"), ("hello_name", "python")])
def test_mutated_binaries_fare_as_natively(examples, name, ld):
    problems = fuzz_exec.check(str(examples[name]), ["x"], [f"--ld={ld}"], seed=1, flips=25)
    assert not problems, "\n".join(problems)
