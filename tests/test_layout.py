"""glibc's private layouts learnt without debug info (pyloader/ld/learn.py), checked against
the debug info (libc6-dbg) of the same build: this machine's glibc and, where it could be
fetched, Debian trixie's 2.41 (test_ld_debian.py's root)."""
from __future__ import annotations

import os
import subprocess

import pytest
from conftest import EXAMPLES, fresh_cache, native, pyloader
from test_ld_debian import debian_root

from pyloader.ld import layout as layout_mod
from pyloader.ld.learn import learn_layout
from pyloader.ld.search import glibc_minor
from syscalls.vfs import Root

RTLD = b"/lib64/ld-linux-x86-64.so.2"


def _learn_and_truth(root_dir: str, program: str):
    root = Root(root_dir)
    data = root.read(RTLD)
    bid = layout_mod.build_id(data)
    debug = layout_mod.debug_file(root, bid)
    if debug is None:
        pytest.skip(f"no debug info for {root_dir}'s glibc to check against (libc6-dbg)")
    learnt = learn_layout(data, root, program, glibc_minor(data))
    with debug:
        truth = {"structs": layout_mod._read_dwarf(debug),
                 "symbols": layout_mod._read_symbols(debug)}
    return learnt, truth


def _differences(learnt: dict, truth: dict) -> list[str]:
    out = []
    for name, struct in learnt["structs"].items():
        t = truth["structs"][name]
        if struct["size"] != t["size"]:
            out.append(f"sizeof {name}: {struct['size']} != {t['size']}")
        for path, member in struct["members"].items():
            want = t["members"].get(path)
            if want is None or list(want[:len(member)]) != member:
                out.append(f"{name}.{path}: {member} != {want}")
    for name, at in learnt["symbols"].items():
        if truth["symbols"].get(name) != at:
            out.append(f"{name}: {at} != {truth['symbols'].get(name)}")
    return out


# every member the linker writes or reads (glibc.py, dlopen.py, vdso.py, __init__.py); a
# glibc that lacks one lacks it in `truth` too
USED = {
    "link_map": ["l_addr", "l_name", "l_ld", "l_next", "l_prev", "l_real", "l_libname", "l_info",
                 "l_phdr", "l_entry", "l_phnum", "l_ldnum", "l_searchlist",
                 "l_searchlist.r_list", "l_searchlist.r_nlist", "l_symbolic_searchlist.r_list",
                 "l_symbolic_searchlist.r_nlist",
                 "l_loader", "l_versions", "l_nversions", "l_nbuckets", "l_gnu_bitmask_idxbits",
                 "l_gnu_shift", "l_gnu_bitmask", "l_gnu_buckets", "l_gnu_chain_zero", "l_chain",
                 "l_buckets", "l_direct_opencount", "l_type", "l_relocated", "l_init_called",
                 "l_global", "l_contiguous", "l_ld_readonly", "l_tls_in_slotinfo", "l_versyms",
                 "l_origin", "l_map_start", "l_map_end", "l_text_end", "l_scope_mem",
                 "l_scope_max", "l_scope", "l_local_scope", "l_file_id.dev", "l_file_id.ino",
                 "l_flags_1", "l_flags", "l_tls_initimage", "l_tls_initimage_size",
                 "l_tls_blocksize", "l_tls_align", "l_tls_firstbyte_offset", "l_tls_offset",
                 "l_tls_modid", "l_relro_addr", "l_relro_size", "l_serial"],
    "pthread": ["header.tcb", "header.dtv", "header.self", "header.stack_guard",
                "header.pointer_guard", "list", "tid", "robust_prev", "robust_head",
                "robust_head.list", "robust_head.futex_offset", "rseq_area", "rseq_area.cpu_id",
                "specific", "specific_1stblock", "user_stack", "stack_mode", "joinstate",
                "stackblock_size"],
    "rtld_global": ["_dl_ns[0]._ns_loaded", "_dl_ns[0]._ns_nloaded",
                    "_dl_ns[0]._ns_main_searchlist", "_dl_ns[0].libc_map", "_dl_nns",
                    "_dl_load_adds", "_dl_all_dirs", "_dl_rtld_map", "_dl_initial_dtv",
                    "_dl_tls_max_dtv_idx", "_dl_tls_dtv_slotinfo_list", "_dl_tls_static_nelem",
                    "_dl_tls_static_used", "_dl_tls_static_optional", "_dl_tls_generation",
                    "_dl_stack_flags", "_dl_stack_prot_flags", "_dl_stack_used",
                    "_dl_stack_user", "_dl_stack_cache"],
    "rtld_global_ro": ["_dl_debug_mask", "_dl_platform", "_dl_platformlen", "_dl_pagesize",
                       "_dl_minsigstacksize", "_dl_initial_searchlist.r_list",
                       "_dl_initial_searchlist.r_nlist", "_dl_clktck", "_dl_lazy",
                       "_dl_dynamic_weak", "_dl_hwcap", "_dl_auxv", "_dl_tls_static_size",
                       "_dl_tls_static_align", "_dl_tls_static_surplus", "_dl_init_all_dirs",
                       "_dl_sysinfo_dso", "_dl_sysinfo_map", "_dl_vdso_clock_gettime64",
                       "_dl_vdso_gettimeofday", "_dl_vdso_time", "_dl_vdso_getcpu",
                       "_dl_vdso_clock_getres_time64", "_dl_hwcap2", "_dl_dso_sort_algo",
                       "_dl_lookup_symbol_x", "_dl_open", "_dl_close", "_dl_find_object",
                       "_dl_readonly_area"],
}


def _check(learnt: dict, truth: dict) -> None:
    assert _differences(learnt, truth) == []
    for name, paths in USED.items():
        missing = [p for p in paths if p in truth["structs"][name]["members"]
                   and p not in learnt["structs"][name]["members"]]
        assert missing == [], f"{name}: not learnt"
    assert set(learnt["symbols"]) == set(truth["symbols"])


@pytest.mark.parametrize("program", ["hello_world", "hello_nopie", "hello_gaps", "cxx_demo",
                                     "/bin/ls", "/usr/bin/python3"])
def test_learnt_layout_equals_the_debug_info(examples, program):
    path = program if program.startswith("/") else str(examples[program])
    _check(*_learn_and_truth("/", path))


@pytest.mark.parametrize("suite", ["trixie", "sid"])
def test_learnt_layout_of_other_glibcs_equals_their_debug_info(suite):
    """2.41, and Debian unstable's (2.43: struct pthread's stack_mode and joinstate,
    _dl_stack_prot_flags, _dl_readonly_area)."""
    root = debian_root(suite)
    _check(*_learn_and_truth(str(root), "/usr/bin/sort"))


def test_without_debug_info_the_layout_is_learnt_once_and_cached(examples, tmp_path,
                                                                  monkeypatch):
    monkeypatch.setattr(layout_mod, "DEBUG_ROOTS", ("/nonexistent",))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("PYLOADER_LAYOUT", raising=False)
    with open(RTLD, "rb") as f:
        data = f.read()
    with pytest.raises(layout_mod.LayoutError, match="no debug info"):
        layout_mod.layout_for(data, Root("/"))      # nothing to learn from
    got = layout_mod.layout_for(data, Root("/"), str(examples["hello_world"]))
    assert got.data["source"] == "learn"
    assert got.off("link_map", "l_next") == 24 and got.size("pthread") > 1024
    cached = list(tmp_path.glob("pyloader/layout-*-learn.json"))
    assert len(cached) == 1
    import pyloader.ld.learn as learn_mod
    monkeypatch.setattr(learn_mod, "learn_layout", None)      # a second learning would fail
    assert layout_mod.layout_for(data, Root("/"), "/bin/true").data == got.data


PROGRAMS = [("hello_world", []), ("cxx_demo", []), ("dl_api", []), ("tls_dlopen", []),
            ("threads", []), ("users", [])]


@pytest.mark.parametrize("name,args", PROGRAMS)
def test_programs_run_with_a_learnt_layout(examples, tmp_path, name, args):
    """--ld=python on layouts learnt from scratch: the same output as the native run, and
    no hand-over to the real ld.so."""
    env = dict(os.environ, PYLOADER_LAYOUT="learn", XDG_CACHE_HOME=fresh_cache(tmp_path))
    prog = str(examples[name])
    want = native(prog, *args)
    got = pyloader("run", "-e", "trace=none", "--ld=python", prog, *args, env=env)
    assert b"running the real ld.so" not in got.stderr, got.stderr.decode()
    assert (got.returncode, got.stdout) == (want.returncode, want.stdout)
    assert list(tmp_path.glob("pyloader/layout-*-learn.json"))


@pytest.mark.parametrize("suite", ["trixie", "sid"])
def test_coreutils_of_other_glibcs_run_with_a_learnt_layout(tmp_path, suite):
    root = debian_root(suite)
    env = dict(os.environ, PYLOADER_LAYOUT="learn", XDG_CACHE_HOME=fresh_cache(tmp_path))
    got = pyloader("run", "-e", "trace=none", "--rootfs", str(root), "--ld=python",
                   "/usr/bin/sort", "/data.txt", env=env)
    assert b"running the real ld.so" not in got.stderr, got.stderr.decode()
    assert (got.returncode, got.stdout) == (0, b"apple\nfig\npear\n")


def test_a_program_it_cannot_learn_from_runs_with_the_real_ld_so(tmp_path):
    """A dynamic program without libc: nothing to learn from. One line says so and the
    real ld.so runs it."""
    src = EXAMPLES / "nolibc.c"
    lib, prog = tmp_path / "libnolibc.so", tmp_path / "nolibc"
    subprocess.run(["gcc", "-DLIB", "-nostdlib", "-shared", "-fPIC", "-O1", "-o", str(lib),
                    str(src)], check=True)
    subprocess.run(["gcc", "-nostdlib", "-O1", "-o", str(prog), str(src), f"-L{tmp_path}",
                    "-lnolibc", "-Wl,-rpath,$ORIGIN"], check=True)
    want = native(str(prog))
    assert (want.returncode, want.stdout) == (7, b"no libc here\n")
    env = dict(os.environ, PYLOADER_LAYOUT="learn", XDG_CACHE_HOME=fresh_cache(tmp_path / "cache"))
    got = pyloader("run", "-e", "trace=none", str(prog), env=env)
    assert (got.returncode, got.stdout) == (7, b"no libc here\n")
    lines = [x for x in got.stderr.decode().splitlines() if "cannot learn" in x]
    assert lines == [("pyloader: --ld=python cannot link with this glibc (cannot learn this "
                      "glibc's layout: the program does not use this glibc's libc); running "
                      "the real ld.so instead")]
    assert "Traceback" not in got.stderr.decode()


def test_glibc_2_31_without_debug_info_runs_with_the_real_ld_so(tmp_path):
    """2.31's ld.so has no version banner and keeps cpu_features' setup inside dl_main:
    its layout is not learnt. Without its debug info: one line, the real ld.so."""
    root = debian_root("bullseye")
    env = dict(os.environ, PYLOADER_LAYOUT="learn", XDG_CACHE_HOME=fresh_cache(tmp_path))
    got = pyloader("run", "-e", "trace=none", "--rootfs", str(root), "/usr/bin/sort",
                   "/data.txt", env=env)
    assert (got.returncode, got.stdout) == (0, b"apple\nfig\npear\n")
    assert got.stderr.decode().splitlines()[0] == (
        "pyloader: --ld=python cannot link with this glibc (cannot learn the layout of a "
        "glibc older than 2.33: install its debug info (libc6-dbg)); running the real ld.so "
        "instead")


def test_learning_from_a_program_whose_library_is_missing(tmp_path):
    """The real ld.so cannot reach the entry to learn from: one line, then ld.so's own
    error and exit status 127, as natively."""
    lib = tmp_path / "libgone.so"
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(lib), str(EXAMPLES / "tls_lib.c")],
                   check=True)
    prog = tmp_path / "needs_gone"
    subprocess.run(["gcc", "-o", str(prog), str(EXAMPLES / "hello_world.c"), "-w",
                    "-Wl,--no-as-needed", f"-L{tmp_path}", "-lgone"], check=True)
    lib.unlink()
    want = native(str(prog))
    env = dict(os.environ, PYLOADER_LAYOUT="learn", XDG_CACHE_HOME=fresh_cache(tmp_path / "cache"))
    got = pyloader("run", "-e", "trace=none", str(prog), env=env)
    assert got.returncode == want.returncode == 127
    lines = got.stderr.decode().splitlines()
    assert lines[0] == ("pyloader: --ld=python cannot link with this glibc (cannot learn this "
                        "glibc's layout: the real ld.so exited before the program's entry); "
                        "running the real ld.so instead")
    assert lines[1] == want.stderr.decode().strip()


def test_learn_command_prints_the_layout(examples):
    """`python3 -m pyloader.ld.learn PROGRAM`: every learnt member at its offset, for a
    lab on how glibc keeps ld.so's state; a static program has no ld.so to learn from."""
    import sys
    run = [sys.executable, "-m", "pyloader.ld.learn"]
    got = subprocess.run(run + [str(examples["hello_world"])], capture_output=True, text=True,
                         check=False, timeout=120)
    assert got.returncode == 0, got.stderr
    with open(RTLD, "rb") as f:
        bid = layout_mod.build_id(f.read())
    debug = f"/usr/lib/debug/.build-id/{bid[:2]}/{bid[2:]}.debug".encode()
    lines = got.stdout.splitlines()
    if os.path.exists(debug):
        with open(debug, "rb") as f:
            truth = layout_mod._read_dwarf(f)
        assert f"struct link_map ({truth['link_map']['size']} bytes)" in lines
        off = truth["pthread"]["members"]["tid"][0]
        assert any(ln.split()[:2] == [f"0x{off:04x}", "tid"] for ln in lines)
    assert any(ln.split()[:2] == ["0x0018", "l_next"] for ln in lines)
    got = subprocess.run(run + [str(examples["hello_static"])], capture_output=True,
                         text=True, check=False, timeout=120)
    assert (got.returncode, got.stdout) == (1, "")
    assert got.stderr.endswith("not a dynamic program: no ld.so to learn from\n")


def test_debug_info_is_preferred_to_a_learnt_layout(examples, tmp_path, monkeypatch):
    with open(RTLD, "rb") as f:
        data = f.read()
    bid = layout_mod.build_id(data)
    if not os.path.exists(f"/usr/lib/debug/.build-id/{bid[:2]}/{bid[2:]}.debug"):
        pytest.skip("no libc6-dbg for this machine's glibc")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("PYLOADER_LAYOUT", "learn")
    hello = str(examples["hello_world"])
    assert layout_mod.layout_for(data, Root("/"), hello).data["source"] == "learn"
    monkeypatch.delenv("PYLOADER_LAYOUT")
    got = layout_mod.layout_for(data, Root("/"), hello)
    assert got.data["source"] == "debuginfo"
    assert got.has("link_map", "l_ns")          # a member the learner does not look for
