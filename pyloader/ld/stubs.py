"""The linker's own page in the guest: Python functions callable from guest code, and
guest functions callable from Python.

A stub is a 16-byte slot of an executable page with a UC_HOOK_CODE limited to that page:
when the guest calls a slot, the hook runs the Python function with the System V argument
registers, puts the result in rax and returns to the caller. No hook exists anywhere
else, so the rest of the program runs at full speed.
"""
from __future__ import annotations

from collections.abc import Callable

from unicorn import UcError
from unicorn import x86_const as X

from syscalls.uapi import PAGE_SIZE

from ..cpu import ARG_REGS, CodeHooks

SLOT = 16
RET = b"\xc3"
TLSDESC_RETURN = b"\x48\x8b\x40\x08\xc3"        # mov rax, [rax+8]; ret  (static TLS offset)
# _dl_tlsdesc_dynamic: rax = the descriptor, whose argument is {module, offset, gen_count}.
# A TLS descriptor's function may change rax and the flags only. Fast path: the thread's dtv
# is at least gen_count new and the module's block is allocated (not -1): return
# dtv[module] + offset - tp. Otherwise the real ld.so's __tls_get_addr(argument), which may
# malloc, is called with the other scratch registers and the x87/SSE state (fxsave) kept.
TLSDESC_DYNAMIC = bytes.fromhex(
    "48897424f0"                # mov [rsp-16], rsi
    "64488b342508000000"        # mov rsi, fs:[8]              tcb->dtv
    "48897c24f8"                # mov [rsp-8], rdi
    "488b7808"                  # mov rdi, [rax+8]             the argument
    "488b06"                    # mov rax, [rsi]               dtv[0]: the thread's generation
    "48394710"                  # cmp [rdi+16], rax
    "7729"                      # ja slow
    "488b07"                    # mov rax, [rdi]               module id
    "48c1e004"                  # shl rax, 4
    "488b0430"                  # mov rax, [rax+rsi]           dtv[module].val
    "4883f8ff"                  # cmp rax, -1                  TLS_DTV_UNALLOCATED
    "7418"                      # je slow
    "48034708"                  # add rax, [rdi+8]
    "488b7424f0"                # done: mov rsi, [rsp-16]
    "64482b042500000000"        # sub rax, fs:[0]
    "488b7c24f8"                # mov rdi, [rsp-8]
    "c3"                        # ret
    "4883ec10"                  # slow: sub rsp, 16            above: the two saved above
    "55" "4889e5"               # push rbp; mov rbp, rsp
    "4883e4c0" "4881ec40020000"  # and rsp, -64; sub rsp, 576
    "4889942400020000" "48898c2408020000" "4c89842410020000"   # rdx, rcx, r8 at +512..
    "4c898c2418020000" "4c89942420020000" "4c899c2428020000"   # r9, r10, r11
    "480fae0424"                # fxsave64 [rsp]
    "ff1542000000"              # call [rip+0x42]              __tls_get_addr (the last word)
    "480fae0c24"                # fxrstor64 [rsp]
    "488b942400020000" "488b8c2408020000" "4c8b842410020000"
    "4c8b8c2418020000" "4c8b942420020000" "4c8b9c2428020000"
    "4889ec" "5d" "4883c410"    # mov rsp, rbp; pop rbp; add rsp, 16
    "e95cffffff"                # jmp done
)


class StubPage(CodeHooks):
    def __init__(self, task, npages: int = 1):
        self.task = task
        mem = task.mem
        size = npages * PAGE_SIZE
        base = mem.get_unmapped_area(size)
        code = bytearray(b"\xcc" * size)          # int3 everywhere else
        mem.map(base, size, 5, name="[pyloader]", data=bytes(code))
        super().__init__(task.cpu.uc, base, size)
        self.funcs: dict[int, Callable[..., int | None]] = {}
        self.next = self.base
        self.ret_gadget = self.code(RET)
        self.return_trap = self.code(RET)            # call_guest's return address
        self.tlsdesc_return = self.code(TLSDESC_RETURN)
        self._tlsdesc_dynamic = 0

    def tlsdesc_dynamic(self, tls_get_addr: int) -> int:
        """The function of dynamic TLS descriptors (placed on first use)."""
        if not self._tlsdesc_dynamic:
            self._tlsdesc_dynamic = self.code(TLSDESC_DYNAMIC + tls_get_addr.to_bytes(8, "little"))
        return self._tlsdesc_dynamic

    def code(self, insns: bytes) -> int:
        """Place real instructions in a slot; returns their address."""
        addr = self.next
        self.task.mem.write(addr, insns)
        self.next += (len(insns) + SLOT - 1) // SLOT * SLOT
        return addr

    def add(self, func: Callable[..., int | None]) -> int:
        """A slot that calls func(*six argument registers) and returns its result in rax."""
        addr = self.next
        self.next += SLOT
        if self.next > self.base + self.size:
            raise RuntimeError("stub page full")
        self.funcs[addr] = func
        return addr

    def call(self, uc, func) -> None:
        """The System V convention: six argument registers in, rax out, back to the caller."""
        args = [uc.reg_read(r) for r in ARG_REGS]
        ret = func(*args)
        if ret == "jumped":         # the function set rip and rsp itself
            return
        if ret is not None:
            uc.reg_write(X.UC_X86_REG_RAX, ret & 0xFFFFFFFFFFFFFFFF)
        rsp = uc.reg_read(X.UC_X86_REG_RSP)
        uc.reg_write(X.UC_X86_REG_RIP, self.task.mem.read_u64(rsp))
        uc.reg_write(X.UC_X86_REG_RSP, rsp + 8)

    def call_guest(self, addr: int, *args: int, stack: int | None = None) -> int:
        """Run guest function `addr`(args) to its return, on the stack below `stack` (default:
        below the current stack pointer, past the red zone). Works from inside a hook too
        (Unicorn allows nested emu_start): every register is saved and restored around it."""
        uc = self.task.cpu.uc
        saved = uc.context_save()
        if stack is None:
            stack = uc.reg_read(X.UC_X86_REG_RSP) - 512
        rsp = (stack & ~0xF) - 8
        self.task.mem.write_u64(rsp, self.return_trap)
        for reg, val in zip(ARG_REGS, args):
            uc.reg_write(reg, val & 0xFFFFFFFFFFFFFFFF)
        uc.reg_write(X.UC_X86_REG_RSP, rsp)
        self.task.nested += 1           # the scheduler must not stop this run
        self.task.cpu.set_nested(self.task.nested)
        try:
            self.task.cpu.run_until(addr, self.return_trap)
        except UcError as e:
            self.task.guest_fault(e)
        finally:
            self.task.nested -= 1
            self.task.cpu.set_nested(self.task.nested)
        if self.task.cpu.pc != self.return_trap:
            self.task.guest_fault(None)
        result = uc.reg_read(X.UC_X86_REG_RAX)
        uc.context_restore(saved)
        return result
