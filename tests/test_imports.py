"""Every import of the project's own names resolves, the ones inside functions too: ruff
cannot see those, and a moved constant once left `from syscalls.process import CLONE_...`
inside do_clone, so every guest fork failed (ENOSYS) and fork_pipe's kill(pid) became
kill(-1, SIGTERM)."""
from __future__ import annotations

import ast
import importlib

from conftest import ROOT


def _own_imports():
    for path in sorted([*ROOT.glob("pyloader/**/*.py"), *ROOT.glob("syscalls/*.py")]):
        rel = path.relative_to(ROOT)
        package = list(rel.with_suffix("").parts[:-1])
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom):
                continue
            if node.level:
                base = package[:len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.split(".")[0] in ("pyloader", "syscalls"):
                yield str(rel), node.lineno, module, [a.name for a in node.names]


def test_every_own_import_resolves():
    missing = []
    for where, line, module, names in _own_imports():
        mod = importlib.import_module(module)
        for name in names:
            if not hasattr(mod, name):
                try:
                    importlib.import_module(f"{module}.{name}")
                except ImportError:
                    missing.append(f"{where}:{line}: {module}.{name}")
    assert not missing, "\n".join(missing)
