"""`pyloader run -L`: library calls printed as ltrace prints them.

ltrace puts breakpoints on PLT entries: by default those of the main program (`-e @MAIN`),
so it shows the calls the program makes to its libraries. Here each selected PLT entry gets
an enter hook (note the call) and an exit hook (print the line), both from
pyloader/hooks.py. A call that has not returned when anything else is printed (a nested
call, a system call) is printed first with " <unfinished ...>", and its result comes later
as "<... name resumed> ) = value", as in ltrace.
"""
from __future__ import annotations

import fnmatch
import os
import re
import signal
import struct
import sys
from dataclasses import dataclass

from syscalls.uapi import GLIBC_SIGACTION

from .cpu import XMM
from .elf import R_GLOB_DAT, R_JUMP_SLOT, SHDR
from .hooks import Call, Hook, Hooks
from .ltrace_protos import PROTOS, returns
from .printf import VaArgs, conversions

ALIGN = 48              # ltrace pads the call to this column before " = "
UNKNOWN_ARGS = 4        # what ltrace shows of a function it has no prototype for
SIGNALS = {n: f"SIG{name}" for n, name in enumerate([
    "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2",
    "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG",
    "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS"], start=1)}
ESCAPES = {ord("\n"): "\\n", ord("\t"): "\\t", ord("\r"): "\\r", ord("\\"): "\\\\",
           ord('"'): '\\"', 0x1B: "\\e", 7: "\\a", 8: "\\b", 12: "\\f", 11: "\\v"}


# --- which PLT entries: ltrace's filter expressions -----------------------------------------------
def _pattern(p: str):
    if len(p) > 1 and p.startswith("/") and p.endswith("/"):
        rx = re.compile(p[1:-1])
        return lambda s: rx.fullmatch(s) is not None
    if p.startswith("^") or p.endswith("$"):
        rx = re.compile(fnmatch.translate(p.strip("^$")))
        return lambda s: rx.fullmatch(s) is not None
    return lambda s: fnmatch.fnmatchcase(s, p)


def parse_filter(expr: str) -> list[tuple[bool, object, str]]:
    """`malloc+free-@libc.so*` -> [(add, symbol matcher, library pattern), ...]."""
    rules = []
    for sign, body in re.findall(r"([+-]?)([^+-]+|(?=[+-])|$)", expr):
        if not body and not sign:
            continue
        sym, at, lib = body.partition("@")
        rules.append((sign != "-", _pattern(sym or "*"), lib if at else "*"))
    if rules and not rules[0][0]:
        rules.insert(0, (True, _pattern("*"), "*"))
    return rules


def _lib_matches(m, lib: str) -> bool:
    if lib == "MAIN":
        return m.is_main
    if lib.startswith("/") and not (lib.endswith("/") and len(lib) > 1):
        return fnmatch.fnmatchcase(m.path, lib)
    soname = m.soname or os.path.basename(m.path)
    return _pattern(lib)(soname)


def selected(filters: list[list[tuple]], name: str, m) -> bool:
    """ltrace's rule chain: marked by + rules, unmarked by - rules; any -e may select."""
    for rules in filters:
        mark = False
        for add, sym, lib in rules:
            if sym(name) and _lib_matches(m, lib):
                mark = add
        if mark:
            return True
    return False


def plt_entries(m) -> list[tuple[int, str]]:
    """(address, symbol) of each PLT entry of object m: the `jmp *GOT(%rip)` in each entry
    of .plt.sec (IBT builds), else .plt, mapped to the GOT slot's symbol. Like ltrace
    0.7.3, .plt.got (functions whose address is also taken) is left out."""
    data, img = m.data, m.img
    if not img.e_shoff or img.e_shoff + img.e_shnum * SHDR.size > len(data) \
            or img.e_shstrndx >= img.e_shnum:
        return []
    shdrs = [SHDR.unpack_from(data, img.e_shoff + i * SHDR.size) for i in range(img.e_shnum)]
    names_at = shdrs[img.e_shstrndx][4]

    def name_of(sh) -> str:
        s = names_at + sh[0]
        return data[s:data.index(b"\0", s)].decode(errors="replace")
    sections = {name_of(sh): sh for sh in shdrs}
    slots = {}
    for off, info, _ in m.jmprel() + m.rela():
        if info & 0xFFFFFFFF in (R_JUMP_SLOT, R_GLOB_DAT) and info >> 32:
            slots[off] = m.syms[info >> 32].name
    out = []
    for sec in (".plt.sec" if ".plt.sec" in sections else ".plt",):
        sh = sections.get(sec)
        if sh is None:
            continue
        addr, off, size, entsize = sh[3], sh[4], sh[5], sh[9] or 16
        for e in range(0, size - entsize + 1, entsize):
            entry = data[off + e:off + e + entsize]
            i = entry.find(b"\xff\x25")
            if i < 0 or i + 6 > len(entry):
                continue
            got = addr + e + i + 6 + struct.unpack_from("<i", entry, i + 2)[0]
            name = slots.get(got)
            if name:
                out.append((m.l_addr + addr + e, name))
    return out


# --- formatting values as ltrace does --------------------------------------------------------------
def quote(data: bytes | None, limit: int, more: bool = False) -> str:
    if data is None:
        return "nil"
    cut = len(data) > limit
    text = "".join(ESCAPES.get(b, chr(b) if 32 <= b < 127 else f"\\{b:o}")
                   for b in data[:limit])
    return f'"{text}"' + ("..." if cut or more else "")


def _char(v: int) -> str:
    b = v & 0xFF
    if b == ord("'"):
        return "'\\''"
    return "'" + (ESCAPES.get(b, chr(b) if 32 <= b < 127 else f"\\{b:o}")
                  if b != ord('"') else '"') + "'"


def _sigset(bits: int) -> str:
    """ltrace's signal set: bit numbers (signal - 1) as ranges, <0-2,12-14>."""
    out, i = [], 0
    while i < 64:
        if bits >> i & 1:
            j = i
            while j + 1 < 64 and bits >> (j + 1) & 1:
                j += 1
            out.append(str(i) if i == j else f"{i}-{j}")
            i = j + 1
        else:
            i += 1
    return "<" + ",".join(out) + ">"


def _signed(v: int, bits: int) -> int:
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


def _unknown(v: int) -> str:
    s = _signed(v, 64)
    return f"0x{v & 0xFFFFFFFFFFFFFFFF:x}" if s < -10000 or s > 10000 else str(s)


@dataclass
class _Open:
    """A traced call that has not returned."""
    call: Call
    name: str
    depth: int
    pieces: list                 # argument texts; None where an output argument goes
    proto: tuple | None
    text: str = ""               # the line so far: "[pid N] name(args"


class LTracer:
    def __init__(self, task, out=None, filters: list[str] | None = None, indent: int = 0,
                 strsize: int = 32, follow: bool = False, signals_only: bool = False):
        self.task = task
        self.out = out or sys.stderr
        self.filters = [parse_filter(f) for f in (filters or ["@MAIN"])]
        self.prefix = bool(filters)        # with -e, ltrace names the calling object: "a->f("
        self.indent = indent
        self.strsize = strsize
        # without -f, as ltrace: the main thread of the process started, not other threads
        # or forked children; with -f, every one, each line prefixed with [pid TID]
        self.follow = follow
        # -L alone: the strace Tracer writes through us only for its signal lines, which
        # come out as ltrace prints them; its other lines (the exit line) are ltrace's own
        self.signals_only = signals_only
        self.stacks: dict[int, list[_Open]] = {}     # thread id -> its calls not returned
        self.caller: dict[int, str] = {}     # PLT entry -> "object->"
        self.installed = False
        # the latest call, its line not written yet: whole when it returns, or ended with
        # " <unfinished ...>" when something else is printed first (lines are written whole,
        # so forked processes sharing the output never split one another's lines)
        self.open: _Open | None = None

    # --- installing ---------------------------------------------------------------------------------
    def install(self, hooks: Hooks) -> None:
        """Called when an image is linked: at the start, and after each exec (which ltrace
        reports before tracing the new image's calls)."""
        if self.installed and self._thread() is not None:
            if self.open is not None:
                self.out.write(self.open.text + " <no return ...>\n")
                self.open = None
            self.out.write(self._pid() + "--- Called exec() ---\n")
            self.stacks.clear()
            self.caller.clear()
        self.installed = True
        hooks.watch_returns = True      # like ltrace: the program's stack is never modified
        for m in hooks.maps():
            for addr, name in plt_entries(m):
                if not selected(self.filters, name, m):
                    continue
                hooks.add(Hook(addr, self._enter, "enter", name=name, manager=hooks))
                self.caller[addr] = (m.soname or os.path.basename(m.path)) + "->"
                if returns(name):
                    hooks.add(Hook(addr, self._exit, "exit", name=name, manager=hooks))

    # --- output -----------------------------------------------------------------------------------
    def write(self, text: str) -> None:
        """The strace Tracer's lines: anything else printed first ends an open call's line."""
        if self.signals_only:
            if self._thread() is None:     # a forked child, not followed
                return
            m = re.match(r"(\[pid +\d+\] )?--- (SIG\w+) ", text)
            if m is None:
                return
            if self.open is not None:      # ltrace's way of showing an interrupted call
                self.out.write(self.open.text + " <no return ...>\n")
                self.open = None
            name = m.group(2)
            try:
                desc = signal.strsignal(getattr(signal, name))
            except (AttributeError, ValueError):
                desc = None
            self.out.write(f"{self._pid()}--- {name} ({desc or 'Unknown signal'}) ---\n")
            return
        self.break_line()
        self.out.write(text)

    def flush(self) -> None:
        self.out.flush()

    def break_line(self) -> None:
        if self.open is not None:
            self.out.write(self.open.text + " <unfinished ...>\n")
            self.open = None

    def _thread(self) -> int | None:
        """The running thread's id, or None when it is not traced."""
        t = self.task
        tid = t.tid
        if not self.follow and (tid != t.pid or t.forked):
            return None
        return tid

    def _pid(self) -> str:
        return f"[pid {self.task.tid}] " if self.follow else ""

    def _enter(self, call: Call) -> None:
        tid = self._thread()
        if tid is None:
            return
        self.break_line()
        name = call.hook.name
        proto = PROTOS.get(name)
        pieces = self._args(call, proto)
        stack = self.stacks.setdefault(tid, [])
        depth = len(stack)
        head = self._pid() + " " * (self.indent * depth) + \
            (self.caller[call.address] if self.prefix else "") + name + "("
        shown = []
        for p in pieces:
            if p is None:
                break
            shown.append(p)
        entry = _Open(call, name, depth, pieces, proto, head + ", ".join(shown))
        stack.append(entry)
        self.open = entry

    def _exit(self, call: Call) -> None:
        tid = self._thread()
        stack = self.stacks.get(tid) if tid is not None else None
        if not stack or all(e.call is not call for e in stack):
            return
        while stack[-1].call is not call:     # calls left by longjmp or a throw
            stack.pop()
        e = stack.pop()
        full = self._out_args(e, call)
        n = e.pieces.index(None) if None in e.pieces else len(e.pieces)
        rest = full[n:]
        if self.open is e:
            line = e.text + (", " if n and rest else "") + ", ".join(rest) + ")"
        else:
            self.break_line()
            line = self._pid() + " " * (self.indent * e.depth) + f"<... {e.name} resumed> " \
                + ", ".join(rest) + ")"
        self.open = None
        self.out.write(f"{line.ljust(ALIGN)} = {self._ret(call, e.proto)}\n")
        self.out.flush()        # nothing left in the buffer for a fork() to copy

    def exited(self, ex) -> None:
        if self.open is not None:        # exit(), abort(), a throw: it never returned
            self.out.write(self.open.text + " <no return ...>\n")
            self.open = None
        if ex.signo:
            self.out.write(f"{self._pid()}+++ killed by {SIGNALS.get(ex.signo, ex.signo)} +++\n")
        else:
            self.out.write(f"{self._pid()}+++ exited (status {ex.status}) +++\n")
        self.out.flush()

    # --- arguments ------------------------------------------------------------------------------
    def _args(self, call: Call, proto) -> list[str | None]:
        if proto is None:
            return [_unknown(call.regs[i]) for i in range(UNKNOWN_ARGS)]
        _ret, types = proto
        gp = fp = 0
        out: list[str | None] = []
        for t in types:
            if t in ("double", "float"):
                out.append(self._float(call, fp, t))
                fp += 1
                continue
            v = call.args[gp]
            gp += 1
            if t.startswith("+"):
                out.append(None)
            elif t == "format":
                out.extend(self._format(call, v, gp, fp))
            else:
                out.append(self.value(t, v, call))
        return out

    def _out_args(self, e: _Open, call: Call) -> list[str]:
        """The argument texts with the output arguments (+T) read now, at the return."""
        if e.proto is None:
            return list(e.pieces)
        outs, gp = [], 0
        for t in e.proto[1]:
            if t in ("double", "float"):
                continue
            if t.startswith("+"):
                outs.append(self.value(t[1:], call.args[gp], call))
            gp += 1
        it = iter(outs)
        return [p if p is not None else next(it, "?") for p in e.pieces]

    def _float(self, call: Call, i: int, t: str) -> str:
        if t == "float":
            value = struct.unpack("<f", struct.pack("<Q", _xmm_raw(call, i))[:4])[0]
        else:
            value = call.fargs[i]
        return f"{value:f}"

    def _format(self, call: Call, fmt_addr: int, named: int, fp_named: int) -> list[str]:
        mem = call.hooks.mem
        if not fmt_addr:
            return ["nil"]
        fmt = mem.read_cstr(fmt_addr, 65536)
        shown = [quote(fmt, self.strsize)]
        va = VaArgs.of_call(call, named)
        va.fp = va.fp[fp_named:]
        try:
            for _text, conv, item in conversions(fmt, va, mem, self.strsize + 1):
                if conv is None:
                    continue
                spec, value = item
                for star in ("width", "prec"):
                    if spec[star] is not None and isinstance(spec[star], int):
                        shown.append(str(spec[star]))
                shown.append(self._conv(conv, spec, value))
        except OSError:
            pass
        return shown

    def _conv(self, conv: bytes, spec: dict, value) -> str:
        c = conv.decode()
        bits = {b"hh": 8, b"h": 16, None: 32}.get(spec["length"], 64)
        if c in "di":
            return str(_signed(value, bits))
        if c == "u":
            return str(value & ((1 << bits) - 1))
        if c in "xX":
            return f"0x{value & ((1 << bits) - 1):x}"
        if c == "o":
            return f"0{value & ((1 << bits) - 1):o}"
        if c == "c":
            return _char(value)
        if c == "s":
            limit = self.strsize
            if isinstance(spec["prec"], bytes) and spec["prec"]:
                limit = min(limit, int(spec["prec"]))
            return quote(value, limit) if value is not None else "nil"
        if c in "eEfFgGaA":
            return f"{value:f}"
        if c in "pn":
            return f"0x{value:x}" if value else "nil" if c == "p" else "0"
        return ""

    def value(self, t: str, v: int, call: Call) -> str:
        mem = call.hooks.mem
        if t == "int":
            return str(_signed(v, 32))
        if t == "uint":
            return str(v & 0xFFFFFFFF)
        if t == "long":
            return str(_signed(v, 64))
        if t == "ulong":
            return str(v & 0xFFFFFFFFFFFFFFFF)
        if t == "hex":
            return f"0x{v:x}"
        if t == "octal":
            return f"0{v & 0xFFFFFFFF:o}" if v else "0"
        if t == "char":
            return _char(v)
        if t == "bool":
            return "true" if v else "false"
        if t in ("addr", "file"):
            return f"0x{v:x}" if v else "0"
        if t == "signum":
            return SIGNALS.get(v & 0xFFFFFFFF, str(_signed(v, 32)))
        if t.startswith("enum("):
            for item in t[5:-1].split(","):
                k, _, n = item.partition("=")
                if int(n) == _signed(v, 32):
                    return k
            return str(_signed(v, 32))
        if t == "int*":
            try:
                return str(_signed(mem.read_u64(v), 32)) if v else "nil"
            except OSError:
                return f"0x{v:x}"
        if t in ("sigset_t*", "sigaction*"):
            if not v:
                return "nil"
            try:
                if t == "sigset_t*":
                    return _sigset(int.from_bytes(mem.read(v, 8), "little"))
                handler, mask, flags, restorer = GLIBC_SIGACTION.unpack(
                    mem.read(v, GLIBC_SIGACTION.size))
            except OSError:
                return f"0x{v:x}"
            return (f"{{ {self.value('addr', handler, call)}, "
                    f"{_sigset(int.from_bytes(mask, 'little'))}, {_unknown(flags)}, "
                    f"{self.value('addr', restorer, call)} }}")
        if t.startswith("string"):
            if not v:
                return "nil"
            n = t[6:]
            try:
                if not n:                       # NUL-terminated
                    return quote(mem.read_cstr(v, self.strsize + 1), self.strsize)
                # an array of argument N (or the result) bytes, NULs included
                length = max(0, _signed(call.retval if n == "R" else call.args[int(n) - 1], 64))
                shown = min(length, self.strsize)
                return quote(mem.read(v, shown), shown, more=length > shown)
            except OSError:
                return f"0x{v:x}"
        return _unknown(v)

    def _ret(self, call: Call, proto) -> str:
        if proto is None:
            return _unknown(call.retval)
        t = proto[0]
        if t == "void":
            return "<void>"
        if t in ("double", "float"):
            return f"{call.fretval:f}" if t == "double" else \
                f"{struct.unpack('<f', struct.pack('<Q', _xmm_raw(call, 0))[:4])[0]:f}"
        if t == "string" and not call.retval:
            return "nil"
        return self.value(t, call.retval, call)


def _xmm_raw(call: Call, i: int) -> int:
    return call.hooks.uc.reg_read(XMM[i]) & 0xFFFFFFFFFFFFFFFF
