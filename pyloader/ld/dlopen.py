"""dlopen, dlsym and dlclose served by the Python linker.

libc's dlopen/dlsym/dlclose (and NSS, iconv, ...) call ld.so through function pointers in
`_rtld_global_ro` (`_dl_open`, `_dl_lookup_symbol_x`, `_dl_close`). Those pointers are set to
stubs, so the Python linker is the runtime linker too. Errors go back through the real
`_dl_signal_error`, which unwinds to libc's catch as ld.so's own errors do.
"""
from __future__ import annotations

import struct
import sys

from ..elf import DF_1_NODELETE, DF_STATIC_TLS, DT_SYMTAB, R_TPOFF64
from .dso import LinkError, LinkMap, RtldAssertion, Version
from .glibc import roundup

RTLD_LAZY, RTLD_NOLOAD, RTLD_GLOBAL = 0x1, 0x4, 0x100
DL_LOOKUP_RETURN_NEWEST = 2
ARG_STACK = 8       # the 7th argument is at [rsp + 8] when a stub is entered




def needs_static_tls(m: LinkMap) -> bool:
    """Initial-exec TLS (DF_STATIC_TLS, or TPOFF64 relocations of its own): the block has
    to be at a fixed offset from the thread pointer in every thread."""
    return bool(m.flags & DF_STATIC_TLS) or any(i & 0xFFFFFFFF == R_TPOFF64
                                                for _, i, _ in m.rela())




class DynamicLoader:
    def __init__(self, rtld, layout):
        self.r = rtld
        self.L = layout
        self.scopes: dict[int, list[LinkMap]] = {}     # r_scope_elem address -> objects
        # glibc >= 2.34 catches dlopen's errors in libc, with libc's own _dl_signal_error
        libc = rtld.libc
        idx = libc.by_name.get("_dl_signal_error") if libc is not None else None
        self.signal_error = (libc.l_addr + libc.syms[idx[0]].value if idx
                             else rtld.rtld_symbol("_dl_signal_error"))

    def install(self) -> None:
        g, s = self.r.glibc, self.r.stubs
        g.put_ro("_dl_open", s.add(self.dl_open))
        g.put_ro("_dl_close", s.add(self.dl_close))
        g.put_ro("_dl_lookup_symbol_x", s.add(self.dl_lookup_symbol_x))
        for m in self.r.maps:
            self.set_scopes(m)
        vdso = self.r.vdso
        if vdso is not None:        # its local scope is itself (setup_vdso)
            self.scopes[vdso.guest + self.L.off("link_map", "l_searchlist")] = [vdso]
        self.scratch_ready = False

    # --- scopes --------------------------------------------------------------------------------
    def closure(self, m: LinkMap) -> list[LinkMap]:
        out, queue = [m], [m]
        while queue:
            for d in queue.pop(0).deps:
                if d not in out:
                    out.append(d)
                    queue.append(d)
        return out

    def set_scopes(self, m: LinkMap) -> None:
        """l_searchlist (the object and its dependencies), l_local_scope[0] -> it, and
        l_scope[0] -> the global scope (the main map's search list)."""
        g, private = self.r.glibc, self.r.private
        put = lambda path, v: g.put(m.guest, "link_map", path, v)
        search = m.guest + self.L.off("link_map", "l_searchlist")
        if not m.is_main:
            objs = self.closure(m)
            lst = private.alloc(8 * len(objs), 8)
            self.r.mem.write(lst, b"".join(o.guest.to_bytes(8, "little") for o in objs))
            put("l_searchlist.r_list", lst)
            put("l_searchlist.r_nlist", len(objs))
            self.scopes[search] = objs
        else:
            self.scopes[search] = self.r.maps
        main_search = self.r.main.guest + self.L.off("link_map", "l_searchlist")
        mem_at = m.guest + self.L.off("link_map", "l_scope_mem")
        self.r.mem.write(mem_at, main_search.to_bytes(8, "little") + bytes(8))
        put("l_scope", mem_at)
        put("l_scope_max", self.L.member("link_map", "l_scope_mem").count)
        put("l_local_scope", search)

    # --- the stubs -------------------------------------------------------------------------------
    def dl_lookup_symbol_x(self, name_p, undef_map, ref_p, scope_p, version_p, type_class):
        r = self.r
        mem = r.mem
        rsp = r.task.cpu.reg("rsp")
        flags = mem.read_u64(rsp + ARG_STACK) & 0xFFFFFFFF
        skip_p = mem.read_u64(rsp + ARG_STACK + 8)
        name = mem.read_cstr(name_p).decode("utf-8", "surrogateescape")
        version = None
        if version_p:
            vname, vhash, hidden = struct.unpack("<QIi", mem.read(version_p, 16))
            version = Version(mem.read_cstr(vname).decode(), vhash, bool(hidden))
        scope = self.scopes.get(mem.read_u64(scope_p), r.maps) if scope_p else r.maps
        skip = next((m for m in r.all_maps() if m.guest == skip_p), None) if skip_p else None
        found = r.lookup(name, version, scope=scope, skip=skip,
                         newest=bool(flags & DL_LOOKUP_RETURN_NEWEST))
        if found is None:
            ref_in = mem.read_u64(ref_p)
            weak = ref_in and mem.read(ref_in + 4, 1)[0] >> 4 == 2      # STB_WEAK reference
            mem.write_u64(ref_p, 0)
            if weak:
                return 0
            who = next((m for m in r.all_maps() if m.guest == undef_map), r.main)
            return self._signal(f"{who.path}: undefined symbol: {name}")
        d, sym = found
        mem.write_u64(ref_p, d.l_addr + d.one(DT_SYMTAB) + 24 * sym.index)
        return d.guest

    def dl_close(self, map_p, *_):
        """_dl_close: the handle's reference goes; objects no longer used (dlopened, not
        NODELETE, needed by nothing that stays) run their finalisers, in _dl_sort_maps order,
        leave the namespace, the global scope and the TLS slotinfo, and are unmapped (the
        trace shows the munmap, as ld.so's). Objects of the program's start are never
        unloaded."""
        r = self.r
        m = next((x for x in r.all_maps() if x.guest == map_p), None)
        if m is None or self._count_open(m, -1) or not m.dlopened:
            return 0
        # what stays: the program's objects and every object still opened, with their deps
        keep: set[int] = set()
        for root in [r.main] + [x for x in r.extra_maps if x.opencount]:
            keep.update(id(x) for x in self.closure(root))
        gone = [x for x in r.extra_maps if id(x) not in keep and not x.flags_1 & DF_1_NODELETE]
        if not gone:
            return 0
        from . import run_finalizers, sort_maps
        inited = {id(i) for i in r.extra_inits}
        for x in reversed(sort_maps(gone)):      # dependents before their dependencies
            if id(x) in inited:
                run_finalizers(r, x)
        self._unload(gone)
        return 0

    def _count_open(self, m: LinkMap, step: int) -> int:
        """l_direct_opencount: each dlopen of the object, the program's own too (the
        program starts at 1, as dl_main leaves it), less each dlclose."""
        m.opencount = max(0, m.opencount + step)
        self.r.glibc.put(m.guest, "link_map", "l_direct_opencount", m.opencount)
        return m.opencount

    def _unload(self, gone: list[LinkMap]) -> None:
        r, g = self.r, self.r.glibc
        ids = {id(x) for x in gone}
        r.extra_maps = [x for x in r.extra_maps if id(x) not in ids]
        r.extra_inits = [x for x in r.extra_inits if id(x) not in ids]
        r.maps = [x for x in r.maps if id(x) not in ids]
        r.sym_cache.clear()
        g.unlink_link_maps(gone)
        if any(x.tls is not None and x.tls.modid for x in gone):
            for x in gone:
                if x.tls is not None and x.tls.modid:
                    g.remove_tls_module(x)
            g.new_generation()
        for x in gone:
            r.sys("munmap", x.map_start, x.map_end - x.map_start)

    def dl_open(self, file_p, mode, caller, nsid, argc, argv):
        try:
            return self._dl_open(file_p, mode)
        finally:
            self.r.unload_cache()       # _dl_open: "We must unmap the cache file."

    def _dl_open(self, file_p, mode):
        r = self.r
        name = r.mem.read_cstr(file_p).decode("utf-8", "surrogateescape") if file_p else ""
        if not name:                  # dlopen(NULL) and dlopen(""): the program itself
            self._count_open(r.main, +1)
            return r.main.guest
        have = r._by_name(name)
        if have is not None:
            self._count_open(have, +1)
            return have.guest
        if mode & RTLD_NOLOAD:
            return 0
        if not self.scratch_ready:    # the guest's stack is live now: scratch gets its own page
            r.scratch = self.r.private.alloc(0x1000, 0x1000)    # (no system call)
            self.scratch_ready = True
        try:
            # RTLD_LAZY binds on first call unless LD_BIND_NOW (GLRO(dl_lazy)) says not to
            new = self._load(name, lazy=bool(mode & RTLD_LAZY) and r.lazy)
        except LinkError as e:
            return self._signal(str(e))
        except RtldAssertion as e:
            print(e, file=sys.stderr)
            self.r.task.do_exit(127)
        result = new[-1] if new else r._by_name(name)
        self._count_open(result, +1)
        if mode & RTLD_GLOBAL:
            for m in self.closure(result):
                if m not in r.maps:
                    r.maps.append(m)
                r.glibc.put(m.guest, "link_map", "l_global", 1)
            r.sym_cache.clear()
        from . import run_initializers, sort_maps
        for m in sort_maps(new[::-1]):    # new is dependencies-last: _dl_init sorts load order
            run_initializers(r, m, r.argc, r.argv, r.envp)
            r.extra_inits.append(m)
        return result.guest

    def _load(self, name: str, lazy: bool) -> list[LinkMap]:
        r = self.r
        first = r.map_object(name, r.main, "dynamically loaded")
        known = set(map(id, r.all_maps()))
        new = [first] if id(first) not in known else []
        if new:
            first.loader = None         # l_loader: what dlopen itself loads has none
        queue = list(new)
        while queue:
            m = queue.pop(0)
            for dep_name in m.needed:
                dep = r._by_name(dep_name) or next(
                    (x for x in new if dep_name in (x.name, x.soname)), None)
                if dep is None:
                    dep = r.map_object(dep_name, m)
                    new.append(dep)
                    queue.append(dep)
                m.deps = m.deps + [dep]
        g = r.glibc
        tls = [m for m in new if m.tls is not None and (m.tls.blocksize or m.tls.init_size)]
        saved_tls = g.tls_static_used, g.tls_optional
        for m in tls:       # initial-exec TLS must live in the static surplus, or fail now
            if needs_static_tls(m) and not g.allocate_static_tls(m):
                for x in tls:
                    x.tls.offset = 0
                g.tls_static_used, g.tls_optional = saved_tls
                g.load_adds += len(new)     # their serial numbers are spent, as in glibc,
                g.put_g("_dl_load_adds", g.load_adds)
                g.new_generation()          # and _dl_close_worker's removal is a generation
                raise LinkError(f"{m.path}: cannot allocate memory in static TLS block")
        r.extra_maps += new
        for m in new:
            m.dlopened = True           # lt_loaded
        private = self.r.private
        for m in new:
            m.guest = private.alloc(self.L.size("link_map"), 16)
        for m in tls:
            g.add_tls_module(m)
        if tls:
            g.new_generation()
        g.append_link_maps(new)
        # each new object binds in the global scope, then in the dlopened object's search
        # list (dl_open_worker adds it to their l_scope): its dependencies, also those an
        # earlier RTLD_LOCAL dlopen loaded
        root_scope = self.closure(first) if new else []
        saved = r.maps
        r.maps = r.maps + [m for m in root_scope if m not in r.maps]
        r.sym_cache.clear()
        try:
            for m in reversed(new):      # dependencies (found later) first
                r.relocate(m, lazy)
                for mm, later in r.pending_ifuncs:
                    r.run_ifuncs(mm, later)
                r.pending_ifuncs.clear()
        finally:
            r.maps = saved
            r.sym_cache.clear()
        from . import sort_maps
        for m in sort_maps(new):        # RELRO in relocation (= initialisation) order
            m.local_scope = root_scope
            g.copy_tdata_one(m)
            r.protect_relro(m)
            self.set_scopes(m)
        return list(reversed(new))

    def _signal(self, message: str):
        """Raise the error in the guest: _dl_signal_error(ENOENT-ish, objname, NULL, msg)."""
        r = self.r
        private = self.r.private
        obj, _, err = message.partition(": ")
        texts = []
        for t in (obj, err):
            raw = t.encode() + b"\0"
            at = private.alloc(roundup(len(raw), 8), 8)
            r.mem.write(at, raw)
            texts.append(at)
        cpu = r.task.cpu
        cpu.set_reg("rdi", 0)
        cpu.set_reg("rsi", texts[0])      # objname
        cpu.set_reg("rdx", 0)             # occasion
        cpu.set_reg("rcx", texts[1])      # errstring
        cpu.set_reg("rip", self.signal_error)
        return "jumped"
