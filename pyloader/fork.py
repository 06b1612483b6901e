"""fork/vfork/clone without CLONE_THREAD (kernel/fork.c): the child is a real host process,
the whole emulator forked, so its memory is copy-on-write as the guest's would be. Threads
(CLONE_THREAD) are threads.py's."""
from __future__ import annotations

import os
import sys

from syscalls.uapi import (
    CLONE_CHILD_CLEARTID,
    CLONE_CHILD_SETTID,
    CLONE_PARENT_SETTID,
    CLONE_SETTLS,
    CLONE_THREAD,
    CLONE_VFORK,
)

from .cpu import TlbAuto


class ForkMixin:
    """Process methods for fork: do_clone, the child's side, reaping."""

    def do_clone(self, flags: int, stack: int, ptid: int, ctid: int, tls: int) -> int:
        """fork/vfork/clone without CLONE_THREAD: the child is a real host process (the
        whole emulator is forked, so its memory is copy-on-write as the guest's would be)."""
        if flags & CLONE_THREAD:
            return self.clone_thread(flags, stack, ptid, ctid, tls)
        tr = self.tracer
        if tr is not None:
            tr.before_fork(self)
        sys.stdout.flush()
        sys.stderr.flush()
        vfork = flags & CLONE_VFORK
        if vfork:
            r, w = os.pipe2(os.O_CLOEXEC)
        pid = os.fork()
        if pid == 0:
            self._become_child(flags, stack, ctid, tls)
            if vfork:
                os.close(r)
                self.vfork_fd = w
            if flags & CLONE_CHILD_SETTID:
                self.mem.write(ctid, self.tid.to_bytes(4, "little"))
            return 0
        self.children.add(pid)
        if tr is not None:
            tr.forked(self, pid)
        if flags & CLONE_PARENT_SETTID:
            self.mem.write(ptid, pid.to_bytes(4, "little"))
        if vfork:                       # the parent sleeps until the child execs or exits
            os.close(w)
            try:
                while os.read(r, 1):
                    pass
            except OSError:
                pass
            os.close(r)
        return pid

    def _become_child(self, flags: int, stack: int, ctid: int, tls: int) -> None:
        self.forked = True
        self.pid = self.tid = os.getpid()
        self.children = set()
        if self.vfork_fd >= 0:          # the parent's vfork pipe is not ours to hold
            os.close(self.vfork_fd)
            self.vfork_fd = -1
        self._timer = None              # the --timeout timer thread stays in the parent
        self.sigqueue = []              # pending signals are not inherited
        self.tsigqueue = []
        for sfd in self.signalfds:
            sfd.after_fork(self)
        if self.threads:                # only the forking thread lives on in the child
            self.threads = {}
            self.thread = None
        self.host_sigq.clear()
        if self._old_handlers:
            self._start_signal_watcher()
        if self.tlb_auto is not None:   # threads do not survive fork: the child's own
            self.tlb_auto = TlbAuto(self, trials=self.tlb_auto.trials)
            self.tlb_auto.start()
        if stack:
            self.cpu.set_reg("rsp", stack)
        if flags & CLONE_SETTLS:
            self.cpu.set_fs_base(tls)
        self.clear_child_tid = ctid if flags & CLONE_CHILD_CLEARTID else 0
        if self.tracer is not None:
            self.tracer = self.tracer.in_child(self)
        self._set_rax(0)

    def child_reaped(self, pid: int) -> None:
        self.children.discard(pid)
