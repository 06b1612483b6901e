"""--seed makes AT_RANDOM and getrandom reproducible."""
from __future__ import annotations

from conftest import pyloader

CODE = "import os; print(os.urandom(16).hex())"


def test_seed_reproducible():
    a = pyloader("run", "-e", "trace=none", "--seed", "7", "python3", "-c", CODE)
    b = pyloader("run", "-e", "trace=none", "--seed", "7", "python3", "-c", CODE)
    c = pyloader("run", "-e", "trace=none", "--seed", "8", "python3", "-c", CODE)
    assert a.returncode == 0, a.stderr
    assert a.stdout == b.stdout
    assert a.stdout != c.stdout
