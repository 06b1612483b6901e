"""Function hooks: replace, observe, wrap and redirect functions of a running guest.

A hook is an address-limited UC_HOOK_CODE on the first instruction of the function (one raw
C callback for all of them). Every call reaches that instruction, whoever makes it: the
program through its PLT, one library calling another, libc calling the program's static
comparator through a function pointer. Nothing is hooked anywhere else, so the program runs
at full speed between hooked calls.

- replace (the default): the Python function runs instead; its result goes in rax and the
  guest returns to the caller through a `mov rax, [slot]; ret` gadget in the
  "[pyloader-hooks]" page. `call.original()` runs the real function from Python (a nested
  emu_start), which makes a wrapper.
- enter: runs before the function; writing `call.args[i]` changes the argument registers.
- exit: runs when the function returns, with `call.retval` (rax) that it may rewrite. The
  return address on the stack is swapped for a trap in the page (the real one kept on a
  shadow stack), or, where that would break the program (C++ exceptions need to unwind
  through the frame, setjmp's second return, ltrace mode), watched with a code hook.
- redirect: calls continue in another function (another library's, loaded for it).

Unicorn translates code in blocks and decides at translation time whether an instruction
calls the code hooks, so hooks added or removed while the program runs flush that address
from the translation cache.
"""
from __future__ import annotations

import ctypes
import fnmatch
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from unicorn import UC_HOOK_CODE, UcError
from unicorn import x86_const as X

from .cpu import ARG_REGS, FloatArgs, _uclib
from .elf import SHDR, SHT_SYMTAB, STT_FUNC, STT_GNU_IFUNC
from .exit import GuestExit
from .printf import format_call

# read at every hooked call, in one batch: the six argument registers, rsp, rax (al is the
# number of vector registers a varargs call uses)
ENTRY_REGS = ARG_REGS + (X.UC_X86_REG_RSP, X.UC_X86_REG_RAX)
MASK = 0xFFFFFFFFFFFFFFFF
STACK_ARGS = 32          # words of the caller's stack arguments copied for call.original()
WHEN = ("replace", "enter", "exit")
UNWINDING_LIBS = {"libstdc++.so.6", "libgcc_s.so.1"}
# functions that return twice: the second return (longjmp) uses the return address saved in
# the jmp_buf, which must be the real one
RETURNS_TWICE = {"setjmp", "_setjmp", "__sigsetjmp", "sigsetjmp", "vfork", "getcontext",
                 "savectx", "__vfork"}

_U64 = struct.Struct("<Q")
_CODE_CB = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint64, ctypes.c_uint32,
                            ctypes.c_void_p)


class HookError(Exception):
    """A hook that cannot be installed (status 2), or one that raised (status 1): a one-line
    message; `pyloader run` prints it and exits with the status."""

    def __init__(self, message: str, status: int = 2):
        super().__init__(message)
        self.status = status


@dataclass(eq=False)
class Hook:
    """One installed hook; `remove()` takes it out (also while the program runs)."""
    target: str | int
    func: Callable
    when: str = "replace"
    callers: tuple[str, ...] | None = None      # only calls made from these objects
    jump_to: int | None = None                  # a redirect: continue in another function
    name: str = ""
    addrs: list[int] = field(default_factory=list)
    manager: Hooks | None = None
    prepare: Callable[[], None] | None = None    # runs once the program is linked

    def remove(self) -> None:
        if self.manager is not None:
            self.manager.remove(self)


class Args:
    """The integer arguments of a call in System V order: rdi, rsi, rdx, rcx, r8, r9, then
    the stack ([rsp+8] at the function's first instruction). Writing one writes the
    register or the stack slot, so an enter hook changes what the function receives."""
    __slots__ = ("_call",)

    def __init__(self, call: Call):
        self._call = call

    def __getitem__(self, i: int) -> int:
        c = self._call
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(max(i.stop or 6, 6)))]
        if i < 0:
            raise IndexError("argument numbers start at 0")
        if i < 6:
            return c.regs[i]
        return c.hooks.mem.read_u64(c.sp + 8 + 8 * (i - 6))

    def __setitem__(self, i: int, value: int) -> None:
        c = self._call
        if i < 0:
            raise IndexError("argument numbers start at 0")
        if i < 6:
            c.regs[i] = value & MASK
            c.hooks.uc.reg_write(ARG_REGS[i], value & MASK)
        else:
            c.hooks.mem.write_u64(c.sp + 8 + 8 * (i - 6), value)

    def __len__(self) -> int:
        return 6

    def __iter__(self):
        return iter(self._call.regs[:6])

    def __repr__(self) -> str:
        return repr(self._call.regs[:6])


class Call:
    """One call of a hooked function, as its hook sees it."""
    __slots__ = (
        "_return_address",
        "_retval",
        "address",
        "hook",
        "hooks",
        "name",
        "regs",
        "retval_set",
        "sp",
    )

    def __init__(self, hooks: Hooks, name: str, address: int, regs: list[int], sp: int):
        self.hooks = hooks
        self.name = name                    # the name the hook was asked for
        self.address = address              # the function's entry
        self.regs = regs                    # rdi rsi rdx rcx r8 r9 at entry (rsp, rax after)
        self.sp = sp                        # rsp at entry: it points at the return address
        self._return_address = None
        self._retval = 0
        self.retval_set = False
        self.hook: Hook | None = None

    @property
    def return_address(self) -> int:
        """Where the function returns to (read from the stack when first asked for)."""
        if self._return_address is None:
            self._return_address = self.hooks.stack_word(self.sp)
        return self._return_address

    # --- arguments and result --------------------------------------------------------------------
    @property
    def args(self) -> Args:
        return Args(self)

    @property
    def fargs(self) -> FloatArgs:
        return FloatArgs(self.hooks.uc)

    @property
    def retval(self) -> int:
        return self._retval

    @retval.setter
    def retval(self, value: int) -> None:
        self._retval = value & MASK
        self.retval_set = True

    @property
    def fretval(self) -> float:
        return self.fargs[0]

    @fretval.setter
    def fretval(self, value: float) -> None:
        self.fargs[0] = value

    @property
    def caller(self) -> str:
        """The object the call comes from ("main" for the program), or "?"."""
        return self.hooks.object_name(self.return_address)

    # --- guest memory --------------------------------------------------------------------------
    def string(self, addr: int, limit: int = 4096) -> str | None:
        """The NUL-terminated string at `addr` (None for a NULL pointer)."""
        return self.hooks.read_string(addr, limit)

    def read(self, addr: int, size: int) -> bytes:
        return self.hooks.mem.read(addr, size)

    def write(self, addr: int, data: bytes) -> None:
        self.hooks.mem.write(addr, data)

    def read_struct(self, fmt: str, addr: int) -> tuple:
        """struct.unpack(fmt, memory at addr), e.g. read_struct("<qq", tv) for a timeval."""
        return struct.unpack(fmt, self.hooks.mem.read(addr, struct.calcsize(fmt)))

    def write_struct(self, fmt: str, addr: int, *values) -> None:
        self.hooks.mem.write(addr, struct.pack(fmt, *values))

    def write_string(self, addr: int, text: str | bytes) -> None:
        data = text.encode("utf-8", "surrogateescape") if isinstance(text, str) else text
        self.hooks.mem.write(addr, data + b"\0")

    def format_string(self, fmt_index: int | None = None) -> str:
        """What a printf-family call would print: its format decoded with the guest's varargs
        (or its va_list, for the v* functions). The format's position is known for the libc
        printf family; give `fmt_index` for other functions."""
        return format_call(self, fmt_index)

    # --- the real function -----------------------------------------------------------------------
    def original(self, *args: int) -> int:
        """Call the real function with `args` (default: the arguments it was called with) and
        return its rax. Float arguments and the stack arguments the caller passed go along."""
        return self.hooks.call_original(self, args)

    def __repr__(self) -> str:
        return f"<Call {self.name} args={self.regs[:6]} from 0x{self.return_address:x}>"


class _Frame(NamedTuple):
    """A call whose exit hooks wait for its return (a tuple: made at every such call)."""
    sp: int
    return_address: int
    call: Call
    hooks: list[Hook]


class _Plan(NamedTuple):
    """The hooks at one entry address, sorted by kind once (not at every call)."""
    hooks: tuple[Hook, ...]
    enters: tuple[Hook, ...]
    exits: tuple[Hook, ...]
    replace: Hook | None
    filtered: bool                      # some hook has callers=: sort them per call


def _plan(hooks: tuple[Hook, ...]) -> _Plan:
    return _Plan(hooks, tuple(h for h in hooks if h.when == "enter"),
                 tuple(h for h in hooks if h.when == "exit"),
                 next((h for h in hooks if h.when == "replace"), None),
                 any(h.callers is not None for h in hooks))


class GuestStream:
    """A text stream writing to one of the guest's descriptors (p.stdout), unbuffered, so
    what a hook writes comes out in order with the guest's own write()s."""

    def __init__(self, task, fd: int):
        self.task, self.fd = task, fd

    def write(self, text: str | bytes) -> int:
        data = text.encode("utf-8", "surrogateescape") if isinstance(text, str) else bytes(text)
        host = self.task.fds.get(self.fd).host_fd
        view = memoryview(data)
        while view:
            view = view[os.write(host, view):]
        return len(text)

    def flush(self) -> None:
        pass


class Hooks:
    """The hooks of one Process (task.hooks)."""

    def __init__(self, task):
        self.task = task
        self.uc = task.cpu.uc
        self._h = task.cpu._hv
        self.pending: list[Hook] = []               # asked for before the program is linked
        self.at: dict[int, _Plan] = {}              # entry address -> its hooks
        self.handles: dict[int, ctypes.c_size_t] = {}
        # calls waiting for their exit hooks, by the stack pointer at their entry: a frame is
        # found again by the rsp it returns with, whatever thread or nesting level it is in
        # (one left behind by longjmp or a throw is replaced by the next call at that rsp).
        # Several at one rsp: hooked functions that tail-called each other, latest last.
        self.frames: dict[int, list[_Frame]] = {}
        # exit hooks by watching return addresses instead of replacing them on the stack: as
        # fast per call, and a C++ exception or longjmp through the frame is not disturbed,
        # but every call site gets a code hook for good (a first call there retranslates its
        # block, and Unicorn checks each translated instruction against every hook), which
        # costs in big programs. C++ programs and ltrace mode use it; setjmp-like functions
        # always do.
        self.watch_returns = False
        self.returns: dict[int, dict[int, list[_Frame]]] = {}   # return address -> sp -> ...
        self.attached = 0               # id of the image the hooks are resolved in
        self.trap = 0
        self.call_trap = 0
        self._bypass = -1
        self._symtabs: dict[int, dict[str, list[int]]] = {}
        self._main = None               # a static program's LinkMap (_static_main)
        self._cb = _CODE_CB(self._on_code)
        n = len(ENTRY_REGS)
        self._ids = (ctypes.c_int * n)(*ENTRY_REGS)
        self._vals = (ctypes.c_uint64 * n)()
        base = ctypes.addressof(self._vals)
        self._ptrs = (ctypes.c_void_p * n)(*[base + 8 * i for i in range(n)])
        self._n = ctypes.c_int(n)
        self._read_batch = _raw(_uclib.uc_reg_read_batch)
        self._write = _raw(_uclib.uc_reg_write)
        self._rip_id = ctypes.c_int(X.UC_X86_REG_RIP)
        self._rip = ctypes.c_uint64()
        self._rip_ref = ctypes.byref(self._rip)
        self.on_attach: list[Callable[[Hooks], None]] = []     # e.g. the ltrace installer

    @property
    def mem(self):
        return self.task.mem          # exec replaces the address space

    # --- asking for hooks -------------------------------------------------------------------------
    def hook(self, target: str | int, func: Callable | None = None, *, when: str = "replace",
             callers: list[str] | tuple[str, ...] | str | None = None):
        """Hook `target` (see Process.hook). `hook(t, f)` returns the Hook; as a decorator it
        returns the function, with the Hook as its `hook` attribute."""
        if when == "wrap":
            when = "replace"
        if when not in WHEN:
            raise ValueError(f"when must be one of {', '.join(WHEN)}, not {when!r}")
        if isinstance(callers, str):
            callers = (callers,)

        def make(f: Callable) -> Hook:
            return self.add(Hook(target, f, when, tuple(callers) if callers else None,
                                 manager=self))

        def decorate(f: Callable) -> Callable:
            f.hook = make(f)          # the function stays callable; f.hook.remove() unhooks
            return f
        return make(func) if func is not None else decorate

    def add(self, h: Hook) -> Hook:
        if self.attached:
            self._install(h)
        else:
            self.pending.append(h)
        return h

    def remove(self, h: Hook) -> None:
        if h in self.pending:
            self.pending.remove(h)
        for addr in h.addrs:
            have = self.at[addr].hooks if addr in self.at else ()
            if h in have:
                left = tuple(x for x in have if x is not h)
                if left:
                    self.at[addr] = _plan(left)
                else:
                    del self.at[addr]
                    self._unhook(addr)
        h.addrs = []

    # --- installing ------------------------------------------------------------------------------
    def attach(self) -> None:
        """The program is linked (or, static, loaded): resolve and install what is pending."""
        if self.attached == id(self.task.bprm):
            return
        if self.attached:               # a new image (execve): hooks by name are resolved
            for h in {id(h): h for p in self.at.values() for h in p.hooks}.values():
                self.remove(h)          # again; an address meant something in the old one
                if isinstance(h.target, str):
                    self.pending.append(h)
            self.frames.clear()
            self.returns.clear()
            for addr in list(self.handles):     # the trap and the watched return sites
                self._unhook(addr)
            self._symtabs.clear()
            self._main = None
        self.attached = id(self.task.bprm)
        # a page of our own (not the linker's stub page, whose hook is the binding's slower
        # one). Returning from a hook goes through small gadgets that load rax from a slot
        # Python writes directly, so each return costs one register write (rip).
        mem = self.task.mem
        page = mem.get_unmapped_area(4096)
        mem.map(page, 4096, 5, name="[pyloader-hooks]", data=b"\xcc" * 4096)
        rax_slot, target_slot = page + 0x100, page + 0x108
        load_rax = b"\x48\xa1" + rax_slot.to_bytes(8, "little")     # movabs rax, [rax_slot]

        jmp_target = b"\xff\x25" + (target_slot - (page + 0x4A + 6)).to_bytes(4, "little",
                                                                              signed=True)
        # the trap is hooked; the hook fills both slots and the guest goes on by itself:
        # trap: mov rax, [rax_slot]; jmp [target_slot]   (back in the caller)
        self.trap, self.call_trap = page + 0x40, page + 0x10
        self.ret_rax, self.ret = page + 0x20, page + 0x30
        for at, code in ((self.call_trap, b"\xc3"), (self.ret_rax, load_rax + b"\xc3"),
                         (self.ret, b"\xc3"), (self.trap, load_rax + jmp_target)):
            mem.write(at, code)
        vma = mem.find(page)
        self._rax_slot = ctypes.c_uint64.from_buffer(vma.backing, vma.boff + 0x100)
        self._target_slot = ctypes.c_uint64.from_buffer(vma.backing, vma.boff + 0x108)
        self._hook_range(self.trap)
        # C++: an exception thrown through a frame whose return address is the trap could
        # not be unwound (no FDE there), so exit hooks watch return addresses instead
        if any(m.soname in UNWINDING_LIBS for m in self.maps()):
            self.watch_returns = True
        pending, self.pending = self.pending, []
        for h in pending:
            self._install(h)
        for f in self.on_attach:
            f(self)

    def _install(self, h: Hook) -> None:
        if h.prepare is not None:
            h.prepare()
        addrs = self.resolve(h.target)
        h.name = h.name or (h.target if isinstance(h.target, str) else f"0x{h.target:x}")
        h.addrs = addrs
        for a in addrs:
            have = self.at.get(a)
            # a new plan: a call in progress keeps the one it started with
            self.at[a] = _plan((have.hooks if have else ()) + (h,))
            if have is None:
                self._hook_range(a)

    def _hook_range(self, addr: int) -> None:
        handle = ctypes.c_size_t()
        err = _uclib.uc_hook_add(self._h, ctypes.byref(handle), UC_HOOK_CODE,
                                 ctypes.cast(self._cb, ctypes.c_void_p), None,
                                 ctypes.c_uint64(addr), ctypes.c_uint64(addr))
        if err:
            raise UcError(err)
        self.handles[addr] = handle
        self._flush(addr)

    def _unhook(self, addr: int) -> None:
        handle = self.handles.pop(addr, None)
        if handle is not None:
            _uclib.uc_hook_del(self._h, handle)
            self._flush(addr)

    def _flush(self, addr: int) -> None:
        """Translated blocks containing addr were made without (or with) the hook call."""
        try:
            self.uc.ctl_remove_cache(addr, addr + 1)
        except UcError:
            pass

    # --- names -> addresses ---------------------------------------------------------------------
    @property
    def rtld(self):
        """The Python ld.so that linked the current image (None: static, or --ld=system)."""
        r = self.task.rtld
        return r if r is not None and r.bprm is self.task.bprm else None

    def maps(self) -> list:
        r = self.rtld
        if r is not None:
            return r.all_maps()
        return [self._static_main()]

    def _static_main(self):
        """A statically linked program: its own image is the only object."""
        m = self._main
        if m is None:
            from .ld.dso import LinkMap
            b = self.task.bprm
            m = LinkMap(b.filename, b.filename, b.data, l_addr=b.load_bias)
            m.is_main = True
            lo, hi = m.img.load_bounds()
            m.map_start, m.map_end = lo + m.l_addr, hi + m.l_addr
            self._main = m
        return m

    def resolve(self, target: str | int) -> list[int]:
        """Entry addresses of `target`: an address, `name`, `name@VERSION` or `lib:name`.
        Dynamic symbols are looked up in the global scope's order (the definition calls bind
        to); names no dynamic symbol defines are looked up in each object's .symtab, local
        functions included (a static comparator). Raises HookError."""
        if isinstance(target, int):
            return [target]
        lib, _, name = target.rpartition(":")
        name, _, version = name.partition("@")
        version = version.lstrip("@")
        maps = self.maps()
        if lib:
            maps = [m for m in maps if _object_matches(m, lib)]
            if not maps:
                raise HookError(f"hook {target}: no object {lib} is loaded")
        for m in maps:
            addr = self._dynamic(m, name, version)
            if addr:
                return [addr]
        if not version:
            for m in maps:
                found = self._symtab(m).get(name)
                if found:
                    return [m.l_addr + v for v in found]
        if self.rtld is None and self.task.bprm.interp_path:
            raise HookError(f"hook {target}: hooking library functions needs the Python "
                            "ld.so (--ld=python)")
        where = f" in {lib}" if lib else ""
        raise HookError(f"hook {target}: no function {name}{'@' + version if version else ''}"
                        f"{where} in the program or its libraries")

    def _dynamic(self, m, name: str, version: str) -> int:
        best = None
        for i in m.by_name.get(name, ()):
            sym = m.syms[i]
            if not sym.shndx or sym.type not in (STT_FUNC, STT_GNU_IFUNC, 0):
                continue
            ver, hidden = m.symbol_version(i)
            if version:
                if ver is None or ver.name != version:
                    continue
            elif hidden and best is not None:
                continue
            best = sym
            if not hidden:
                break
        if best is None:
            return 0
        addr = m.l_addr + best.value
        if best.type == STT_GNU_IFUNC:      # the implementation the resolver picks
            r = self.rtld
            target = r.ifunc_cache.get(addr)
            if target is None:
                target = r.ifunc_cache[addr] = r.stubs.call_guest(addr, self.task.hwcap)
            addr = target
        return addr

    def _symtab(self, m) -> dict[str, list[int]]:
        """Function symbols of the object's .symtab (absent when stripped)."""
        got = self._symtabs.get(id(m))
        if got is not None:
            return got
        out: dict[str, list[int]] = {}
        data, img = m.data, m.img
        shoff, shnum = img.e_shoff, img.e_shnum
        if shoff and shoff + shnum * SHDR.size <= len(data):
            shdrs = [SHDR.unpack_from(data, shoff + i * SHDR.size) for i in range(shnum)]
            for sh in shdrs:
                if sh[1] != SHT_SYMTAB or sh[6] >= len(shdrs):
                    continue
                stroff = shdrs[sh[6]][4]
                end = min(sh[4] + sh[5], len(data))
                for off in range(sh[4], end - 23, 24):
                    nm, info, _o, shndx, value, _size = struct.unpack_from("<IBBHQQ", data, off)
                    if info & 0xF != STT_FUNC or not shndx or not value:
                        continue
                    s = stroff + nm
                    key = data[s:data.index(b"\0", s)].decode(errors="replace")
                    lst = out.setdefault(key, [])
                    if value not in lst:
                        lst.append(value)
        self._symtabs[id(m)] = out
        return out

    def object_of(self, addr: int):
        for m in self.maps():
            if m.map_start <= addr < m.map_end:
                return m
        return None

    def object_name(self, addr: int) -> str:
        m = self.object_of(addr)
        if m is None:
            return "?"
        return "main" if m.is_main else (m.soname or os.path.basename(m.path))

    def stack_word(self, addr: int) -> int:
        """mem.read_u64, faster for a word inside one VMA (the stack, at every call)."""
        v = self.mem.find(addr)
        if v is None or v.backing is None or addr + 8 > v.end:
            return self.mem.read_u64(addr)
        return _U64.unpack_from(v.backing, v.boff + addr - v.start)[0]

    def read_string(self, addr: int, limit: int = 4096) -> str | None:
        if not addr:
            return None
        return self.mem.read_cstr(addr, limit).decode("utf-8", "surrogateescape")

    # --- the hot path ------------------------------------------------------------------------------
    def _on_code(self, _uc, address, _size, _ud) -> None:
        """The raw UC_HOOK_CODE callback for every hooked entry and for the return trap."""
        try:
            if address == self._bypass:         # call.original() entering the function
                self._bypass = -1
                return
            if address in self.returns:       # a return site with a call to finish
                self._return_site(address)
            hooks = self.at.get(address)
            if hooks:
                self._enter(address, hooks)
            elif address == self.trap:
                self._exit()
        except BaseException as e:   # noqa: BLE001 - handed to Process.run through the Cpu
            if isinstance(e, Exception) and not isinstance(e, (HookError, UcError, GuestExit)):
                e = _hook_failed(e)
            self.task.cpu._hook_error = e
            _uclib.uc_emu_stop(self._h)

    def _enter(self, address: int, plan: _Plan) -> None:
        self._read_batch(self._h, self._ids, self._ptrs, self._n)
        regs = self._vals[:]
        sp = regs[6]
        hooks = plan.hooks
        call = Call(self, hooks[0].name, address, regs, sp)
        enters, exits, replace = plan.enters, plan.exits, plan.replace
        if plan.filtered:
            ret = call.return_address
            kept = tuple(h for h in hooks
                         if h.callers is None or self._from(ret, h.callers))
            enters = tuple(h for h in kept if h.when == "enter")
            exits = tuple(h for h in kept if h.when == "exit")
            replace = next((h for h in kept if h.when == "replace"), None)
        for h in enters:
            call.hook = h
            h.func(call)
        if replace is not None:
            call.hook = replace
            if replace.jump_to is not None:        # a redirect: the other function returns
                self._set_rip(replace.jump_to)
                return
            result = replace.func(call)
            if result is not None:
                if isinstance(result, float):     # a double function's result is in xmm0
                    call.fretval = result
                else:
                    call._retval = result & MASK
                    call.retval_set = True
            if exits:
                for h in exits:
                    call.hook = h
                    h.func(call)
            # the guest's own `ret` (in a gadget) pops the return address
            if call.retval_set:
                self._rax_slot.value = call._retval
                self._rip.value = self.ret_rax
            else:
                self._rip.value = self.ret
            self._write(self._h, self._rip_id, self._rip_ref)
        elif exits:
            if self.watch_returns or _base_name(hooks[0].name) in RETURNS_TWICE:
                # the stack is left alone: a code hook on the return address finishes the call
                ret = call.return_address
                frame = _Frame(sp, ret, call, exits)
                at = self.returns.setdefault(ret, {})
                have = at.get(sp)
                if have and have[-1].call.address != address:    # a tail call
                    have.append(frame)
                else:
                    at[sp] = [frame]
                if ret not in self.handles:
                    self._hook_range(ret)
            else:
                # the return address is swapped for the trap's (one lookup for both)
                v = self.mem.find(sp)
                if v is not None and v.backing is not None and sp + 8 <= v.end:
                    off = v.boff + sp - v.start
                    ret = _U64.unpack_from(v.backing, off)[0]
                    _U64.pack_into(v.backing, off, self.trap)
                else:
                    ret = self.mem.read_u64(sp)
                    self.mem.write_u64(sp, self.trap)
                call._return_address = ret
                frame = _Frame(sp, ret, call, exits)
                if ret == self.trap and sp in self.frames:       # a tail call
                    self.frames[sp].append(frame)
                else:
                    self.frames[sp] = [frame]

    def _return_site(self, address: int) -> None:
        """Execution reached a watched return address: the call whose frame it was (rsp just
        above its return address) has returned. The code hook stays for the next call."""
        self._read_batch(self._h, self._ids, self._ptrs, self._n)
        sp, rax = self._vals[6], self._vals[7]
        waiting = self.returns[address].pop(sp - 8, None)
        if waiting is None:       # this address executed for another reason
            return
        new = self._finish(waiting, rax)
        if new != rax:
            self.uc.reg_write(X.UC_X86_REG_RAX, new)

    def _finish(self, waiting: list[_Frame], rax: int) -> int:
        """Run the exit hooks of the calls that return together (innermost first); the
        result each one sees is the previous one's. Returns the final rax."""
        for f in reversed(waiting):
            call = f.call
            call._retval = rax
            for h in f.hooks:
                call.hook = h
                h.func(call)
            rax = call._retval
        return rax

    def _exit(self) -> None:
        self._read_batch(self._h, self._ids, self._ptrs, self._n)
        sp, rax = self._vals[6], self._vals[7]
        waiting = self.frames.pop(sp - 8, None)
        if waiting is None:
            raise HookError(f"a hooked function returned to the exit trap with rsp 0x{sp:x} "
                            "that matches no hooked call")
        self._rax_slot.value = self._finish(waiting, rax)
        self._target_slot.value = waiting[0].return_address

    def _set_rip(self, rip: int) -> None:
        """uc_reg_write of rip (from a hook, the engine then leaves the current block)."""
        self._rip.value = rip
        self._write(self._h, self._rip_id, self._rip_ref)

    def _from(self, ret: int, callers: tuple[str, ...]) -> bool:
        m = self.object_of(ret)
        return m is not None and any(_object_matches(m, c) for c in callers)

    # --- calling the real function ----------------------------------------------------------------
    def call_original(self, call: Call, args: tuple[int, ...]) -> int:
        uc = self.uc
        saved = uc.context_save()
        mem = self.mem
        # a fresh frame below the hooked call's: its return address, then the stack arguments
        # (the caller's, with any given beyond the sixth in front)
        stack = mem.read(call.sp + 8, 8 * STACK_ARGS)
        extra = b"".join((a & MASK).to_bytes(8, "little") for a in args[6:])
        stack = extra + stack[len(extra):]
        rsp = ((call.sp - 256 - len(stack)) & ~0xF) - 8
        mem.write_u64(rsp, self.call_trap)
        mem.write(rsp + 8, stack)
        regs = list(args[:6]) + call.regs[len(args):6] if args else call.regs[:6]
        for reg, v in zip(ARG_REGS, regs):
            uc.reg_write(reg, v & MASK)
        uc.reg_write(X.UC_X86_REG_RSP, rsp)
        self._bypass = call.address
        t = self.task
        t.nested += 1                   # as StubPage.call_guest: nothing may stop this run
        try:
            t.cpu.run_until(call.address, self.call_trap)
        except UcError as e:
            t.guest_fault(e)
        finally:
            self._bypass = -1
            t.nested -= 1
            if t.nested == 0 and (t.host_sigq or t.sigqueue or t.tsigqueue or t.timed_out):
                t.cpu.stop()            # what arrived meanwhile, once back in the guest
        if self.task.cpu.pc != self.call_trap:
            self.task.guest_fault(None)
        result = uc.reg_read(X.UC_X86_REG_RAX)
        uc.context_restore(saved)
        return result


def _base_name(target: str) -> str:
    """printf for "libc.so.6:printf@GLIBC_2.2.5"."""
    return target.rpartition(":")[2].partition("@")[0]


def _raw(fn):
    return ctypes.CFUNCTYPE(ctypes.c_int)(ctypes.cast(fn, ctypes.c_void_p).value)


def _object_matches(m, pattern: str) -> bool:
    """An object named as users name them: "main" (the program), a soname ("libc.so.6"),
    a file name or path, a glob ("libc.so*"), or a prefix up to ".so" ("libc")."""
    if pattern in ("main", "MAIN"):
        return m.is_main
    names = [n for n in (m.soname, m.name, m.path, os.path.basename(m.path or "")) if n]
    for n in names:
        if n == pattern or fnmatch.fnmatchcase(n, pattern) or n.startswith(pattern + ".so"):
            return True
    return False


def _one_line(e: Exception) -> str:
    """An exception of the user's code as "Type: message (file.py:line)", the line being
    the last one of the traceback outside pyloader."""
    tb = e.__traceback__
    where = ""
    while tb is not None:
        if not tb.tb_frame.f_code.co_filename.startswith(os.path.dirname(__file__)):
            where = f" ({os.path.basename(tb.tb_frame.f_code.co_filename)}:{tb.tb_lineno})"
        tb = tb.tb_next
    return f"{type(e).__name__}: {e}{where}"


def _hook_failed(e: Exception) -> HookError:
    """A hook's own exception while the program runs: status 1."""
    err = HookError(f"a hook raised {_one_line(e)}", status=1)
    err.__cause__ = e
    return err


def hooks_of(task) -> Hooks:
    h = task.hooks
    if h is None:
        h = task.hooks = Hooks(task)
    return h


def redirect(task, name: str, to: str, library: str | None = None) -> Hook:
    """Calls of `name` continue in `to` (found in `library`, loaded for it, or anywhere),
    except calls made by the object that defines `to`, so it can call the original (as
    LD_PRELOAD interposition behaves)."""
    hooks = hooks_of(task)
    h = Hook(name, lambda call: None, "replace", name=name, manager=hooks)

    def install() -> None:
        target_obj = None
        if library is not None:
            target_obj = load_library(task, library)
            target = hooks.resolve(f"{target_obj.path}:{to}")[0]
        else:
            target = hooks.resolve(to)[0]
            target_obj = hooks.object_of(target)
        h.jump_to = target
        others = [m for m in hooks.maps() if m is not target_obj]
        h.callers = tuple(m.path if not m.is_main else "main" for m in others)

    h.prepare = install
    return hooks.add(h)


def load_library(task, name: str):
    """Load a shared object (and its dependencies) into the running program, as dlopen
    does, and return its link map."""
    r = hooks_of(task).rtld
    if r is None:
        raise HookError(f"redirect to {name}: needs the Python ld.so (--ld=python)")
    from .ld import LinkError, run_initializers
    have = r._by_name(name)
    if have is not None:
        return have
    try:
        new = r.dl._load(name, lazy=r.lazy)
    except LinkError as e:
        raise HookError(f"redirect: {e}") from None
    for m in new:
        run_initializers(r, m, r.argc, r.argv, r.envp)
        r.extra_inits.append(m)
    return new[0] if new else r._by_name(name)


def load_hook_file(task, path: str) -> None:
    """Run a hooks file (`pyloader run --hook FILE`): it defines `setup(p)`, which is called
    with the Process before the program starts."""
    import runpy
    try:
        ns = runpy.run_path(path, run_name="__pyloader_hooks__")
    except FileNotFoundError:
        raise HookError(f"--hook {path}: no such file") from None
    except SyntaxError as e:
        raise HookError(f"--hook {path}:{e.lineno}: syntax error: {e.msg}") from None
    except Exception as e:      # noqa: BLE001 - the file's own error, as one line
        raise HookError(f"--hook {path}: {_one_line(e)}") from None
    setup = ns.get("setup")
    if not callable(setup):
        raise HookError(f"--hook {path}: defines no setup(p) function")
    try:
        setup(task)
    except HookError:
        raise
    except Exception as e:      # noqa: BLE001
        raise HookError(f"--hook {path}: setup(p) failed: {_one_line(e)}") from None


__all__ = ["Args", "Call", "GuestStream", "Hook", "HookError", "Hooks", "hooks_of",
           "load_hook_file", "redirect"]
