"""`pyloader explain`, `maps`, `run --trace-bindings/--trace-faults`: what they say about the
load must be what readelf, objdump, ldd and the native run say about the same files."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from conftest import ROOT, native, pyloader
from test_faults import file_offset_of

LIBC = "/lib/x86_64-linux-gnu/libc.so.6"


def _sh(*cmd: str) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def hello(examples):
    exe = str(examples["hello_13"])
    got = pyloader("explain", "--json", exe)
    assert got.returncode == 0, got.stderr
    return exe, json.loads(got.stdout)


def test_exit_status_is_printfs_return_value(hello):
    exe, facts = hello
    assert native(exe).returncode == 13
    assert facts["exit"]["status"] == 13
    assert facts["output"]["stdout"] == "hello world!\n"
    st = facts["start"]
    assert st["main_returned"] == 13
    assert st["last_plt_call"]["symbol"] == "printf"
    assert st["last_plt_call"]["returned"] == 13
    assert "(main+0x" in st["last_plt_call"]["caller"]


def test_loads_match_readelf(hello):
    exe, facts = hello
    want = []
    for line in _sh("readelf", "-lW", exe).splitlines():
        f = line.split()
        if f and f[0] == "LOAD":
            flags = "".join(f[6:-1])
            want.append((int(f[1], 16), int(f[2], 16), int(f[4], 16), int(f[5], 16),
                         flags.replace(" ", "")))
    bias = int(facts["elf"]["load_bias"], 16)
    got = [(int(x["file_offset"], 16), int(x["start"], 16) - bias, int(x["filesz"], 16),
            int(x["end"], 16) - int(x["start"], 16), x["flags"].replace("-", ""))
           for x in facts["elf"]["loads"]]
    assert [(o, v, fs, ms, fl.replace("X", "E")) for o, v, fs, ms, fl in got] == want
    assert bias == 0x555555554000
    # every PT_LOAD's first page is a line of /proc/self/maps at entry, named by the file
    maps = facts["maps"]["entry"]
    for x in facts["elf"]["loads"]:
        page = int(x["start"], 16) & ~0xFFF
        assert re.search(rf"^{page:08x}-\S+ r", maps, re.MULTILINE), (hex(page), maps)


def test_relocation_counts_match_readelf(hello):
    exe, facts = hello
    want: dict[str, int] = {}
    for line in _sh("readelf", "-rW", exe).splitlines():
        m = re.match(r"^[0-9a-f]{16}\s+[0-9a-f]{16}\s+(R_X86_64_\w+)", line)
        if m:
            want[m.group(1)] = want.get(m.group(1), 0) + 1
    main = next(o for o in facts["ld"]["objects"] if o["is_main"])
    assert main["relocations"] == dict(sorted(want.items()))
    assert main["versions_needed"] == {"libc.so.6": ["GLIBC_2.2.5", "GLIBC_2.34"]}


def test_libraries_are_those_ldd_finds(hello):
    exe, facts = hello
    ldd = _sh("ldd", exe)
    libc_path = re.search(r"libc\.so\.6 => (\S+)", ldd).group(1)
    paths = [o["path"] for o in facts["ld"]["objects"]]
    assert any(os.path.realpath(p) == os.path.realpath(libc_path) for p in paths)
    assert any(o["path"] == libc_path and o["found"] for o in facts["ld"]["opened"])


def test_printf_plt_stub_and_got_before_and_after(hello):
    exe, facts = hello
    p = next(x for x in facts["plt"] if x["symbol"] == "printf")
    bias = int(facts["elf"]["load_bias"], 16)
    # objdump names the same stub printf@plt
    stub = re.search(r"^([0-9a-f]+) <printf@plt>:", _sh("objdump", "-d", exe), re.MULTILINE).group(1)
    assert int(p["stub"], 16) == bias + int(stub, 16)
    assert p["stub_code"][0].split(": ")[1].startswith("ff 25")      # jmp *GOT(%rip)
    # the GOT slot is the JUMP_SLOT relocation's offset
    slot = re.search(r"^([0-9a-f]{16})\s+\S+\s+R_X86_64_JUMP_SLO\S*\s+\S+\s+printf@",
                     _sh("readelf", "-rW", exe), re.MULTILINE).group(1)
    assert int(p["got"], 16) == bias + int(slot, 16)
    # lazy: before the first call the slot leads to the stub's push (stub + 6)
    assert int(p["got_at_entry"], 16) == int(p["stub"], 16) + 6
    # after binding: printf's address in libc = libc's base + st_value from its dynsym
    value = re.search(r"^\s*\d+: ([0-9a-f]+)\s+\d+ FUNC\s+GLOBAL\s+DEFAULT\s+\d+ printf@@",
                      _sh("readelf", "-W", "--dyn-syms", LIBC), re.MULTILINE).group(1)
    libc = next(o for o in facts["ld"]["objects"] if o["soname"] == "libc.so.6")
    assert int(p["got_after"], 16) == int(libc["l_addr"], 16) + int(value, 16)
    assert p["got_after"] == p["target"]
    b = next(x for x in facts["bindings"] if x["symbol"] == "printf")
    assert b["version"] == "GLIBC_2.2.5" and b["phase"] == "main"
    assert b["address"] == p["got_after"]


def test_initial_stack_as_the_kernel_lays_it_out(examples):
    exe = str(examples["hello_13"])
    got = pyloader("explain", "--json", "-E", "ONLY=1", exe, "Samir")
    facts = json.loads(got.stdout)
    s = facts["stack"]
    assert s["argc"] == 2 and [a["value"] for a in s["argv"]] == [exe, "Samir"]
    assert s["sp_aligned_16"]
    assert "ONLY=1" in [e["value"] for e in s["envp"]]
    auxv = {a["name"]: a for a in s["auxv"]}
    assert int(auxv["AT_ENTRY"]["value"], 16) == int(facts["start"]["entry"], 16)
    assert len(bytes.fromhex(auxv["AT_RANDOM"]["bytes"].replace(" ", ""))) == 16
    assert auxv["AT_EXECFN"]["string"] == exe
    assert s["auxv"][-1]["name"] == "AT_NULL"
    assert facts["output"]["stdout"] == "hello Samir!\n"


def test_text_has_every_stage(examples):
    got = pyloader("explain", str(examples["hello_13"]))
    assert got.returncode == 0, got.stderr
    text = got.stdout.decode()
    for n in range(1, 8):
        assert f"== {n}. " in text
    assert "binfmt_elf: starts with 7f 'E' 'L' 'F' -> accepted" in text
    assert re.search(r"0x7fffffffe[0-9a-f]{3} \| argc = 1   <- rsp when the program starts", text)
    m = re.search(r"\| auxv: (\d+) \(type, value\) pairs, AT_NULL last \((\d+) bytes\)", text)
    assert m and int(m.group(2)) == 16 * int(m.group(1))
    assert "That value is what printf returned to main" in text
    assert "The first call of printf, live:" in text
    assert "Traceback" not in got.stderr.decode()


def test_step_waits_for_enter(examples):
    exe = str(examples["hello_13"])
    one = pyloader("explain", "--step", exe, input=b"q\n")
    assert one.returncode == 0
    assert b"== 1. " in one.stdout and b"== 2. " not in one.stdout
    allst = pyloader("explain", "--step", exe, input=b"\n" * 10)
    assert b"== 7. " in allst.stdout and allst.stdout.count(b"[Enter: next stage") == 6
    eof = pyloader("explain", "--step", exe, input=b"\n")
    assert b"== 7. " in eof.stdout and eof.stdout.count(b"[Enter: next stage") == 2


def test_static_program_has_no_plt(examples):
    got = pyloader("explain", str(examples["hello_13_static"]))
    text = got.stdout.decode()
    assert got.returncode == 0
    assert "No PT_INTERP: statically linked" in text
    assert "No PLT/GOT" in text
    assert "Exit status 13" in text


def test_script_rewrites_argv(tmp_path):
    script = tmp_path / "s.sh"
    script.write_text("#!/bin/echo one two\n")
    script.chmod(0o755)
    got = pyloader("explain", "--json", str(script), "x")
    facts = json.loads(got.stdout)
    assert facts["exec"]["argv"] == ["/bin/echo", "one two", str(script), "x"]
    assert facts["exec"]["chain"][0]["handler"] == "binfmt_script"
    assert facts["exec"]["chain"][0]["first_bytes"].startswith("23 21")
    assert facts["output"]["stdout"] == f"one two {script} x\n"


def test_bad_input(examples, tmp_path):
    got = pyloader("explain", str(tmp_path / "missing"))
    assert got.returncode == 127 and b"No such file" in got.stderr
    bad = tmp_path / "bad"
    bad.write_bytes(examples["hello_13"].read_bytes()[:100])
    bad.chmod(0o755)
    got = pyloader("explain", str(bad))
    assert got.returncode == 126 and b"program headers lie outside the file" in got.stderr
    got = pyloader("explain", str(examples["crash"]))
    assert got.returncode == 0
    assert b"killed by signal 11 (core dumped)" in got.stdout
    assert re.search(rb"  pyloader: SIGSEGV: .* \(main\+0x[0-9a-f]+\)", got.stdout)
    for cmd in (("maps",), ("report", "-o", str(tmp_path / "r.html"))):
        got = pyloader(*cmd, str(bad))
        assert got.returncode == 126
        assert b"Traceback" not in got.stderr


def test_missing_library(tmp_path):
    (tmp_path / "d.c").write_text("int f(void) { return 1; }\n")
    (tmp_path / "m.c").write_text("int f(void);\nint main(void) { return f(); }\n")
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(tmp_path / "libd.so"),
                    str(tmp_path / "d.c")], check=True)
    subprocess.run(["gcc", "-o", str(tmp_path / "m"), str(tmp_path / "m.c"), f"-L{tmp_path}",
                    "-ld"], check=True)
    got = pyloader("explain", str(tmp_path / "m"))
    assert got.returncode == 0, got.stderr
    text = got.stdout.decode()
    assert "The dynamic linker did not finish; it said:" in text
    assert "libd.so: cannot open shared object file: No such file or directory" in text
    assert "Exit status 127: the dynamic linker gave up" in text
    facts = json.loads(pyloader("explain", "--json", str(tmp_path / "m")).stdout)
    assert facts["exit"]["status"] == 127 and facts["elf"]["interp"]


def test_library_search_as_ld_debug_libs_shows(tmp_path):
    (tmp_path / "d.c").write_text("int f(void) { return 1; }\n")
    (tmp_path / "m.c").write_text("int f(void);\nint main(void) { return f(); }\n")
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(tmp_path / "libd.so"),
                    str(tmp_path / "d.c")], check=True)
    exe = str(tmp_path / "m")
    subprocess.run(["gcc", "-o", exe, str(tmp_path / "m.c"), f"-L{tmp_path}", "-ld"], check=True)
    env = dict(os.environ, LD_LIBRARY_PATH=str(tmp_path))
    # the real ld.so: which files it tried for each library
    debug = native(exe, env=dict(env, LD_DEBUG="libs")).stderr.decode()
    want: dict[str, list[str]] = {}
    lib = None
    for line in debug.splitlines():
        m = re.search(r"find library=(\S+) \[0\]; searching|trying file=(\S+)", line)
        if m and m.group(1):
            lib = m.group(1)
        elif m:
            want.setdefault(lib, []).append(m.group(2))
    facts = json.loads(pyloader("explain", "--json", "-E", f"LD_LIBRARY_PATH={tmp_path}",
                                exe).stdout)
    got = {s["library"]: [o["path"] for o in s["tried"] if o["path"] != "/etc/ld.so.cache"]
           for s in facts["ld"]["searches"]}
    assert list(got) == list(want) == ["libd.so", "libc.so.6"]
    for name, paths in want.items():
        assert got[name][-1] == paths[-1]          # the file found
        # every plain directory (not hwcaps subdirectories) tried in the same order
        plain = [p for p in paths if os.path.dirname(p) in (str(tmp_path),
                                                            os.path.dirname(paths[-1]))]
        assert [p for p in got[name] if p in plain] == plain


def test_trace_bindings_lazy_and_eager(examples):
    exe = str(examples["hello_13"])
    got = pyloader("run", "-e", "trace=none", "--trace-bindings", exe)
    assert got.returncode == 13 and got.stdout == b"hello world!\n"
    line = next(x for x in got.stderr.decode().splitlines() if x.startswith("binding printf"))
    assert re.match(r"binding printf@GLIBC_2\.2\.5: called from 0x[0-9a-f]+ \(.*hello_13\+0x"
                    r"[0-9a-f]+ \(main\+0x[0-9a-f]+\)\) -> 0x[0-9a-f]+ in \S*libc\.so\.6; GOT "
                    r"slot 0x[0-9a-f]+ now holds it$", line), line
    eager = pyloader("run", "-e", "trace=none", "--trace-bindings", "-E", "LD_BIND_NOW=1", exe)
    assert eager.returncode == 13
    assert b"binding printf" not in eager.stderr


def test_maps_at_entry_main_exit(examples):
    exe = str(examples["hello_13"])
    got = pyloader("maps", exe)
    assert got.returncode == 0
    text = got.stdout.decode()
    parts = re.split(r"^== /proc/self/maps (.*) ==$", text, flags=re.MULTILINE)
    moments = dict(zip(parts[1::2], parts[2::2]))
    assert list(moments) == ["at the entry point (first instruction)", "at main", "at exit"]
    entry, _main, exit_ = moments.values()
    assert "[heap]" not in entry and "[heap]" in exit_      # printf's buffer came from brk
    assert "libc.so.6" in entry and "[stack]" in entry
    only = pyloader("maps", "--at", "exit", exe)
    assert only.stdout.count(b"== /proc/self/maps") == 1
    assert pyloader("maps", "--at", "later", exe).returncode == 2


def test_explain_trace_faults_json(examples):
    facts = json.loads(pyloader("explain", "--json", "--trace-faults",
                                str(examples["hello_13"])).stdout)
    libc = next(o for o in facts["faults"]["objects"] if o["object"] == "libc.so.6")
    assert 0 < libc["touched"] == libc["present_at_entry"] + libc["faulted"] < libc["pages"]
    first = facts["faults"]["events"][0]
    assert first["access"] == "exec" and first["address"] == int(facts["start"]["entry"], 16)


def test_trace_faults_demand_paging(examples):
    exe = str(examples["hello_13"])
    got = pyloader("run", "-e", "trace=none", "--trace-faults", exe)
    assert got.returncode == 13 and got.stdout == b"hello world!\n"
    err = got.stderr.decode()
    faults = re.findall(r"^fault at (0x[0-9a-f]+) \((read|write|exec), (\S+)\+(0x[0-9a-f]+)\) "
                        r"-> page read from file offset (0x[0-9a-f]+)$", err, re.MULTILINE)
    assert faults
    paths = {"hello_13": exe, "libc.so.6": LIBC,
             "ld-linux-x86-64.so.2": "/lib64/ld-linux-x86-64.so.2"}
    for _addr, _kind, obj, off, file_off in faults:
        # the file offset is where readelf's program headers put that address of the object
        assert int(file_off, 16) == file_offset_of(paths[obj], int(off, 16)) & ~0xFFF
    assert len({f[4] for f in faults if f[2] == "libc.so.6"}) == \
        len([f for f in faults if f[2] == "libc.so.6"])          # each page faults once
    m = re.search(r"libc\.so\.6: (\d+) of (\d+) file pages touched", err)
    touched, pages = int(m.group(1)), int(m.group(2))
    assert 0 < touched < pages / 4, (touched, pages)


def test_ibt_plt_stubs_match_objdump(tmp_path):
    # -z ibtplt: calls go through .plt.sec (endbr64; bnd jmp *GOT) and .plt.got has 16-byte
    # entries; every stub must still be found and tied to its GOT slot
    exe = tmp_path / "ibt"
    subprocess.run(["gcc", "-w", "-fcf-protection=full", "-Wl,-z,ibtplt", "-o", str(exe),
                    str(ROOT / "examples" / "hello_13.c")], check=True)
    facts = json.loads(pyloader("explain", "--json", str(exe)).stdout)
    bias = int(facts["elf"]["load_bias"], 16)
    dump = _sh("objdump", "-d", str(exe))
    for p in facts["plt"]:
        want = re.search(rf"^([0-9a-f]+) <{p['symbol']}@plt>:", dump, re.MULTILINE).group(1)
        assert int(p["stub"], 16) == bias + int(want, 16), p["symbol"]
    sections = {p["symbol"]: p["stub_section"] for p in facts["plt"]}
    assert sections == {"printf": ".plt.sec", "__cxa_finalize": ".plt.got"}
    p = next(p for p in facts["plt"] if p["symbol"] == "printf")
    assert p["got_after"] == p["target"] and facts["exit"]["status"] == 13


def test_run_path_does_not_import_the_teaching_modules(examples):
    # start-up matters: `pyloader run` loads pyloader.teach only for the teaching options
    code = ("import sys; from pyloader.cli import main; "
            "status = main(['run', '-e', 'trace=none', sys.argv[1], *sys.argv[2:]]); "
            "print(status, sorted(m for m in sys.modules if m.startswith('pyloader.teach')),"
            " file=sys.stderr)")
    exe = str(examples["hello_13"])
    plain = subprocess.run([sys.executable, "-c", code, exe], capture_output=True, text=True,
                           cwd=str(ROOT), check=False)
    assert plain.stderr.splitlines()[-1] == "13 []", plain.stderr
    code_b = code.replace("'trace=none', ", "'trace=none', '--trace-bindings', ")
    watched = subprocess.run([sys.executable, "-c", code_b, exe], capture_output=True,
                             text=True, cwd=str(ROOT), check=False)
    assert "'pyloader.teach.watch'" in watched.stderr.splitlines()[-1]


def test_ifunc_slot_holds_the_resolvers_choice(examples):
    facts = json.loads(pyloader("explain", "--json", str(examples["cxx_demo"])).stdout)
    p = next(x for x in facts["plt"] if x["symbol"] == "strlen")
    value = re.search(r"^\s*\d+: ([0-9a-f]+)\s+\d+ IFUNC\s+GLOBAL\s+DEFAULT\s+\d+ strlen@@",
                      _sh("readelf", "-W", "--dyn-syms", LIBC), re.MULTILINE).group(1)
    libc = next(o for o in facts["ld"]["objects"] if o["soname"] == "libc.so.6")
    assert p["ifunc"] and int(p["target"], 16) == int(libc["l_addr"], 16) + int(value, 16)
    after = int(p["got_after"], 16)
    assert after != int(p["target"], 16)                 # not the resolver: its result
    assert int(libc["map_start"], 16) <= after < int(libc["map_end"], 16)


@pytest.mark.parametrize("flags, source, words", [
    # void main at -O2 ends in `jmp printf@plt`: printf returns for main
    (["-O2"], "hello_13.c", "main ended with a jump to printf (a tail call)"),
    # return 0 after the call: main's own status, not puts' return value
    (["-O0"], None, "main set eax itself after its last library call (puts): mov eax, 0."),
])
def test_where_the_status_came_from(tmp_path, flags, source, words):
    src = ROOT / "examples" / source if source else tmp_path / "ret0.c"
    if source is None:
        src.write_text('#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n')
    exe = tmp_path / "prog"
    subprocess.run(["gcc", "-w", *flags, "-o", str(exe), str(src)], check=True)
    got = pyloader("explain", str(exe))
    assert words in got.stdout.decode(), got.stdout.decode()[-1500:]
    assert b"That value is what" not in got.stdout


def test_void_main_code_after_the_call_is_shown(examples):
    text = pyloader("explain", str(examples["hello_13"])).stdout.decode()
    want = re.search(r"main's code after that call does not touch eax: (.*?)\. main sets", text)
    assert want and want.group(1).endswith("ret")
    # the same instructions objdump shows after the call in main
    dump = _sh("objdump", "-d", "--no-show-raw-insn", "-M", "intel", str(examples["hello_13"]))
    body = dump.split("<main>:")[1].split("\n\n")[0]
    after = body.split("<printf@plt>")[1].splitlines()[1:]
    assert [" ".join(x.split("\t")[1].split()) for x in after if "\t" in x] == \
        [" ".join(i.split()) for i in want.group(1).split("; ")]
