"""The Unicorn library under the emulator: the stock one that the unicorn wheel ships, or the
"fast" build of the same version with pyloader's patch (pyloader/patches/).

Unicorn 2.1.4 marks every writable page's TLB entry TLB_NOTDIRTY (its dirty bitmap is a stub
that always says "clean"), so every guest store takes the soft-MMU slow path. The patch sets
TLB_NOTDIRTY only on pages that may hold code (the only pages where it matters: a store
there must drop the code translated from it), and flushes the TLB when uc_mem_protect adds
EXEC, so entries filled while a page was not executable do not outlive that. Upstream merged
the same idea (unicorn PR #2337, and its fix for issue #2367) but has not released it.

`select()` runs once, before anything imports unicorn (pyloader/__init__.py): the binding
loads its library from LIBUNICORN_PATH when that is set. PYLOADER_ENGINE chooses:
  auto   the fast build when `pyloader engine build` has made one for this version (default)
  stock  the wheel's library
  fast   the fast build, or an error when there is none
"""
from __future__ import annotations

import os
import sys

LIBNAME = "libunicorn.so.2"
PATCH_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "patches")

chosen = "stock"            # what select() loaded: "stock" or "fast"
fast_missing = ""           # why PYLOADER_ENGINE=fast could not be honoured ("" if it was)


def cache_dir() -> str:
    """~/.cache/pyloader (or $XDG_CACHE_HOME/pyloader): layouts, cpu state, engines."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "pyloader")


def binding_version() -> str | None:
    """The installed unicorn binding's version, read from its unicorn_const.py without
    importing it (importing it loads a library)."""
    import importlib.util
    spec = importlib.util.find_spec("unicorn")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = os.path.join(next(iter(spec.submodule_search_locations)), "unicorn_const.py")
    try:
        with open(path) as f:
            head = f.read(1024)
    except OSError:
        return None
    fields = {}
    for line in head.splitlines():
        name, _, value = line.partition(" = ")
        if name in ("UC_VERSION_MAJOR", "UC_VERSION_MINOR", "UC_VERSION_PATCH"):
            fields[name] = value.strip()
    if len(fields) != 3:
        return None
    return "{UC_VERSION_MAJOR}.{UC_VERSION_MINOR}.{UC_VERSION_PATCH}".format(**fields)


def patch_path(version: str) -> str:
    return os.path.join(PATCH_DIR, f"unicorn-{version}-fast-stores.patch")


def fast_dir(version: str) -> str | None:
    """Where the fast build of `version` lives: named after the patch's content, so a
    changed patch is a different build. None when there is no patch for that version."""
    try:
        with open(patch_path(version), "rb") as f:
            data = f.read()
    except OSError:
        return None
    import zlib  # a checksum is enough for a cache key (hashlib costs 4 ms to import)
    return os.path.join(cache_dir(), "engine", f"unicorn-{version}-{zlib.crc32(data):08x}")


def select() -> None:
    """Point the binding at the fast build when it should load it; call before the first
    `import unicorn`. The variable is taken back out, so the guest's environment and the
    programs pyloader starts do not see it."""
    global chosen, fast_missing
    want = os.environ.get("PYLOADER_ENGINE", "auto")
    if want == "stock" or "unicorn" in sys.modules:
        return
    version = binding_version()
    where = fast_dir(version) if version else None
    lib = os.path.join(where, LIBNAME) if where else None
    if lib is None or not os.path.exists(lib):
        if want == "fast":
            fast_missing = (f"no fast engine for unicorn {version}: run `pyloader engine build`"
                            if version and where else
                            f"no patch for unicorn {version or '(not installed)'}")
        return
    old = os.environ.get("LIBUNICORN_PATH")
    os.environ["LIBUNICORN_PATH"] = where
    try:
        import unicorn  # noqa: F401  (loads the library now, from LIBUNICORN_PATH)
    except ImportError:
        pass
    finally:
        if old is None:
            del os.environ["LIBUNICORN_PATH"]
        else:
            os.environ["LIBUNICORN_PATH"] = old
    if loaded_library() == os.path.realpath(lib):
        chosen = "fast"


def loaded_library() -> str | None:
    """The path of the Unicorn library the binding loaded (importing it if need be)."""
    try:
        from unicorn.unicorn_py3.unicorn import uclib
    except ImportError:
        return None
    return os.path.realpath(uclib._name) if uclib._name else None
