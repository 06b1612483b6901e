"""The Python ld.so: search order, errors worded as ld.so words them, the fallback."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest
from conftest import ENGINE_ENV, EXAMPLES, fresh_cache, ld_traces, native, pyloader


@pytest.fixture()
def libdemo(tmp_path):
    """libdemo.so.1 (in tmp/lib) and programs that need it through RUNPATH or not at all."""
    lib = tmp_path / "lib"
    lib.mkdir()
    (tmp_path / "demo.c").write_text(
        "int demo_value(void) { return 41; }\n__thread int demo_tls = 7;\n")
    subprocess.run(["gcc", "-shared", "-fPIC", "-Wl,-soname,libdemo.so.1", "-o",
                    str(lib / "libdemo.so.1"), str(tmp_path / "demo.c")], check=True)
    (tmp_path / "main.c").write_text(
        '#include <stdio.h>\nint demo_value(void);\nextern __thread int demo_tls;\n'
        'int main(void) { printf("%d %d\\n", demo_value() + 1, demo_tls); return 0; }\n')
    for name, flags in (("with_runpath", ["-Wl,-rpath,$ORIGIN/lib"]), ("plain", [])):
        subprocess.run(["gcc", "-o", str(tmp_path / name), str(tmp_path / "main.c"),
                        str(lib / "libdemo.so.1"), *flags], check=True)
    return tmp_path


def test_runpath_with_origin(libdemo):
    got = pyloader("run", "-e", "trace=openat", str(libdemo / "with_runpath"))
    assert got.stdout == b"42 7\n", got.stderr
    assert f'"{libdemo}/lib/libdemo.so.1"'.encode() in got.stderr


def test_ld_library_path(libdemo):
    got = pyloader("run", "-e", "trace=none", "-E", f"LD_LIBRARY_PATH={libdemo}/lib",
                   str(libdemo / "plain"))
    assert got.stdout == b"42 7\n"


def test_missing_library_is_worded_as_ldso(libdemo):
    exe = str(libdemo / "plain")
    want = native(exe)
    got = pyloader("run", "-e", "trace=none", exe)
    assert want.returncode == got.returncode == 127
    assert b"error while loading shared libraries: libdemo.so.1: cannot open shared object " \
        b"file: No such file or directory" in got.stderr


def test_version_not_found(libdemo, tmp_path):
    data = (libdemo / "with_runpath").read_bytes().replace(b"GLIBC_2.2.5", b"GLIBC_9.9.9")
    exe = tmp_path / "badver"
    exe.write_bytes(data)
    exe.chmod(0o755)
    got = pyloader("run", "-e", "trace=none", str(exe))
    assert got.returncode == 127
    assert b"version `GLIBC_9.9.9' not found (required by" in got.stderr


def test_both_linkers_map_the_same_objects(examples):
    """The oracle in its simplest form: the same objects, segment by segment, and ld.so at
    the kernel's address (libc may sit one page lower: our stub page is in the mmap area)."""
    maps = {}
    for ld in ("python", "system"):
        got = pyloader("run", f"--ld={ld}", "-e", "trace=none", "/bin/cat", "/proc/self/maps")
        maps[ld] = [line.split() for line in got.stdout.decode().splitlines() if ".so" in line]
    assert [(m[1], m[2], m[-1]) for m in maps["python"]] == \
        [(m[1], m[2], m[-1]) for m in maps["system"]]
    ldso = [m[0] for m in maps["python"] if "ld-linux" in m[-1]]
    assert ldso == [m[0] for m in maps["system"] if "ld-linux" in m[-1]]


def test_without_debug_info_the_layout_is_learnt(examples, tmp_path):
    """No libc6-dbg: the Python linker learns the layouts from the real ld.so (learn.py) and
    links the program itself; told to use debug info only, it hands over in one line."""
    code = ("import sys, pyloader.ld.layout as L; L.DEBUG_ROOTS = ('/nonexistent',); "
            "from pyloader.cli import main; sys.exit(main(sys.argv[1:]))")
    argv = [sys.executable, "-c", code, "run", "-e", "trace=none", "--ld=python",
            str(examples["hello_name"]), "x"]
    env = {"XDG_CACHE_HOME": fresh_cache(tmp_path), "PATH": "/usr/bin:/bin", **ENGINE_ENV}
    got = subprocess.run(argv, capture_output=True, env=env, check=False, timeout=120)
    assert got.stdout == b"hello, x!\n"
    assert got.stderr == b"+++ exited with 10 +++\n"
    assert len(list(tmp_path.glob("pyloader/layout-*-learn.json"))) == 1
    env["PYLOADER_LAYOUT"] = "debuginfo"
    got = subprocess.run(argv, capture_output=True, env=env, check=False, timeout=120)
    assert got.stdout == b"hello, x!\n"
    assert b"no debug info for this glibc's ld.so" in got.stderr
    assert b"running the real ld.so instead" in got.stderr


def test_ldd_matches_system_ldd():
    import re
    got = pyloader("ldd", "/bin/ls")
    want = subprocess.run(["ldd", "/bin/ls"], capture_output=True, check=False)
    norm = [re.sub(r"0x[0-9a-f]+", "ADDR", line) for line in want.stdout.decode().splitlines()]
    assert "linux-vdso.so.1" in norm[0]
    assert got.returncode == 0
    assert [re.sub(r"0x[0-9a-f]+", "ADDR", line) for line in got.stdout.decode().splitlines()] \
        == norm


def test_ldd_static_is_not_dynamic(examples):
    got = pyloader("ldd", str(examples["hello_static"]))
    assert got.returncode == 1 and b"not a dynamic executable" in got.stdout


@pytest.fixture()
def uncalled(tmp_path):
    """A program that references a function nobody defines but never calls it."""
    (tmp_path / "lib.c").write_text("void maybe(void) {}\n")
    (tmp_path / "main.c").write_text(
        '#include <stdio.h>\nvoid maybe(void);\nint main(int c, char **v) {\n'
        '  if (c > 1) maybe();\n  puts("fine");\n  return 0;\n}\n')
    subprocess.run(["gcc", "-shared", "-fPIC", "-Wl,-soname,libmaybe.so", "-o",
                    str(tmp_path / "libmaybe.so"), str(tmp_path / "lib.c")], check=True)
    subprocess.run(["gcc", "-o", str(tmp_path / "prog"), str(tmp_path / "main.c"),
                    str(tmp_path / "libmaybe.so"), "-Wl,-rpath,$ORIGIN", "-Wl,-z,lazy"],
                   check=True)
    (tmp_path / "lib.c").write_text("void other(void) {}\n")      # now `maybe` is gone
    subprocess.run(["gcc", "-shared", "-fPIC", "-Wl,-soname,libmaybe.so", "-o",
                    str(tmp_path / "libmaybe.so"), str(tmp_path / "lib.c")], check=True)
    return tmp_path / "prog"


@pytest.mark.parametrize("ld", ["python", "system"])
def test_lazy_binding_and_bind_now(uncalled, ld):
    exe = str(uncalled)
    for args, env, status, text in (
            ([], [], 0, b""),                                   # lazy: never called, fine
            (["call"], [], 127, b"undefined symbol: maybe"),    # lazy: fails at the call
            ([], ["-E", "LD_BIND_NOW=1"], 127, b"undefined symbol: maybe")):  # eager: at start
        want = native(exe, *args, env={"LD_BIND_NOW": "1"} if env else {})
        got = pyloader("run", f"--ld={ld}", "-e", "trace=none", *env, exe, *args)
        assert want.returncode == got.returncode == status, got.stderr
        assert text in got.stderr
        assert got.stdout == want.stdout


def _ld_debug(text: bytes) -> list[str]:
    """LD_DEBUG lines without the pid, addresses as ADDR, and without the vDSO (the emulator
    maps none): its lookups and its block in the scope listing."""
    import re
    out, in_vdso = [], False
    for line in text.decode(errors="replace").splitlines():
        if not re.match(r"^\s*\d+:\t", line):
            continue
        line = re.sub(r"0x[0-9a-f]+", "ADDR", re.sub(r"^\s*\d+:\t", "", line))
        in_vdso = in_vdso or line.startswith("object=linux-vdso")
        if in_vdso:                     # its scope block ends with an empty line
            in_vdso = line != ""
            continue
        if "linux-vdso" not in line:
            out.append(line)
    return out


@pytest.mark.parametrize("program, cats", [
    *[("hello_name", c) for c in ("libs", "files", "reloc", "versions", "symbols", "bindings",
                                  "scopes")],
    ("cxx_demo", "all"),
    ("/bin/ls", "all"),
])
def test_ld_debug_matches_ld_so_line_for_line(examples, program, cats):
    exe = str(examples[program]) if program in examples else program
    # the same environment, so the same lookups (HOME: where pyloader's unicorn may live)
    env = {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/")}
    want = native(exe, "/", env={**env, "LD_DEBUG": cats})
    got = pyloader("run", f"--ld-debug={cats}", "-e", "trace=none", exe, "/", env=env)
    assert got.stdout == want.stdout
    lines, ours = _ld_debug(want.stderr), _ld_debug(got.stderr)
    if program == "/bin/ls":
        # after start-up, lazy bindings follow the program: in the emulator (with either
        # linker) ls's setlocale calls realloc before bindtextdomain, natively after it
        lines = lines[:lines.index("transferring control: /bin/ls") + 1]
        ours = ours[:len(lines)]
    assert len(lines) > 10
    assert ours == lines


def test_ld_debug_unknown_category_is_worded_as_ld_so(examples):
    exe = str(examples["hello_name"])
    got = pyloader("run", "--ld-debug=nonsense", "-e", "trace=none", exe, "x")
    assert b"warning: debug option `nonsense' unknown; try LD_DEBUG=help" in got.stderr
    assert got.stdout == b"hello, x!\n"


# --- the oracle: the real ld.so and ours leave the same state at the entry point -----------
@pytest.mark.parametrize("program, env", [
    ("hello_name", {}),
    ("cxx_demo", {"LD_BIND_NOW": "1"}),      # every PLT slot bound: every ifunc choice
    ("/bin/ls", {}),
    ("/bin/ls", {"LD_BIND_NOW": "1"}),
    ("hello_name", {"GLIBC_TUNABLES": "glibc.rtld.nns=1:glibc.rtld.optional_static_tls=4096"}),
    ("hello_gaps", {}),
    ("hello_origin", {}),
])
def test_oracle_both_linkers_agree_at_entry(examples, program, env):
    from pyloader.ld.oracle import compare
    exe = str(examples[program]) if program in examples else program
    diffs = compare([exe], {"PATH": "/usr/bin:/bin", **env})
    assert [line for line, why in diffs if why is None] == []
    # what differs by design: the functions the Python linker serves, and private fields
    # only the real ld.so's own code reads
    assert any("_dl_open" in line for line, _ in diffs)


def test_oracle_sees_a_wrong_word(examples):
    """The oracle can fail: one GOT slot and one TLS offset changed
    in the Python linker's result are each reported."""
    from pyloader.ld.oracle import run_to_entry, snapshot
    proc = run_to_entry([str(examples["hello_name"])], "python")
    good = snapshot(proc)
    libc = next(m for m in proc.rtld.maps if m.soname == "libc.so.6")
    got = next(libc.l_addr + off for off, info, _ in libc.rela() if info & 0xFFFFFFFF == 6)
    proc.mem.write_u64(got, proc.mem.read_u64(got) + 16)
    proc.mem.write_u64(libc.guest + proc.rtld.glibc.L.off("link_map", "l_tls_offset"), 8)
    bad = snapshot(proc)
    diffs = [line for line, why in good.differences(bad) if why is None]
    assert any("R_X86_64_GLOB_DAT" in line for line in diffs), diffs
    assert any("libc.so.6.l_tls_offset" in line for line in diffs), diffs


@pytest.mark.parametrize("ld", ["python", "system"])
def test_dladdr_dlinfo_dl_iterate_phdr_dlvsym_backtrace_iconv(examples, ld):
    """The run-time linker's services, and libc's own dlopen users (backtrace loads
    libgcc_s, iconv loads gconv modules), as native."""
    exe = str(examples["dl_api"])
    want = native(exe)
    got = pyloader("run", f"--ld={ld}", "-e", "trace=none", exe)
    assert want.returncode == got.returncode == 0, got.stderr
    assert got.stdout == want.stdout
    assert b"backtrace 2: dl_api(main+" in got.stdout and b"iconv: 0 -> 63 61 66 e9" in got.stdout


@pytest.fixture(scope="module")
def tls_libs(tmp_path_factory):
    """Copies of examples/tls_lib.c: a 1.6 MB __thread array (far beyond the static TLS
    surplus), 16 small ones (more modules than the first dtv has slots), an initial-exec
    one that fits the surplus and one that does not, and two built for TLS descriptors
    (-mtls-dialect=gnu2): a small one placed in static TLS and a big one whose descriptors
    stay dynamic (_dl_tlsdesc_dynamic)."""
    d = tmp_path_factory.mktemp("tls")
    src = str(EXAMPLES / "tls_lib.c")
    for name, flags in (("big.so", ["-DSIZE=200000"]), ("small.so", []),
                        ("ie.so", ["-ftls-model=initial-exec"]),
                        ("iebig.so", ["-ftls-model=initial-exec", "-DSIZE=1000"]),
                        ("d2.so", ["-mtls-dialect=gnu2"]),
                        ("d2big.so", ["-mtls-dialect=gnu2", "-DSIZE=200000"])):
        subprocess.run(["gcc", "-shared", "-fPIC", "-O1", *flags, "-o", str(d / name), src],
                       check=True)
    for i in range(16):
        shutil.copy(d / "small.so", d / f"s{i}.so")
    return d


@pytest.mark.parametrize("ld, tunables", [
    ("python", None), ("system", None),
    ("python", "glibc.rtld.optional_static_tls=16384"),          # now iebig.so fits
    ("python", "glibc.rtld.nns=1:glibc.rtld.optional_static_tls=0"),
])
def test_dynamic_tls_of_dlopened_libraries(examples, tls_libs, ld, tunables):
    names = ["big.so", "d2big.so", "ie.so", "iebig.so", "d2.so"] + [f"s{i}.so" for i in range(16)]
    env = {"PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/")}
    if tunables:
        env["GLIBC_TUNABLES"] = tunables
    exe = str(examples["tls_dlopen"])
    want = native(exe, str(tls_libs), *names, env=env)
    got = pyloader("run", f"--ld={ld}", "-e", "trace=none", exe, str(tls_libs), *names, env=env)
    assert want.returncode == got.returncode == 0, got.stderr
    assert got.stdout == want.stdout
    assert b"d2big.so: 1600000 bytes of TLS" in got.stdout and b"s15.so: touch" in got.stdout
    assert b"thread: d2.so: touch" in got.stdout and b"thread: s15.so: touch" in got.stdout
    fits = tunables is not None and "16384" in tunables
    assert (b"iebig.so: cannot allocate memory in static TLS block" in got.stdout) != fits


def test_ld_debug_statistics_counts_as_ld_so(examples):
    """The counts of LD_DEBUG=statistics. ld.so also looks up the vDSO's five functions
    (setup_vdso_pointers); the emulator maps no vDSO, so ours are five fewer. The times
    are not compared."""
    import re
    exe = str(examples["cxx_demo"])
    want = native(exe, env={"LD_DEBUG": "statistics"})
    got = pyloader("run", "--ld-debug=statistics", "-e", "trace=none", exe)

    def counts(text: bytes) -> list[tuple[str, int]]:
        return [(m[1].strip(), int(m[2])) for m in re.finditer(
            r"\t *([a-z ]+): (\d+)\n", text.decode())]
    vdso = {"number of relocations": 5, "final number of relocations": 5}
    assert [(k, v + vdso.get(k, 0)) for k, v in counts(got.stderr)] == counts(want.stderr)
    assert len(counts(got.stderr)) == 5
    assert b"total startup time in dynamic loader: " in got.stderr


def test_oracle_after_dlopens_at_exit(examples, tls_libs):
    """The state when the program calls exit_group, after dlopen (libm, libgcc_s for
    backtrace, gconv modules, TLS libraries, a failed dlopen) and lazy bindings: the same
    relocated words, link maps, generation and dtv with both linkers."""
    from pyloader.ld.oracle import compare
    for argv in ([str(examples["dl_api"])],
                 [str(examples["tls_dlopen"]), str(tls_libs), "big.so", "ie.so", "iebig.so",
                  "d2big.so", "d2.so", "s0.so", "s1.so", "d2big.so"]):
        diffs = compare(argv, at_exit=True)
        assert [line for line, why in diffs if why is None] == [], argv[0]
        assert len(diffs) > 20          # the by-design ones: the check did look


def test_dynamic_tls_descriptors(examples, tls_libs):
    """d2big.so's TLS does not fit the optional static surplus: its descriptors point at
    {module, offset, generation} (compared with the real ld.so's by the oracle test above)."""
    from pyloader.ld.oracle import run_to_exit, snapshot
    snap = snapshot(run_to_exit([str(examples["tls_dlopen"]), str(tls_libs), "d2big.so",
                                 "d2.so"], "python", None, "/"))
    descs = {obj: sorted(v.split(" ", 1)[1] for v in words.values() if "TLSDESC" in v)
             for obj, words in snap.words.items()}
    # module 1 is libc's TLS; each dlopen with TLS is a new generation
    assert descs["d2big.so"] == ["tls_counter = dynamic module 2 offset 0x0 generation 2",
                                 "tls_data = dynamic module 2 offset 0x10 generation 2"]
    assert [d.split(" = ")[1][:9] for d in descs["d2.so"]] == ["arg 0xfff"] * 2   # static


@pytest.fixture(scope="module")
def ctor_libs(tmp_path_factory):
    """Libraries made from examples/ctor_lib.c: the program needs q1, q2 (which needs q3) and
    q3; q4 (which needs q5 and q6) is dlopened."""
    d = tmp_path_factory.mktemp("ctors")
    src = str(EXAMPLES / "ctor_lib.c")

    def lib(name, *needs):
        subprocess.run(["gcc", "-shared", "-fPIC", f"-DNAME={name}", "-o", str(d / f"lib{name}.so"),
                        src, "-Wl,--no-as-needed", f"-L{d}", *[f"-l{n}" for n in needs],
                        f"-Wl,-rpath,{d}"], check=True)
    for name, needs in (("q3", ()), ("q2", ("q3",)), ("q1", ()), ("q5", ()), ("q6", ()),
                        ("q4", ("q5", "q6"))):
        lib(name, *needs)
    exe = d / "ctor_main"
    subprocess.run(["gcc", "-o", str(exe), str(EXAMPLES / "ctor_main.c"), "-Wl,--no-as-needed",
                    f"-L{d}", "-lq1", "-lq2", "-lq3", f"-Wl,-rpath,{d}"], check=True)
    return d


@pytest.mark.parametrize("ld", ["python", "system"])
def test_constructor_order_is_glibcs(ctor_libs, ld):
    """_dl_sort_maps: dependencies first, independent libraries last-loaded first; the
    destructors in the reverse order; a dlopened library's dependencies likewise."""
    exe = str(ctor_libs / "ctor_main")
    for args in ([], [str(ctor_libs / "libq4.so")]):
        want = native(exe, *args, output_expected=True)
        got = pyloader("run", f"--ld={ld}", "-e", "trace=none", exe, *args)
        assert got.returncode == want.returncode == 0, got.stderr
        assert got.stdout == want.stdout, (want, got.stderr)
    assert want.stdout.startswith(b"init q3\ninit q2\ninit q1\nmain\n")


def test_relro_order_matches_strace(ctor_libs):
    """RELRO is made read-only at the end of each object's relocation: in init order."""
    exe, lib = str(ctor_libs / "ctor_main"), str(ctor_libs / "libq4.so")
    st = subprocess.run(["strace", "-e", "trace=mprotect", exe, lib], capture_output=True,
                        check=False)
    got = pyloader("run", "-e", "trace=mprotect", exe, lib)

    def sizes(text: bytes) -> list[str]:
        return [re.sub(rb"0x[0-9a-f]+", b"ADDR", ln).decode()
                for ln in text.splitlines() if ln.startswith(b"mprotect(")]
    assert sizes(got.stderr) == sizes(st.stderr)


@pytest.mark.parametrize("ld", ["python", "system"])
def test_dlclose_unloads(examples, ctor_libs, ld):
    """dlclose: two opens need two closes; then the library and the dependencies only it
    needed run their destructors (in glibc's order) and leave /proc/self/maps; opened again
    they are loaded and initialised again."""
    args = [str(examples["dlclose_demo"]), str(ctor_libs / "libq4.so"), str(ctor_libs / "libq5.so")]
    want = native(*args, output_expected=True)
    got = pyloader("run", f"--ld={ld}", "-e", "trace=none", *args)
    assert got.returncode == want.returncode == 0, got.stderr
    assert got.stdout == want.stdout
    assert b"second close: 0\nafter: libq5.so mapped 0\ninit q6" in want.stdout.replace(
        b"fini q4\nfini q5\nfini q6\n", b"")


def test_dlclose_munmaps_as_strace_shows(examples, ctor_libs):
    args = [str(examples["dlclose_demo"]), str(ctor_libs / "libq4.so"), str(ctor_libs / "libq5.so")]
    st = subprocess.run(["strace", "-e", "trace=munmap", *args], capture_output=True, check=False)
    got = pyloader("run", "-e", "trace=munmap", *args)

    def lines(text: bytes) -> list[str]:
        return [re.sub(r"0x[0-9a-f]+", "ADDR", ln) for ln in text.decode().splitlines()
                if ln.startswith("munmap(")]
    assert lines(got.stderr) == lines(st.stderr)
    assert len(lines(st.stderr)) >= 7        # the cache, then 3 objects, twice


def test_library_search_as_the_real_ld_so(tmp_path):
    """The search itself, against the real ld.so in the emulator (same CPU, so the same
    hwcaps subdirectories; native ld.so would try the host CPU's): every openat and
    newfstatat, and LD_DEBUG=libs line for line. DT_RPATH with a missing directory, an
    LD_LIBRARY_PATH with a missing one and a system directory, a DT_RUNPATH ($ORIGIN) whose
    other directory is missing, the cache, and a library found nowhere. Each directory is
    stat'ed once; a directory known missing is not tried again."""
    import re
    for d in ("r", "l", "n"):
        (tmp_path / d).mkdir()
    lib = str(EXAMPLES / "tls_lib.c")
    cc = ["gcc", "-shared", "-fPIC", "-O1", "-o"]
    subprocess.run(cc + [str(tmp_path / "r/libr.so"), lib], check=True)
    subprocess.run(cc + [str(tmp_path / "l/libl.so"), lib], check=True)
    subprocess.run(cc + [str(tmp_path / "n/libn.so"), lib], check=True)
    subprocess.run(cc + [str(tmp_path / "l/libneeds.so"), lib, f"-L{tmp_path}/n", "-ln",
                         "-Wl,--enable-new-dtags,-rpath,/nonexistent-runpath:$ORIGIN/../n"],
                   check=True)
    exe = str(tmp_path / "search_demo")
    subprocess.run(["gcc", "-o", exe, str(EXAMPLES / "search_demo.c"),
                    f"-Wl,--disable-new-dtags,-rpath,/nonexistent-rpath:{tmp_path}/r"], check=True)
    names = ["libr.so", "libl.so", "libneeds.so", "libmissing.so", "libm.so.6", "libr.so"]
    env = {"PATH": "/usr/bin:/bin", "LD_LIBRARY_PATH": f"/nonexistent-llp:{tmp_path}/l:/usr/lib",
           **ENGINE_ENV}
    want = native(exe, *names, env=env)
    assert b"libmissing.so: cannot open shared object file" in want.stdout
    runs = {}
    for ld in ("system", "python"):
        got = pyloader("run", f"--ld={ld}", "-E", "LD_DEBUG=libs", "-e",
                       "trace=openat,newfstatat", exe, *names, env=env)
        assert got.returncode == 0 and got.stdout == want.stdout, got.stderr
        text = re.sub(r"0x[0-9a-f]+", "ADDR", re.sub(r"(?m)^ *\d+:", "", got.stderr.decode()))
        runs[ld] = [line for line in text.splitlines()
                    if "search" in line or "trying" in line or "openat" in line
                    or "newfstatat(AT_FDCWD" in line]
    assert runs["python"] == runs["system"]
    assert sum("newfstatat(AT_FDCWD, \"/nonexistent-llp\"" in x for x in runs["python"]) == 1
    assert any("tls/x86_64" in x for x in runs["python"])   # glibc 2.36: legacy hwcaps too


@pytest.mark.parametrize("program", ["hello_name", "cxx_demo", "dl_api", "/bin/ls"])
def test_whole_trace_equals_the_real_ld_sos(examples, program):
    """Start-up and all after it, call by call, with the real ld.so in the emulator and with
    ours: the search, the mappings, and the minimal malloc's mmaps and the thread pointer
    where ld.so puts them (glibc's allocations replayed, e.g. libstdc++'s unique symbol
    table during its relocation, between two RELRO mprotects)."""
    exe = str(examples[program]) if program in examples else program
    traces = ld_traces(exe, "/")
    assert traces["python"] == traces["system"]
    assert sum("PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS" in ln
               for ln in traces["python"][1:]) >= 2


def test_whole_trace_with_runpaths_equals_the_real_ld_sos(tmp_path):
    """Start-up through DT_RUNPATH lists with $ORIGIN and missing directories (the program's
    and a library's) and an LD_LIBRARY_PATH with $ORIGIN: the readlink of /proc/self/exe,
    every search, stat and the minimal malloc's mmaps, as the real ld.so makes them."""
    (tmp_path / "sub").mkdir()
    (tmp_path / "other").mkdir()
    lib = str(EXAMPLES / "tls_lib.c")
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(tmp_path / "other/libn.so"), lib],
                   check=True)
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(tmp_path / "sub/libneeds.so"), lib,
                    f"-L{tmp_path}/other", "-ln",
                    "-Wl,--enable-new-dtags,-rpath,/nonexistent-runpath:$ORIGIN/../other"],
                   check=True)
    exe = str(tmp_path / "prog")
    subprocess.run(["gcc", "-o", exe, str(EXAMPLES / "hello_world.c"), "-w",
                    f"-L{tmp_path}/sub", "-Wl,--no-as-needed", "-lneeds",
                    "-Wl,--enable-new-dtags,-rpath,$ORIGIN/sub:/nonexistent-too"], check=True)
    env = {"PATH": "/usr/bin:/bin", "LD_LIBRARY_PATH": "$ORIGIN/missing:/usr/lib",
           **ENGINE_ENV}
    traces = {}
    for ld in ("system", "python"):
        got = pyloader("run", f"--ld={ld}", exe, env=env)
        assert got.returncode == 13, got.stderr         # hello_world returns printf's count
        text = re.sub(r"0x[0-9a-f]+", "ADDR", got.stderr.decode())
        traces[ld] = [re.sub(r"= \d+$", "= N", ln) for ln in text.splitlines()
                      if not ln.startswith("getrandom(")]
    assert traces["python"] == traces["system"]
    assert any(ln.startswith('readlink("/proc/self/exe"') for ln in traces["python"])
    assert any(f'"{tmp_path}/missing/' in ln for ln in traces["python"])


def _set_df_symbolic(path) -> None:
    """OR DF_SYMBOLIC into the DT_FLAGS entry of a built shared object."""
    import struct
    data = bytearray(path.read_bytes())
    phoff, phnum = struct.unpack_from("<Q", data, 32)[0], struct.unpack_from("<H", data, 56)[0]
    for i in range(phnum):
        p_type, _, p_offset, _, _, p_filesz = struct.unpack_from("<IIQQQQ", data, phoff + 56 * i)
        if p_type == 2:                                           # PT_DYNAMIC
            for at in range(p_offset, p_offset + p_filesz, 16):
                tag, val = struct.unpack_from("<qQ", data, at)
                if tag == 30:                                     # DT_FLAGS
                    struct.pack_into("<qQ", data, at, tag, val | 2)
                    path.write_bytes(bytes(data))
                    return
    raise AssertionError("no DT_FLAGS entry")


def test_dt_symbolic_library_sees_its_own_definitions_first(tmp_path):
    """glibc puts a DT_SYMBOLIC object's own symbol list first in its scopes
    (_dl_map_object_from_fd): its `value` wins over the program's, in both ld modes as
    natively, and LD_DEBUG=scopes shows the extra scope."""
    lib, exe = tmp_path / "libsym.so", tmp_path / "symbolic"
    subprocess.run(["gcc", "-shared", "-fPIC", "-O1", "-Wl,-z,now", "-o", str(lib),
                    str(EXAMPLES / "symbolic_lib.c")], check=True)
    _set_df_symbolic(lib)
    subprocess.run(["gcc", "-O1", "-rdynamic", "-o", str(exe), str(EXAMPLES / "symbolic_main.c"),
                    f"-L{tmp_path}", "-lsym", f"-Wl,-rpath,{tmp_path}"], check=True)
    want = native(str(exe))
    assert (want.returncode, want.stdout) == (1, b"get() = 1\n")
    for ld in ("python", "system"):
        got = pyloader("run", "-e", "trace=none", f"--ld={ld}", str(exe))
        assert (got.returncode, got.stdout) == (1, b"get() = 1\n"), (ld, got.stderr)
    scopes = native(str(exe), env=dict(os.environ, LD_DEBUG="scopes")).stderr.decode()
    got = pyloader("run", "-e", "trace=none", "--ld-debug=scopes", str(exe)).stderr.decode()

    def block(text: str) -> list[str]:
        lines = [ln.split(":", 1)[1].strip() for ln in text.splitlines() if ":" in ln]
        at = lines.index(f"object={lib} [0]")
        return lines[at:at + 3]
    assert block(got) == block(scopes)
    assert block(got)[1] == f"scope 0: {lib}"


def test_static_tls_fills_the_gap_an_alignment_left(tmp_path):
    """A small TLS block goes into the padding a larger, more aligned one left below it, as
    _dl_determine_tlsoffset places it: every module's offset and TPOFF64 word agrees with
    the real ld.so's (util-linux's mkswap, libuuid then libblkid, showed it)."""
    from pyloader.ld.oracle import compare
    src = str(EXAMPLES / "tls_gap.c")
    for name, flag in (("libbig.so", "-DBIG"), ("libsmall.so", "-DSMALL")):
        subprocess.run(["gcc", "-shared", "-fPIC", "-O1", flag, "-o", str(tmp_path / name), src],
                       check=True)
    exe = tmp_path / "tls_gap"
    subprocess.run(["gcc", "-O1", "-o", str(exe), src, f"-L{tmp_path}", "-lbig", "-lsmall",
                    f"-Wl,-rpath,{tmp_path}"], check=True)
    want = native(str(exe), output_expected=True)
    assert want.stdout == b"big[0]=1 small=2,3,4\n"
    got = pyloader("run", "-e", "trace=none", str(exe))
    assert (got.returncode, got.stdout) == (0, want.stdout)
    diffs = compare([str(exe)], {"PATH": "/usr/bin:/bin"})
    assert [line for line, why in diffs if why is None] == []
