"""The `pyloader` command line: argument parsing only; the work is in Process and friends."""
from __future__ import annotations

import argparse
import os
import sys

from .startup import EXIT_NOT_FOUND, EXIT_USAGE, exec_status, find_program, guest_env


def _run_parser(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("run", help="run a program in the emulator and trace its system calls",
                       usage="pyloader run [options] [--] PROGRAM [ARGS...]")
    p.add_argument("-o", dest="output", metavar="FILE", help="write the trace to FILE")
    p.add_argument("-e", dest="exprs", action="append", default=[], metavar="EXPR",
                   help="trace=SET (names, !, %%class, /regex, none)")
    p.add_argument("-s", dest="strsize", type=int, default=32, metavar="SIZE",
                   help="print at most SIZE bytes of each string (default 32)")
    p.add_argument("-f", dest="follow", action="count", default=0,
                   help="trace forked children too (-ff with -o: one file per pid, FILE.PID)")
    p.add_argument("-c", dest="summary", action="store_true", help="count calls; print a summary")
    p.add_argument("-y", dest="paths", action="store_true", help="print paths of descriptors")
    p.add_argument("-T", dest="times", action="store_true", help="print time spent in each call")
    p.add_argument("-t", dest="stamps", action="count", default=0,
                   help="prefix lines with the time of day (-tt: with us, -ttt: epoch)")
    p.add_argument("-r", dest="relative", action="store_true", help="print relative timestamps")
    p.add_argument("-z", dest="only_ok", action="store_true", help="print only successful calls")
    p.add_argument("-Z", dest="only_failed", action="store_true", help="print only failed calls")
    p.add_argument("-X", dest="xlat", choices=("raw", "abbrev", "verbose"), default="abbrev",
                   help="how constants print")
    p.add_argument("-v", dest="verbose", action="store_true", help="unabbreviated structures")
    p.add_argument("-E", dest="env", action="append", default=[], metavar="VAR[=VAL]",
                   help="set VAR=VAL, or remove VAR, in the program's environment")
    p.add_argument("--rootfs", default="/", metavar="DIR", help="guest / is DIR (default /)")
    p.add_argument("--timeout", type=float, metavar="SECONDS",
                   help="kill the program (SIGKILL, exit 137) after SECONDS")
    p.add_argument("--seed", type=int, help="make AT_RANDOM and getrandom reproducible")
    p.add_argument("--ld", choices=("system", "python"), default="python",
                   help="who links dynamic programs: our Python ld.so (default), or the real "
                        "ld.so executing in the emulator")
    p.add_argument("--tlb", choices=("auto", "cpu", "virtual"), default="auto",
                   help="Unicorn's TLB mode: virtual stores fast but misses slowly (hot "
                        "loops), cpu the other way round on the stock engine (large working "
                        "sets, much code); auto (the default) measures which is faster while "
                        "the program computes, or on the fast engine (`pyloader engine`) "
                        "keeps cpu mode and grows its TLB")
    p.add_argument("--no-vdso", action="store_true",
                   help="map no vDSO: clock_gettime, gettimeofday, time... become system calls")
    p.add_argument("--ld-debug", default="", metavar="CATS",
                   help="what LD_DEBUG shows, from the Python ld.so: libs,reloc,files,symbols,"
                        "bindings,versions,scopes,tls,statistics,all")
    p.add_argument("--trace-bindings", action="store_true",
                   help="print each lazy PLT binding as it happens (symbol, caller, address, "
                        "library, version)")
    p.add_argument("--trace-faults", action="store_true",
                   help="show demand paging: each first touch of a file-backed page, and a "
                        "summary (slower for big programs: each first touch stops the emulator)")
    p.add_argument("--hook", dest="hooks", action="append", default=[], metavar="FILE",
                   help="a Python file defining setup(p) that hooks functions (see README)")
    p.add_argument("-L", "--ltrace", action="store_true",
                   help="print library calls as ltrace does (with -e trace=...: both traces)")
    p.add_argument("--indent", type=int, default=0, metavar="N",
                   help="-L: indent nested calls by N spaces per level (ltrace -n)")
    p.add_argument("program", metavar="PROGRAM")
    p.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS")
    return p


def _teach_parsers(sub) -> None:
    """explain, maps, report: the teaching commands (implemented in pyloader/teach)."""
    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("-E", dest="env", action="append", default=[], metavar="VAR[=VAL]",
                       help="set VAR=VAL, or remove VAR, in the program's environment")
        p.add_argument("--rootfs", default="/", metavar="DIR", help="guest / is DIR")
        p.add_argument("--seed", type=int, default=1,
                       help="AT_RANDOM and getrandom seed (default 1: reproducible)")
        p.add_argument("--timeout", type=float, default=60, metavar="SECONDS",
                       help="kill the program after SECONDS (default 60)")
        p.add_argument("program", metavar="PROGRAM")
        p.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS")

    p = sub.add_parser("explain", help="narrate how Linux loads and starts a program",
                       usage="pyloader explain [--step] [--json] [options] PROGRAM [ARGS...]")
    p.add_argument("--step", action="store_true", help="pause between stages (Enter)")
    p.add_argument("--json", action="store_true", help="the same facts as JSON")
    p.add_argument("--trace-faults", action="store_true", help="also show demand paging")
    common(p)
    p = sub.add_parser("maps", help="print the guest's /proc/self/maps at entry, main, exit",
                       usage="pyloader maps [--at entry,main,exit] [options] PROGRAM [ARGS...]")
    p.add_argument("--at", default="entry,main,exit", metavar="MOMENTS",
                   help="comma-separated: entry, main, exit (default: all three)")
    common(p)
    p = sub.add_parser("report", help="write a self-contained HTML report of the load and run",
                       usage="pyloader report [-o FILE] [options] PROGRAM [ARGS...]")
    p.add_argument("-o", dest="output", default="report.html", metavar="FILE",
                   help="the HTML file to write (default report.html)")
    common(p)


def _trace_selection(exprs: list[str]):
    """-e trace=SET (strace's) and -e ltrace=FILTER (ltrace's -e, for -L):
    (syscall selection or None, ltrace filters)."""
    from .trace.filters import parse_trace_expr
    selected, lfilters = None, []
    for e in exprs:
        key, eq, val = e.partition("=")
        if not eq:
            key, val = "trace", e
        if key in ("trace", "t"):
            selected = parse_trace_expr(val)
        elif key == "ltrace":
            lfilters.append(val)
        else:
            raise ValueError(f"unsupported -e qualifier '{key}'")
    return selected, lfilters


def cmd_run(a: argparse.Namespace) -> int:
    env = guest_env(a.env)
    try:
        selected, lfilters = _trace_selection(a.exprs)
    except ValueError as e:
        print(f"pyloader: {e}", file=sys.stderr)
        return EXIT_USAGE
    if a.rootfs != "/":
        from syscalls.vfs import Root
        try:
            Root(a.rootfs).close()
        except OSError as e:
            print(f"pyloader: --rootfs {a.rootfs}: {e.strerror}", file=sys.stderr)
            return EXIT_USAGE
    path = find_program(a.program, env, a.rootfs)
    if path is None:
        print(f"pyloader: {a.program}: command not found", file=sys.stderr)
        return EXIT_NOT_FOUND

    out = None
    if a.output and a.follow == 2:
        a.output = f"{a.output}.{os.getpid()}"   # strace -ff: FILE.PID per process
    if a.output:
        try:
            out = open(a.output, "w", buffering=1 << 16)  # noqa: SIM115 - closed below
        except OSError as e:
            print(f"pyloader: {a.output}: {e.strerror}", file=sys.stderr)
            return EXIT_USAGE
    ltrace = a.ltrace or bool(lfilters)
    ltrace_only = ltrace and selected is None
    if ltrace_only:             # no system calls: the Tracer only reports signals (see LTracer)
        selected = set()
    from .trace import Tracer  # even with trace=none: the "+++ exited" line
    tracer = Tracer(out, selected=selected, strsize=a.strsize, summary=a.summary,
                    show_paths=a.paths, syscall_times=a.times, timestamps=a.stamps,
                    relative=a.relative, only_ok=a.only_ok, only_failed=a.only_failed,
                    xlat_style=a.xlat, verbose=a.verbose, follow=min(a.follow, 2),
                    outname=a.output.rpartition(".")[0] if a.follow == 2 and a.output
                    else a.output)
    from .binfmt import ExecError
    from .process import Process
    proc = Process([a.program] + a.args, env, root=a.rootfs, ld=a.ld, tracer=tracer, seed=a.seed,
                   timeout=a.timeout, tlb=a.tlb)
    proc.ld_debug = {c for c in a.ld_debug.split(",") if c}
    proc.use_vdso = not a.no_vdso
    if proc.ld_debug:
        from .ld.rtld import CATEGORIES
        for c in sorted(proc.ld_debug - CATEGORIES):     # ld.so's own words for LD_DEBUG
            print(f"warning: debug option `{c}' unknown; try LD_DEBUG=help", file=sys.stderr)
    ltracer = None
    hook_error: type[Exception] | tuple = ()      # `except ()` catches nothing
    if a.hooks or ltrace:
        from .hooks import HookError, hooks_of, load_hook_file
        hook_error = HookError
    watch = None
    if a.trace_bindings or a.trace_faults:     # teaching modes: imported only when asked for
        from .teach.watch import Watch
        watch = Watch(proc, tracer.out, bindings=a.trace_bindings, faults=a.trace_faults)
    try:
        for f in a.hooks:
            load_hook_file(proc, f)
        if ltrace:
            from .ltrace import LTracer
            ltracer = LTracer(proc, out, lfilters, indent=a.indent, strsize=a.strsize,
                              follow=a.follow > 0, signals_only=ltrace_only)
            hooks_of(proc).on_attach.append(ltracer.install)
            tracer.out = ltracer        # one stream: a syscall line ends an open call's line
        ex = proc.run(path)
        if watch is not None:
            watch.finish()
        if ltrace_only:
            ltracer.exited(ex)
    except ExecError as e:
        msg = str(e)
        print(f"pyloader: {a.program}: {msg}" if a.program not in msg else f"pyloader: {msg}",
              file=sys.stderr)
        return exec_status(e.errno)
    except hook_error as e:
        if ltracer is not None:
            ltracer.break_line()
        print(f"pyloader: {e}", file=sys.stderr)
        return e.status
    finally:
        if out is not None:
            out.close()
    return 128 + ex.signo if ex.signo else ex.status


def cmd_ldd(a: argparse.Namespace) -> int:
    """The shared objects a program needs, found as the Python ld.so finds them."""
    from .binfmt import ExecError
    from .ld import LayoutError, LinkError
    from .process import Process
    status = 0
    for prog in a.programs:
        if len(a.programs) > 1:
            print(f"{prog}:")
        proc = Process([prog], dict(os.environ), root=a.rootfs, ld="python")
        try:
            objs = proc.ldd(prog)
        except ExecError as e:
            print(f"pyloader ldd: {prog}: {e}", file=sys.stderr)
            status = 1
            continue
        except (LinkError, LayoutError) as e:
            print(f"pyloader ldd: {prog}: {e}", file=sys.stderr)
            status = 1
            continue
        if not objs:
            print("\tnot a dynamic executable")
            status = 1
        for name, path, addr in objs:
            if name == "ld-linux-x86-64.so.2" or name == path:
                print(f"\t{path} (0x{addr:016x})")
            else:
                print(f"\t{name} => {path} (0x{addr:016x})")
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pyloader",
                                     description="Run Linux x86-64 programs in Unicorn; trace "
                                                 "them as strace does.")
    sub = parser.add_subparsers(dest="command", required=True)
    _run_parser(sub)
    _teach_parsers(sub)
    ldd = sub.add_parser("ldd", help="print the shared objects a program needs, as ldd does")
    ldd.add_argument("--rootfs", default="/", metavar="DIR")
    ldd.add_argument("programs", nargs="+", metavar="PROGRAM")
    eng = sub.add_parser("engine", help="which Unicorn library runs the guest; `engine build` "
                                        "builds the fast one")
    eng.add_argument("action", nargs="?", choices=("show", "build"), default="show")
    eng.add_argument("--force", action="store_true",
                     help="build even when the loaded engine already stores fast")
    a = parser.parse_args(argv)
    if a.command == "engine":
        from .engine_build import cmd_engine
        return cmd_engine(a)
    from . import engine
    if engine.fast_missing:
        print(f"pyloader: PYLOADER_ENGINE=fast: {engine.fast_missing}", file=sys.stderr)
        return EXIT_USAGE
    if a.command == "ldd":
        return cmd_ldd(a)
    if getattr(a, "args", None) and a.args[0] == "--":
        a.args = a.args[1:]
    if a.command == "run":
        return cmd_run(a)
    if a.command in ("explain", "maps", "report"):
        from .teach import commands
        return getattr(commands, "cmd_" + a.command)(a)
    return EXIT_USAGE


def entry() -> None:
    try:
        code = main()
    except KeyboardInterrupt:
        code = 130
    except BrokenPipeError:
        code = 141
    except Exception as e:  # never a traceback for the user; PYLOADER_DEBUG=1 shows it
        if os.environ.get("PYLOADER_DEBUG"):
            raise
        print(f"pyloader: internal error: {type(e).__name__}: {e}", file=sys.stderr)
        code = 70          # EX_SOFTWARE
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:
        pass
    sys.exit(code)
