"""Run a program under pyloader and record what the load and the run really did.

`observe()` is shared by `explain`, `maps` and `report`: it runs the program once with the
Python ld.so and returns `Facts`, plain data (JSON-able) gathered from the real load:
the binfmt record, the ELF headers, the initial stack read back from guest memory, the link
maps and their relocations, the PLT/GOT before and after binding, every syscall as strace
prints it, the moments _start -> __libc_start_main -> main -> exit, and /proc/self/maps
at those moments. Address-limited code hooks mark the moments (they cost nothing elsewhere).
"""
from __future__ import annotations

import collections
import contextlib
import io
import os
import struct
import sys
import tempfile
import time
from dataclasses import dataclass, field

from unicorn import UC_HOOK_CODE
from unicorn import x86_const as X

from syscalls.table import BY_NAME

from ..binfmt.stack import AT_NAMES, AT_PLATFORM, AT_RANDOM, AT_SYSINFO_EHDR
from ..elf import (
    PT_GNU_RELRO,
    PT_GNU_STACK,
    PT_INTERP,
    PT_LOAD,
    PT_TLS,
    R_GLOB_DAT,
    R_JUMP_SLOT,
    STT_GNU_IFUNC,
)
from ..memory import STACK_TOP
from ..startup import EXIT_NOT_FOUND, exec_status, find_program
from ..trace.strace import Tracer

OPENAT = BY_NAME["openat"].nr
MAX_PLT_CALLS = 1000        # calls through the PLT remembered (for "where did 13 come from")
MAX_OUTPUT = 64 << 10            # bytes of the program's stdout/stderr kept
MAX_LINES, MAX_TAIL = 5000, 200   # trace lines kept: the start of a long run and its end


class Recorder(Tracer):
    """A Tracer that keeps every line (with its time and the phase of the run) as data."""

    def __init__(self, **kw):
        super().__init__(io.StringIO(), **kw)
        self.lines: list[dict] = []
        self.phase = "exec"
        self.t0 = time.perf_counter()
        self.opened: list[tuple[str, int, str]] = []   # (path, result, phase) of openat
        self.kinds: dict[str, int] = {}   # lines per kind (the Tracer has its own counts)
        self.tail: collections.deque = collections.deque(maxlen=MAX_TAIL)

    def now(self) -> float:
        return time.perf_counter() - self.t0

    # every line the Tracer prints goes through one of these two
    def _write(self, line: str) -> None:
        self._record(line)

    def _write_raw(self, lead: str, body: str) -> None:
        self._record(lead + body)

    def _record(self, line: str, kind: str = "") -> None:
        # "--- SIGSEGV {...} ---" and "+++ exited with 0 +++" are events, not system calls
        kind = kind or ("event" if line.startswith(("---", "+++")) else "syscall")
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        item = {"t": round(self.now(), 6), "phase": self.phase, "kind": kind, "text": line}
        if len(self.lines) < MAX_LINES:
            self.lines.append(item)
        else:            # a long run: keep the first lines and the last ones
            self.tail.append(item)

    def note(self, text: str) -> None:
        """A line of ours (binding, fault) in the same timeline as the syscalls."""
        self._record(text, "note")

    def count(self) -> int:
        return self.kinds.get("syscall", 0)

    def all_lines(self) -> list[dict]:
        if not self.tail:
            return self.lines
        dropped = self.counts_total() - len(self.lines) - len(self.tail)
        gap = [{"t": self.tail[0]["t"], "phase": self.tail[0]["phase"], "kind": "note",
                "text": f"... {dropped} lines not kept ..."}] if dropped else []
        return self.lines + gap + list(self.tail)

    def counts_total(self) -> int:
        return sum(self.kinds.values())

    def syscall(self, task, nr, args, ret):
        if nr == OPENAT and ret is not None:         # which path, which result
            try:
                path = task.mem.read_cstr(args[1]).decode(errors="replace")
            except OSError:
                path = "?"
            self.opened.append((path, ret, self.phase))
        super().syscall(task, nr, args, ret)


@dataclass
class Facts:
    """Everything observed, as data (`--json` prints it)."""
    argv: list[str]
    exec: dict = field(default_factory=dict)
    elf: dict = field(default_factory=dict)
    stack: dict = field(default_factory=dict)
    ld: dict = field(default_factory=dict)
    plt: list = field(default_factory=list)
    bindings: list = field(default_factory=list)
    start: dict = field(default_factory=dict)
    syscalls: list = field(default_factory=list)
    maps: dict = field(default_factory=dict)
    layout: dict = field(default_factory=dict)
    faults: dict = field(default_factory=dict)
    output: dict = field(default_factory=dict)
    exit: dict = field(default_factory=dict)
    error: str | None = None

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def hexs(v: int) -> str:
    return f"{v:#x}"


class Observer:
    """Attached to one Process before it runs; fills `facts` as the run goes."""

    def __init__(self, proc, facts: Facts, recorder: Recorder, *, trace_faults: bool = False):
        self.proc = proc
        self.facts = facts
        self.rec = recorder
        self.trace_faults = trace_faults
        self.faults = None
        self.main_addr = 0
        self.plt_calls: list[dict] = []
        self._plt_by_addr: dict[int, str] = {}
        self._ret_hooks: dict[int, int] = {}
        self._pending_ret: dict[int, list[dict]] = {}
        self._plt_hook = None
        self.image = None
        proc.on_exec.append(self.at_entry)
        proc.on_bind = self.bound

    # --- the moment the first instruction is about to run ----------------------------------
    def at_entry(self, proc) -> None:
        self.image = proc.mem          # a later execve replaces it: the hooks then go quiet
        f = self.facts
        bprm = proc.bprm
        f.exec = exec_facts(proc, bprm)
        f.elf = elf_facts(bprm)
        f.stack = stack_facts(proc, bprm)
        f.maps["entry"] = proc.mem.maps_text()
        r = proc.rtld
        if r is not None:
            f.ld = ld_facts(r, self.rec.opened)
            f.plt = plt_facts(proc, r)
            self._plt_by_addr = {int(p["stub"], 16): p["symbol"] for p in f.plt if p["stub"]}
        f.start["entry"] = hexs(proc.cpu.pc)
        f.start["entry_where"] = where(proc, proc.cpu.pc)
        f.start["syscalls_before_entry"] = self._syscall_count()
        self.rec.phase = "start"
        self._hook_start(proc, r)
        if self.trace_faults:
            from .faults import FaultTracer
            self.faults = FaultTracer(proc, self.rec.note, clock=self.rec.now)
            self.faults.install()

    def _syscall_count(self) -> int:
        return self.rec.count()

    def _hook_start(self, proc, r) -> None:
        """Code hooks on __libc_start_main (its rdi is main), main, and main's return."""
        uc = proc.cpu.uc
        lsm = 0
        if r is not None:
            found = r.lookup("__libc_start_main", None)
            if found is not None:
                lsm = found[0].l_addr + found[1].value
        else:
            from .elfinfo import symbol_address
            img = proc.bprm.image
            v = symbol_address(img, "__libc_start_main")
            lsm = v + proc.bprm.load_bias if v else 0
        if lsm:
            uc.hook_add(UC_HOOK_CODE, self._at_libc_start_main, None, lsm, lsm)
            self.facts.start["__libc_start_main"] = hexs(lsm)
        stubs = sorted(self._plt_by_addr)
        if stubs:
            self._plt_hook = uc.hook_add(UC_HOOK_CODE, self._at_plt, None, stubs[0], stubs[-1])

    def _at_libc_start_main(self, uc, address, size, ud) -> None:
        if self.proc.mem is not self.image:
            return
        st = self.facts.start
        if "main" in st:
            return
        self.main_addr = uc.reg_read(X.UC_X86_REG_RDI)
        st["__libc_start_main_where"] = where(self.proc, address)
        st["syscalls_before___libc_start_main"] = self._syscall_count()
        st["main"] = hexs(self.main_addr)
        st["main_where"] = where(self.proc, self.main_addr)
        self.rec.note(f"[pyloader] __libc_start_main({self.main_addr:#x} = main, argc="
                      f"{uc.reg_read(X.UC_X86_REG_RSI)}, argv={uc.reg_read(X.UC_X86_REG_RDX):#x})")
        uc.hook_add(UC_HOOK_CODE, self._at_main, None, self.main_addr, self.main_addr)

    def _at_main(self, uc, address, size, ud) -> None:
        if self.proc.mem is not self.image:
            return
        st = self.facts.start
        if "main_reached" in st:
            return
        st["main_reached"] = True
        st["syscalls_before_main"] = self._syscall_count()
        self.facts.maps["main"] = self.proc.mem.maps_text()
        self.rec.phase = "main"
        self.rec.note("[pyloader] main reached")
        rsp = uc.reg_read(X.UC_X86_REG_RSP)
        ret = self.proc.mem.read_u64(rsp)
        st["main_returns_to"] = hexs(ret)
        st["main_returns_to_where"] = where(self.proc, ret)
        uc.hook_add(UC_HOOK_CODE, self._at_main_return, None, ret, ret)

    def _at_main_return(self, uc, address, size, ud) -> None:
        if self.proc.mem is not self.image:
            return
        st = self.facts.start
        if "main_returned" in st:
            return
        rax = uc.reg_read(X.UC_X86_REG_RAX)
        st["main_returned"] = rax & 0xFFFFFFFF
        st["main_returned_rax"] = hexs(rax)
        self._at_plt_return(uc, address, size, ud)   # a tail call returns here too
        st["last_plt_call"] = self._last_call_of_main(st)
        self.rec.phase = "exit"
        self.rec.note(f"[pyloader] main returned, eax = {rax & 0xFFFFFFFF}")

    def _last_call_of_main(self, st: dict) -> dict | None:
        """The last library call main made itself (or tail-called), and whether main's code
        after it sets eax: what decides where the exit status came from."""
        ret_to = int(st["main_returns_to"], 16)
        lo, hi = self.main_addr, self.main_addr + self._main_size()
        mine = [c for c in self.plt_calls if c.get("returned") is not None and
                (lo <= int(c["return_address"], 16) < hi or
                 int(c["return_address"], 16) == ret_to)]
        if not mine:
            return None
        call = dict(mine[-1])
        at = int(call["return_address"], 16)
        if at == ret_to:              # `jmp printf@plt`: printf returned for main
            call["tail_call"], call["main_sets_eax"], call["code_after"] = True, False, []
            return call
        from .elfinfo import sets_eax_before_ret
        try:
            code = self.proc.mem.read(at, min(64, hi - at))
        except OSError:
            code = b""
        call["tail_call"] = False
        call["main_sets_eax"], call["code_after"] = sets_eax_before_ret(code, at)
        return call

    def _main_size(self) -> int:
        """main's st_size from the program's symbol table (0: unknown, stripped)."""
        from .elfinfo import symbol
        bprm = self.proc.bprm
        found = symbol(bprm.image, "main")
        if found and found[0] + bprm.load_bias == self.main_addr:
            return found[1]
        return 0

    def _at_plt(self, uc, address, size, ud) -> None:
        if self.proc.mem is not self.image:
            return
        sym = self._plt_by_addr.get(address)
        if sym is None:
            return
        rsp = uc.reg_read(X.UC_X86_REG_RSP)
        ret = self.proc.mem.read_u64(rsp)
        call = {"symbol": sym, "stub": hexs(address), "return_address": hexs(ret),
                "caller": where(self.proc, ret), "phase": self.rec.phase, "returned": None}
        self.plt_calls.append(call)
        if len(self.plt_calls) >= MAX_PLT_CALLS and self._plt_hook is not None:
            # enough to tell the story; stop paying a Python call per library call
            uc.hook_del(self._plt_hook)
            self._plt_hook = None
            for h in self._ret_hooks.values():
                uc.hook_del(h)
            return
        self._pending_ret.setdefault(ret, []).append(call)
        if ret not in self._ret_hooks:
            self._ret_hooks[ret] = uc.hook_add(UC_HOOK_CODE, self._at_plt_return, None, ret, ret)

    def _at_plt_return(self, uc, address, size, ud) -> None:
        if self.proc.mem is not self.image:
            return
        waiting = self._pending_ret.get(address)
        if waiting:
            call = waiting.pop()
            rax = uc.reg_read(X.UC_X86_REG_RAX)
            call["returned"] = rax & 0xFFFFFFFF      # as an int (eax), the common case
            call["returned_rax"] = hexs(rax)

    # --- lazy binding, as it happens ---------------------------------------------------------
    def bound(self, m, sidx: int, d, value: int, caller: int) -> None:
        b = binding_event(self.proc, m, sidx, d, value, caller)
        b["t"] = round(self.rec.now(), 6)
        b["after_syscalls"] = self._syscall_count()
        b["phase"] = self.rec.phase
        self.facts.bindings.append(b)
        self.rec.note(binding_line(b))
        for p in self.facts.plt:
            if p["got"] == b["got"]:
                p["bound_at"] = b["t"]
                p["bound_after_syscalls"] = b["after_syscalls"]


def binding_event(task, m, sidx: int, d, value: int, caller: int) -> dict:
    sym = m.syms[sidx]
    # the version the reference asks for (what Rtld.ref_version reads; bindings made while
    # linking come before task.rtld exists)
    ndx = m.versym[sidx] & 0x7FFF if m.versym is not None and sidx < len(m.versym) else 0
    ver = m.versions.get(ndx) if ndx >= 2 else None
    jm = m.__dict__.get("_jmprel") or m.jmprel()
    got = next((m.l_addr + off for off, info, _ in jm if info >> 32 == sidx), 0)
    return {"symbol": sym.name, "version": ver.name if ver else None,
            "object": m.path, "caller": hexs(caller), "caller_where": where(task, caller),
            "address": hexs(value), "address_where": where(task, value),
            "defined_in": d.path if d is not None else None, "got": hexs(got)}


def binding_line(b: dict) -> str:
    ver = f"@{b['version']}" if b["version"] else ""
    return (f"binding {b['symbol']}{ver}: called from {b['caller']} ({b['caller_where']}) -> "
            f"{b['address']} in {b['defined_in']}; GOT slot {b['got']} now holds it")


def where(task, addr: int) -> str:
    from ..crash import where as crash_where
    try:
        return crash_where(task, addr)
    except Exception:  # noqa: BLE001 - a description must never stop the run
        return "?"


# --- facts from the load --------------------------------------------------------------------------
def exec_facts(proc, bprm) -> dict:
    chain = []
    for script, interp, arg in bprm.scripts:
        chain.append({"file": script, "first_bytes": _first_bytes(proc, script),
                      "handler": "binfmt_script", "interpreter": interp.decode(errors="replace"),
                      "argument": arg.decode(errors="replace") if arg else None})
    chain.append({"file": bprm.interp, "first_bytes": _first_bytes(proc, bprm.interp),
                  "handler": "binfmt_elf", "interpreter": None, "argument": None})
    return {"filename": bprm.filename, "chain": chain, "steps": list(bprm.steps),
            "argv": [a.decode(errors="replace") for a in bprm.argv],
            "envc": len(bprm.envp), "buf_size": 256}


def _first_bytes(proc, path: str, n: int = 16) -> str:
    try:
        with open(proc.root.open(path), "rb") as f:
            return f.read(n).hex(" ")
    except OSError:
        return ""


def elf_facts(bprm) -> dict:
    img = bprm.image
    bias = bprm.load_bias
    ph_list = []
    for ph in img.phdrs:
        ph_list.append({"type": ph.type_name, "offset": hexs(ph.p_offset),
                        "vaddr": hexs(ph.p_vaddr), "filesz": hexs(ph.p_filesz),
                        "memsz": hexs(ph.p_memsz), "flags": ph.flags_text,
                        "align": hexs(ph.p_align)})
    loads = []
    for ph in img.segments(PT_LOAD):
        start = ph.p_vaddr + bias
        loads.append({"file_offset": hexs(ph.p_offset), "filesz": hexs(ph.p_filesz),
                      "start": hexs(start), "end": hexs(start + ph.p_memsz),
                      "file_end": hexs(start + ph.p_filesz), "flags": ph.flags_text,
                      "bss": hexs(ph.p_memsz - ph.p_filesz)})
    stack = img.first(PT_GNU_STACK)
    tls = img.first(PT_TLS)
    relro = img.first(PT_GNU_RELRO)
    return {"type": "ET_DYN" if img.is_dyn else "ET_EXEC", "entry": hexs(img.e_entry),
            "phnum": img.e_phnum, "load_bias": hexs(bias), "program_headers": ph_list,
            "loads": loads, "interp": img.interp if img.first(PT_INTERP) else None,
            "gnu_stack": stack.flags_text if stack else None,
            "tls": {"vaddr": hexs(tls.p_vaddr), "filesz": hexs(tls.p_filesz),
                    "memsz": hexs(tls.p_memsz), "align": hexs(tls.p_align)} if tls else None,
            "relro": {"start": hexs(relro.p_vaddr + bias),
                      "end": hexs(relro.p_vaddr + bias + relro.p_memsz)} if relro else None,
            "brk": hexs(_brk(bprm)),
            "vdso": hexs(vdso) if (vdso := dict(bprm.auxv).get(AT_SYSINFO_EHDR)) else None}


def _brk(bprm) -> int:
    _lo, hi = bprm.image.load_bounds()
    return (hi + bprm.load_bias + 0xFFF) & ~0xFFF


def stack_facts(proc, bprm) -> dict:
    """The initial stack read back from guest memory, from rsp up to the top."""
    mem = proc.mem
    sp = bprm.sp
    argc = mem.read_u64(sp)
    at = sp + 8
    argv = []
    for _ in range(argc):
        p = mem.read_u64(at)
        argv.append({"at": hexs(at), "ptr": hexs(p), "value": _cstr(mem, p)})
        at += 8
    argv_null = hexs(at)
    at += 8
    envp = []
    while True:
        p = mem.read_u64(at)
        if not p:
            break
        envp.append({"at": hexs(at), "ptr": hexs(p), "value": _cstr(mem, p)})
        at += 8
    envp_null = hexs(at)
    at += 8
    auxv = []
    auxv_at = at
    while True:
        key, val = struct.unpack("<QQ", mem.read(at, 16))
        item = {"at": hexs(at), "name": AT_NAMES.get(key, str(key)), "value": hexs(val)}
        if key == AT_RANDOM:
            item["bytes"] = mem.read(val, 16).hex(" ")
        elif key in (AT_PLATFORM, 31):          # AT_EXECFN
            item["string"] = _cstr(mem, val)
        auxv.append(item)
        at += 16
        if key == 0:
            break
    auxv_end = at
    rnd = dict(bprm.auxv).get(AT_RANDOM, 0)
    strings_start = proc.arg_start
    return {"sp": hexs(sp), "sp_aligned_16": sp % 16 == 0, "argc": argc, "argv": argv,
            "argv_null": argv_null, "envp": envp, "envp_null": envp_null,
            "auxv_at": hexs(auxv_at), "auxv": auxv, "auxv_end": hexs(auxv_end),
            "random_at": hexs(rnd), "padding": hexs(rnd - auxv_end) if rnd else None,
            "strings_start": hexs(strings_start), "strings_end": hexs(proc.env_end),
            "execfn_at": hexs(proc.env_end), "top": hexs(STACK_TOP)}


def _cstr(mem, addr: int) -> str:
    try:
        return mem.read_cstr(addr, 256).decode(errors="replace")
    except OSError:
        return "?"


def ld_facts(r, opened: list) -> dict:
    from ..elf import RELOC_NAMES
    objs = []
    for m in r.namespace():        # the link map's order: the vDSO right after the program
        counts = {RELOC_NAMES.get(t, str(t)): n for t, n in sorted(m.reloc_counts.items())}
        nrelr = len(m.relr())
        if nrelr:
            counts["R_X86_64_RELATIVE (RELR)"] = nrelr
        needs: dict[str, list[str]] = {}
        for v in m.versions.values():
            if v.filename:
                needs.setdefault(v.filename, []).append(v.name)
        objs.append({"name": m.name, "path": m.path, "soname": m.soname,
                     "l_addr": hexs(m.l_addr), "map_start": hexs(m.map_start),
                     "map_end": hexs(m.map_end), "needed": list(m.needed),
                     "is_main": m.is_main, "is_rtld": m.is_rtld, "is_vdso": m.is_vdso,
                     "relocations": counts, "relocation_total": sum(counts.values()),
                     "versions_needed": {k: sorted(v) for k, v in needs.items()},
                     "lazy": bool(r.lazy and not m.bind_now and not m.is_rtld),
                     "symbols": len(m.syms)})
    opens = [{"path": path, "found": ret >= 0, "error": None if ret >= 0 else os.strerror(-ret)}
             for path, ret, phase in opened if phase == "exec"]
    return {"interp": r.rtld.path if r.rtld else None, "objects": objs, "opened": opens,
            "searches": library_searches(r, opens),
            "lazy": r.lazy, "gotplt_resolver": hexs(r.resolver)}


def library_searches(r, opens: list[dict]) -> list[dict]:
    """Each DT_NEEDED search: the files tried, in order, up to the one that was found."""
    by_path = {m.path: m for m in r.maps}
    searches, tried = [], []
    for o in opens:
        tried.append(o)            # /etc/ld.so.cache too: it is read where the search needs it
        m = by_path.get(o["path"]) if o["found"] else None
        if m is not None:
            searches.append({"library": m.name, "path": m.path,
                             "needed_by": m.loader.path if m.loader else None,
                             "tried": tried})
            tried = []
    if tried:                     # the search that failed
        searches.append({"library": None, "path": None, "needed_by": None, "tried": tried})
    return searches


def plt_facts(proc, r) -> list[dict]:
    """Each imported function of the program: PLT stub, GOT slot, its value at entry."""
    from .elfinfo import disassemble, plt_stubs
    main = r.main
    stubs = {s.got: s for s in plt_stubs(main.img)}
    out = []
    rel = [(off, info, R_JUMP_SLOT) for off, info, _ in main.jmprel()] + \
        [(off, info, R_GLOB_DAT) for off, info, _ in main.rela() if info & 0xFFFFFFFF == 6
         and (off in stubs)]
    for off, info, rtype in rel:
        sidx = info >> 32
        sym = main.syms[sidx]
        ver = r.ref_version(main, sidx)
        slot = main.l_addr + off
        d, dsym, target = r.symbol_value(main, sidx, rtype)
        ifunc = dsym is not None and dsym.type == STT_GNU_IFUNC
        stub = stubs.get(off)
        got1 = got2 = None
        if main.one(3):
            got = main.l_addr + main.one(3)
            got1, got2 = proc.mem.read_u64(got + 8), proc.mem.read_u64(got + 16)
        out.append({
            "symbol": sym.name, "version": ver.name if ver else None,
            "reloc": "R_X86_64_JUMP_SLOT" if rtype == R_JUMP_SLOT else "R_X86_64_GLOB_DAT",
            "got": hexs(slot), "got_at_entry": hexs(proc.mem.read_u64(slot)),
            "got_at_entry_where": where(proc, proc.mem.read_u64(slot)),
            "stub": hexs(main.l_addr + stub.vaddr) if stub else None,
            "stub_section": stub.section if stub else None,
            "stub_code": disassemble(stub.code, main.l_addr + stub.vaddr) if stub else [],
            "target": hexs(target) if target is not None else None,
            "ifunc": ifunc,
            "defined_in": d.path if d is not None else None,
            "got_1": hexs(got1) if got1 is not None else None,
            "got_2": hexs(got2) if got2 is not None else None,
            "got_after": None, "bound_at": None})
    return out


# --- running it -----------------------------------------------------------------------------------
class ObserveError(Exception):
    """The program could not be run at all; `status` is the exit status to use."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


def observe(argv: list[str], env: dict[str, str], *, root: str = "/", seed: int | None = 1,
            trace_faults: bool = False, capture_output: bool = True,
            timeout: float | None = 60) -> Facts:
    """Run argv[0] once under the Python ld.so and return what was observed."""
    from ..binfmt import ExecError
    from ..process import Process
    path = find_program(argv[0], env, root)
    facts = Facts(argv=list(argv))
    if path is None:
        raise ObserveError(f"{argv[0]}: command not found", EXIT_NOT_FOUND)
    rec = Recorder()
    proc = Process(argv, env, root=root, ld="python", tracer=rec, seed=seed, timeout=timeout)
    obs = Observer(proc, facts, rec, trace_faults=trace_faults)
    outs = {}
    if capture_output:
        for fd in (1, 2):
            outs[fd] = tempfile.TemporaryFile()  # noqa: SIM115 - closed below
            proc.fds.install_at(fd, os.dup(outs[fd].fileno()))
    said = _Tee(sys.stderr)            # pyloader's own messages (link errors, crash line)
    try:
        with contextlib.redirect_stderr(said):
            ex = proc.run(path)
    except ExecError as e:
        msg = str(e)
        facts.error = msg
        status = exec_status(e.errno)
        msg = msg if argv[0] in msg else f"{argv[0]}: {msg}"
        if e.errno == 8 and _first_bytes(proc, path, 2) != "23 21":   # ENOEXEC, no #!
            msg += " (binfmt_script: no '#!'; binfmt_elf: refused; no handler left: ENOEXEC)"
        raise ObserveError(msg, status) from None
    finally:
        for fd, f in outs.items():
            f.seek(0)
            data = f.read(MAX_OUTPUT + 1)
            text = data[:MAX_OUTPUT].decode(errors="replace")
            if len(data) > MAX_OUTPUT:
                text += f"\n[... more output not kept: the first {MAX_OUTPUT} bytes are above]"
            facts.output["stdout" if fd == 1 else "stderr"] = text
            f.close()
    facts.output["pyloader"] = said.text()
    if not facts.exec and proc.bprm is not None and proc.bprm.image is not None:
        # exec worked but the program never reached its entry (the linker failed)
        facts.exec = exec_facts(proc, proc.bprm)
        facts.elf = elf_facts(proc.bprm)
        facts.stack = stack_facts(proc, proc.bprm)
    facts.maps["exit"] = proc.mem.maps_text()
    facts.layout = layout_facts(proc)
    facts.syscalls = rec.all_lines()
    for p in facts.plt:
        try:
            v = proc.mem.read_u64(int(p["got"], 16))
            p["got_after"] = hexs(v)
            p["got_after_where"] = where(proc, v)
        except OSError:
            pass
    if facts.start:
        facts.start["plt_calls"] = obs.plt_calls[:50]
    facts.exit = {"status": ex.status, "signal": ex.signo, "core": ex.core,
                  "syscall": next((ln["text"] for ln in reversed(facts.syscalls)
                                   if ln["text"].startswith(("exit_group(", "exit("))), None)}
    if obs.faults is not None:
        facts.faults = {"objects": obs.faults.as_data(), "events": obs.faults.events,
                        "summary": obs.faults.summary()}
    if proc.rtld is None and proc.bprm is not None and \
            proc.bprm.interp_path is not None:
        facts.error = "the Python ld.so could not link this program (see the message above)"
    return facts


class _Tee(io.StringIO):
    """Keeps what is written and passes it on."""

    def __init__(self, out):
        super().__init__()
        self.out = out

    def write(self, s: str) -> int:
        self.out.write(s)
        return super().write(s)

    def flush(self) -> None:
        self.out.flush()

    def text(self) -> str:
        return self.getvalue()


def layout_facts(proc) -> dict:
    """The VMAs at exit, for the report's picture."""
    vmas = [{"start": v.start, "end": v.end, "perms": v.perms_text(), "name": v.name,
             "offset": v.offset} for v in proc.mem.vmas]
    return {"vmas": vmas, "brk_start": proc.mem.start_brk, "brk": proc.mem.brk}


def print_error(e: ObserveError, cmd: str) -> int:
    print(f"pyloader {cmd}: {e}", file=sys.stderr)
    return e.status
