"""Function hooks (pyloader/hooks.py) on real programs: replace, enter, exit, wrap,
redirect; by name, version, library, .symtab and address; calls from the program, from
inside libc (qsort's comparator) and from one library into another; hooks added and removed
while the program runs; the examples in examples/hooks/; bad hook files."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap

import pytest
from conftest import EXAMPLES, ROOT, native, pyloader

HOOKS = EXAMPLES / "hooks"


def run_hooks(tmp_path, code: str, *argv: str, env=None) -> subprocess.CompletedProcess:
    f = tmp_path / "hooks.py"
    f.write_text(textwrap.dedent(code))
    return pyloader("run", "-e", "trace=none", "--hook", str(f), *map(str, argv), env=env)


def lines(b: bytes) -> list[str]:
    return b.decode().splitlines()


def without_time(text: list[str]) -> list[str]:
    return [re.sub(r"^(time|TIME): \d+", r"\1: T", x) for x in text]


# --- the examples ---------------------------------------------------------------------------
def test_upper_printf_example(examples):
    nat = native(str(examples["hello_name"]), "Samir")
    got = pyloader("run", "-e", "trace=none", "--hook", str(HOOKS / "upper_printf.py"),
                   str(examples["hello_name"]), "Samir")
    assert got.stdout == nat.stdout.upper() == b"HELLO, SAMIR!\n"
    assert got.returncode == nat.returncode == 14       # printf's result: what we returned


def test_upper_printf_decodes_varargs_of_every_kind(examples):
    """%ld %d %s %zu %.3f %c through registers, xmm0 and the stack."""
    exe = str(examples["hooks_demo"])
    nat = native(exe)
    got = pyloader("run", "-e", "trace=none", "--hook", str(HOOKS / "upper_printf.py"), exe)
    assert got.returncode == 0, got.stderr
    assert without_time(lines(got.stdout)) == without_time(lines(nat.stdout.upper()))
    assert any(x.endswith("BYTES, 0.500 OK") for x in lines(got.stdout))


def test_fake_time_example(examples):
    exe = str(examples["hooks_demo"])
    got = pyloader("run", "-e", "trace=none", "--hook", str(HOOKS / "fake_time.py"), exe)
    assert lines(got.stdout)[0] == "time: 1700000000"
    assert without_time(lines(got.stdout)) == without_time(lines(native(exe).stdout))


def test_failing_malloc_example(examples):
    exe = str(examples["hooks_demo"])
    got = pyloader("run", "-e", "trace=none", "--hook", str(HOOKS / "failing_malloc.py"), exe)
    out = lines(got.stdout)
    assert [x for x in out if x.startswith("malloc")] == [
        "malloc 0: ok", "malloc 1: ok", "malloc 2: NULL",
        "malloc 3: ok", "malloc 4: ok", "malloc 5: NULL"]
    assert got.returncode == 0


def test_log_fopen_example(examples):
    exe = str(examples["hooks_demo"])
    got = pyloader("run", "-e", "trace=none", "--hook", str(HOOKS / "log_fopen.py"), exe,
                   "/nonexistent")
    err = got.stderr.decode()
    assert "fopen('/nonexistent', 'r') from main" in err
    assert "fopen -> NULL" in err
    assert "fopen: failed" in lines(got.stdout)


def test_reverse_sort_example_hooks_a_static_function_called_from_libc(examples):
    exe = str(examples["hooks_demo"])
    got = pyloader("run", "-e", "trace=none", "--hook", str(HOOKS / "reverse_sort.py"), exe)
    assert "sorted: 9 7 5 3 1" in lines(got.stdout)
    assert "sorted: 1 3 5 7 9" in lines(native(exe).stdout)


def test_redirect_example_loads_a_library(examples, tmp_path):
    lib = tmp_path / "libmine.so"
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(lib), str(HOOKS / "libmine.c")],
                   check=True)
    env = dict(os.environ, LIBMINE=str(lib))
    got = pyloader("run", "-e", "trace=none", "--hook", str(HOOKS / "redirect_puts.py"),
                   str(examples["hello_world"]), env=env)
    assert got.stdout == b"[my_puts] hello world!\n", got.stderr
    assert got.returncode == native(str(examples["hello_world"])).returncode


# --- each kind of hook ------------------------------------------------------------------------
def test_enter_hook_rewrites_arguments_and_sees_the_caller(examples, tmp_path):
    got = run_hooks(tmp_path, """
        import sys
        def setup(p):
            @p.hook("qsort", when="enter")
            def fewer(call):
                print("qsort from", call.caller, "nmemb", call.args[1], file=sys.stderr)
                call.args[1] = 3          # sort only the first three elements
    """, examples["hooks_demo"])
    assert "sorted: 3 5 9 1 7" in lines(got.stdout)
    assert "qsort from main nmemb 5" in got.stderr.decode()


def test_comparator_calls_come_from_inside_libc(examples, tmp_path):
    got = run_hooks(tmp_path, """
        import sys
        def setup(p):
            seen = []
            @p.hook("by_value", when="enter")
            def count(call):
                seen.append(call.caller)
            @p.hook("fopen", when="enter")
            def report(call):
                print("comparator calls", len(seen), set(seen), file=sys.stderr)
    """, examples["hooks_demo"])
    m = re.search(r"comparator calls (\d+) \{'libc.so.6'\}", got.stderr.decode())
    assert m and int(m.group(1)) >= 4, got.stderr.decode()
    assert "sorted: 1 3 5 7 9" in lines(got.stdout)


def test_exit_hook_rewrites_the_return_value(examples, tmp_path):
    got = run_hooks(tmp_path, """
        def setup(p):
            @p.hook("strlen", when="exit", callers="main")
            def longer(call):
                call.retval = call.retval + 1000
    """, examples["hooks_demo"])
    assert re.search(r"^path: \d{4} bytes", got.stdout.decode(), re.MULTILINE), got.stdout


def test_wrap_calls_the_original_with_other_arguments(examples, tmp_path):
    """call.original(*args): malloc asked for more (its result returned), qsort given a
    shorter array."""
    got = run_hooks(tmp_path, """
        import sys
        def setup(p):
            sizes = []
            @p.hook("malloc", callers="main")
            def bigger(call):
                sizes.append(call.args[0])
                return call.original(call.args[0] + 64)
            @p.hook("qsort")
            def first_three(call):
                a = call.args
                return call.original(a[0], 3, a[2], a[3])
            @p.hook("fclose", when="enter")
            def report(call):
                print("sizes", sizes, file=sys.stderr)
    """, examples["hooks_demo"])
    assert got.returncode == 0, got.stderr
    assert "sizes [32, 32, 32, 32, 32, 32]" in got.stderr.decode()
    expected = [x.replace("sorted: 1 3 5 7 9", "sorted: 3 5 9 1 7")
                for x in without_time(lines(native(str(examples["hooks_demo"])).stdout))]
    assert without_time(lines(got.stdout)) == expected


def test_names_with_library_and_version_and_by_address(examples, tmp_path):
    exe = str(examples["hooks_demo"])
    nm = subprocess.run(["nm", exe], capture_output=True, text=True, check=True).stdout
    by_value = int(re.search(r"^([0-9a-f]+) t by_value$", nm, re.MULTILINE).group(1), 16)
    got = run_hooks(tmp_path, f"""
        import sys
        def setup(p):
            counts = {{"time": 0, "malloc": 0, "cmp": 0}}
            @p.hook("libc.so.6:time", when="enter")
            def t(call): counts["time"] += 1
            @p.hook("malloc@GLIBC_2.2.5", when="enter", callers=["main"])
            def m(call): counts["malloc"] += 1
            # a PIE: the symbol's value plus the load address
            @p.hook({by_value} + 0x555555554000, when="enter")
            def c(call): counts["cmp"] += 1
            @p.hook("fclose", when="enter")
            def report(call): print("counts", counts, file=sys.stderr)
    """, exe)
    m = re.search(r"counts \{'time': 1, 'malloc': 6, 'cmp': (\d+)\}", got.stderr.decode())
    assert m and int(m.group(1)) >= 4, got.stderr.decode()


def test_call_from_one_library_into_another(examples, tmp_path):
    """operator new (libstdc++) calls malloc (libc): only those calls are counted."""
    exe = str(examples["cxx_demo"])
    got = run_hooks(tmp_path, """
        import atexit, sys
        def setup(p):
            callers = {}
            @p.hook("malloc", when="enter", callers="libstdc++.so.6")
            def m(call):
                callers[call.caller] = callers.get(call.caller, 0) + 1
            atexit.register(lambda: print("callers", callers, file=sys.stderr))
    """, exe)
    nat = native(exe)
    assert got.stdout == nat.stdout and got.returncode == nat.returncode
    m = re.search(r"callers \{'libstdc\+\+.so.6': (\d+)\}", got.stderr.decode())
    assert m and int(m.group(1)) > 0, got.stderr.decode()


def test_hooks_added_and_removed_while_running(examples, tmp_path):
    """A hook on time() adds one on malloc; the malloc hook removes itself after two calls
    (the translated code is flushed each time, or the counts would be 0 or 6)."""
    got = run_hooks(tmp_path, """
        import sys
        def setup(p):
            state = {"malloc": 0}
            @p.hook("time", when="enter")
            def later(call):
                def m(call):
                    state["malloc"] += 1
                    if state["malloc"] == 2:
                        hook.remove()
                hook = p.hook("malloc", m, when="enter", callers="main")
            @p.hook("fclose", when="enter")
            def report(call): print("mallocs seen", state["malloc"], file=sys.stderr)
    """, examples["hooks_demo"])
    assert "mallocs seen 2" in got.stderr.decode(), got.stderr.decode()


def test_static_program_hooked_through_its_symtab(examples):
    got = pyloader("run", "-e", "trace=none", "--hook", str(HOOKS / "upper_printf.py"),
                   str(examples["hello_static"]), "Samir")
    assert got.stdout == b"HELLO, SAMIR!\n", got.stderr


def test_python_api(examples, tmp_path):
    """The API of the issue: Process defaults to the Python ld.so; p.stdout; p.run()."""
    script = tmp_path / "api.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(ROOT)!r})
        from pyloader import Process
        p = Process([{str(examples["hello_name"])!r}, "Samir"])
        @p.hook("printf")
        def shout(call):
            text = call.format_string()
            p.stdout.write(text.upper())
            return len(text)
        ex = p.run()
        print("status", ex.status, p.ld_mode, file=sys.stderr)
    """))
    got = subprocess.run([sys.executable, str(script)], check=False, capture_output=True,
                         timeout=120)
    assert got.stdout == b"HELLO, SAMIR!\n"
    assert b"status 14 python" in got.stderr


# --- bad input: one line, a defined status, no traceback --------------------------------------
@pytest.mark.parametrize("code,status,message", [
    ("def setup(p):\n    p.hook('no_such_function', lambda c: 0)\n", 2,
     "hook no_such_function: no function no_such_function in the program or its libraries"),
    ("def setup(p)\n    pass\n", 2, "syntax error"),
    ("x = 1\n", 2, "defines no setup(p) function"),
    ("def setup(p):\n    p.hook('time', lambda c: 1 // 0)\n", 1,
     "a hook raised ZeroDivisionError: integer division or modulo by zero (hooks.py:2)"),
    ("def setup(p):\n    p.hook('nosuchlib:time', lambda c: 0)\n", 2,
     "no object nosuchlib is loaded"),
    ("import nonexistent_module_xyz\n", 2, "ModuleNotFoundError"),
])
def test_bad_hooks_are_one_line_errors(examples, tmp_path, code, status, message):
    f = tmp_path / "hooks.py"
    f.write_text(code)
    got = pyloader("run", "-e", "trace=none", "--hook", str(f), str(examples["hooks_demo"]))
    err = got.stderr.decode()
    assert got.returncode == status, err
    assert message in err
    assert "Traceback" not in err
    assert len([x for x in err.splitlines() if x.startswith("pyloader:")]) == 1, err


def test_missing_hook_file(examples):
    got = pyloader("run", "--hook", "/nonexistent/hooks.py", str(examples["hello_name"]))
    assert got.returncode == 2
    assert got.stderr.decode().strip() == "pyloader: --hook /nonexistent/hooks.py: no such file"


def test_exit_hook_on_a_function_that_throws(tmp_path):
    """C++: exceptions thrown through a frame with an exit hook still unwind (the return
    address is watched, not replaced); the hook sees only the calls that returned."""
    src = tmp_path / "thr.cpp"
    src.write_text("#include <cstdio>\n#include <stdexcept>\n"
                   "__attribute__((noinline)) int thrower(int x) {\n"
                   "  if (x > 1) throw std::runtime_error(\"big\"); return x; }\n"
                   "int main() { int caught = 0; for (int i = 0; i < 4; i++) {\n"
                   "  try { thrower(i); } catch (const std::exception &e) { caught++; } }\n"
                   "  printf(\"caught %d\\n\", caught); return 0; }\n")
    exe = tmp_path / "thr"
    subprocess.run(["g++", "-O1", "-o", str(exe), str(src)], check=True)
    got = run_hooks(tmp_path, """
        import sys
        def setup(p):
            @p.hook("_Z7throweri", when="exit")
            def done(call):
                print("returned", call.retval, file=sys.stderr)
    """, exe)
    assert got.stdout == b"caught 2\n"
    assert got.stderr.decode().splitlines() == ["returned 0", "returned 1",
                                                "+++ exited with 0 +++"]


VARARGS_C = r"""
#include <stdarg.h>
#include <stdio.h>
static void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}
int main(void)
{
	/* 9 integers and 10 doubles: the last ones go on the stack, interleaved */
	printf("%d %d %d %d %d %d %d %d %ld|%.1f %.1f %.1f %.1f %.1f %.1f %.1f %.1f %.2e %g\n",
	       1, 2, 3, 4, 5, 6, 7, 8, -9L, 0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5e10, 9.25);
	say("%s=%x %o %#x %5.2f %-4d| %c %p %p %% %hhd %lu\n", "va", 255, 8, 255, 3.14159, 7,
	    'z', (void *)0, (void *)0x1234, 300, 18446744073709551615UL);
	return 0;
}
"""


def test_format_string_with_stack_varargs_and_va_list(tmp_path):
    """printf with arguments past the registers, and vprintf's va_list: format_string()
    gives what glibc prints."""
    src = tmp_path / "va.c"
    src.write_text(VARARGS_C)
    exe = tmp_path / "va"
    subprocess.run(["gcc", "-O0", "-w", "-o", str(exe), str(src)], check=True)
    got = run_hooks(tmp_path, """
        def setup(p):
            def echo(call):
                text = call.format_string()
                p.stdout.write("#" + text)      # marked: the hook wrote it, not libc
                return len(text)
            p.hook("printf", echo)
            p.hook("vprintf", echo)
    """, exe)
    nat = native(str(exe))
    assert got.stdout == b"".join(b"#" + x for x in nat.stdout.splitlines(keepends=True)), \
        (got.stdout, got.stderr)
    assert b"(nil) 0x1234 % 44 18446744073709551615" in got.stdout


TAILCALL_C = r"""
#include <stdio.h>
__attribute__((noinline)) int twice(int x) { __asm__ volatile(""); return 2 * x; }
__attribute__((noinline)) int twice_next(int x) { return twice(x + 1); }   /* jmp twice */
int main(int argc, char **argv) { printf("%d\n", twice_next(argc + 4)); return 0; }
"""


@pytest.mark.parametrize("watched", [False, True])
def test_exit_hooks_on_a_tail_call(tmp_path, watched):
    """twice_next ends with `jmp twice`: both exit hooks run, innermost first, each seeing
    the result as the other left it (with the return address swapped for the trap, and
    watched, as for C++ programs and -L)."""
    src = tmp_path / "tail.c"
    src.write_text(TAILCALL_C)
    exe = tmp_path / "tail"
    subprocess.run(["gcc", "-O2", "-o", str(exe), str(src)], check=True)
    dis = subprocess.run(["objdump", "-d", str(exe)], capture_output=True, text=True,
                         check=True).stdout
    assert re.search(r"jmp\s+[0-9a-f]+ <twice>", dis), "no tail call in this build"
    got = run_hooks(tmp_path, f"""
        import sys
        from pyloader.hooks import hooks_of
        def setup(p):
            hooks_of(p).watch_returns = {watched}
            @p.hook("twice", when="exit")
            def inner(call):
                print("twice", call.retval, file=sys.stderr)
                call.retval += 100
            @p.hook("twice_next", when="exit")
            def outer(call):
                print("twice_next", call.retval, file=sys.stderr)
                call.retval += 1000
    """, exe)
    assert got.stdout == b"1112\n", got.stderr
    assert got.stderr.decode().splitlines()[:2] == ["twice 12", "twice_next 112"]


def test_library_hooks_need_the_python_ld(examples, tmp_path):
    f = tmp_path / "hooks.py"
    f.write_text("def setup(p):\n    p.hook('printf', lambda c: 0)\n")
    got = pyloader("run", "--ld=system", "--hook", str(f), str(examples["hello_name"]), "x")
    assert got.returncode == 2
    assert got.stderr.decode().splitlines()[-1] == \
        "pyloader: hook printf: hooking library functions needs the Python ld.so (--ld=python)"


def test_hooks_by_name_follow_an_exec(examples):
    """sh execs the program: the hook is resolved again in the new image."""
    got = pyloader("run", "-e", "trace=none", "--hook", str(HOOKS / "upper_printf.py"),
                   "/bin/sh", "-c", f"exec {examples['hello_name']} Samir")
    assert got.stdout == b"HELLO, SAMIR!\n", got.stderr
    assert got.returncode == 14
