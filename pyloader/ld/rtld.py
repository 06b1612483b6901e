"""The Python ld.so: dl_main's work for one program (glibc's elf/rtld.c, dl-load.c,
dl-lookup.c, dl-reloc.c, dl-tls.c, dl-init.c; musl's ldso/dynlink.c is the same story).

Objects are found, opened and mapped through the guest's own syscall layer, so the trace
shows the openat/read/pread64/newfstatat/mmap/mprotect/close lines ld.so makes. PLT slots
are bound lazily unless LD_BIND_NOW or DF_BIND_NOW asks otherwise; glibc's private state (link maps, _rtld_global, the thread block) is
written with the layouts from layout.py.
"""
from __future__ import annotations

import os
import re
import struct
import sys
import time
from collections.abc import Callable

from syscalls.uapi import (
    AT_EMPTY_PATH,
    AT_FDCWD,
    MAP_ANONYMOUS,
    MAP_DENYWRITE,
    MAP_FIXED,
    MAP_PRIVATE,
)

from ..binfmt.elf import make_prot
from ..elf import (
    PT_LOAD,
    R_32,
    R_32S,
    R_64,
    R_COPY,
    R_DTPMOD64,
    R_DTPOFF64,
    R_GLOB_DAT,
    R_IRELATIVE,
    R_JUMP_SLOT,
    R_NONE,
    R_PC32,
    R_PC64,
    R_RELATIVE,
    R_RELATIVE64,
    R_SIZE32,
    R_SIZE64,
    R_TLSDESC,
    R_TPOFF64,
    RELOC_NAMES,
    STB_GLOBAL,
    STB_GNU_UNIQUE,
    STB_WEAK,
    STT_GNU_IFUNC,
    STT_TLS,
    ElfError,
)
from ..memory import PAGE_SIZE, PROT_READ, PROT_WRITE, Fault, page_align
from . import search
from .dso import DEFINING_TYPES, MASK64, LinkError, LinkMap, Version
from .glibc import new_object_size
from .search import SearchDir

O_RDONLY_CLOEXEC = 0o2000000

# _dl_higher_prime_number's list (the ones a unique symbol table can grow to)
UNIQUE_PRIMES = (61, 127, 251, 509, 1021, 2039, 4093, 8191, 16381, 32749, 65521, 131071)
FORCED_DYNAMIC_TLS_OFFSET = 2**64 - 1       # l_tls_offset of TLS that stays dynamic (-1)
# LD_DEBUG categories (elf/rtld.c debopts): each but statistics, scopes and tls also shows
# the calls of initialisers and finalisers (DL_DEBUG_IMPCALLS). "all" is glibc 2.36's;
# tls is glibc 2.41's (2.36 does not know it), so only asked for by name
ALL_CATEGORIES = {"libs", "reloc", "files", "symbols", "bindings", "versions", "scopes"}
IMPCALLS_WITH = {"libs", "reloc", "files", "symbols", "bindings", "versions"}
CATEGORIES = ALL_CATEGORIES | {"statistics", "tls", "all"}
# elf_machine_type_class: which relocations look symbols up alike (1: PLT, 2: COPY)
TYPE_CLASS = {R_JUMP_SLOT: 1, R_DTPMOD64: 1, R_DTPOFF64: 1, R_TPOFF64: 1, R_TLSDESC: 1,
              R_COPY: 2}



def _u64(v: int) -> bytes:
    return (v & 0xFFFFFFFFFFFFFFFF).to_bytes(8, "little")


def guest_env(envp: list[bytes]) -> dict[str, str]:
    """The program's environment, NAME -> value, as the linker reads it."""
    return {k.decode(errors="replace"): v.decode(errors="replace")
            for k, v in (e.split(b"=", 1) for e in envp if b"=" in e)}


class Rtld:
    def __init__(self, task, bprm):
        self.task = task
        self.bprm = bprm
        self.mem = task.mem
        self.env = guest_env(bprm.envp)
        self.maps: list[LinkMap] = []           # load order: the global scope
        self.extra_maps: list[LinkMap] = []     # loaded by dlopen without RTLD_GLOBAL
        self.by_path: dict[str, LinkMap] = {}
        self.main: LinkMap | None = None
        self.rtld: LinkMap | None = None
        self.vdso: LinkMap | None = None       # linux-vdso.so.1: in the namespace, not the scope
        self.cache: search.LdCache | None = None
        self.cache_map: tuple[int, int] | None = None
        self.levels = search.isa_levels(task.cpu)
        self.glibc_minor = 0                    # set from ld.so's banner
        self.subdirs: list[str] | None = None   # _dl_important_hwcaps, made on first search
        self.dirs: dict[str, SearchDir] = {}    # every search directory, by name
        self.system_dirs: list[SearchDir] = []
        self.dead_paths: set[tuple[str, str | None]] = set()
        self.decomposed: set[tuple[str, str | None]] = set()     # RPATH/RUNPATH lists made
        self.arena = None                       # glibc.Arena, from link_program
        self._private = None
        self.starting = True                    # ld.so allocates with its minimal malloc
        self.realname_block = 0                 # the path the last search found (l_name)
        self.main_origin: str | None = None     # the program's l_origin, once learnt
        self.main_origin_read = False           # ld.so's readlink of /proc/self/exe made
        self.main_origin_block = 0              # where its copy is (the program's l_origin)
        self.glibc = None                       # glibc.GlibcState, once link maps are made
        self.unique_size = 0                    # entries of glibc's unique symbol table
        self.init_dirs_block = self.searchlist_block = 0
        self.legacy_hwcaps: tuple[str, list[str]] | None = None
        self.link_map_size = 0                  # sizeof (struct link_map), from the layout
        self.stats = {"lookups": 0, "cache": 0, "start": time.perf_counter_ns(), "reloc": 0,
                      "load": 0}          # LD_DEBUG=statistics (times in ns, not cycles)
        self.sym_cache: dict[tuple, tuple[LinkMap, object] | None] = {}
        # --ld-debug, or LD_DEBUG in the program's environment as ld.so reads it
        self.debug = set(task.ld_debug)
        self.debug |= set(self.env.get("LD_DEBUG", "").replace(":", ",").replace(" ", ",")
                          .split(",")) & CATEGORIES
        if "all" in self.debug:
            self.debug |= ALL_CATEGORIES
        if self.debug & IMPCALLS_WITH:
            self.debug.add("impcalls")
        self.progname = os.fsdecode(bprm.argv[0]) if bprm.argv else ""
        self.debug_held: list[str] | None = None
        self.lazy = not self.env.get("LD_BIND_NOW")
        self.resolver = 0
        self.bindings: list[tuple] = []         # (caller map, symbol, defining map, address)
        self.unique: dict[str, tuple] = {}      # STB_GNU_UNIQUE name -> (map, Sym)
        # on_bind(map, sym_index, defining map, address, return address): each lazy binding
        # as it happens (`--trace-bindings`, `explain`); set on the task like ld_debug
        self.on_bind = task.on_bind
        # set by link_program as dl_main goes
        self.stubs = None                       # stubs.StubPage: Python functions for guest code
        self.scratch = (bprm.sp - 0x2000) & ~0xFFF      # a page for the syscalls' arguments
        self.stack_top: int | None = self.scratch - 0x1000  # start-up's guest calls run here
        self.pending_ifuncs: list[tuple[LinkMap, list]] = []    # IRELATIVE/ifunc slots to fill
        self.ifunc_cache: dict[int, int] = {}   # resolver -> what it returned
        self.init_order: list[LinkMap] = []     # _dl_init's order at start-up
        self.extra_inits: list[LinkMap] = []    # initialised since (dlopen, hooks' libraries)
        self.set_symbol: Callable[[str, int, int], None] | None = None  # ld.so's variables
        self.argc = self.argv = self.envp = 0   # what the initialisers were called with
        self.dl = None                          # dlopen.DynamicLoader, once the program is linked

    # --- LD_DEBUG output (elf/dl-misc.c _dl_debug_printf: "%5d:\t") ----------------------
    def dbg(self, category: str, message: str) -> None:
        if category in self.debug:
            self._debug_write(f"{self.task.pid:>10}:\t{message}\n")

    def dprintf(self, category: str, text: str) -> None:
        """_dl_debug_printf(text): every line, empty ones too, gets the pid prefix."""
        if category in self.debug:
            lines = text.split("\n")
            if text.endswith("\n"):
                lines.pop()
            self._debug_write("".join(f"{self.task.pid:>10}:\t{x}\n" for x in lines))

    def _debug_write(self, text: str) -> None:
        """To the guest's descriptor 2, as ld.so writes it (nothing once the program has
        closed it), untraced; held back while `debug_held` is a list."""
        if self.debug_held is not None:
            self.debug_held.append(text)
            return
        f = self.task.fds.files.get(2)
        if f is not None:
            try:
                os.write(f.host_fd, text.encode(errors="surrogateescape"))
            except OSError:
                pass

    def dso_filename(self, m: LinkMap) -> str:
        """DSO_FILENAME: the program is named by argv[0]."""
        return self.progname if m.is_main else m.path

    # --- syscalls as ld.so makes them -----------------------------------------------------------
    def sys(self, name: str, *args: int) -> int:
        return self.task.kernel(name, *args)

    def scratch_str(self, s: str) -> int:
        data = os.fsencode(s) + b"\0"
        addr = self.scratch
        self.mem.write(addr, data)
        return addr

    # --- finding and mapping objects ----------------------------------------------------------
    def open_candidate(self, path: str) -> int:
        return self.sys("openat", AT_FDCWD & MASK64, self.scratch_str(path), O_RDONLY_CLOEXEC, 0)

    def load_cache(self) -> None:
        if self.cache is not None:
            return
        self.cache = search.LdCache(b"")
        fd = self.open_candidate(search.CACHE)
        if fd < 0:
            return
        st = self.scratch + 256
        if self.fstat(fd, st) == 0:
            size = struct.unpack_from("<q", self.mem.read(st + 48, 8))[0]
            addr = self.sys("mmap", 0, size, PROT_READ, MAP_PRIVATE, fd, 0)
            if 0 <= addr < 1 << 47:
                self.cache = search.LdCache(self.mem.read(addr, size))
                self.cache_map = (addr, size)
        self.sys("close", fd)

    def unload_cache(self) -> None:
        """_dl_unload_cache: at the end of start-up and of every dlopen."""
        if self.cache_map:
            self.sys("munmap", *self.cache_map)
        self.cache = self.cache_map = None

    def find_object(self, name: str, requester: LinkMap | None) -> tuple[int, str]:
        """(fd, path) of the object `name` asks for, searching as _dl_map_object does."""
        self.dbg("libs", f"find library={name} [0]; searching")
        try:
            return self._find(name, requester)
        finally:
            self.dbg("libs", "")        # found or not, as _dl_map_object

    def _try(self, path: str) -> int:
        self.dbg("libs", f"  trying file={path}")
        return self.open_candidate(path)

    def _find(self, name: str, requester: LinkMap | None) -> tuple[int, str]:
        if "/" in name:
            path = search.expand(name, os.path.dirname(requester.path) if requester else "")
            self._realname(path)                # expand_dynamic_string_token's copy
            fd = self._try(path)
            if fd < 0:
                raise LinkError(f"{name}: cannot open shared object file: "
                                f"{os.strerror(-fd)}")
            return fd, path
        nodeflib = bool(requester is not None and requester.flags_1 & 0x800)
        if self.subdirs is None:
            self._init_paths()
        for what, owner, dirs in search.search_dirs(requester, self.main, self.env, self.origin):
            where = owner.path if owner is not None else None
            key = (what, where)
            if key in self.dead_paths:
                continue
            if owner is not None:       # a loader's RPATH: it may not be in self.maps yet
                self.malloc_decompose(owner, what, owner.runpath if what == "RUNPATH"
                                      else owner.rpath)
            found = self._open_path(name, [self._search_dir(d, what, where) for d in dirs])
            if isinstance(found, tuple):
                self._realname(found[1])        # open_path's copy of the name that opened
                return found
            if not found and what != "LD_LIBRARY_PATH":
                self.dead_paths.add(key)            # no directory of it exists: never again
        self.dbg("libs", f" search cache={search.CACHE}")
        self.load_cache()
        hit = self.cache.lookup(name, self.levels) if self.cache else None
        if hit:
            self._realname(hit)                 # _dl_load_cache_lookup's strdup
            fd = self._try(hit)
            if fd >= 0:
                return fd, hit
        if not nodeflib:
            found = self._open_path(name, self.system_dirs)
            if isinstance(found, tuple):
                self._realname(found[1])
                return found
        raise LinkError(f"{name}: cannot open shared object file: No such file or directory")

    def _realname(self, path: str) -> None:
        """The block holding the path the object is found at (its l_name, see _map_fd)."""
        self.realname_block = self.malloc(len(os.fsencode(path)) + 1)

    def origin(self, m: LinkMap) -> str:
        """l_origin: the directory of the file; the program's is where /proc/self/exe
        points (_dl_get_origin), symlinks resolved."""
        if not m.is_main:
            return os.path.dirname(m.path)
        if self.main_origin is None:
            t = self.task
            self.main_origin = os.path.dirname(os.fsdecode(t.root.realpath(t.exe)))
        return self.main_origin

    def set_main_origin(self, origin: str) -> None:
        """The program's l_origin, the copy _dl_get_origin makes (a minimal-malloc block while
        starting, ours after), in the program's link map once there is one."""
        text = os.fsencode(origin) + b"\0"
        block = self.malloc(len(text)) or self.private.alloc(len(text), 1)
        self.mem.write(block, text)
        self.main_origin_block = block
        if self.main.guest and self.glibc is not None:
            self.glibc.put(self.main.guest, "link_map", "l_origin", block)

    @property
    def private(self):
        """The linker's memory after start-up (glibc.PrivateHeap), made on first use."""
        if self._private is None:
            from .glibc import PrivateHeap
            self._private = PrivateHeap(self.mem)
        return self._private

    # --- ld.so's own allocations while it starts the program -------------------------------
    def malloc(self, size: int) -> int:
        """One of the real ld.so's minimal-malloc blocks, made where and as big as glibc
        2.36 makes it, so that its mmaps and the thread pointer fall where ld.so's do (the
        linker keeps its own link maps, names and TLS in those blocks). 0 once the program
        is started: ld.so then uses libc's malloc, which the program's trace shows."""
        return self.arena.alloc(size, 16) if self.starting and self.arena else 0

    def _malloc_unique_table(self) -> None:
        """do_lookup_unique's table (32-byte entries) before a new name goes in: 31 entries
        at first, a prime about twice as many when three quarters are used."""
        n, size = len(self.unique), self.unique_size
        if not size:
            self.unique_size = 31
        elif size * 3 <= n * 4:
            self.unique_size = next(p for p in UNIQUE_PRIMES if p > size)
        else:
            return
        self.malloc(32 * self.unique_size)

    def new_object_block(self, libname: str, audit: bool = False) -> int:
        """_dl_new_object's calloc (glibc.new_object_size); audit: the program and vDSO's."""
        return self.malloc(new_object_size(self.link_map_size, os.fsencode(libname), audit))

    def malloc_init_paths(self) -> None:
        """_dl_important_hwcaps' and _dl_init_paths' blocks: the hwcaps priorities and
        strings, the system directories' array and elements, the program's RUNPATH or
        RPATH list, then LD_LIBRARY_PATH's."""
        self._init_paths()
        levels, legacy = self.levels, self.legacy_hwcaps
        if levels:
            self.malloc(16 * len(levels))
        total = sum(len("glibc-hwcaps/") + 1 + len(lv) for lv in levels)
        nlegacy = 1
        if legacy is not None:
            temp = legacy[1] + [legacy[0], "tls"]
            lens = [len(t) for t in temp]
            n = len(lens)
            nlegacy = 1 << n
            part = lens[0] + lens[-1] + 2
            if n > 2:
                part = (part << 1) + sum(x + 1 for x in lens[1:-1])
                if n > 3:
                    part <<= n - 3
            total += part
        self.malloc((len(levels) + nlegacy) * 16 + total)
        nsys = len(search.DEFAULT_DIRS)
        self.malloc((nsys + 1) * 8)
        self.init_dirs_block = self.malloc(nsys * self._elem_round() * 40)
        main = self.main
        for what, value in (("RUNPATH", main.runpath), ("RPATH", None if main.runpath is not None
                                                        else main.rpath)):
            if value:
                self.malloc_decompose(main, what, value)
        llp = self.env.get("LD_LIBRARY_PATH")
        if llp:
            parts = llp.replace(";", ":").split(":")
            self.malloc((len(parts) + 1) * 8)
            self._malloc_fillin(parts, None, "LD_LIBRARY_PATH")

    def _elem_round(self) -> int:
        """struct r_search_path_elem (40 bytes) and its status array, in elements."""
        return (2 * 40 - 1 + 4 * len(self.subdirs)) // 40

    def malloc_decompose(self, m: LinkMap, what: str, value: str) -> None:
        """decompose_rpath: a copy of the string, the array, fillin_rpath's elements."""
        key = (what, m.path)
        if not self.starting or key in self.decomposed:
            return
        self.decomposed.add(key)
        copy = self.malloc(len(os.fsencode(value)) + 1)
        self.malloc((value.count(":") + 2) * 8)
        self._malloc_fillin(value.split(":"), m, what)
        self.arena.free(copy)

    def _malloc_fillin(self, parts: list[str], m: LinkMap | None, what: str) -> None:
        """fillin_rpath: each non-empty entry copied (expand_dynamic_string_token: as long as
        DL_DST_REQUIRED says when it has $ORIGIN & co.), a new element for a directory not
        known yet, the copy freed (given back if it is the last block)."""
        where = None if m is None else "" if m.is_main else m.path      # its l_name
        where_len = len(os.fsencode(where)) + 1 if where is not None else 0
        origin = self.origin(m or self.main)
        for part in parts:
            size = len(os.fsencode(part)) + 1
            dsts = len(re.findall(r"\$(\{?)(ORIGIN|PLATFORM|LIB)\b", part))
            if dsts and (m is None or m.is_main) and not self.main_origin_read:
                # the program's l_origin is learnt now (_dl_get_origin): a readlink and a copy
                self.main_origin_read = True
                if self.sys("readlink", self.scratch_str("/proc/self/exe"), self.scratch + 0x800,
                            4096) > 0:
                    self.set_main_origin(origin)
            if dsts:
                longest = max(len(os.fsencode(origin)), len(search.PLATFORM), len(search.LIB))
                size += dsts * max(longest - 4, 0)
            copy = self.malloc(size) if part else 0
            d = search.expand(part, origin) if part else "./"
            d = d.rstrip("/") + "/" if d.rstrip("/") else "/"
            if d not in self.dirs:
                self.malloc(40 + 4 * len(self.subdirs) + where_len + len(os.fsencode(d)) + 1)
                self._search_dir(d, what, None if m is None else m.path)
            self.arena.free(copy)

    # --- search directories (elf/dl-load.c: _dl_init_paths, fillin_rpath, open_path) ----------
    def _init_paths(self) -> None:
        """The subdirectories each directory is tried with, and the system directories, whose
        elements come first (a list naming one of them shares its element)."""
        if self.subdirs is not None:
            return
        legacy = search.platform_and_hwcaps(self.task.cpu, self.levels) \
            if 0 < self.glibc_minor < 37 else None       # glibc 2.37 dropped legacy hwcaps
        self.legacy_hwcaps = legacy
        self.subdirs = search.subdirs(self.levels, legacy)
        self.system_dirs = [self._search_dir(d, "system search path", None)
                            for d in search.DEFAULT_DIRS]

    def _search_dir(self, d: str, what: str, where: str | None) -> SearchDir:
        name = d.rstrip("/") + "/"
        e = self.dirs.get(name)
        if e is None:
            e = self.dirs[name] = SearchDir(name, what, where, [None] * len(self.subdirs))
        return e

    def _open_path(self, name: str, dirs: list[SearchDir]) -> tuple[int, str] | bool:
        """open_path: each directory with each subdirectory not known to be missing; a
        directory whose file did not open is stat'ed once to learn whether it exists.
        (fd, path), or whether any of the directories exists."""
        seen: list[SearchDir] = []
        for e in dirs:                              # fillin_rpath: each element once
            if e not in seen:
                seen.append(e)
        any_dir = False
        current = None
        for i, e in enumerate(seen):
            if "libs" in self.debug and (e.what, e.where) != current:
                current = (e.what, e.where)
                self._print_search_path(seen[i:], e.what, e.where)
            here_any = False
            for k, sub in enumerate(self.subdirs):
                if e.status[k] is False:
                    continue
                path = e.dirname + sub + name
                fd = self._try(path)
                if e.status[k] is None:
                    e.status[k] = fd >= 0 or self._is_dir(e.dirname + sub)
                here_any |= e.status[k] is not False
                if fd >= 0:
                    return fd, path
            any_dir |= here_any
        return any_dir

    def fstat(self, fd: int, st: int) -> int:
        """ld.so's __fstat64: the fstat system call, except in glibc 2.33 to 2.39, where it was
        newfstatat(fd, "", AT_EMPTY_PATH) (measured: 2.31, 2.41 and 2.43 fstat; 2.36 not)."""
        if self.glibc_minor >= 40 or self.glibc_minor < 33:
            return self.sys("fstat", fd, st)
        return self.sys("newfstatat", fd, self.scratch_str(""), st, AT_EMPTY_PATH)

    def _is_dir(self, path: str) -> bool:
        """stat(path) (through the syscall layer, so the trace shows it) is a directory.
        `path` ends with "/": glibc >= 2.41 stats it so (2.36 without; 2.37-2.40 are taken
        to be as 2.36, unmeasured)."""
        st = self.scratch + 0x800
        if self.glibc_minor < 41:
            path = path[:-1]
        if self.glibc_minor < 33:           # before 2.33, stat was its own system call
            ok = self.sys("stat", self.scratch_str(path), st) == 0
        else:
            ok = self.sys("newfstatat", AT_FDCWD & MASK64, self.scratch_str(path), st, 0) == 0
        return ok and struct.unpack_from("<I", self.mem.read(st + 24, 4))[0] & 0o170000 == 0o040000

    def _print_search_path(self, dirs: list[SearchDir], what: str, where: str | None) -> None:
        """print_search_path: the list's directories of the same origin, with every
        subdirectory not known to be missing."""
        names = []
        for e in dirs:
            if (e.what, e.where) != (what, where):
                break
            names += [(e.dirname + sub).rstrip("/") or "/"
                      for k, sub in enumerate(self.subdirs) if e.status[k] is not False]
        origin = f"{what} from file {where}" if where is not None else what
        self.dbg("libs", f" search path={':'.join(names)}\t\t({origin})")

    def map_object(self, name: str, requester: LinkMap | None, how: str = "needed") -> LinkMap:
        """_dl_map_object: find `name` and map it (how: "needed" or "dynamically loaded",
        for LD_DEBUG=files)."""
        t0 = time.perf_counter_ns()
        try:
            return self._map_object(name, requester, how)
        finally:
            self.stats["load"] += time.perf_counter_ns() - t0

    def _map_object(self, name: str, requester: LinkMap | None, how: str) -> LinkMap:
        if requester is not None:
            self.dprintf("files", f"\nfile={name} [0];  {how} by "
                                  f"{self.dso_filename(requester)} [0]\n")
        fd, path = self.find_object(name, requester)
        try:
            return self._map_fd(fd, name, path, requester)
        finally:
            self.sys("close", fd)

    def _map_fd(self, fd: int, name: str, path: str, requester) -> LinkMap:
        buf = self.scratch + 512
        n = self.sys("read", fd, buf, 832)
        head = self.mem.read(buf, max(n, 0))
        if n < 64 or head[:4] != b"\x7fELF":
            raise LinkError(f"{path}: invalid ELF header")
        phoff, phnum = struct.unpack_from("<Q", head, 32)[0], struct.unpack_from("<H", head, 56)[0]
        # program headers past the first read are fetched twice, as ld.so does: by
        # open_verify (looking for the ABI note), then by _dl_map_object_from_fd
        if phoff + phnum * 56 > n:
            self.sys("pread64", fd, buf, phnum * 56, phoff)
        st = self.scratch + 256
        self.fstat(fd, st)
        if phoff + phnum * 56 > n:
            self.sys("pread64", fd, buf, phnum * 56, phoff)
        dev, ino = struct.unpack_from("<QQ", self.mem.read(st, 16))
        for m in self.maps:      # the same file under another name: already loaded
            if (m.dev, m.ino) == (dev, ino):
                self.arena.free(self.realname_block)
                return m
        realname, self.realname_block = self.realname_block, 0
        block = self.new_object_block(name)
        origin = self.malloc(len(os.fsencode(path)) + 1) if path.startswith("/") else 0
        try:
            lm = LinkMap(name, path, self.task.root.read(path))
        except (OSError, ElfError) as e:
            raise LinkError(f"{path}: {e}") from None
        lm.dev, lm.ino = dev, ino
        lm.loader = requester
        if self.starting:                           # where glibc's blocks are
            lm.blocks = (block, realname, origin)
        self.dprintf("files", f"file={name} [0];  generating link map\n")
        loads = lm.img.segments(PT_LOAD)
        lo = loads[0].p_vaddr & ~(PAGE_SIZE - 1)
        hi = max(p.p_vaddr + p.p_memsz for p in loads)      # maplength is not page-rounded
        first = loads[0]
        base = self.sys("mmap", 0, hi - lo, make_prot(first.p_flags), MAP_PRIVATE | MAP_DENYWRITE,
                        fd, first.p_offset & ~(PAGE_SIZE - 1))
        if base < 0 or base >= 1 << 47:
            raise LinkError(f"{path}: failed to map segment from shared object")
        lm.l_addr = base - lo
        lm.map_start, lm.map_end = base, base + hi - lo       # l_map_end: not page-rounded
        for i, ph in enumerate(loads):
            start = (ph.p_vaddr & ~(PAGE_SIZE - 1)) + lm.l_addr
            file_end = page_align(ph.p_vaddr + ph.p_filesz) + lm.l_addr
            mem_end = page_align(ph.p_vaddr + ph.p_memsz) + lm.l_addr
            if i:
                self.sys("mmap", start, file_end - start, make_prot(ph.p_flags),
                         MAP_PRIVATE | MAP_FIXED | MAP_DENYWRITE, fd,
                         ph.p_offset & ~(PAGE_SIZE - 1))
            if ph.p_memsz > ph.p_filesz:
                zero_from = ph.p_vaddr + ph.p_filesz + lm.l_addr
                if zero_from < file_end:
                    self.mem.write(zero_from, bytes(file_end - zero_from))
                if mem_end > file_end:
                    self.sys("mmap", file_end, ph.p_vaddr + ph.p_memsz + lm.l_addr - file_end, make_prot(ph.p_flags),
                             MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, -1 & 0xFFFFFFFF_FFFFFFFF,
                             0)
        if "files" in self.debug:
            a = lm.l_addr
            self.dprintf("files", f"  dynamic: 0x{a + lm.dyn_vaddr:016x}  base: 0x{a:016x}   "
                                  f"size: 0x{hi - lo:016x}\n"
                                  f"    entry: 0x{a + lm.img.e_entry:016x}  "
                                  f"phdr: 0x{a + (lm.img.phdr_vaddr() or 0):016x}  "
                                  f"phnum:   {lm.img.e_phnum:16d}\n\n")
        return lm

    def load_closure(self) -> None:
        """The DT_NEEDED closure, breadth first (the global scope's order)."""
        preload = [p for p in self.env.get("LD_PRELOAD", "").replace(":", " ").split() if p]
        for p in preload:
            self._add(self.map_object(p, self.main))
        queue = list(self.maps)
        while queue:
            m = queue.pop(0)
            for name in m.needed:
                dep = self._by_name(name)
                if dep is None:
                    dep = self.map_object(name, m)
                if dep not in self.maps:
                    self._add(dep)
                    queue.append(dep)
                m.deps = m.deps + [dep]
            if m.needed and not m.is_main:      # _dl_map_object_deps: its l_initfini
                self.malloc((2 * (len(m.needed) + 1) + 1) * 8)
        nlist = len(self.maps) + (self.rtld not in self.maps)
        self.searchlist_block = self.malloc((2 * nlist + 1) * 8)     # the program's r_list

    def _by_name(self, name: str) -> LinkMap | None:
        for m in self.all_maps():
            if name in (m.name, m.soname, m.path):
                return m
        r = self.rtld
        if r is not None and r not in self.maps and name in (r.name, r.soname, r.path):
            return r
        if self.vdso is not None and name == self.vdso.soname:   # in the namespace too
            return self.vdso
        return None

    def _add(self, m: LinkMap) -> None:
        self.maps.append(m)

    # --- symbol lookup (dl-lookup.c: do_lookup_x and check_match) ------------------------------
    def ref_version(self, m: LinkMap, sym_index: int) -> Version | None:
        """The version a reference in `m` asks for (None: unversioned)."""
        if m.versym is None or sym_index >= len(m.versym):
            return None
        ndx = m.versym[sym_index] & 0x7FFF
        if ndx < 2:
            return None
        return m.versions.get(ndx)

    @property
    def libc(self) -> LinkMap | None:
        return next((m for m in self.maps if m.soname == "libc.so.6"), None)

    def protect_relro(self, m: LinkMap) -> None:
        """_dl_protect_relro: PT_GNU_RELRO becomes read-only, whole pages only."""
        if m.relro:
            start = (m.l_addr + m.relro[0]) & ~0xFFF
            end = (m.l_addr + m.relro[0] + m.relro[1]) & ~0xFFF
            if end > start:
                self.sys("mprotect", start, end - start, PROT_READ)

    def namespace(self) -> list[LinkMap]:
        """The namespace's objects in glibc's l_next order: the program, the vDSO (setup_vdso
        puts it right after), then the global scope's order."""
        return self.maps[:1] + [self.vdso] + self.maps[1:] if self.vdso else list(self.maps)

    def all_maps(self) -> list[LinkMap]:
        return self.maps + [m for m in self.extra_maps if m not in self.maps]

    def rtld_symbol(self, name: str) -> int:
        idx = self.rtld.by_name.get(name)
        return self.rtld.l_addr + self.rtld.syms[idx[0]].value if idx else 0

    def lookup(self, name: str, version: Version | None, *, plt: bool = False,
               skip: LinkMap | None = None, scope: list[LinkMap] | None = None,
               newest: bool = False):
        """(defining map, Sym) in `scope` (default: the global scope), or None."""
        symbols = "symbols" in self.debug
        cacheable = scope is None and not newest and not symbols
        key = (name, version.name if version else None, plt, id(skip))
        self.stats["lookups"] += 1             # GL(dl_num_relocations): _dl_lookup_symbol_x calls
        if cacheable and key in self.sym_cache:
            return self.sym_cache[key]
        found = None
        for m in scope if scope is not None else self.maps:
            if m is skip:
                continue
            if symbols:
                self.dprintf("symbols", f"symbol={name};  lookup in file={self.dso_filename(m)} "
                                        f"[0]\n")
            idxs = m.by_name.get(name)
            if not idxs:
                continue
            versioned, nversioned = None, 0
            for i in idxs:
                sym = m.syms[i]
                if (sym.value == 0 and sym.type != STT_TLS) or sym.type not in DEFINING_TYPES:
                    continue
                if sym.shndx == 0 and plt:
                    continue
                if sym.bind not in (STB_GLOBAL, STB_WEAK, STB_GNU_UNIQUE):
                    continue
                vs = m.versym[i] if m.versym is not None and i < len(m.versym) else None
                if version is not None:
                    if vs is not None:
                        have = m.versions.get(vs & 0x7FFF)
                        matches = have is not None and have.hash == version.hash and \
                            have.name == version.name
                        if not matches and (version.hidden or (have is not None and have.hash)
                                            or vs & 0x8000):
                            continue
                elif vs is not None and (vs & 0x7FFF) >= (2 if newest else 3):
                    if not vs & 0x8000:
                        nversioned += 1
                        versioned = versioned or sym
                    continue
                found = (m, sym)
                break
            if found is None and nversioned == 1:
                found = (m, versioned)
            if found is not None:
                break
        if found is not None and found[1].bind == STB_GNU_UNIQUE:
            # _ns_unique_sym_table: every reference binds to the first definition seen
            if name not in self.unique:
                self._malloc_unique_table()
            found = self.unique.setdefault(name, found)
        if cacheable:
            self.sym_cache[key] = found
        return found

    def check_versions(self) -> None:
        """_dl_check_all_versions: every VERNEED version must be defined by its file (and
        each object with versions gets its l_versions array, in the namespace's order)."""
        for m in self.namespace():
            if m.versions:
                m.versions_block = self.malloc(24 * (max(m.versions) + 1))
        for m in self.maps:
            for v in m.verneed:
                dep = self._by_name(v.filename)
                if dep is None:
                    continue
                self.dprintf("versions", f"checking for version `{v.name}' in file {dep.path} [0] "
                                         f"required by file {self.dso_filename(m)} [0]\n")
                if not any(d.name == v.name and d.filename is None for d in dep.versions.values()):
                    raise LinkError(f"{dep.path}: version `{v.name}' not found (required by "
                                    f"{m.path})")

    # --- relocation (dl-reloc.c, sysdeps/x86_64/dl-machine.h: elf_machine_rela) ----------------
    def symbol_value(self, m: LinkMap, sym_index: int, rtype: int):
        """(defining map, Sym, address) for the symbol a relocation names."""
        sym = m.syms[sym_index]
        if sym.bind == 0:                         # STB_LOCAL: the object's own symbol
            return m, sym, m.l_addr + sym.value
        # a dlopened RTLD_LOCAL object also sees its own dependencies (its local scope)
        local = m.local_scope
        scope = None if not local or m in self.maps else \
            self.maps + [x for x in local if x not in self.maps]
        version = self.ref_version(m, sym_index)
        found = None
        if m.symbolic and not m.is_main:    # l_scope[0] is the object itself (dl-load.c)
            found = self.lookup(sym.name, version, plt=rtype == R_JUMP_SLOT, scope=[m])
        if found is None:
            found = self.lookup(sym.name, version, plt=rtype == R_JUMP_SLOT, scope=scope,
                                skip=self.main if rtype == R_COPY else None)
        if found is None:
            return None, sym, None
        d, s = found
        return d, s, d.l_addr + s.value

    def relocate(self, m: LinkMap, lazy_mode: bool | None = None) -> None:
        """_dl_relocate_object; lazy_mode: RTLD_LAZY for a dlopen (default: LD_BIND_NOW
        unset)."""
        lazy_mode = self.lazy if lazy_mode is None else lazy_mode
        if not m.is_rtld:      # ld.so's own message comes last, as dl_main prints it
            lazy_text = " (lazy)" if lazy_mode and not m.bind_now else ""
            self.dprintf("reloc", f"\nrelocation processing: {self.dso_filename(m)}"
                                  f"{lazy_text}\n")
        a = m.l_addr
        relr = m.relr()
        relocs = m.rela() + m.jmprel()
        patch = _Patch.over(self.mem, a, relr, relocs, m.one(3),
                            textrel=m.textrel)
        write, read_u64 = patch.write, patch.read_u64
        for vaddr in relr:
            addr = a + vaddr
            write(addr, _u64(read_u64(addr) + a))
        later: list[tuple[int, int]] = []          # (address, resolver): ifuncs run last
        lazy = lazy_mode and not m.bind_now and not m.is_rtld and m.guest and \
            bool(m.one(3))                                           # DT_PLTGOT
        if lazy:
            got = a + m.one(3)
            write(got + 8, _u64(m.guest))                            # GOT[1]: the link map
            write(got + 16, _u64(self.resolver))                     # GOT[2]: _dl_runtime_resolve

        counts = m.reloc_counts = {}
        last = None
        for r_offset, r_info, addend in relocs:
            rtype, sidx = r_info & 0xFFFFFFFF, r_info >> 32
            counts[rtype] = counts.get(rtype, 0) + 1
            addr = a + r_offset
            if rtype == R_RELATIVE or rtype == R_RELATIVE64:
                write(addr, _u64(a + addend))
                continue
            if rtype == R_IRELATIVE:
                later.append((addr, a + addend, 0))
                continue
            if rtype == R_JUMP_SLOT and lazy:
                # bound on the first call: for now the slot leads back into the PLT
                write(addr, _u64(read_u64(addr) + a))
                continue
            if rtype == R_NONE:
                continue
            if rtype not in RELOC_NAMES:
                raise LinkError(f"{m.path}: unexpected reloc type 0x{rtype:x}")
            if sidx:
                sym = m.syms[sidx]
                # l_lookup_cache: the same symbol and class as the last relocation
                tclass = TYPE_CLASS.get(rtype, 0)
                fresh = not (last is not None and last[0] == sidx and last[1] == tclass)
                if not fresh:
                    self.stats["cache"] += 1           # GL(dl_num_cache_relocations)
                    d, dsym, value = last[2]
                else:
                    d, dsym, value = self.symbol_value(m, sidx, rtype)
                    last = (sidx, tclass, (d, dsym, value))
            else:
                sym = dsym = None
                d, value = m, 0
            if value is None:
                if sym.bind == STB_WEAK:
                    d, value = None, 0
                elif rtype == R_JUMP_SLOT and lazy:        # a lazily bound slot may never be
                    d, value = None, self.undefined_stub(m, sym.name)   # called: report then
                else:
                    raise LinkError(f"symbol lookup error: {m.path}: undefined symbol: "
                                    f"{sym.name}")
            if dsym is not None and dsym.type == STT_GNU_IFUNC and d is not None:
                if sidx and self.debug:
                    self.note_binding(m, sidx, d, value, show=fresh)
                later.append((addr, value, addend if rtype == R_64 else 0))
                continue
            if sidx and self.debug:
                self.note_binding(m, sidx, d, value, show=fresh)
            tls_value = (dsym.value if dsym is not None else 0) + addend
            owner = d if d is not None else m
            dynamic_tls = rtype in (R_TPOFF64, R_TLSDESC) and owner.tls is not None and \
                not owner.tls.offset and self.static_tls_for(owner, rtype)
            if rtype in (R_GLOB_DAT, R_JUMP_SLOT):
                write(addr, _u64(value))
            elif rtype == R_64:
                write(addr, _u64(value + addend))
            elif rtype == R_PC32:
                write(addr, ((value + addend - addr) & 0xFFFFFFFF).to_bytes(4, "little"))
            elif rtype == R_PC64:
                write(addr, _u64(value + addend - addr))
            elif rtype in (R_32, R_32S):
                write(addr, ((value + addend) & 0xFFFFFFFF).to_bytes(4, "little"))
            elif rtype == R_COPY:
                if value:
                    write(addr, self.mem.read(value, min(sym.size, dsym.size)))
            elif rtype == R_DTPMOD64:
                write(addr, _u64(owner.tls.modid if owner.tls else 0))
            elif rtype == R_DTPOFF64:
                write(addr, _u64(tls_value))
            elif rtype == R_TPOFF64:
                write(addr, _u64(tls_value - owner.tls.offset))
            elif rtype == R_TLSDESC and dynamic_tls:
                write(addr, _u64(self.stubs.tlsdesc_dynamic(self.rtld_symbol("__tls_get_addr")))
                      + _u64(self.tlsdesc_dynamic_arg(owner, tls_value)))
            elif rtype == R_TLSDESC:
                write(addr, _u64(self.stubs.tlsdesc_return) + _u64(tls_value - owner.tls.offset))
            elif rtype == R_SIZE64:
                write(addr, _u64((dsym.size if dsym else 0) + addend))
            elif rtype == R_SIZE32:
                write(addr, (((dsym.size if dsym else 0) + addend) & 0xFFFFFFFF)
                      .to_bytes(4, "little"))
        patch.flush()
        self.pending_ifuncs.append((m, later))
        m.relocated = True

    def static_tls_for(self, owner: LinkMap, rtype: int) -> bool:
        """A dlopened module reached through initial-exec TLS or TLSDESC gets a static
        block now, as glibc's CHECK_STATIC_TLS and TRY_STATIC_TLS do. A TLSDESC only spends
        the optional budget (rtld.optional_static_tls); past it the module's TLS stays
        dynamic for good (FORCED_DYNAMIC_TLS_OFFSET) and True is returned: the descriptor
        then goes through the dtv."""
        t, g = owner.tls, self.glibc
        if rtype == R_TLSDESC:
            if not t.forced_dynamic and not g.allocate_static_tls(owner, optional=True):
                t.forced_dynamic = True
                g.put(owner.guest, "link_map", "l_tls_offset", FORCED_DYNAMIC_TLS_OFFSET)
            return t.forced_dynamic
        if t.forced_dynamic or not g.allocate_static_tls(owner):
            raise LinkError(f"{owner.path}: cannot allocate memory in static TLS block")
        return False

    def tlsdesc_dynamic_arg(self, owner: LinkMap, offset: int) -> int:
        """_dl_make_tlsdesc_dynamic: one {module, offset, gen_count} per module and offset
        (gen_count: the generation of the module's slotinfo entry, map_generation)."""
        args = owner.__dict__.setdefault("_tlsdesc_args", {})
        at = args.get(offset)
        if at is None:
            at = args[offset] = self.private.alloc(24, 16)
            self.mem.write(at, _u64(owner.tls.modid) + _u64(offset) + _u64(owner.tls.gen))
        return at

    def run_ifuncs(self, m: LinkMap, later) -> None:
        for addr, resolver, extra in later:
            target = self.ifunc_cache.get(resolver)
            if target is None:
                target = self.stubs.call_guest(resolver, self.task.hwcap, stack=self.stack_top)
                self.ifunc_cache[resolver] = target
            self.mem.write(addr, _u64(target + extra))

    def runtime_resolve(self, *_):
        """_dl_runtime_resolve + _dl_fixup: PLT0 pushed the link map and the PLT entry pushed
        the relocation index; bind the slot, then continue in the target, as if called."""
        cpu, mem = self.task.cpu, self.mem
        rsp = cpu.reg("rsp")
        lm, index = mem.read_u64(rsp), mem.read_u64(rsp + 8)
        m = next((x for x in self.all_maps() if x.guest == lm), None)
        if m is None:
            raise LinkError(f"lazy binding through an unknown link map 0x{lm:x}")
        jmprel = m.__dict__.setdefault("_jmprel", m.jmprel())
        r_offset, r_info, _ = jmprel[index]
        sidx = r_info >> 32
        d, dsym, value = self.symbol_value(m, sidx, R_JUMP_SLOT)
        if value is None:
            import sys
            print(f"{self.task.exe}: symbol lookup error: {m.path}: undefined symbol: "
                  f"{m.syms[sidx].name}", file=sys.stderr)
            self.task.do_exit(127)
        if dsym.type == STT_GNU_IFUNC:
            value = self.stubs.call_guest(value, self.task.hwcap)
        mem.write_u64(m.l_addr + r_offset, value)
        self.note_binding(m, sidx, d, value)
        if self.on_bind is not None:
            self.on_bind(m, sidx, d, value, mem.read_u64(rsp + 16))
        cpu.set_reg("rsp", rsp + 16)
        cpu.set_reg("rip", value)
        return "jumped"

    def note_binding(self, m: LinkMap, sidx: int, d: LinkMap | None, value: int,
                     show: bool = True) -> None:
        """A symbol bound (LD_DEBUG=bindings' line unless l_lookup_cache answered; kept for
        explain/--trace-bindings)."""
        sym = m.syms[sidx]
        self.bindings.append((m, sym.name, d, value))
        if "bindings" in self.debug and d is not None and show:
            v = self.ref_version(m, sidx)
            self.dbg("bindings", f"binding file {self.dso_filename(m)} [0] to "
                                 f"{d.path} [0]: normal symbol `{sym.name}'"
                                 + (f" [{v.name}]" if v else ""))

    def undefined_stub(self, m: LinkMap, name: str) -> int:
        path = m.path

        def fail(*_):
            print(f"{self.task.exe}: symbol lookup error: {path}: undefined symbol: {name}",
                  file=sys.stderr)
            self.task.do_exit(127)
        return self.stubs.add(fail)


class _Patch:
    """An object's relocation targets as one buffer: read once, patched in Python, written
    back once (a few guest-memory writes instead of one per relocation). A store ld.so
    could not make (a page not mapped writable: DT_TEXTREL apart, whose segments ld.so makes
    writable) is a Fault: ld.so's SIGSEGV."""
    MAX_SPAN = 64 << 20

    def __init__(self, mem, lo: int, data: bytes | None, checked: bool = True):
        self.mem, self.lo = mem, lo
        self.buf = bytearray(data) if data is not None else None
        self.checked = checked          # each write outside buf checked against prot

    @classmethod
    def over(cls, mem, l_addr: int, relr: list[int], relocs: list, pltgot: int,
             textrel: bool = False) -> _Patch:
        offs = relr + [r[0] for r in relocs] + ([pltgot, pltgot + 16] if pltgot else [])
        if not offs:
            return cls(mem, 0, None)
        lo, hi = l_addr + min(offs), l_addr + max(offs) + 16      # TLSDESC: two words
        if hi - lo > cls.MAX_SPAN:
            return cls(mem, 0, None, not textrel)
        try:
            if not textrel:
                mem.check(lo, hi - lo, PROT_WRITE)
            return cls(mem, lo, mem.read(lo, hi - lo))
        except Fault:       # a gap or a read-only page in the span: word by word instead
            return cls(mem, 0, None, not textrel)

    def write(self, addr: int, data: bytes) -> None:
        o = addr - self.lo
        if self.buf is not None and 0 <= o and o + len(data) <= len(self.buf):
            self.buf[o:o + len(data)] = data
        else:
            if self.checked:
                self.mem.check(addr, len(data), PROT_WRITE)
            self.mem.write(addr, data)

    def read_u64(self, addr: int) -> int:
        o = addr - self.lo
        if self.buf is not None and 0 <= o and o + 8 <= len(self.buf):
            return int.from_bytes(self.buf[o:o + 8], "little")
        return self.mem.read_u64(addr)

    def flush(self) -> None:
        if self.buf is not None:
            self.mem.write(self.lo, bytes(self.buf))


__all__ = ["LinkError", "Rtld"]
