"""`pyloader engine` and `pyloader engine build`: say which Unicorn library is loaded and what
a guest store costs on it; build the fast one (engine.py says why) from the unicorn sdist.

The build: pip downloads the sdist of the installed binding's version (kept in the cache for
the next build), `patch -p1` applies pyloader/patches/unicorn-VERSION-fast-stores.patch, and
cmake builds libunicorn for x86 only into ~/.cache/pyloader/engine/unicorn-VERSION-HASH/,
where engine.select() finds it. Nothing is installed over the wheel's library.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

from . import engine


# 8 stores (or loads) an iteration over 64 KiB of data: rsi walks the buffer at rdi, rcx
# counts the iterations down
def _loop(op: str) -> bytes:
    body = b"".join(bytes.fromhex(op + "4437") + bytes([8 * k]) for k in range(8))
    body += bytes.fromhex("4883c640" "4881e6c0ff0000" "48ffc9")  # add rsi,64; and; dec rcx
    return body + bytes([0x75, (-(len(body) + 2)) & 0xFF]) + b"\xf4"     # jnz; hlt


STORE_LOOP, LOAD_LOOP = _loop("4889"), _loop("488b")      # mov [rdi+rsi+d], rax / back
CODE, DATA = 0x10000, 0x100000
PROBE_N = 500_000             # iterations: 4M accesses


class BuildError(Exception):
    """The fast engine could not be built; the message says why, in one line."""


def _loop_time(code: bytes, n: int) -> float:
    from unicorn import UC_ARCH_X86, UC_MODE_64, UC_PROT_ALL, UC_PROT_READ, UC_PROT_WRITE, Uc
    from unicorn import x86_const as X
    uc = Uc(UC_ARCH_X86, UC_MODE_64)
    uc.mem_map(CODE, 0x1000, UC_PROT_ALL & ~UC_PROT_WRITE)
    uc.mem_map(DATA, 0x10000, UC_PROT_READ | UC_PROT_WRITE)
    uc.mem_write(CODE, code)
    uc.reg_write(X.UC_X86_REG_RDI, DATA)
    uc.reg_write(X.UC_X86_REG_RSI, 0)
    uc.reg_write(X.UC_X86_REG_RCX, n)
    t = time.perf_counter()
    uc.emu_start(CODE, CODE + len(code) - 1)
    return time.perf_counter() - t


def store_cost() -> tuple[float, float]:
    """(ns per store, stores' time / loads' time) on the loaded engine, in Unicorn's default
    TLB mode, on a data page that cannot hold code. The stock 2.1.4 engine takes the
    soft-MMU slow path for every store (a ratio of 10 or more); a fixed one does not."""
    _loop_time(STORE_LOOP, 1000)            # translate once, off the clock
    stores = min(_loop_time(STORE_LOOP, PROBE_N) for _ in range(3))
    loads = min(_loop_time(LOAD_LOOP, PROBE_N) for _ in range(3))
    return stores / (8 * PROBE_N) * 1e9, stores / loads


def has_fast_stores(ratio: float) -> bool:
    return ratio < 4


def describe() -> list[str]:
    """What `pyloader engine` prints."""
    import unicorn
    lib = engine.loaded_library()
    version = engine.binding_version()
    where = engine.fast_dir(version) if version else None
    ns, ratio = store_cost()
    lines = [f"engine: {engine.chosen} (PYLOADER_ENGINE={os.environ.get('PYLOADER_ENGINE', 'auto')})",
             f"library: {lib}",
             f"unicorn: binding {unicorn.__version__}, library {unicorn.uc_version()[2]:#x}",
             f"store: {ns:.1f} ns ({ratio:.1f}x a load): "
             + ("fast path" if has_fast_stores(ratio) else "soft-MMU slow path")]
    if engine.chosen == "stock":
        built = where and os.path.exists(os.path.join(where, engine.LIBNAME))
        if built:
            lines.append(f"fast engine: {where} (not loaded)")
        elif where and not has_fast_stores(ratio):
            lines.append("fast engine: not built (`pyloader engine build` makes it)")
    if engine.fast_missing:
        lines.append(f"PYLOADER_ENGINE=fast: {engine.fast_missing}")
    return lines


def _run(cmd: list[str], log, cwd: str | None = None) -> None:
    log.write(f"$ {' '.join(cmd)}\n")
    log.flush()
    try:
        r = subprocess.run(cmd, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, check=False)
    except OSError as e:
        raise BuildError(f"{cmd[0]}: {e.strerror}") from None
    if r.returncode != 0:
        raise BuildError(f"`{' '.join(cmd[:3])} ...` failed (exit {r.returncode})")


def _sdist(version: str, cache: str, log) -> str:
    """The unicorn sdist of `version`: from the cache, else downloaded by pip."""
    name = f"unicorn-{version}.tar.gz"
    kept = os.path.join(cache, name)
    if os.path.exists(kept):
        return kept
    with tempfile.TemporaryDirectory() as tmp:
        _run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
              f"unicorn=={version}", "-d", tmp], log)
        got = [f for f in os.listdir(tmp) if f.startswith("unicorn-") and f.endswith(".tar.gz")]
        if not got:
            raise BuildError(f"pip downloaded no sdist of unicorn {version}")
        shutil.move(os.path.join(tmp, got[0]), kept)
    return kept


def build(log_path: str | None = None) -> str:
    """Build the fast engine for the installed binding; returns its directory. Raises
    BuildError with a one-line reason (the whole log is kept in the engine cache)."""
    version = engine.binding_version()
    if version is None:
        raise BuildError("the unicorn Python package is not installed")
    where = engine.fast_dir(version)
    if where is None:
        raise BuildError(f"pyloader has no patch for unicorn {version} "
                         f"(only for: {', '.join(_patched_versions()) or 'none'})")
    lib = os.path.join(where, engine.LIBNAME)
    if os.path.exists(lib):
        return where
    for tool in ("cmake", "patch", "cc"):
        if shutil.which(tool) is None:
            raise BuildError(f"`{tool}` is needed to build the engine (apt-get install "
                             f"{ {'cc': 'gcc'}.get(tool, tool) })")
    cache = os.path.dirname(where)
    os.makedirs(cache, exist_ok=True)
    log_path = log_path or os.path.join(cache, f"build-unicorn-{version}.log")
    with open(log_path, "w") as log, tempfile.TemporaryDirectory(dir=cache) as tmp:
        try:
            sdist = _sdist(version, cache, log)
            with tarfile.open(sdist) as tar:
                if hasattr(tarfile, "data_filter"):         # Python 3.11.4 and later
                    tar.extractall(tmp, filter="data")
                else:  # pragma: no cover
                    tar.extractall(tmp)
        except (OSError, tarfile.TarError) as e:
            raise BuildError(f"cannot unpack the unicorn {version} sdist: {e}") from None
        top = os.path.join(tmp, f"unicorn-{version}")
        with open(engine.patch_path(version), "rb") as patch:
            log.write(f"$ patch -p1 < {engine.patch_path(version)}\n")
            log.flush()
            r = subprocess.run(["patch", "-p1", "--batch"], cwd=top, stdin=patch, stdout=log,
                               stderr=subprocess.STDOUT, check=False)
        if r.returncode != 0:
            raise BuildError(f"the patch does not apply to unicorn {version} (see {log_path})")
        out = os.path.join(tmp, "build")
        try:
            _run(["cmake", "-S", os.path.join(top, "src"), "-B", out,
                  "-DCMAKE_BUILD_TYPE=Release", "-DUNICORN_ARCH=x86", "-DBUILD_SHARED_LIBS=ON",
                  "-DUNICORN_BUILD_TESTS=OFF", "-DUNICORN_INSTALL=OFF",
                  "-DUNICORN_LEGACY_STATIC_ARCHIVE=OFF"], log)
            _run(["cmake", "--build", out, "-j", str(os.cpu_count() or 2)], log)
        except BuildError as e:
            raise BuildError(f"{e} (see {log_path})") from None
        built = os.path.join(out, engine.LIBNAME)
        if not os.path.exists(built):
            raise BuildError(f"cmake made no {engine.LIBNAME} (see {log_path})")
        staged = os.path.join(tmp, "engine")
        os.makedirs(staged)
        shutil.copy2(built, os.path.join(staged, engine.LIBNAME))
        try:
            os.rename(staged, where)            # whole or not at all
        except OSError:
            if not os.path.exists(lib):         # not a concurrent build that won the race
                raise
    return where


def _patched_versions() -> list[str]:
    names = sorted(os.listdir(engine.PATCH_DIR)) if os.path.isdir(engine.PATCH_DIR) else []
    return [n[len("unicorn-"):-len("-fast-stores.patch")] for n in names
            if n.startswith("unicorn-") and n.endswith("-fast-stores.patch")]


def cmd_engine(a) -> int:
    """`pyloader engine [build]`."""
    if a.action == "build":
        if not a.force and engine.chosen == "stock" and os.environ.get(
                "PYLOADER_ENGINE") != "stock":
            ns, ratio = store_cost()
            if has_fast_stores(ratio):
                print(f"pyloader engine: the installed Unicorn already stores on the fast path "
                      f"({ns:.1f} ns a store): nothing to build")
                return 0
        print("pyloader engine: building the fast engine (a few minutes)...", file=sys.stderr)
        t = time.monotonic()
        try:
            where = build()
        except (BuildError, OSError) as e:
            print(f"pyloader engine build: {e}; the stock engine stays in use", file=sys.stderr)
            return 1
        print(f"pyloader engine: {os.path.join(where, engine.LIBNAME)} "
              f"({time.monotonic() - t:.0f} s); used from now on (PYLOADER_ENGINE=stock: not)")
        return 0
    for line in describe():
        print(line)
    return 1 if engine.fast_missing else 0
