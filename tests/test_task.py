"""syscalls/task.py declares what handlers use of their task: a Process has all of it, and
the handlers use nothing else."""
from __future__ import annotations

import ast
from pathlib import Path

from syscalls.task import Task

SYSCALLS = Path(__file__).resolve().parent.parent / "syscalls"


def declared() -> set[str]:
    names = set(Task.__annotations__)
    names |= {n for n, v in vars(Task).items()
              if not n.startswith("_") and (callable(v) or isinstance(v, property))}
    return names


def used_by_handlers() -> dict[str, set[str]]:
    """Attributes read or written on a function's `t`/`task` parameter, by name -> files."""
    used: dict[str, set[str]] = {}
    for path in sorted(SYSCALLS.glob("*.py")):
        if path.name == "task.py":
            continue
        for fn in ast.walk(ast.parse(path.read_text())):
            if not isinstance(fn, (ast.FunctionDef, ast.Lambda)):
                continue
            params = {a.arg for a in fn.args.args} & {"t", "task"}
            for node in ast.walk(fn):
                if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                        and node.value.id in params:
                    used.setdefault(node.attr, set()).add(path.name)
    return used


def test_handlers_use_only_the_task_interface():
    extra = {n: sorted(f) for n, f in used_by_handlers().items() if n not in declared()}
    assert not extra, f"handlers use names syscalls/task.py does not declare: {extra}"


def test_process_provides_the_task_interface():
    from pyloader import Process
    p = Process(["/bin/true"], {})
    missing = sorted(n for n in declared() if not hasattr(p, n))
    assert not missing, f"Process lacks {missing}"


def test_every_declared_name_is_used():
    unused = sorted(declared() - set(used_by_handlers()))
    assert not unused, f"syscalls/task.py declares what no handler uses: {unused}"
