"""The userland half: a dynamic linker in Python (`--ld=python`), following glibc's elf/.

`link_program` does for a dynamic program what ld.so's _dl_start/dl_main/_dl_init do, then
leaves the CPU at the program's entry point with rdx = our `_dl_fini`.
"""
from __future__ import annotations

import struct

from ..binfmt.stack import AT_PLATFORM, AT_RANDOM
from .dso import (
    DT_FINI,
    DT_FINI_ARRAY,
    DT_FINI_ARRAYSZ,
    DT_INIT,
    DT_INIT_ARRAY,
    DT_INIT_ARRAYSZ,
    LinkMap,
)
from .glibc import Arena, GlibcState
from .layout import LayoutError, layout_for
from .rtld import LinkError, Rtld
from .stubs import StubPage
from .vdso import setup_vdso, setup_vdso_pointers

__all__ = ["LayoutError", "LinkError", "link_program"]

PROT_RW = 3
MAP_PRIVATE_ANON = 0x22
ARCH_SET_FS = 0x1002
R_OK = 4


def link_program(task, bprm, *, list_only: bool = False) -> Rtld:
    """Link the program bprm describes; raises LayoutError before any guest-visible step
    when this glibc cannot be understood (the caller then runs the real ld.so).
    With list_only, stop once every object is mapped (what `ldd` shows)."""
    from ..binfmt.elf import load_elf_interp
    interp = bprm.interp_path
    host = task.root.host_path(interp.encode())
    with open(host, "rb") as f:
        rtld_data = f.read()
    layout = layout_for(rtld_data, task.root)           # may raise LayoutError: nothing done yet

    r = Rtld(task, bprm)
    r.redirect = {}
    r.pending_ifuncs = []
    r.ifunc_cache = {}
    r.extra_inits = []
    sp = bprm.sp
    r.scratch = (sp - 0x2000) & ~0xFFF
    r.stack_top = r.scratch - 0x1000

    # the interpreter is mapped as the kernel would have mapped it (no syscalls)
    img, bias = load_elf_interp(task, interp)
    r.stubs = StubPage(task)      # after ld.so, which then lands where the kernel puts it
    rt = LinkMap("ld-linux-x86-64.so.2", interp, rtld_data, l_addr=bias)
    rt.is_rtld = True
    lo, hi = img.load_bounds()
    rt.map_start, rt.map_end = lo + bias, (hi + bias + 0xFFF) & ~0xFFF
    r.rtld = rt
    main = LinkMap(bprm.filename, bprm.filename, bprm.data, l_addr=bprm.load_bias)
    main.is_main = True
    lo, hi = main.img.load_bounds()
    main.map_start, main.map_end = lo + main.l_addr, hi + main.l_addr
    r.main = main
    r.maps = [main]
    r.vdso = setup_vdso(r)          # no syscalls: the kernel mapped it (AT_SYSINFO_EHDR)
    r.sys("brk", 0)                 # ld.so learns where the break is, first thing
    arena = Arena(lambda size: r.sys("mmap", 0, size, PROT_RW, MAP_PRIVATE_ANON, 2**64 - 1, 0))
    r.arena = arena
    r.sys("access", r.scratch_str("/etc/ld.so.preload"), R_OK)
    r.load_closure()
    if rt not in r.maps:
        r.maps.append(rt)
    if list_only:
        return r
    r.check_versions()

    g = GlibcState(r, layout)
    r.glibc = g
    g.rtld_global = _sym(rt, "_rtld_global")
    g.rtld_global_ro = _sym(rt, "_rtld_global_ro")
    g.tls_layout()
    tp = g.allocate_tls(arena)
    auxv = dict(bprm.auxv)
    rnd = task.mem.read(auxv[AT_RANDOM], 16)
    stack_guard = struct.unpack_from("<Q", rnd)[0] & ~0xFF
    pointer_guard = struct.unpack_from("<Q", rnd, 8)[0]
    g.init_tcb(stack_guard, pointer_guard)
    r.sys("arch_prctl", ARCH_SET_FS, tp)

    # ld.so first, before any of its data is written (its RELR entries add to what is there)
    find_object = r.stubs.add(lambda pc, out, *_: _dl_find_object(r, pc, out))
    r.resolver = r.stubs.add(r.runtime_resolve)
    relocate_one(r, rt)
    g.build_link_maps(arena)
    g.rtld_state(arena, task.auxv_addr, auxv.get(AT_PLATFORM, 0), task.minsigstksz)
    if r.vdso is not None:          # before libc's IRELATIVEs: time/gettimeofday read them
        setup_vdso_pointers(g, r.vdso, arena)
    if layout.has("rtld_global_ro", "_dl_find_object"):   # glibc >= 2.35; libc jumps through it
        g.put_ro("_dl_find_object", find_object)
    r.set_symbol = lambda name, value, size: task.mem.write(
        _sym(rt, name), value.to_bytes(size, "little", signed=value < 0))
    _set(rt, task, "__libc_stack_end", sp)
    _set(rt, task, "_dl_argv", sp + 8)
    _set(rt, task, "__libc_enable_secure", 0, 4)
    g.init_thread(sp)
    # libc right after ld.so, then dependencies before the objects that need them (as
    # _dl_init will run them), the program last: an ifunc resolver then always runs in an
    # object that is already relocated
    libc = r.libc
    r.init_order = init_order(r)
    if libc is not None:
        relocate_one(r, libc)
    order = [m for m in r.init_order if m is not libc]
    for m in order + [main]:
        relocate_one(r, m)
    # from here on ld.so allocates with libc's malloc (__rtld_malloc_init_real)
    # ... and locks with libc's pthread mutexes (__rtld_mutex_init), which threads need
    for var, fn in (("__rtld_calloc", "calloc"), ("__rtld_free", "free"),
                    ("__rtld_malloc", "malloc"), ("__rtld_realloc", "realloc"),
                    ("___rtld_mutex_lock", "pthread_mutex_lock"),
                    ("___rtld_mutex_unlock", "pthread_mutex_unlock")):
        at = layout.symbol(var)
        found = r.lookup(fn, None)
        if at is not None and found is not None:
            d, sym = found
            task.mem.write_u64(rt.l_addr + at, d.l_addr + sym.value)
            ver, _ = d.symbol_version(sym.index)
            if "mutex" not in fn:       # _dl_lookup_direct, unlike malloc's lookup, is silent
                r.dbg("bindings", f"binding file {main.path} [0] to {d.path} [0]: normal "
                                  f"symbol `{fn}'" + (f" [{ver.name}]" if ver else ""))
    g.copy_tdata()
    for m in [m for m in reversed(r.maps) if m is not main and m is not rt] + [main, rt]:
        r.protect_relro(m)

    if libc is not None and "__libc_early_init" in libc.by_name:
        r.stubs.call_guest(libc.l_addr + libc.syms[libc.by_name["__libc_early_init"][0]].value,
                           1, stack=r.stack_top)
    if r.cache_map:
        r.sys("munmap", *r.cache_map)

    argc = task.mem.read_u64(sp)
    if "statistics" in r.debug:
        rel = sum(1 for m in r.maps for _, i, _ in m.rela() if i & 0xFFFFFFFF == 8) + \
            sum(len(m.relr()) for m in r.maps)
        r.dbg("statistics", "")
        r.dbg("statistics", "runtime linker statistics:")
        r.dbg("statistics", f"{'final number of relocations':>38}: {r.stats['relocations']}")
        r.dbg("statistics", f"{'number of relative relocations':>38}: {rel}")
        r.dbg("statistics", f"{'number of symbol lookups':>38}: {r.stats['lookups']}")
    for m in r.init_order:
        r.dbg("libs", "")
        r.dbg("libs", f"calling init: {m.path}")
        r.dbg("libs", "")
        run_initializers(r, m, argc, sp + 8, sp + 16 + 8 * argc, stack=r.stack_top)
    r.argc, r.argv, r.envp = argc, sp + 8, sp + 16 + 8 * argc
    from .dlopen import DynamicLoader
    r.dl = DynamicLoader(r, layout)
    r.dl.install(arena)
    fini = r.stubs.add(lambda *_: _dl_fini(r))
    r.stack_top = None             # from now on guest calls run below the guest's own stack
    r.dbg("libs", "")
    r.dbg("libs", f"initialize program: {main.path}")
    r.dbg("libs", "")
    r.dbg("libs", f"transferring control: {main.path}")
    r.dbg("libs", "")
    task.start_thread(main.l_addr + main.img.e_entry, sp)
    task.cpu.set_fs_base(tp)
    task.cpu.set_reg("rdx", fini)
    task.rtld = r
    return r


def _sym(m: LinkMap, name: str) -> int:
    idx = m.by_name.get(name)
    if not idx:
        raise LinkError(f"{m.path}: no symbol {name}")
    return m.l_addr + m.syms[idx[0]].value


def _set(m: LinkMap, task, name: str, value: int, size: int = 8) -> None:
    if m.by_name.get(name):
        task.mem.write(_sym(m, name), (value & ((1 << 8 * size) - 1)).to_bytes(size, "little"))


def relocate_one(r: Rtld, m: LinkMap) -> None:
    r.relocate(m)
    for mm, later in r.pending_ifuncs:
        r.run_ifuncs(mm, later)
    r.pending_ifuncs.clear()


def init_order(r: Rtld) -> list[LinkMap]:
    """Dependencies before the objects that need them (_dl_sort_maps); main excluded."""
    seen: set[int] = set()
    order: list[LinkMap] = []

    def visit(m: LinkMap) -> None:
        if id(m) in seen:
            return
        seen.add(id(m))
        for d in getattr(m, "deps", []):
            visit(d)
        order.append(m)
    for m in r.maps:
        visit(m)
    return [m for m in order if not m.is_main and not m.is_rtld]


def _array(r: Rtld, m: LinkMap, tag: int, sztag: int) -> list[int]:
    if tag not in m.dyn:
        return []
    n = m.one(sztag) // 8
    raw = r.mem.read(m.l_addr + m.one(tag), 8 * n)
    return [v for v in struct.unpack(f"<{n}Q", raw) if v not in (0, 2**64 - 1)]


def run_initializers(r: Rtld, m: LinkMap, argc: int, argv: int, envp: int,
                     stack: int | None = None) -> None:
    """_dl_init for one object: DT_INIT, then DT_INIT_ARRAY, with (argc, argv, envp)."""
    if DT_INIT in m.dyn:
        r.stubs.call_guest(m.l_addr + m.one(DT_INIT), argc, argv, envp, stack=stack)
    for fn in _array(r, m, DT_INIT_ARRAY, DT_INIT_ARRAYSZ):
        r.stubs.call_guest(fn, argc, argv, envp, stack=stack)


def _dl_fini(r: Rtld) -> None:
    """rtld_fini: every object's DT_FINI_ARRAY (reversed) and DT_FINI, in reverse init
    order, the program included (called through atexit by exit())."""
    for m in reversed(r.init_order + r.extra_inits + [r.main]):
        r.dbg("libs", f"calling fini: {m.path} [0]")
        r.dbg("libs", "")
        for fn in reversed(_array(r, m, DT_FINI_ARRAY, DT_FINI_ARRAYSZ)):
            r.stubs.call_guest(fn)
        if DT_FINI in m.dyn:
            r.stubs.call_guest(m.l_addr + m.one(DT_FINI))


def _dl_find_object(r: Rtld, pc: int, out: int) -> int:
    """struct dl_find_object for the object containing pc (C++ unwinding asks this), dlopened
    objects included (pthread_cancel unwinds through libgcc_s, which libc dlopens)."""
    for m in r.all_maps():
        if m.map_start <= pc < m.map_end:
            eh = m.l_addr + m.eh_frame_hdr if m.eh_frame_hdr else 0
            r.mem.write(out, struct.pack("<QQQQQ", 0, m.map_start, m.map_end, m.guest, eh))
            return 0
    return -1

