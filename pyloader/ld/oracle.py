"""The oracle: what a dynamic linker left behind at the program's entry point, in a form
that does not depend on where things were mapped, so that `--ld=python` and `--ld=system`
(the real ld.so executing in the emulator) can be compared word for word.

`run_to_entry` execs a program in either mode and stops when the CPU reaches the
executable's e_entry (the real ld.so's last `jmp *%r12`; our link_program's start_thread).
`snapshot` then reads glibc's own state, the same way for both linkers: the link_map chain
from `_rtld_global._dl_ns[0]._ns_loaded`, and for every object every word its relocation
tables (DT_RELR, DT_RELA, DT_JMPREL) name, each value written as `object+offset` (plus the
nearest dynamic symbol, for reading), the TLS fields of each link_map, the static TLS
globals, the dtv relative to the thread pointer, and `_rtld_global_ro._dl_x86_cpu_features`.

    python3 -m pyloader.ld.oracle [-v] [--rootfs DIR] PROGRAM [ARGS...]
                                      # the differences; exit 1 if any
    (-v: the legitimate ones too, with the reason; LD_BIND_NOW=1 in the environment binds
    every PLT slot, so every ifunc choice is compared)
"""
from __future__ import annotations

import os
import struct
import sys
from dataclasses import dataclass, field

from syscalls.table import BY_NAME

from ..elf import DT_PLTGOT, R_32, R_32S, R_COPY, R_PC32, R_SIZE32, R_TLSDESC, RELOC_NAMES, STT_TLS
from ..exit import GuestExit
from ..process import Process
from .dso import LinkMap
from .layout import Layout, layout_for

FOUR_BYTE = {R_PC32, R_32, R_32S, R_SIZE32}
TLS_FIELDS = ("l_tls_blocksize", "l_tls_align", "l_tls_firstbyte_offset", "l_tls_offset",
              "l_tls_modid", "l_tls_initimage_size")
# fields where the two linkers differ by design, and why (keys: a field path, or its first
# component)
_LDSO_ONLY = "only the real ld.so's own code reads it (the Python linker keeps this in Python)"
LEGITIMATE = {
    "_dl_open": "the Python linker serves dlopen (dlopen.py)",
    "_dl_close": "the Python linker serves dlclose (dlopen.py)",
    "_dl_lookup_symbol_x": "the Python linker serves dlsym (dlopen.py)",
    "_dl_find_object": "the Python linker serves _dl_find_object",
    "_dl_readonly_area": "the Python linker serves _dl_readonly_area",
    "_dl_num_relocations": _LDSO_ONLY, "_dl_num_cache_relocations": _LDSO_ONLY,
    "_dl_profile_output": _LDSO_ONLY,
    "_dl_rtld_map": "compared as ld.so's link_map",
    "l_versions": _LDSO_ONLY, "l_nversions": _LDSO_ONLY, "l_versyms": _LDSO_ONLY,
    "l_lookup_cache": _LDSO_ONLY, "l_rpath_dirs": _LDSO_ONLY,
    "l_runpath_dirs": _LDSO_ONLY, "l_initfini": _LDSO_ONLY, "l_visited": _LDSO_ONLY,
    "l_used": _LDSO_ONLY, "l_property": _LDSO_ONLY, "l_x86_isa_1_needed": _LDSO_ONLY,
    "l_find_object_processed": "only glibc's _dl_find_object reads it; ours is Python",
    "l_reldeps": _LDSO_ONLY, "l_dt_relr_ref": _LDSO_ONLY, "l_idx": _LDSO_ONLY,
    "l_free_initfini": _LDSO_ONLY, "l_map_used": _LDSO_ONLY, "l_map_done": _LDSO_ONLY,
    "l_has_jump_slot_reloc": "glibc 2.41's x86 PLT rewriting (glibc.cpu.plt_rewrite), which "
                             "only the real ld.so does",
    "_dl_ns[0]._ns_unique_sym_table": "STB_GNU_UNIQUE definitions are kept in Rtld.unique", "l_reserved": _LDSO_ONLY,
    "l_searchlist": "every object gets its search list at once: dlopen.py's scopes",
    "l_scope": "every object gets its scopes at once: dlopen.py's scopes (ld.so's own "
               "is set by the real ld.so only when it is dlopened)",
    "l_scope_mem": "as l_scope", "l_scope_max": "as l_scope", "l_local_scope": "as l_scope",
    "l_entry": "ld.so's own: the real ld.so leaves it 0, nothing reads it",
    "l_mach.tlsdesc_table": "_dl_make_tlsdesc_dynamic's hash table: ours is a dict "
                            "(Rtld.tlsdesc_dynamic_arg); the descriptors are compared",
    "ld-linux-x86-64.so.2:l_libname": "the real ld.so's own name list is static in ld.so; "
                                      "ours is allocated like every other object's",
}
# after start-up, a PLT slot bound by one linker and still lazy in the other shows which
# functions ran: our dlopen/dlsym errors are raised through libc's _dl_signal_error (whose
# PLT then binds _dl_exception_create); the real ld.so raises them inside ld.so
LAZY_ONE_SIDE = "lazily bound by one side only: a function called in one run, not the other"
TLS_GLOBALS = ("_dl_tls_max_dtv_idx", "_dl_tls_static_nelem", "_dl_tls_static_used",
               "_dl_tls_static_optional", "_dl_tls_generation", "_dl_tls_static_size",
               "_dl_tls_static_align", "_dl_tls_static_surplus")


@dataclass
class Snapshot:
    objects: list[str] = field(default_factory=list)          # link order, by file name
    words: dict[str, dict[str, str]] = field(default_factory=dict)   # object -> where -> what
    tls: dict[str, int] = field(default_factory=dict)
    cpu_features: bytes = b""
    state: dict[str, object] = field(default_factory=dict)     # glibc's private fields

    def differences(self, other: Snapshot, names: tuple[str, str] = ("a", "b"),
                    after_start: bool = False) -> list[tuple[str, str | None]]:
        """(readable difference, why it is legitimate or None) for everything compared;
        empty when the two agree. after_start: snapshots taken later than the entry point,
        where lazy bindings follow what each run called."""
        a, b = names
        out: list[tuple[str, str | None]] = []
        if self.objects != other.objects:
            out.append((f"objects: {a} {self.objects} != {b} {other.objects}", None))
        for obj in self.words.keys() & other.words.keys():
            mine, theirs = self.words[obj], other.words[obj]
            for where in sorted(mine.keys() | theirs.keys()):
                if mine.get(where) != theirs.get(where):
                    # a word pointing at a stub: the field holding it says why
                    stub = str(theirs.get(where)).partition("[pyloader] ")[2]
                    line = f"{obj} {where}: {a} {mine.get(where)} != {b} {theirs.get(where)}"
                    why = LEGITIMATE.get(f"_{stub}")
                    # still in its own PLT (no symbol there) on one side only
                    unbound = [str(x).split(" = ", 1)[-1] for x in (mine.get(where),
                                                                    theirs.get(where))]
                    if after_start and "JUMP_SLOT" in line and any(
                            u.startswith(f"{obj}+") and "<" not in u for u in unbound):
                        why = LAZY_ONE_SIDE
                    out.append((line, why))
        for k in sorted(self.tls.keys() | other.tls.keys()):
            if self.tls.get(k) != other.tls.get(k):
                out.append((f"tls {k}: {a} {self.tls.get(k)} != {b} {other.tls.get(k)}", None))
        for i in range(0, max(len(self.cpu_features), len(other.cpu_features)), 8):
            x, y = self.cpu_features[i:i + 8], other.cpu_features[i:i + 8]
            if x != y:
                out.append((f"cpu_features+0x{i:x}: {a} {x.hex()} != {b} {y.hex()}", None))
        for k in sorted(self.state.keys() | other.state.keys()):
            if self.state.get(k) != other.state.get(k):
                out.append((f"{k}: {a} {self.state.get(k)} != {b} {other.state.get(k)}",
                            legitimate_reason(k)))
        return out


def legitimate_reason(key: str) -> str | None:
    """Why `object:field.path` may differ (LEGITIMATE, matched on the whole key or on the
    field path or any leading part of it), or None."""
    if key in LEGITIMATE:
        return LEGITIMATE[key]
    parts = key.split(":", 1)[-1].split(".")
    for n in range(len(parts), 0, -1):
        reason = LEGITIMATE.get(".".join(parts[:n]))
        if reason is not None:
            return reason
    return None


def run_to_exit(argv: list[str], ld: str, env: dict[str, str] | None = None, root: str = "/"):
    """A Process that ran argv to its exit_group (not made: the state stays to be read,
    after dlopens and lazy bindings)."""
    proc = Process(argv, env if env is not None else {"PATH": "/usr/bin:/bin"}, root=root, ld=ld)

    def stop(*_):
        raise GuestExit(0)
    proc._handlers[BY_NAME["exit_group"].nr] = stop
    proc.run(argv[0])
    if proc.ld_mode != ld:
        raise RuntimeError(f"--ld={ld} was not used (see the line above)")
    return proc


def run_to_entry(argv: list[str], ld: str, env: dict[str, str] | None = None,
                 root: str = "/"):
    """A Process that has exec'd argv[0] with `ld` and stopped at the program's entry."""
    proc = Process(argv, env if env is not None else {"PATH": "/usr/bin:/bin"}, root=root, ld=ld)
    proc.execve(argv[0])
    if proc.ld_mode != ld:          # the Python linker handed over: nothing to compare
        raise RuntimeError(f"--ld={ld} was not used (see the line above)")
    bprm = proc.bprm
    entry = bprm.load_bias + bprm.image.e_entry
    if proc.cpu.pc != entry:
        proc.cpu.run_until(proc.cpu.pc, entry)
    if proc.cpu.pc != entry:
        raise RuntimeError(f"{argv[0]}: stopped at 0x{proc.cpu.pc:x}, not at the entry point")
    return proc


class _Objects:
    """The loaded objects as glibc's link_map list describes them."""

    def __init__(self, proc, layout: Layout, rtld_global: int):
        mem, L = proc.mem, layout
        self.maps: list[LinkMap] = []
        lm = mem.read_u64(rtld_global + L.off("rtld_global", "_dl_ns[0]._ns_loaded"))
        while lm:
            name = mem.read_cstr(mem.read_u64(lm + L.off("link_map", "l_name"))).decode()
            path = name or proc.bprm.filename
            vdso = proc.vdso
            if vdso is not None and name == "linux-vdso.so.1":    # no file: its image
                data = vdso.image
            else:
                data = proc.root.read(path)
            m = LinkMap(os.path.basename(path), path, data,
                        l_addr=mem.read_u64(lm + L.off("link_map", "l_addr")))
            m.map_start = mem.read_u64(lm + L.off("link_map", "l_map_start"))
            m.map_end = mem.read_u64(lm + L.off("link_map", "l_map_end"))
            m.guest = lm
            self.maps.append(m)
            lm = mem.read_u64(lm + L.off("link_map", "l_next"))
        # the Python linker's stubs, by the name of the Python function serving them
        stubs = proc.rtld.stubs if proc.rtld is not None else None
        self.stubs = {a: getattr(f, "__name__", "?") for a, f in stubs.funcs.items()} \
            if stubs is not None else {}

    def name(self, value: int) -> str:
        """`object+0xoffset <symbol+0xoff>` for an address inside a loaded object."""
        if value in self.stubs:
            return f"[pyloader] {self.stubs[value]}"
        for m in self.maps:
            if m.map_start <= value < m.map_end:
                off = value - m.l_addr
                sym = self.symbol(m, off)
                return f"{m.name}+0x{off:x}" + (f" <{sym}>" if sym else "")
        if value in self.stubs:
            return f"[pyloader] {self.stubs[value]}"
        return f"0x{value:x}"

    def value(self, v: int, mem) -> str:
        """A pointer-sized field: an object's address, a link map, or just 'a pointer'
        (heap and arena addresses differ between the linkers and mean nothing)."""
        lm = next((m for m in self.maps if m.guest == v), None)
        if lm is not None:
            return f"link map of {lm.name}"
        name = self.name(v)
        if not name.startswith("0x") or v < 0x10000 or v >= 1 << 47:
            return name
        return "a pointer" if mem.find(v) is not None else name

    def symbol(self, m: LinkMap, off: int) -> str:
        best = None
        for s in m.syms:
            inside = s.value <= off < s.value + s.size or s.value == off
            if s.shndx and inside and s.type != STT_TLS and (best is None or
                                                             s.value > best.value):
                best = s
        return "" if best is None else best.name + (f"+0x{off - best.value:x}"
                                                    if off != best.value else "")


def snapshot(proc) -> Snapshot:
    """What the linker left at the entry point (see the module's docstring)."""
    mem = proc.mem
    interp = proc.bprm.interp_path
    rtld_data = proc.root.read(interp)
    L = layout_for(rtld_data, proc.root, proc.bprm.interp)
    base = _interp_base(proc)
    rt = LinkMap("ld.so", interp, rtld_data, l_addr=base)
    g = base + rt.syms[rt.by_name["_rtld_global"][0]].value
    ro = base + rt.syms[rt.by_name["_rtld_global_ro"][0]].value
    objs = _Objects(proc, L, g)
    snap = Snapshot(objects=[m.name for m in objs.maps])
    for m in objs.maps:
        snap.words[m.name] = _relocated_words(mem, m, objs)
        if L.has("link_map", "l_tls_modid"):
            for f_ in TLS_FIELDS:
                mb = L.member("link_map", f_)
                snap.tls[f"{m.name}.{f_}"] = int.from_bytes(mem.read(m.guest + mb.offset, mb.size),
                                                            "little", signed=True)
    for name in TLS_GLOBALS:
        for struct_name, at in (("rtld_global", g), ("rtld_global_ro", ro)):
            if L.has(struct_name, name):
                mb = L.member(struct_name, name)
                snap.tls[name] = int.from_bytes(mem.read(at + mb.offset, mb.size), "little")
    tp = proc.cpu.fs_base()
    dtv = mem.read_u64(tp + L.off("pthread", "header.dtv"))
    snap.tls["dtv[-1] (slots)"] = mem.read_u64(dtv - 16)
    snap.tls["dtv[0] (generation)"] = mem.read_u64(dtv)
    static_size = snap.tls.get("_dl_tls_static_size", 0)
    for i in range(1, snap.tls.get("_dl_tls_max_dtv_idx", 0) + 1):
        v = mem.read_u64(dtv + 16 * i)
        # a static block by its offset; a dynamic one (malloc'ed) or none just as such
        snap.tls[f"dtv[{i}]"] = f"tp-0x{tp - v:x}" if tp - static_size <= v < tp else \
            "unallocated" if v == (1 << 64) - 1 else "dynamic block" if v else "0"
    if L.has("rtld_global_ro", "_dl_x86_cpu_features"):     # not in a learnt layout
        mb = L.member("rtld_global_ro", "_dl_x86_cpu_features")
        snap.cpu_features = mem.read(ro + mb.offset, mb.size)
    for m in objs.maps:
        _fields(snap.state, f"{m.name}:", proc, L, "link_map", m.guest, objs)
    _fields(snap.state, "_rtld_global:", proc, L, "rtld_global", g, objs)
    _fields(snap.state, "_rtld_global_ro:", proc, L, "rtld_global_ro", ro, objs)
    for name, at in L.data.get("symbols", {}).items():      # ld.so's hidden variables
        snap.state[f"ld.so:{name}"] = objs.value(mem.read_u64(base + at), mem)
    for name, size in (("__rseq_size", 4), ("__rseq_offset", 8), ("__libc_enable_secure", 4)):
        if rt.by_name.get(name):
            at = base + rt.syms[rt.by_name[name][0]].value
            snap.state[f"ld.so:{name}"] = int.from_bytes(mem.read(at, size), "little",
                                                         signed=True)
    return snap


def _fields(out: dict, prefix: str, proc, L: Layout, struct_name: str, base: int,
            objs: _Objects) -> None:
    """Every scalar member of a struct, pointers named as `_Objects.value` names them."""
    mem = proc.mem
    for path, (off, size, bit_offset, bit_size, *_) in L.data["structs"][struct_name][
            "members"].items():
        if size not in (1, 2, 4, 8) or (path.endswith("cpu_features") or "._dl_x86" in path):
            continue
        v = int.from_bytes(mem.read(base + off, size), "little")
        if bit_size:
            v = (v >> bit_offset) & ((1 << bit_size) - 1)
        if size == 8 and path == "l_name":
            v = repr(mem.read_cstr(v).decode()) if v else "0"
        elif size == 8:
            v = objs.value(v, mem)
        out[prefix + path] = v


def _interp_base(proc) -> int:
    from ..binfmt.stack import AT_BASE
    base = dict(proc.bprm.auxv).get(AT_BASE, 0)
    if base:
        return base
    return proc.rtld.rtld.l_addr          # the Python linker ran: AT_BASE is 0


def _relocated_words(mem, m: LinkMap, objs: _Objects) -> dict[str, str]:
    out: dict[str, str] = {}
    if m.one(DT_PLTGOT) and m.jmprel():
        # GOT[1] and GOT[2], which lazy binding uses: the object's link map and the resolver
        got = m.l_addr + m.one(DT_PLTGOT)
        lm = mem.read_u64(got + 8)
        owner = next((o.name for o in objs.maps if o.guest == lm), f"0x{lm:x}")
        out["GOT[1]"] = f"link map of {owner}" if lm else "0"
        out["GOT[2]"] = "a resolver" if mem.read_u64(got + 16) else "0"
    for vaddr in m.relr():
        out[f"0x{vaddr:x}"] = "RELR " + objs.name(mem.read_u64(m.l_addr + vaddr))
    for r_offset, r_info, _addend in m.rela() + m.jmprel():
        rtype, sidx = r_info & 0xFFFFFFFF, r_info >> 32
        what = RELOC_NAMES.get(rtype, f"type {rtype}")
        if sidx and sidx < len(m.syms):
            what += f" {m.syms[sidx].name}"
        at = m.l_addr + r_offset
        if rtype in FOUR_BYTE:
            value = objs.name(struct.unpack("<i", mem.read(at, 4))[0])
        elif rtype == R_COPY:
            size = m.syms[sidx].size
            value = " ".join(objs.name(w) for (w,) in struct.iter_unpack(
                "<Q", mem.read(at, size - size % 8)))
        elif rtype == R_TLSDESC:            # the function differs by design; the argument not
            arg = mem.read_u64(at + 8)
            if arg >= 2**64 - (1 << 24):    # a static block's (negative) offset from tp
                value = f"arg 0x{arg:x}"
            else:                           # a dynamic descriptor's {module, offset, gen_count}
                modid, offset, gen = struct.unpack("<QQQ", mem.read(arg, 24))
                value = f"dynamic module {modid} offset 0x{offset:x} generation {gen}"
        else:
            value = objs.name(mem.read_u64(at))
        out[f"0x{r_offset:x}"] = f"{what} = {value}"
    return out


def compare(argv: list[str], env: dict[str, str] | None = None, root: str = "/",
            at_exit: bool = False) -> list[tuple[str, str | None]]:
    """Snapshot.differences between the real ld.so and the Python linker for one program,
    at its entry point or (at_exit) when it calls exit_group."""
    run = run_to_exit if at_exit else run_to_entry
    snaps = [snapshot(run(argv, ld, env, root)) for ld in ("system", "python")]
    return snaps[0].differences(snaps[1], ("system", "python"), after_start=at_exit)


def main(args: list[str]) -> int:
    verbose = args[:1] == ["-v"]
    args = args[verbose:]
    root = "/"
    if args[:1] == ["--rootfs"] and len(args) > 1:
        root, args = args[1], args[2:]
    if not args:
        print("usage: python3 -m pyloader.ld.oracle [-v] [--rootfs DIR] PROGRAM [ARGS...]",
              file=sys.stderr)
        return 2
    env = {"PATH": "/usr/bin:/bin"}
    if os.environ.get("LD_BIND_NOW"):
        env["LD_BIND_NOW"] = os.environ["LD_BIND_NOW"]
    try:
        diffs = compare(args, env, root)
    except Exception as e:  # noqa: BLE001 - a program that cannot be run: one line
        print(f"oracle: {args[0]}: {e}", file=sys.stderr)
        return 2
    real = [line for line, why in diffs if why is None]
    for line in real:
        print(line)
    for line, why in diffs:
        if why is not None and verbose:
            print(f"(legitimate: {why}) {line}")
    print(f"{len(real)} differences, {len(diffs) - len(real)} legitimate", file=sys.stderr)
    return 1 if real else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
