"""Faults and traps (arch/x86/kernel/traps.c, arch/x86/mm/fault.c): what emu_start's
errors and UC_HOOK_INTR's interrupts become: a signal to the guest's handler
(force_sig_fault), else its default action with the one-line crash report."""
from __future__ import annotations

import sys

from syscalls.uapi import (
    BUS_ADRERR,
    FPE_INTDIV,
    ILL_ILLOPN,
    SEGV_ACCERR,
    SEGV_MAPERR,
    SI_KERNEL,
    SIG_DFL,
    SIG_IGN,
    SIGBUS,
    SIGFPE,
    SIGILL,
    SIGKILL,
    SIGSEGV,
    SIGTRAP,
    pack_siginfo,
    sigmask,
)

from .cpu import FAULT_ERRORS, INTR_BP, INTR_DE, INTR_GP, INTR_UD
from .exit import GuestExit
from .signals import CORE_SIGNALS


class TrapsMixin:
    """Process methods for faults: the fault's signal, then its delivery."""

    def guest_fault(self, err) -> None:
        """Guest code run by the linker (an ifunc resolver, a constructor) stopped abnormally."""
        if err is not None and getattr(err, "errno", None) in FAULT_ERRORS:
            self._memory_fault(err.errno)
        if self._fault:
            self._deliver_fault(fatal=True)
        if self.timed_out:
            raise GuestExit(signo=SIGKILL)
        raise GuestExit(signo=SIGSEGV, core=True)

    def _memory_fault(self, uc_errno: int) -> None:
        pc = self.cpu.pc
        access, why = FAULT_ERRORS[uc_errno]
        detail = self.cpu.fault_detail(pc)
        if detail is None and why == "prot":
            # Unicorn 2.1.4 lets the replayed access succeed after a protection fault: the
            # address is then the memory operand whose page forbids this access
            need = {"read": 1, "write": 2, "exec": 4}.get(access, 1)
            try:
                code = self.mem.read(pc, 16)
            except OSError:
                code = b""
            for a, _size in self.cpu.memory_operands(pc, code) if code else []:
                vma = self.mem.find(a)
                if vma is None or not vma.prot & need or self.mem.past_eof(a):
                    detail = (a, access)
                    break
        addr = detail[0] if detail else pc
        if why == "prot" and self.mem.past_eof(addr):
            self._fault = (SIGBUS, BUS_ADRERR, addr, access)    # no file behind the page
            return
        code = SEGV_ACCERR if why == "prot" else SEGV_MAPERR
        self._fault = (SIGSEGV, code, addr, access)

    def _on_interrupt(self, intno: int) -> None:
        pc = self.cpu.pc
        if intno == INTR_UD:
            self._fault = (SIGILL, ILL_ILLOPN, pc, "exec")
        elif intno == INTR_DE:
            self._fault = (SIGFPE, FPE_INTDIV, pc, "exec")
        elif intno == INTR_BP:
            self._fault = (SIGTRAP, SI_KERNEL, 0, "exec")
        elif intno == INTR_GP:
            self._fault = (SIGSEGV, SI_KERNEL, 0, "exec")
        else:
            self._fault = (SIGSEGV, SI_KERNEL, 0, "exec")
        self.cpu.stop()

    def _deliver_fault(self, fatal: bool = False) -> None:
        """force_sig_fault: to the guest's handler when it has one and does not block the
        signal; otherwise the default action (and our one-line crash report)."""
        signo, code, addr, access = self._fault
        self._fault = None
        info = pack_siginfo(signo, code, addr=addr)
        act = self.action(signo)
        if not fatal and act.handler not in (SIG_DFL, SIG_IGN) and not self.sigmask & sigmask(signo):
            self.sigqueue.insert(0, (signo, info))
            self.deliver_signals()
            return
        if self.tracer:
            self.tracer.signal_info(self, signo, info)
        from .crash import describe_crash
        print(describe_crash(self, signo, code, addr, access), file=sys.stderr)
        raise GuestExit(signo=signo, core=signo in CORE_SIGNALS)
