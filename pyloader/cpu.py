"""Cpu: the Unicorn engine for one x86-64 guest, and the cheap paths into it.

The syscall hook is the hot path: arguments are read with one raw `uc_reg_read_batch`
call into a preallocated array (the binding's per-register reads cost ~2 us each).
Faults are not hooked while running (any memory hook disables Unicorn's fast TLB); when
emu_start reports one, `fault_detail` replays the single instruction with a hook to learn
the address and access kind.
"""
from __future__ import annotations

import ctypes
import struct

from unicorn import (
    UC_ARCH_X86,
    UC_CTL_IO_WRITE,
    UC_CTL_TLB_FLUSH,
    UC_HOOK_BLOCK,
    UC_HOOK_INSN,
    UC_HOOK_INTR,
    UC_HOOK_MEM_INVALID,
    UC_MODE_64,
    UC_TLB_CPU,
    UC_TLB_VIRTUAL,
    Uc,
    UcError,
)
from unicorn import unicorn_const as UCC
from unicorn import x86_const as X

try:  # the binding's loaded library, for raw batch calls
    from unicorn.unicorn_py3.unicorn import uclib as _uclib
except ImportError:  # pragma: no cover - other binding layouts
    from unicorn.unicorn import _uc as _uclib

# syscall argument registers in the kernel's order, after rax (the number)
SYSCALL_REGS = (X.UC_X86_REG_RAX, X.UC_X86_REG_RDI, X.UC_X86_REG_RSI, X.UC_X86_REG_RDX,
                X.UC_X86_REG_R10, X.UC_X86_REG_R8, X.UC_X86_REG_R9)

# general registers, in struct user_regs_struct / sigcontext order where it matters
REG = {name: getattr(X, "UC_X86_REG_" + name.upper()) for name in (
    "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10", "r11", "r12",
    "r13", "r14", "r15", "rip", "eflags", "fs_base", "gs_base")}

# the SysV x86-64 integer argument registers, in order
ARG_REGS = (X.UC_X86_REG_RDI, X.UC_X86_REG_RSI, X.UC_X86_REG_RDX, X.UC_X86_REG_RCX,
            X.UC_X86_REG_R8, X.UC_X86_REG_R9)

def _raw(fn):
    """A C function of the engine as a ctypes pointer with no argument conversion."""
    return ctypes.CFUNCTYPE(ctypes.c_int)(ctypes.cast(fn, ctypes.c_void_p).value)


_HOOK_INSN_CB = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p)

# the kernel's names for the exceptions Unicorn reports through UC_HOOK_INTR
INTR_DE, INTR_DB, INTR_BP, INTR_UD, INTR_GP, INTR_PF = 0, 1, 3, 6, 13, 14

FAULT_ERRORS = {
    UCC.UC_ERR_READ_UNMAPPED: ("read", "unmapped"),
    UCC.UC_ERR_WRITE_UNMAPPED: ("write", "unmapped"),
    UCC.UC_ERR_FETCH_UNMAPPED: ("exec", "unmapped"),
    UCC.UC_ERR_READ_PROT: ("read", "prot"),
    UCC.UC_ERR_WRITE_PROT: ("write", "prot"),
    UCC.UC_ERR_FETCH_PROT: ("exec", "prot"),
    UCC.UC_ERR_READ_UNALIGNED: ("read", "unaligned"),
    UCC.UC_ERR_WRITE_UNALIGNED: ("write", "unaligned"),
    UCC.UC_ERR_FETCH_UNALIGNED: ("exec", "unaligned"),
}

# registers of the System V x86-64 ABI: xmm0..xmm7 carry float and double arguments (and
# xmm0 the result); a signal frame saves all 16
XMM = [getattr(X, f"UC_X86_REG_XMM{i}") for i in range(16)]
FLOAT_ARG_REGS = XMM[:8]


class FloatArgs:
    """xmm0..xmm7 as doubles (the float and double arguments, in order): what the registers
    hold now, so the arguments at entry (enter and replace hooks)."""
    __slots__ = ("_uc",)

    def __init__(self, uc):
        self._uc = uc

    def __getitem__(self, i: int) -> float:
        raw = self._uc.reg_read(FLOAT_ARG_REGS[i]) & 0xFFFFFFFFFFFFFFFF
        return struct.unpack("<d", raw.to_bytes(8, "little"))[0]

    def __setitem__(self, i: int, value: float) -> None:
        self._uc.reg_write(FLOAT_ARG_REGS[i], struct.unpack("<Q", struct.pack("<d", value))[0])

    def __len__(self) -> int:
        return len(FLOAT_ARG_REGS)


class Cpu:
    def __init__(self, tlb: str = "auto") -> None:
        self.uc = Uc(UC_ARCH_X86, UC_MODE_64)
        # On the stock engine Unicorn's two TLB modes trade against each other (measured,
        # see ARCHITECTURE.md): "virtual" makes stores several times faster, but a TLB miss
        # costs so much more that programs with a large working set (python3 `import re`:
        # 28 s vs 1.8 s) crawl. "auto" starts in cpu mode and lets TlbAuto switch while the
        # guest computes (on the fast engine: stay, and grow the TLB).
        self.tlb = "virtual" if tlb == "virtual" else "cpu"
        self.tlb_request: str | None = None     # set by TlbAuto, applied by run()
        if tlb == "virtual":
            self.uc.ctl_set_tlb_mode(UC_TLB_VIRTUAL)
        self._h = self.uc._uch
        n = len(SYSCALL_REGS)
        self._regids = (ctypes.c_int * n)(*SYSCALL_REGS)
        self._vals = (ctypes.c_uint64 * n)()
        self._vals_view = memoryview(self._vals).cast("B").cast("Q")    # tolist: ints at once
        base = ctypes.addressof(self._vals)
        self._ptrs = (ctypes.c_void_p * n)(*[base + 8 * i for i in range(n)])
        self._rax = ctypes.c_uint64()
        self._rax_ref = ctypes.byref(self._rax)
        self._rax_id = ctypes.c_int(X.UC_X86_REG_RAX)
        self._nregs = ctypes.c_int(n)
        self._hv = ctypes.c_void_p(self._h.value if hasattr(self._h, "value") else self._h)
        # the same C functions without argtypes: ctypes then converts nothing (~0.25 us less)
        self._read_batch = _raw(_uclib.uc_reg_read_batch)
        self._write = _raw(_uclib.uc_reg_write)
        self._mem_read = _uclib.uc_mem_read
        self._mem_write = _uclib.uc_mem_write
        self._rbuf = ctypes.create_string_buffer(4096)
        self._callbacks: list = []          # raw hook function pointers must stay alive
        self._hook_error: BaseException | None = None
        self._install_stop_request()

    # --- registers ---------------------------------------------------------------------------
    def syscall_args(self) -> list[int]:
        """[rax, rdi, rsi, rdx, r10, r8, r9] with one raw batch read."""
        self._read_batch(self._hv, self._regids, self._ptrs, self._nregs)
        return self._vals_view.tolist()

    def set_rax(self, value: int) -> None:
        self._rax.value = value & 0xFFFFFFFFFFFFFFFF
        self._write(self._hv, self._rax_id, self._rax_ref)

    def reg(self, name: str) -> int:
        return self.uc.reg_read(REG[name])

    def set_reg(self, name: str, value: int) -> None:
        self.uc.reg_write(REG[name], value & 0xFFFFFFFFFFFFFFFF)

    @property
    def pc(self) -> int:
        return self.uc.reg_read(X.UC_X86_REG_RIP)

    def set_fs_base(self, value: int) -> None:
        self.uc.reg_write(X.UC_X86_REG_FS_BASE, value)

    def fs_base(self) -> int:
        return self.uc.reg_read(X.UC_X86_REG_FS_BASE)

    def set_gs_base(self, value: int) -> None:
        self.uc.reg_write(X.UC_X86_REG_GS_BASE, value)

    def gs_base(self) -> int:
        return self.uc.reg_read(X.UC_X86_REG_GS_BASE)

    # --- guest memory, raw (the binding's mem_read allocates and wraps on every call) ------
    def mem_read(self, addr: int, size: int) -> bytes | None:
        """`size` bytes at `addr`, or None if any of them is unmapped."""
        buf = self._rbuf
        if size > len(buf):
            buf = self._rbuf = ctypes.create_string_buffer(max(size, 2 * len(buf)))
        if self._mem_read(self._h, addr, buf, size):
            return None
        return ctypes.string_at(buf, size)

    def mem_write(self, addr: int, data: bytes) -> bool:
        return self._mem_write(self._h, addr, data, len(data)) == 0

    # --- hooks -------------------------------------------------------------------------------
    def on_syscall(self, callback) -> None:
        """Call `callback()` at every `syscall` instruction.

        Registered as a raw C callback (the binding's wrappers cost ~1 us per call); an
        exception from the callback stops the engine and is re-raised by `run`."""
        def hook(_uc, _ud):
            try:
                callback()
            except BaseException as e:   # noqa: BLE001 - handed back to run()
                self._hook_error = e
                _uclib.uc_emu_stop(self._h)

        fp = _HOOK_INSN_CB(hook)
        self._callbacks.append(fp)
        handle = ctypes.c_size_t()
        err = _uclib.uc_hook_add(self._h, ctypes.byref(handle), UC_HOOK_INSN,
                                 ctypes.cast(fp, ctypes.c_void_p), None, ctypes.c_uint64(1),
                                 ctypes.c_uint64(0), ctypes.c_int(X.UC_X86_INS_SYSCALL))
        if err:
            raise UcError(err)

    def on_interrupt(self, callback) -> None:
        self.uc.hook_add(UC_HOOK_INTR, lambda uc, intno, ud: callback(intno))

    def run(self, begin: int, timeout_us: int = 0) -> None:
        """Run from `begin` until emu_stop; UcError propagates (faults), and so does an
        exception raised by a hook."""
        if self.tlb_request is not None:
            self._apply_tlb_request()
        try:
            self.uc.emu_start(begin, 0xFFFFFFFFFFFFFFFF, timeout=timeout_us)
        finally:
            err, self._hook_error = self._hook_error, None
            if err is not None:
                raise err

    def run_until(self, begin: int, until: int) -> None:
        """Run from `begin` until the pc reaches `until` (a call made from Python)."""
        try:
            self.uc.emu_start(begin, until)
        finally:
            err, self._hook_error = self._hook_error, None
            if err is not None:
                raise err

    def stop(self) -> None:
        """Stop the emulator from inside a hook (the guest state is exact there)."""
        self.uc.emu_stop()

    def _apply_tlb_request(self) -> None:
        """Between two runs: a TLB mode switch, or a flush, which is when QEMU resizes the
        TLB (to what the last window used: a flush lets a busy TLB grow)."""
        want, self.tlb_request = self.tlb_request, None
        if want in ("cpu", "virtual") and want != self.tlb:
            self.uc.ctl_set_tlb_mode(UC_TLB_VIRTUAL if want == "virtual" else UC_TLB_CPU)
            self.tlb = want
        self.uc.ctl(UC_CTL_TLB_FLUSH, UC_CTL_IO_WRITE)

    # pyloader's patch is in the loaded library (engine.py): stores stay fast in cpu mode and
    # the engine takes stop requests itself, so no block hook counts blocks
    patched_engine = hasattr(_uclib, "uc_pyloader_stop_words")

    @property
    def blocks(self) -> int:
        """Translated blocks executed so far (counted by the stop-request hook; 0 on the
        fast engine, which needs no hook to stop)."""
        return self._blocks.value

    def request_stop(self) -> None:
        """Stop the emulator from any thread, at the start of the next translated block
        (unless a nested run of the linker is going on: then at the first block after it
        that returns to the CPU loop: a system call, a jump not chained, the next request).
        uc_emu_stop from another thread is not safe in Unicorn 2.1.4: the block that was
        about to run is not synced, so rip can point at an instruction whose store already
        happened, which then runs twice."""
        self._stop_words[0] = 1
        if self._kick is not None:
            self._kick(self._hv)

    def stop_pending(self) -> bool:
        """A requested stop not taken yet (one that waited out a nested run)."""
        return bool(self._stop_words[0])

    def set_nested(self, depth: int) -> None:
        """How many linker runs (StubPage.call_guest) are nested in the main run."""
        self._stop_words[1] = depth

    def _install_stop_request(self) -> None:
        """The fast engine takes the request itself: uc_pyloader_stop_words gives it the
        words, and uc_pyloader_kick makes the running block return to its CPU loop, which
        stops between two blocks when the request is set and no nested run is going on.

        The stock engine has a UC_HOOK_BLOCK on all code whose callback is 11 instructions
        of machine code, not Python: count the block; if a stop is requested and no nested
        run is going on, clear the request and tail-call uc_emu_stop(uc). Unicorn syncs rip
        before a block hook runs, so the stop is exact; the cost is one native call per
        translated block executed (a quarter of sqlite3's time)."""
        import mmap
        # [stop requested, nested depth, blocks executed (two words: one 64-bit counter)]
        self._stop_words = (ctypes.c_int * 4)()
        self._blocks = ctypes.c_uint64.from_address(ctypes.addressof(self._stop_words) + 8)
        self._kick = None
        if self.patched_engine:
            _uclib.uc_pyloader_stop_words(self._hv, self._stop_words)
            self._kick = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(
                ctypes.cast(_uclib.uc_pyloader_kick, ctypes.c_void_p).value)
            return
        stop = ctypes.cast(_uclib.uc_emu_stop, ctypes.c_void_p).value
        code = bytes.fromhex(
            "48ff4108"          # inc qword [rcx+8]      rcx = user_data = _stop_words
            "8b01"              # mov eax, [rcx]
            "8b5104"            # mov edx, [rcx+4]
            "85d2"              # test edx, edx
            "7504"              # jnz ret                a nested run: not now
            "85c0"              # test eax, eax
            "7501"              # jnz stop
            "c3"                # ret
            "c70100000000"      # stop: mov dword [rcx], 0
            "ff2500000000"      # jmp [rip+0]            rdi = uc: uc_emu_stop(uc)
        ) + stop.to_bytes(8, "little")
        page = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
        page.write(code)
        self._stop_page = page
        fn = ctypes.addressof(ctypes.c_char.from_buffer(page))
        handle = ctypes.c_size_t()
        err = _uclib.uc_hook_add(self._h, ctypes.byref(handle), UC_HOOK_BLOCK,
                                 ctypes.c_void_p(fn), ctypes.c_void_p(ctypes.addressof(
                                     self._stop_words)), ctypes.c_uint64(1), ctypes.c_uint64(0))
        if err:
            raise UcError(err)

    def fault_detail(self, pc: int) -> tuple[int, str] | None:
        """Replay the faulting instruction with a memory hook; (address, access) or None."""
        seen: list[tuple[int, str]] = []

        def hook(uc, access, address, size, value, ud):
            kind = {UCC.UC_MEM_WRITE_UNMAPPED: "write", UCC.UC_MEM_WRITE_PROT: "write",
                    UCC.UC_MEM_FETCH_UNMAPPED: "exec", UCC.UC_MEM_FETCH_PROT: "exec"}.get(
                        access, "read")
            seen.append((address, kind))
            return False

        saved = self.uc.context_save()   # the replay may complete the access (see below)
        h = self.uc.hook_add(UC_HOOK_MEM_INVALID, hook)
        try:
            self.uc.emu_start(pc, 0xFFFFFFFFFFFFFFFF, count=1)
        except UcError:
            pass
        finally:
            self.uc.hook_del(h)
            self.uc.context_restore(saved)
        return seen[0] if seen else None

    def memory_operands(self, pc: int, code: bytes) -> list[tuple[int, int]]:
        """(address, size) of each explicit memory operand of the instruction at pc, from the
        registers as they are now (capstone decodes `code`, the bytes at pc)."""
        from capstone.x86 import X86_OP_MEM
        insn = next(_disassembler().disasm(code, pc), None)
        if insn is None:
            return []
        out = []
        for op in insn.operands:
            if op.type != X86_OP_MEM:
                continue
            m = op.mem
            addr = m.disp
            if m.base:
                name = insn.reg_name(m.base)
                addr += insn.address + insn.size if name == "rip" else self._named(name)
            if m.index:
                addr += self._named(insn.reg_name(m.index)) * m.scale
            if m.segment:
                seg = insn.reg_name(m.segment)
                addr += self.fs_base() if seg == "fs" else self.gs_base() if seg == "gs" else 0
            out.append((addr & 0xFFFFFFFFFFFFFFFF, max(op.size, 1)))
        return out

    def _named(self, name: str) -> int:
        reg = getattr(X, "UC_X86_REG_" + name.upper(), None)
        return self.uc.reg_read(reg) if reg is not None else 0

    def cpuid(self, leaf: int, subleaf: int = 0) -> tuple[int, int, int, int]:
        """Execute CPUID on the emulated CPU (for AT_HWCAP and the x86-64 ISA level).

        Uses a scratch page at 0x1000 (below mmap_min_addr, never a guest address)."""
        uc, page = self.uc, 0x1000
        uc.mem_map(page, 0x1000)
        try:
            uc.mem_write(page, b"\x0f\xa2")
            uc.reg_write(X.UC_X86_REG_RAX, leaf)
            uc.reg_write(X.UC_X86_REG_RCX, subleaf)
            uc.emu_start(page, page + 2)
            return tuple(uc.reg_read(r) & 0xFFFFFFFF for r in (
                X.UC_X86_REG_RAX, X.UC_X86_REG_RBX, X.UC_X86_REG_RCX, X.UC_X86_REG_RDX))
        finally:
            uc.mem_unmap(page, 0x1000)


_md = None


def _disassembler():
    global _md
    if _md is None:
        import capstone
        _md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
        _md.detail = True
    return _md


def is_fault(err: UcError) -> bool:
    return err.errno in FAULT_ERRORS


class CodeHooks:
    """Python functions at guest code addresses, through one UC_HOOK_CODE limited to the
    range [base, base + size): nothing is hooked anywhere else, so the rest of the program
    runs at full speed. When the guest reaches an address in `funcs`, `call` runs the
    function on the CPU's registers before that instruction executes. Subclasses give the
    functions a calling convention (the linker's StubPage: System V arguments, rax, return
    to the caller); here the function gets the Unicorn instance and does what it wants."""

    def __init__(self, uc: Uc, base: int, size: int) -> None:
        from unicorn import UC_HOOK_CODE
        self.uc = uc
        self.base, self.size = base, size
        self.funcs: dict[int, object] = {}
        self.hook = uc.hook_add(UC_HOOK_CODE, self._hook, None, base, base + size - 1)

    def close(self) -> None:
        """exec: the code went with the old image; the hook goes too."""
        self.uc.hook_del(self.hook)

    def _hook(self, uc, address, size, user_data) -> None:
        func = self.funcs.get(address)
        if func is not None:
            self.call(uc, func)

    def call(self, uc: Uc, func) -> None:
        func(uc)


class TlbAuto:
    """--tlb=auto, the default. On the fast engine (engine.py: stores stay on the fast path
    in cpu mode) cpu mode wins everywhere, and the only question is the TLB's size: it
    stays in cpu mode and flushes the TLB after 1, 2, 3, 6, 12, 24... ticks, so that QEMU
    grows it to the working set (it resizes only at a flush).

    On the stock engine it chooses the TLB mode by measuring. cpu mode sends every
    store through the soft-MMU's slow path (Unicorn's fork keeps all pages "not dirty");
    virtual mode stores fast, but each TLB miss looks up the translated block and replays
    it (cpu_restore_state), and translating code walks the whole TLB, so large working sets
    and code-heavy phases crawl. Neither wins everywhere (ARCHITECTURE.md, "Unicorn's TLB
    mode"), so: start in cpu mode; once the guest has computed for QUIET ticks without a
    system call, try the other mode for TRIAL ticks and compare the blocks executed per
    second with the rate just before; the better mode stays, and the question is asked
    again later (twice as late each time the answer is the same). Virtual mode flushes its
    TLB a few times after it is entered, and ever more rarely after that: QEMU resizes the
    TLB only at a flush, to what the last window used. A run of system calls (a new phase,
    often with new code) goes back to cpu mode."""
    TICK = 0.05             # seconds
    QUIET = 4               # ticks of guest code without a system call before a trial
    TRIAL = 6               # a trial's ticks; the rate is measured over the last MEASURE
    MEASURE = 2
    MIN_BLOCKS = 10_000     # a tick with fewer blocks executed was not computing
    WIN = 1.15              # the other mode must do this much better to be kept

    def __init__(self, proc, trials: bool = True) -> None:
        self.proc = proc
        self.trials = trials            # False: cpu mode only, growing its TLB
        self.mode = "cpu"
        self.trial = 0                  # ticks into a trial, 0: none going on
        self.quiet = self.busy = 0
        self.recent: list[float] = []   # this mode's rates in the last quiet ticks
        self.trial_rate = 0.0
        self.interval = 1.0             # seconds until the next trial
        self.next_trial = 0.0
        self.vticks = 0                 # ticks since virtual mode was entered
        self.decisions: list[tuple[float, str]] = []     # (time, request): tests look

    def start(self) -> None:
        import threading
        threading.Thread(target=self._loop, daemon=True, name="pyloader-tlb").start()

    def _loop(self) -> None:
        import time
        proc = self.proc
        cpu = proc.cpu
        # each system call makes a new argument tuple (Process._last_args): a call was made
        # when it is another object (the one held here cannot be reused); nothing to count
        blocks, last, t = cpu.blocks, proc._last_args, time.monotonic()
        while proc.exit is None:
            time.sleep(self.TICK)
            now = time.monotonic()
            b, args = cpu.blocks, proc._last_args
            want = self.step(now, (b - blocks) / (now - t), args is not last or proc.in_syscall,
                             b - blocks >= self.MIN_BLOCKS)
            blocks, last, t = b, args, now
            if cpu.stop_pending():      # it waited out a nested run: ask again
                cpu.request_stop()
            if want is not None:
                self.decisions.append((now, want))
                cpu.tlb_request = want
                cpu.request_stop()

    def _switch(self, mode: str) -> str:
        self.mode, self.vticks = mode, 0
        return mode

    def step(self, now: float, rate: float, syscalls: bool, computing: bool) -> str | None:
        """One tick: the request for the run loop ("cpu", "virtual", "flush") or None."""
        if not self.trials:
            return self._grow()
        quiet = computing and not syscalls
        self.quiet = self.quiet + 1 if quiet else 0
        self.busy = self.busy + 1 if syscalls else 0
        other = "virtual" if self.mode == "cpu" else "cpu"
        if self.trial:
            self.trial += 1
            if not quiet:                               # the phase ended first: go back
                self.trial, self.quiet, self.recent = 0, 0, []
                return self._switch(other)
            if self.trial > self.TRIAL - self.MEASURE:
                self.trial_rate += rate / self.MEASURE
            if self.trial >= self.TRIAL:
                self.trial = 0
                rate_before = sum(self.recent) / len(self.recent)
                self.quiet, self.recent = 0, []
                if self.trial_rate > self.WIN * rate_before:    # the trial's mode stays
                    self.interval = 1.0
                    self.next_trial = now + self.interval
                    return self._grow()
                self.interval = min(self.interval * 2, 60.0)
                self.next_trial = now + self.interval
                return self._switch(other)
            return self._grow()
        if self.mode == "virtual" and self.busy >= self.QUIET:
            self.quiet, self.next_trial, self.interval = 0, now + 1.0, 1.0
            return self._switch("cpu")
        self.recent = (self.recent + [rate])[-self.QUIET:] if quiet else []
        if self.quiet >= self.QUIET and now >= self.next_trial:
            self.trial, self.trial_rate = 1, 0.0
            return self._switch(other)
        return self._grow()

    def _grow(self) -> str | None:
        """Flush after 1, 2, 3, 6, 12, 24... ticks: of virtual mode on the stock engine
        (there cpu mode's stores, not its misses, are what costs), of the run otherwise."""
        if self.trials and self.mode != "virtual":
            return None
        self.vticks += 1
        v = self.vticks
        return "flush" if v <= 3 or (v % 3 == 0 and (v // 3) & (v // 3 - 1) == 0) else None
