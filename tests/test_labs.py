"""Every command of examples/labs/*.md runs, and its output shows what the lab says to look for.

A lab is markdown: each ```sh block is run (from a scratch directory holding `examples/`, with
`pyloader` on PATH), and the `Look for:` line after it lists, in backticks, text that must
appear in that block's output (stdout and stderr together).
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLES, ROOT

LABS = sorted((EXAMPLES / "labs").glob("[0-9]*.md"))


def lab_steps(text: str) -> list[tuple[str, list[str]]]:
    """[(commands, [expected text])] in the lab's order."""
    steps: list[tuple[str, list[str]]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].strip() == "```sh":
            j = i + 1
            while lines[j].strip() != "```":
                j += 1
            steps.append(("\n".join(lines[i + 1:j]), []))
            i = j
        elif lines[i].startswith("Look for:") and steps:
            steps[-1][1].extend(re.findall(r"`([^`]+)`", lines[i]))
        i += 1
    return steps


@pytest.fixture()
def workdir(tmp_path, examples):
    (tmp_path / "examples").symlink_to(EXAMPLES)
    (tmp_path / "build" / "lab").mkdir(parents=True)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "pyloader"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m pyloader "$@"\n')
    shim.chmod(0o755)
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ.get('PATH', '')}",
               PYTHONPATH=str(ROOT), LC_ALL="C")
    return tmp_path, env


def test_there_are_labs():
    names = [p.name for p in LABS]
    assert len(names) == 8, names
    assert (EXAMPLES / "labs" / "README.md").exists()


@pytest.mark.parametrize("lab", LABS, ids=[p.stem for p in LABS])
def test_lab(lab: Path, workdir):
    cwd, env = workdir
    steps = lab_steps(lab.read_text())
    assert steps, f"{lab.name} has no commands"
    for commands, expected in steps:
        assert expected, f"{lab.name}: nothing to look for after:\n{commands}"
        got = subprocess.run(["bash", "-c", commands], cwd=cwd, env=env, capture_output=True,
                             text=True, timeout=300, check=False)
        output = got.stdout + got.stderr
        assert "Traceback" not in output, output
        for want in expected:
            assert want in output, f"{lab.name}: `{want}` not in the output of\n{commands}\n" \
                                   f"---\n{output[-3000:]}"
