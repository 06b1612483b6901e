"""`pyloader explain PROGRAM`: the load and the first moments of the run, narrated.

Each stage is a function from the observed `Facts` to lines of text; the words are ours,
every number comes from the run (see observe.py). `--json` prints the Facts instead.
"""
from __future__ import annotations

import json
import sys
from collections.abc import Callable

from .observe import Facts

MAX_ENV_SHOWN = 4


def _h(s: str | None) -> int:
    return int(s, 16) if s else 0


def stage_exec(f: Facts) -> list[str]:
    e = f.exec
    out = [(f"execve(\"{e['filename']}\") reads the first {e['buf_size']} bytes of the file "
           "(BINPRM_BUF_SIZE) and asks each format handler in turn:")]
    for link in e["chain"]:
        fb = link["first_bytes"]
        out.append(f"  {link['file']}: first bytes {fb}")
        if link["handler"] == "binfmt_script":
            arg = f" with the one argument {link['argument']!r}" if link["argument"] else ""
            out.append(f"    binfmt_script: starts with '#!' (23 21): run the interpreter "
                       f"{link['interpreter']}{arg}")
        else:
            out.append("    binfmt_script: does not start with '#!' -> ENOEXEC, next handler")
            out.append("    binfmt_elf: starts with 7f 'E' 'L' 'F' -> accepted")
    if len(e["chain"]) > 1:
        out.append("  #! rewrote argv: the interpreter, its argument, then the script's path:")
    out.append(f"  argv = {e['argv']!r}")
    return out


def stage_elf(f: Facts) -> list[str]:
    el = f.elf
    out = [(f"ELF header: {el['type']}, entry point {el['entry']} in the file, "
           f"{el['phnum']} program headers.")]
    if el["type"] == "ET_DYN":
        out.append(f"  Position independent (ET_DYN): the kernel places it at load bias "
                   f"{el['load_bias']} (ASLR off).")
    else:
        out.append("  Not position independent (ET_EXEC): loaded at the addresses in the file.")
    out.append("  Each PT_LOAD becomes a mapping (file offset -> address range, permissions):")
    for ld in el["loads"]:
        bss = _h(ld["bss"])
        extra = f", then {bss:#x} bytes of zeroed bss" if bss else ""
        out.append(f"    file {ld['file_offset']}+{ld['filesz']} -> {ld['start']}-{ld['end']} "
                   f"{ld['flags']}{extra}")
    if el["interp"]:
        out.append(f"  PT_INTERP: {el['interp']} (the dynamic linker; pyloader's Python ld.so "
                   "does its work)")
    else:
        out.append("  No PT_INTERP: statically linked. No dynamic linker runs; the kernel jumps "
                   "straight to the program's entry.")
    gs = el["gnu_stack"]
    if gs:
        out.append(f"  PT_GNU_STACK {gs}: the stack is {'executable' if 'X' in gs else 'not executable'}.")
    if el["tls"]:
        t = el["tls"]
        out.append(f"  PT_TLS: a thread-local template of {t['filesz']} bytes initialised, "
                   f"{t['memsz']} in all, aligned to {t['align']}.")
    if el["relro"]:
        out.append(f"  PT_GNU_RELRO: {el['relro']['start']}-{el['relro']['end']} becomes "
                   "read-only once relocated.")
    out.append(f"  The heap (brk) starts on the page after the last segment: {el['brk']}.")
    if el.get("vdso"):
        out.append(f"  The kernel also maps its vDSO, a small shared object (linux-vdso.so.1), "
                   f"at {el['vdso']}, just above its [vvar] data pages, and passes that address in "
                   "AT_SYSINFO_EHDR: clock_gettime, gettimeofday and time run there, without "
                   "a system call.")
    return out


def stack_picture(s: dict) -> list[str]:
    """The stack from the top down, each region at its address, as the kernel built it."""
    sp, top = _h(s["sp"]), _h(s["top"])
    argv_at = sp + 8
    envp_at = argv_at + 8 * (s["argc"] + 1)
    auxv_at, auxv_end = _h(s["auxv_at"]), _h(s["auxv_end"])
    rnd, strings, execfn = _h(s["random_at"]), _h(s["strings_start"]), _h(s["execfn_at"])
    rows = [
        (top, "top of the stack (STACK_TOP)"),
        (execfn, f"the file name, AT_EXECFN \"{_auxv(s, 'AT_EXECFN', 'string')}\""),
        (strings, f"argv and envp strings ({execfn - strings} bytes)"),
        (_h(_auxv(s, "AT_PLATFORM")), "\"x86_64\" (AT_PLATFORM), then padding"),
        (rnd, "16 random bytes (AT_RANDOM)"),
        (auxv_end, f"{rnd - auxv_end} bytes of padding: what is below starts 16-byte aligned"),
        (auxv_at, (f"auxv: {len(s['auxv'])} (type, value) pairs, AT_NULL last "
                  f"({auxv_end - auxv_at} bytes)")),
        (envp_at, f"envp: {len(s['envp'])} pointers and a NULL"),
        (argv_at, f"argv: {s['argc']} pointer{'s' if s['argc'] != 1 else ''} and a NULL"),
        (sp, f"argc = {s['argc']}   <- rsp when the program starts"),
    ]
    out = ["  higher addresses"]
    for addr, what in rows:
        out.append(f"  {addr:#014x} | {what}")
    out.append("  lower addresses: the stack grows down from here")
    return out


def _auxv(s: dict, name: str, key: str = "value") -> str:
    return next((a.get(key, "") for a in s["auxv"] if a["name"] == name), "0")


def stage_stack(f: Facts) -> list[str]:
    s = f.stack
    out = ["The kernel builds the initial stack from the top down:", *stack_picture(s)]
    out.append(f"In detail (rsp = {s['sp']}, 16-byte aligned: {s['sp_aligned_16']}), lowest "
               "address first:")
    out.append(f"  {s['sp']}  argc = {s['argc']}")
    for a in s["argv"]:
        out.append(f"  {a['at']}  argv -> {a['ptr']} \"{a['value']}\"")
    out.append(f"  {s['argv_null']}  NULL (end of argv)")
    for e in s["envp"][:MAX_ENV_SHOWN]:
        out.append(f"  {e['at']}  envp -> {e['ptr']} \"{e['value'][:50]}\"")
    if len(s["envp"]) > MAX_ENV_SHOWN:
        out.append(f"  ...           ({len(s['envp']) - MAX_ENV_SHOWN} more environment pointers)")
    out.append(f"  {s['envp_null']}  NULL (end of envp)")
    out.append(f"  {s['auxv_at']}  auxv, (type, value) pairs the kernel passes to the program:")
    for a in s["auxv"]:
        extra = ""
        if "bytes" in a:
            extra = f"  -> 16 random bytes: {a['bytes']}"
        elif "string" in a:
            extra = f"  -> \"{a['string']}\""
        out.append(f"    {a['at']}  {a['name']:<22} {a['value']}{extra}")
    if s["padding"] is not None:
        out.append(f"  {s['auxv_end']}  {_h(s['padding'])} bytes of alignment padding")
    out.append(f"  {s['random_at']}  the AT_RANDOM bytes, then the platform string \"x86_64\"")
    out.append(f"  {s['strings_start']}  the argument and environment strings, then the "
               f"file name (AT_EXECFN) at {s['execfn_at']}")
    out.append(f"  {s['top']}  top of the stack")
    return out


def stage_ld(f: Facts) -> list[str]:
    ld = f.ld
    if not ld:
        if f.elf.get("interp") is None:
            return [("No dynamic linker: the program is static, everything it calls is inside "
                    "it, so nothing is searched, mapped or bound.")]
        said = [ln for ln in f.output.get("pyloader", "").splitlines() if ln.strip()]
        return (["The dynamic linker did not finish; it said:"] + [f"  {ln}" for ln in said]
                + ["So the program never started."])
    out = [(f"The dynamic linker ({ld['interp']}) looked for each library named by DT_NEEDED, "
            "trying these files (the openat calls in the trace):")]
    for sr in ld["searches"]:
        who = f" (needed by {sr['needed_by']})" if sr["needed_by"] else ""
        out.append(f"  {sr['library'] or 'a library that was not found'}{who}:")
        for o in sr["tried"]:
            if o["path"] == "/etc/ld.so.cache":
                out.append("    /etc/ld.so.cache: " + ("read: ldconfig's list of installed "
                                                        "libraries gives the next path"
                                                        if o["found"] else o["error"]))
            else:
                out.append(f"    {o['path']}: " + ("found" if o["found"] else o["error"]))
    out.append("Objects mapped (the link map, in load order):")
    for o in ld["objects"]:
        kind = "the program" if o["is_main"] else ("the dynamic linker" if o["is_rtld"]
                                                   else "library")
        if o.get("is_vdso"):
            kind = "the kernel's vDSO: no file, exec mapped it and gave its address in " \
                "AT_SYSINFO_EHDR"
        out.append(f"  {o['path']} ({kind}) at {o['map_start']}-{o['map_end']}, l_addr "
                   f"{o['l_addr']}" + (f", needs {', '.join(o['needed'])}" if o["needed"] else ""))
    out.append("Relocations applied, per object and type:")
    for o in ld["objects"]:
        counts = ", ".join(f"{k} {v}" for k, v in o["relocations"].items()) or "none"
        out.append(f"  {o['name']}: {o['relocation_total']} ({counts})")
    out.append("Symbol versions required:")
    for o in ld["objects"]:
        for lib, vers in o["versions_needed"].items():
            out.append(f"  {o['name']} needs from {lib}: {', '.join(vers)}")
    mode = "lazily, on first call" if ld["lazy"] else "eagerly, before the program starts " \
        "(LD_BIND_NOW)"
    out.append(f"Functions are bound {mode}.")
    return out


def stage_plt(f: Facts) -> list[str]:
    if not f.plt:
        if not f.start:
            return ["Nothing was bound: the program never started."]
        if not f.ld:
            return [("No PLT/GOT: a static program calls printf directly; there is nothing "
                    "to bind.")]
        return ["The program imports no functions through a PLT."]
    out = [("Each imported function is called through a PLT stub that jumps through a GOT "
           "slot:")]
    for p in f.plt:
        ver = f"@{p['version']}" if p["version"] else ""
        out.append(f"  {p['symbol']}{ver} ({p['reloc']}), defined in {p['defined_in']}")
        for line in p["stub_code"]:
            out.append(f"      {line}")
        out.append(f"    GOT slot {p['got']}: at entry {p['got_at_entry']} "
                   f"({p['got_at_entry_where']})")
        after = p.get("got_after")
        if after:
            why = ""
            if after == p["target"]:
                why = ", the symbol's address"
            elif p.get("ifunc") and after != p["got_at_entry"]:
                why = (f", chosen for this CPU by {p['symbol']}'s ifunc resolver at "
                       f"{p['target']}")
            out.append(f"    GOT slot {p['got']}: at exit  {after} ({p.get('got_after_where')})"
                       + why)
        if p["got_at_entry"] == p["target"]:
            out.append("    bound before the program started (eager binding)")
        elif p.get("bound_at") is not None:
            out.append(f"    bound lazily at its first call, after syscall #"
                       f"{p['bound_after_syscalls']}")
        else:
            out.append("    never called, so never bound: the slot still leads into the PLT")
    first = next((b for b in f.bindings if b["object"] == f.exec["filename"]), None)
    if first:
        p = next((x for x in f.plt if x["got"] == first["got"]), None)
        out.append(f"The first call of {first['symbol']}, live:")
        if p and p["stub"]:
            out.append(f"  main calls {p['stub']} ({first['symbol']}@plt); its jmp reads GOT slot "
                       f"{p['got']} = {p['got_at_entry']}, which leads back into the PLT")
            out.append(f"  the stub pushes the relocation index and jumps to PLT0, which pushes "
                       f"GOT[1] = {p['got_1']} (the link map) and jumps through GOT[2] = "
                       f"{p['got_2']} (_dl_runtime_resolve)")
        out.append(f"  _dl_fixup looks up {first['symbol']}"
                   + (f" version {first['version']}" if first["version"] else "")
                   + f", finds it in {first['defined_in']} at {first['address']} "
                   f"({first['address_where']})")
        out.append(f"  and writes it into GOT slot {first['got']}: later calls jump there "
                   "directly.")
    return out


def _ret(call: dict) -> str:
    """eax as an int when rax looks like one, else the whole of rax (a pointer)."""
    rax = int(call.get("returned_rax") or "0", 16)
    return str(call["returned"]) if rax < 1 << 31 else call["returned_rax"]


def stage_start(f: Facts) -> list[str]:
    st = f.start
    if not st:
        return ["The program never reached its entry point."]
    out = [(f"The CPU starts at {st['entry']} ({st['entry_where']}), after "
           f"{st['syscalls_before_entry']} system calls made by exec and the dynamic linker.")]
    if "main" in st:
        out.append(f"_start calls __libc_start_main at {st['__libc_start_main']} "
                   f"({st.get('__libc_start_main_where', '?')}) with main = {st['main']} "
                   f"({st['main_where']}).")
    if st.get("main_reached"):
        before = st["syscalls_before_main"] - st["syscalls_before_entry"]
        out.append(f"Between _start and main, libc made {before} system call"
                   f"{'' if before == 1 else 's'}; main will return to {st['main_returns_to']} "
                   f"({st['main_returns_to_where']}).")
    calls = [c for c in st.get("plt_calls", []) if c["phase"] == "main"]
    if calls:
        names = ", ".join(f"{c['symbol']} (returned {_ret(c)})" for c in calls[:8])
        out.append(f"main called through the PLT: {names}.")
    out.append("System calls, as strace prints them:")
    for ln in f.syscalls:
        if ln["kind"] == "syscall":
            out.append(f"  [{ln['phase']:<5}] {ln['text']}")
    out.append("What the program printed:")
    for name in ("stdout", "stderr"):
        text = f.output.get(name)
        if text:
            for line in text.splitlines()[:20]:
                out.append(f"  {name}: {line}")
    return out


def stage_exit(f: Facts) -> list[str]:
    ex, st = f.exit, f.start
    if ex.get("signal"):
        said = [ln for ln in f.output.get("pyloader", "").splitlines()
                if ln.startswith("pyloader: SIG")]
        return ([f"The program was killed by signal {ex['signal']}"
                 + (" (core dumped)" if ex["core"] else "")
                 + f": the shell sees exit status {128 + ex['signal']}."]
                + [f"  {ln}" for ln in said])
    if not st:
        return [(f"Exit status {ex['status']}: the dynamic linker gave up (stage 4) and the "
                "program never started (ld.so exits with 127 then).")]
    call = (ex.get("syscall") or "exit").split(" = ")[0].strip()
    out = [f"Exit status {ex['status']}, from the last system call: {call}."]
    if "main_returned" in st:
        out.append(f"main returned with eax = {st['main_returned']}, and "
                   "__libc_start_main passed it to exit().")
        last = st.get("last_plt_call")
        if last and last.get("tail_call") and last["returned"] == st["main_returned"]:
            out.append(f"main ended with a jump to {last['symbol']} (a tail call), so "
                       f"{last['symbol']}'s return value, {last['returned']}, went straight "
                       "back to __libc_start_main in eax, the register that carries return "
                       "values.")
        elif last and last.get("main_sets_eax") is False and \
                last["returned"] == st["main_returned"]:
            out.append(f"That value is what {last['symbol']} returned to main "
                       f"({last['caller']}). main's code after that call does not touch eax: "
                       + "; ".join(last["code_after"])
                       + f". main sets no return value of its own (a `void main`), so "
                       f"{last['symbol']}'s result was still in eax, the register that "
                       "carries return values.")
        elif last and last.get("main_sets_eax"):
            out.append(f"main set eax itself after its last library call ({last['symbol']}): "
                       f"{last['code_after'][-1]}. The status is main's own return value.")
        if last and last["symbol"] in ("printf", "puts") and not last.get("main_sets_eax") \
                and last["returned"] == st["main_returned"]:
            out.append(f"  {last['symbol']} returns the number of bytes it wrote: "
                       f"{st['main_returned']}.")
    elif st.get("main_reached"):
        out.append("main did not return: the program called exit itself (or was stopped).")
    return out


STAGES: list[tuple[str, Callable[[Facts], list[str]]]] = [
    ("1. exec: which handler runs the file", stage_exec),
    ("2. the ELF file becomes mappings", stage_elf),
    ("3. the initial stack", stage_stack),
    ("4. the dynamic linker", stage_ld),
    ("5. PLT and GOT: where is printf?", stage_plt),
    ("6. from _start to main", stage_start),
    ("7. the exit status", stage_exit),
]


def render(f: Facts, out=sys.stdout, step_input=None) -> None:
    """Print the stages; with step_input (a file), wait for a line between stages."""
    for i, (title, fn) in enumerate(STAGES):
        if not f.exec:
            break
        out.write(f"== {title} ==\n")
        lines = fn(f)
        out.write("".join(line + "\n" for line in lines) + "\n")
        if f.faults and fn is stage_start:
            out.write("== demand paging ==\n")
            out.write("".join(line + "\n" for line in f.faults["summary"]) + "\n")
        if step_input is not None and i < len(STAGES) - 1:
            out.write("[Enter: next stage, q: quit] ")
            out.flush()
            answer = step_input.readline()
            out.write("\n")
            if not answer:              # end of input: nobody to wait for any more
                step_input = None
            elif answer.strip().lower().startswith("q"):
                return


def to_json(f: Facts) -> str:
    return json.dumps(f.as_dict(), indent=1)
