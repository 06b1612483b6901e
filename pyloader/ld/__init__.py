"""The userland half: a dynamic linker in Python (`--ld=python`), following glibc's elf/.

`link_program` does for a dynamic program what ld.so's _dl_start/dl_main/_dl_init do, then
leaves the CPU at the program's entry point with rdx = our `_dl_fini`.
"""
from __future__ import annotations

import struct
import time

from syscalls.uapi import ARCH_SET_FS

from ..binfmt.stack import AT_ENTRY, AT_PHDR, AT_PHNUM, AT_PLATFORM, AT_RANDOM
from ..elf import (
    DT_FINI,
    DT_FINI_ARRAY,
    DT_FINI_ARRAYSZ,
    DT_INIT,
    DT_INIT_ARRAY,
    DT_INIT_ARRAYSZ,
    DT_RELACOUNT,
    PF_R,
    PF_W,
    PT_INTERP,
    PT_LOAD,
    R_IRELATIVE,
)
from . import search
from .dso import MASK64, LinkError, LinkMap, RtldAssertion
from .glibc import Arena, GlibcState
from .layout import LayoutError, layout_for
from .rtld import Rtld, guest_env
from .stubs import StubPage
from .vdso import setup_vdso, setup_vdso_pointers

__all__ = ["LayoutError", "LinkError", "RtldAssertion", "link_program"]

PROT_RW = 3
MAP_PRIVATE_ANON = 0x22
R_OK = 4
DL_DEBUG_IMPCALLS = 1 << 1


def link_program(task, bprm, *, list_only: bool = False) -> Rtld:
    """Link the program bprm describes; raises LayoutError before any guest-visible step
    when this glibc cannot be understood (the caller then runs the real ld.so).
    With list_only, stop once every object is mapped (what `ldd` shows)."""
    from ..binfmt.elf import load_elf_interp
    interp = bprm.interp_path
    host, _, rtld_img = bprm.interp_file        # binfmt read and checked it
    rtld_data = rtld_img.data
    # may raise LayoutError: nothing done yet (learning runs the real ld.so in a process
    # of its own)
    env = guest_env(bprm.envp)
    minor = search.glibc_minor(rtld_data, host)
    layout = layout_for(rtld_data, task.root, bprm.interp, env.get("LD_LIBRARY_PATH"), minor)
    rt = LinkMap("ld-linux-x86-64.so.2", interp, rtld_data)
    cpu = None
    if not any(info & 0xFFFFFFFF == R_IRELATIVE for _, info, _ in rt.rela()):
        # glibc < 2.33 fills cpu_features in dl_main (init_cpu_features, inlined), not
        # through an IRELATIVE we can run: what it leaves is read from the real ld.so once
        from .learn import cpu_state
        cpu = cpu_state(rtld_data, task.root, bprm.interp, layout, env.get("GLIBC_TUNABLES"),
                        env.get("LD_LIBRARY_PATH"))

    r = Rtld(task, bprm)
    r.glibc_minor = minor
    if r.glibc_minor < 33:          # glibc-hwcaps subdirectories came in 2.33
        r.levels = []
    r.link_map_size = layout.size("link_map")
    sp = bprm.sp

    # the interpreter is mapped as the kernel would have mapped it (no syscalls)
    img, bias = load_elf_interp(task, interp, bprm.interp_file)
    r.stubs = StubPage(task)      # after ld.so, which then lands where the kernel puts it
    rt.l_addr = bias
    rt.is_rtld = True
    lo, hi = img.load_bounds()
    rt.map_start, rt.map_end = lo + bias, hi + bias
    r.rtld = rt
    r.sys("brk", 0)                 # ld.so learns where the break is, first thing
    auxv = dict(bprm.auxv)      # dl_main's rtld_setup_main_map: the program from memory
    main = LinkMap(bprm.filename, bprm.filename, bprm.data, mapped_by_kernel=True,
                   memory=task.mem, auxv=(auxv[AT_PHDR], auxv[AT_PHNUM], auxv[AT_ENTRY]))
    main.is_main = True
    main.opencount = 1              # what dl_main leaves in l_direct_opencount
    if main.img.segments(PT_LOAD):
        lo, hi = main.img.load_bounds()
        main.map_start, main.map_end = lo + main.l_addr, hi + main.l_addr
    else:                           # "Perhaps the executable has no PT_LOAD header entries"
        main.map_start, main.map_end = MASK64, 0
    r.main = main
    r.maps = [main]
    r.vdso = setup_vdso(r)          # no syscalls: the kernel mapped it (AT_SYSINFO_EHDR)
    if main.img.first(PT_INTERP) is None:  # program headers that are not what exec read
        raise RtldAssertion("rtld.c", "rtld_setup_main_map", "GL(dl_rtld_map).l_libname")
    # the minimal malloc starts with what is left of ld.so's last page (after _end)
    rtld_end = rt.l_addr + max(p.p_vaddr + p.p_memsz for p in rt.img.segments(PT_LOAD))
    r.arena = Arena(lambda size: r.sys("mmap", 0, size, PROT_RW, MAP_PRIVATE_ANON, 2**64 - 1, 0),
                    rtld_end, -(-rtld_end // 4096) * 4096)
    main.blocks = (r.new_object_block("", audit=True), 0, 0)       # dl_main's first
    if r.vdso is not None:
        r.vdso.blocks = (r.new_object_block("", audit=True), 0, 0)  # setup_vdso
    r.malloc_init_paths()
    r.sys("access", r.scratch_str("/etc/ld.so.preload"), R_OK)
    r.load_closure()
    if rt not in r.maps:
        r.maps.append(rt)
    if list_only:
        return r
    r.check_versions()
    if "scopes" in r.debug:
        r.dprintf("scopes", "\nInitial object scopes\n")
        names = " ".join(r.dso_filename(m) for m in r.maps)
        for m in r.maps:          # _dl_show_scope: ld.so's own map has none at start-up;
            # a DT_SYMBOLIC object's first scope is itself
            scopes = [names] if not m.symbolic or m.is_main else [r.dso_filename(m), names]
            r.dprintf("scopes", f"object={r.dso_filename(m)} [0]\n"
                      + (" no scope\n" if m.is_rtld else "".join(
                          f" scope {i}: {s}\n" for i, s in enumerate(scopes))) + "\n")

    g = GlibcState(r, layout)
    r.glibc = g
    g.rtld_global = _sym(rt, "_rtld_global")
    g.rtld_global_ro = _sym(rt, "_rtld_global_ro")
    g.tls_layout()
    tp = g.allocate_tls()
    rnd = task.mem.read(auxv[AT_RANDOM], 16)
    stack_guard = struct.unpack_from("<Q", rnd)[0] & ~0xFF
    pointer_guard = struct.unpack_from("<Q", rnd, 8)[0]
    g.init_tcb(stack_guard, pointer_guard)
    r.sys("arch_prctl", ARCH_SET_FS, tp)

    # ld.so first, before any of its data is written (its RELR entries add to what is there)
    def dl_find_object(pc: int, out: int, *_) -> int:
        return _dl_find_object(r, pc, out)
    find_object = r.stubs.add(dl_find_object)
    r.resolver = r.stubs.add(r.runtime_resolve)
    # AT_HWCAP, which init_cpu_features (run by ld.so's IRELATIVE) replaces on x86-64
    g.put_ro("_dl_hwcap", task.hwcap)
    if cpu is not None:             # glibc < 2.33: what its dl_main's init_cpu_features left
        g.set_cpu_state(cpu)
    # ld.so relocates itself before LD_DEBUG is read: its lookups show after the others
    r.debug_held = []
    relocate_one(r, rt)
    held, r.debug_held = r.debug_held, None
    g.build_link_maps()
    g.rtld_state(task.auxv_addr, auxv.get(AT_PLATFORM, 0), task.minsigstksz)
    if r.vdso is not None:          # before libc's IRELATIVEs: time/gettimeofday read them
        setup_vdso_pointers(g, r.vdso)
    if layout.has("rtld_global_ro", "_dl_find_object"):   # glibc >= 2.35; libc jumps through it
        g.put_ro("_dl_find_object", find_object)
    if layout.has("rtld_global_ro", "_dl_readonly_area"):     # glibc >= 2.43: libc calls it
        def dl_readonly_area(ptr: int, size: int, *_) -> int:
            return _dl_readonly_area(r, ptr, size)
        g.put_ro("_dl_readonly_area", r.stubs.add(dl_readonly_area))
    r.set_symbol = lambda name, value, size: task.mem.write(
        _sym(rt, name), value.to_bytes(size, "little", signed=value < 0))
    _set(rt, task, "__libc_stack_end", sp)
    _set(rt, task, "_dl_argv", sp + 8)
    _set(rt, task, "__libc_enable_secure", 0, 4)
    g.init_thread(sp)
    # dl_main's order, which is _dl_init's (l_initfini): dependencies before the objects
    # that need them, the program last, so an ifunc resolver runs in a relocated object;
    # ld.so (relocated above, as _dl_start does) gets its message last
    libc = r.libc
    r.init_order = init_order(r)
    for m in r.init_order + [main]:
        if m is not rt:             # _dl_relocate_object ends with _dl_protect_relro
            relocate_one(r, m)
            r.protect_relro(m)
    r.malloc(32 * len(r.maps))      # _dl_find_object_init's table (ours is in Python)
    r.starting = False
    # from here on ld.so allocates with libc's malloc (__rtld_malloc_init_real)
    for var, fn in (("__rtld_calloc", "calloc"), ("__rtld_free", "free"),
                    ("__rtld_malloc", "malloc"), ("__rtld_realloc", "realloc")):
        at = layout.symbol(var)
        found = r.lookup(fn, None)
        if at is not None and found is not None:
            d, sym = found
            task.mem.write_u64(rt.l_addr + at, d.l_addr + sym.value)
            ver, _ = d.symbol_version(sym.index)
            r.dbg("bindings", f"binding file {r.progname} [0] to {d.path} [0]: normal symbol "
                              f"`{fn}'" + (f" [{ver.name}]" if ver else ""))
    # ld.so's own locks (dl_load_lock, dl_load_tls_lock: __tls_get_addr's slow path takes
    # one) call libc's mutex functions from now on (__rtld_mutex_init, glibc >= 2.34)
    for var, fn in (("___rtld_mutex_lock", "pthread_mutex_lock"),
                    ("___rtld_mutex_unlock", "pthread_mutex_unlock")):
        at = layout.symbol(var)
        # _dl_lookup_direct: libc's default version, no LD_DEBUG line
        idxs = [i for i in libc.by_name.get(fn, ()) if libc.versym is None
                or not libc.versym[i] & 0x8000] if libc is not None else []
        if at is not None and idxs:
            task.mem.write_u64(rt.l_addr + at, libc.l_addr + libc.syms[idxs[0]].value)
    r.dprintf("reloc", f"\nrelocation processing: {rt.path}\n")
    for text in held:
        r._debug_write(text)
    g.copy_tdata()
    r.protect_relro(rt)             # ld.so's own comes last

    if libc is not None and "__libc_early_init" in libc.by_name:
        r.stubs.call_guest(libc.l_addr + libc.syms[libc.by_name["__libc_early_init"][0]].value,
                           1, stack=r.stack_top)
    r.unload_cache()

    argc = task.mem.read_u64(sp)
    if "statistics" in r.debug:
        print_statistics(r)
    for m in r.init_order:
        run_initializers(r, m, argc, sp + 8, sp + 16 + 8 * argc, stack=r.stack_top)
    r.argc, r.argv, r.envp = argc, sp + 8, sp + 16 + 8 * argc
    from .dlopen import DynamicLoader
    r.dl = DynamicLoader(r, layout)
    r.dl.install()
    fini = r.stubs.add(lambda *_: _dl_fini(r))
    r.stack_top = None             # from now on guest calls run below the guest's own stack
    if "impcalls" in r.debug:
        # libc's __libc_start_main says "initialize program" and "transferring control"
        # itself (through GLRO(dl_debug_printf)) when the mask asks for it
        if layout.has("rtld_global_ro", "_dl_debug_mask"):
            g.put_ro("_dl_debug_mask", DL_DEBUG_IMPCALLS)
        else:
            r.dprintf("impcalls", f"\ninitialize program: {r.progname}\n\n")
            r.dprintf("impcalls", f"\ntransferring control: {r.progname}\n\n")
    task.start_thread(main.entry, sp)      # dl_main's user_entry: AT_ENTRY
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


def print_statistics(r: Rtld) -> None:
    """rtld.c print_statistics, at the end of dl_main. The times are nanoseconds of the
    Python linker where ld.so counts cycles."""
    st = r.stats
    total = max(time.perf_counter_ns() - st["start"], 1)
    # DT_RELACOUNT of the objects not loaded at their link-time address
    relative = sum(m.one(DT_RELACOUNT) for m in r.maps if m.l_addr)

    def item(text: str, part: int) -> str:
        pct = part * 1000 // total
        return f"{text}: {part} cycles ({pct // 10}.{pct % 10}%)\n"
    r.dprintf("statistics", "\nruntime linker statistics:\n"
              f"  total startup time in dynamic loader: {total} cycles\n"
              + item("            time needed for relocation", st["reloc"])
              + f"                 number of relocations: {st['lookups']}\n"
              f"      number of relocations from cache: {st['cache']}\n"
              f"        number of relative relocations: {relative}\n"
              + item("           time needed to load objects", st["load"]))


def relocate_one(r: Rtld, m: LinkMap) -> None:
    t0 = time.perf_counter_ns()
    r.relocate(m)
    for mm, later in r.pending_ifuncs:
        r.run_ifuncs(mm, later)
    r.pending_ifuncs.clear()
    r.stats["reloc"] += time.perf_counter_ns() - t0


def init_order(r: Rtld) -> list[LinkMap]:
    """The objects' initialisation order (main excluded): see sort_maps."""
    return [m for m in sort_maps(r.maps) if not m.is_main]


def sort_maps(maps: list[LinkMap]) -> list[LinkMap]:
    """_dl_sort_maps (the depth-first sort, glibc's default): a depth-first walk over each
    object's dependencies (DT_NEEDED order), starting from the last object loaded; the order
    in which objects are finished is the initialisation order. So dependencies come before
    the objects that need them, and independent objects run the last-loaded first (a
    program linked with -la -lb runs b's constructors before a's, as glibc does)."""
    members = {id(m) for m in maps}
    seen: set[int] = set()
    order: list[LinkMap] = []

    def visit(m: LinkMap) -> None:
        seen.add(id(m))
        for d in m.deps:
            if id(d) not in seen and id(d) in members and not d.is_main:
                visit(d)
        order.append(m)
    for m in reversed(maps):
        if id(m) not in seen:
            visit(m)
    return order


def _array(r: Rtld, m: LinkMap, tag: int, sztag: int) -> list[int]:
    if tag not in m.dyn:
        return []
    n = m.one(sztag) // 8
    raw = r.mem.read(m.l_addr + m.one(tag), 8 * n)
    return [v for v in struct.unpack(f"<{n}Q", raw) if v not in (0, 2**64 - 1)]


def run_initializers(r: Rtld, m: LinkMap, argc: int, argv: int, envp: int,
                     stack: int | None = None) -> None:
    """_dl_init for one object: DT_INIT, then DT_INIT_ARRAY, with (argc, argv, envp)."""
    r.dprintf("impcalls", f"\ncalling init: {m.path}\n\n")     # (2.36: constructors or not)
    if DT_INIT in m.dyn:
        r.stubs.call_guest(m.l_addr + m.one(DT_INIT), argc, argv, envp, stack=stack)
    for fn in _array(r, m, DT_INIT_ARRAY, DT_INIT_ARRAYSZ):
        r.stubs.call_guest(fn, argc, argv, envp, stack=stack)


def run_finalizers(r: Rtld, m: LinkMap) -> None:
    """One object's finalisers: DT_FINI_ARRAY from the end, then DT_FINI."""
    for fn in reversed(_array(r, m, DT_FINI_ARRAY, DT_FINI_ARRAYSZ)):
        r.stubs.call_guest(fn)
    if DT_FINI in m.dyn:
        r.stubs.call_guest(m.l_addr + m.one(DT_FINI))


def _dl_fini(r: Rtld) -> None:
    """rtld_fini: every object's DT_FINI_ARRAY (reversed) and DT_FINI, the program first,
    then in _dl_sort_maps order over all loaded objects in load order (dependents before
    their dependencies; called through atexit by exit())."""
    inited = {id(m) for m in r.init_order + r.extra_inits}
    loaded = [r.main] + [m for m in r.all_maps() if id(m) in inited]
    for m in reversed(sort_maps(loaded)):
        r.glibc.put(m.guest, "link_map", "l_init_called", 0)     # as _dl_fini does
        r.dprintf("impcalls", f"\ncalling fini: {'' if m.is_main else m.path} [0]\n\n")
        run_finalizers(r, m)
    r.dprintf("statistics", "\nruntime linker statistics:\n"
              f"           final number of relocations: {r.stats['lookups']}\n"
              f"final number of relocations from cache: {r.stats['cache']}\n")


def _dl_find_object(r: Rtld, pc: int, out: int) -> int:
    """struct dl_find_object for the object containing pc (C++ unwinding asks this); the
    objects dlopened without RTLD_GLOBAL too (backtrace's own libgcc_s)."""
    for m in r.all_maps():
        if m.map_start <= pc < m.map_end:
            eh = m.l_addr + m.eh_frame_hdr if m.eh_frame_hdr else 0
            r.mem.write(out, struct.pack("<QQQQQ", 0, m.map_start, m.map_end, m.guest, eh))
            return 0
    return -1


# _dl_readonly_area's answers (glibc >= 2.43's enum dl_readonly_area_error_type; libc's
# __readonly_area returns the first two as they are, and reads /proc/self/maps on the third)
READONLY_AREA_RDONLY, READONLY_AREA_WRITABLE, READONLY_AREA_NOT_FOUND = 0, 1, 2


def _dl_readonly_area(r: Rtld, ptr: int, size: int) -> int:
    """Whether [ptr, ptr+size) is read-only in the object holding it, by its PT_LOAD
    segments and RELRO (elf/dl-readonly-area.c): a fortified printf's %n must not come
    from writable memory."""
    m = next((m for m in r.all_maps() if m.map_start <= ptr < m.map_end), None)
    if m is None:
        return READONLY_AREA_NOT_FOUND
    start, end = ptr, ptr + size
    for ph in m.img.segments(PT_LOAD):
        lo = m.l_addr + ph.p_vaddr // 4096 * 4096
        hi = m.l_addr + -(-(ph.p_vaddr + ph.p_filesz) // 4096) * 4096
        if lo < end and hi > start:
            if ph.p_flags & PF_W:
                if m.relro is None:
                    return READONLY_AREA_WRITABLE
                rlo = (m.l_addr + m.relro[0]) // 4096 * 4096
                rhi = (m.l_addr + m.relro[0] + m.relro[1]) // 4096 * 4096
                return READONLY_AREA_RDONLY if rlo <= start and end <= rhi else \
                    READONLY_AREA_WRITABLE
            if not ph.p_flags & PF_R:
                return READONLY_AREA_WRITABLE
            size -= min(hi, end) - max(lo, start)
            if size <= 0:
                return READONLY_AREA_RDONLY
    return READONLY_AREA_NOT_FOUND
