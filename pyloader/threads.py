"""Guest threads: CLONE_THREAD tasks sharing one address space and one Unicorn.

pyloader schedules them itself, one at a time (as a uniprocessor kernel would): a thread
runs until it blocks (futex wait, sleep, join), exits, yields, or its time slice ends (a
timer thread stops the emulator every SLICE seconds while more than one thread is
runnable). Each thread keeps its own registers and FS base (a Unicorn context), tid,
signal mask, pending signals, clear_child_tid, robust list and trace state; the Process
object holds the running thread's copy of those (`PER_THREAD`), swapped on each switch.

A handler that must wait returns BLOCKED after `Process.block`; the thread's syscall then
completes when another thread wakes it (futex wake, thread exit), its deadline passes, or a
signal interrupts it (-ERESTARTSYS, as in the kernel).
"""
from __future__ import annotations

import os
import struct
import time
from collections.abc import Callable

from syscalls.uapi import (
    ERESTART_RESTARTBLOCK,
    ERESTARTNOINTR,
    FUTEX_OWNER_DIED,
    FUTEX_TID_MASK,
    FUTEX_WAITERS,
)

ROBUST_LIST_LIMIT = 2048        # the kernel's bound on the walk
SLICE = 0.01                    # seconds of guest time before another thread gets the CPU
# pid_max on 64-bit Linux: tids above it cannot collide with the host's real pids
TID_BASE = 4194304

# the Process attributes that belong to the running thread
PER_THREAD = ("tid", "sigmask", "clear_child_tid", "robust_list", "rseq", "altstack",
              "saved_sigmask", "restart_nr", "resume_pc", "tracer", "tsigqueue")


class Blocked:
    """What a handler returns when its thread must wait (the syscall completes later)."""

    def __repr__(self) -> str:
        return "BLOCKED"


BLOCKED = Blocked()


class Wait:
    """What a blocked thread waits for (plain classes here: see memory.Vma)."""
    __slots__ = (
        "addr",
        "bitset",
        "deadline",
        "expect",
        "fds",
        "interrupted",
        "kind",
        "on_ready",
        "timeout_result",
    )

    def __init__(self, kind: str, addr: int = 0, bitset: int = 0xFFFFFFFF,
                 deadline: int | None = None, timeout_result: int = 0, fds: tuple = (),
                 on_ready: Callable[[], int] | None = None, interrupted: int = -512,
                 expect: int | None = None):
        self.kind = kind                # "futex", "pi", "sleep", "io", "child", "signal"
        self.addr = addr
        self.bitset = bitset            # futex: the bitset; signal: the signals waited for
        self.deadline = deadline        # CLOCK_MONOTONIC ns
        self.timeout_result = timeout_result
        self.fds = fds                  # io: ((host fd, poll events), ...), ready when any is
        self.on_ready = on_ready        # io: the call's result once ready
        self.interrupted = interrupted  # what a signal makes of the call (-ERESTARTSYS)
        self.expect = expect            # a process-shared futex: also over when the word changes


class Thread:
    __slots__ = ("again", "call", "context", "result", "saved", "state", "tid", "wait")

    def __init__(self, tid: int, context: object = None):
        self.tid = tid
        self.context = context          # Unicorn context (valid while the thread is not running)
        self.state = "runnable"         # runnable, blocked, dead
        self.wait: Wait | None = None
        self.result: int | None = None  # the blocked syscall's result once woken
        self.call: tuple | None = None  # (nr, args, traced) of the blocked syscall
        self.again: tuple | None = None  # (nr, deadline) of a call woken to be made again
        self.saved: dict = {}           # PER_THREAD values while not running


def fds_ready(fds) -> bool:
    """Is any of ((host fd, poll events), ...) ready (or closed: POLLNVAL) now?"""
    import select
    p = select.poll()
    for fd, events in fds:
        p.register(fd, events)
    return bool(p.poll(0))


def host_ppoll(fds, timeout_ns: int) -> int:
    """ppoll(2) on host descriptors; -EINTR when a host signal interrupts it."""
    from syscalls.host import from_bytes, host_syscall
    from syscalls.table import BY_NAME
    buf = from_bytes(b"".join(struct.pack("<ihh", fd, ev, 0) for fd, ev in fds))
    ts = from_bytes(struct.pack("<qq", *divmod(timeout_ns, 10**9)))
    return host_syscall(BY_NAME["ppoll"].nr, buf, len(fds), ts, None, 8)


def fd_ready(fd: int, events: int) -> bool:
    return fds_ready(((fd, events),))


def nonblocking(fd: int) -> bool:
    """O_NONBLOCK on the host file description: its calls fail with EAGAIN, never wait."""
    import fcntl
    try:
        return bool(fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_NONBLOCK)
    except OSError:
        return True                     # a bad descriptor: the call fails at once


def child_ready() -> bool:
    """Is there a child to reap or report (waitid WNOHANG|WNOWAIT: nothing is consumed)?"""
    try:
        r = os.waitid(os.P_ALL, 0, os.WEXITED | os.WSTOPPED | os.WCONTINUED | os.WNOHANG
                      | os.WNOWAIT)
    except ChildProcessError:
        return True                     # no children: the call fails at once (ECHILD)
    return r is not None


RESTART = -ERESTARTNOINTR       # the woken thread makes its call again
POLLED_WAITS = ("io", "child", "signal")    # waits that end without another thread's help


def new_tid(process) -> int:
    if process.next_tid is None:
        process.next_tid = TID_BASE + (os.getpid() % 1000) * 1000
    process.next_tid += 1
    return process.next_tid


class ThreadsMixin:
    """Process methods for threads: clone, exit, blocking, futexes, the scheduler."""

    # --- creating and ending threads ----------------------------------------------------------
    def clone_thread(self, flags: int, stack: int, ptid: int, ctid: int, tls: int) -> int:
        """clone(CLONE_VM|CLONE_THREAD|...): the new thread is made once emu_start has
        returned (its registers are the caller's after the syscall, with rax = 0)."""
        from syscalls.uapi import CLONE_CHILD_SETTID, CLONE_PARENT_SETTID
        tid = new_tid(self)
        if flags & CLONE_PARENT_SETTID:
            self.mem.write(ptid, tid.to_bytes(4, "little"))
        if flags & CLONE_CHILD_SETTID:
            self.mem.write(ctid, tid.to_bytes(4, "little"))
        self.clone_request = (flags, stack, ctid, tls, tid)
        self.cpu.stop()
        return tid

    def _start_requested_thread(self) -> None:
        from syscalls.uapi import CLONE_CHILD_CLEARTID, CLONE_SETTLS
        flags, stack, ctid, tls, tid = self.clone_request
        self.clone_request = None
        if not self.threads:
            self._become_threaded()
        uc = self.cpu.uc
        mine = uc.context_save()
        self.cpu.set_rax(0)
        if stack:
            self.cpu.set_reg("rsp", stack)
        if flags & CLONE_SETTLS:
            self.cpu.set_fs_base(tls)
        child = Thread(tid, context=uc.context_save())
        uc.context_restore(mine)
        tracer = self.tracer.for_thread(tid) if self.tracer is not None else None
        child.saved = {"tid": tid, "sigmask": self.sigmask,
                       "clear_child_tid": ctid if flags & CLONE_CHILD_CLEARTID else 0,
                       "robust_list": (0, 0), "rseq": 0, "altstack": (0, 2, 0),
                       "saved_sigmask": None, "restart_nr": -1, "resume_pc": None,
                       "tracer": tracer, "tsigqueue": []}
        self.threads[tid] = child

    def _become_threaded(self) -> None:
        import threading
        self.reap = False
        self.main_tracer = self.tracer
        main = Thread(self.tid)
        self.threads[self.tid] = main
        self.thread = main
        cpu = self.cpu

        def preempt():
            """Time slices: stop the emulator when another thread could run (runnable, or
            its sleep or timeout is over); the run loop then switches."""
            while self.exit is None and self.threads:
                time.sleep(SLICE)
                now = time.monotonic_ns()
                ready = 0
                for t in list(self.threads.values()):
                    w = t.wait
                    ready += t.state == "runnable" or (
                        t.state == "blocked" and w is not None and w.deadline is not None
                        and w.deadline <= now)
                ready += len(self.io_ready())
                if ready > 1:
                    self.slice_expired = True
                    cpu.request_stop()

        threading.Thread(target=preempt, daemon=True, name="pyloader-sched").start()

    def thread_exit(self, status: int):
        """exit(2) of one thread; the last one's exit ends the process."""
        alive = [t for t in self.threads.values() if t.state != "dead"]
        if len(alive) <= 1:
            self.do_exit(status)
        th = self.thread
        self.exit_robust_list()
        if self.clear_child_tid:        # CLONE_CHILD_CLEARTID: what pthread_join waits on
            try:
                self.mem.write(self.clear_child_tid, bytes(4))
                self.futex_wake(self.clear_child_tid, 1)
            except OSError:
                pass
        if self.tracer is not None:
            self.tracer.thread_exited(self, status)
        th.state = "dead"
        self.reap = True
        self.cpu.stop()
        return BLOCKED

    def exit_robust_list(self) -> None:
        """kernel/futex/core.c exit_robust_list: every robust mutex the exiting thread still
        holds gets FUTEX_OWNER_DIED, and one waiter is woken (its lock then returns
        EOWNERDEAD)."""
        head, _len = self.robust_list
        if not head:
            return
        try:
            entry, offset, pending = struct.unpack("<QqQ", self.mem.read(head, 24))
            seen = 0
            entries = []
            while entry != head and seen < ROBUST_LIST_LIMIT:
                entries.append(entry & ~1)
                entry = self.mem.read_u64(entry & ~1)
                seen += 1
            if pending:
                entries.append(pending & ~1)
            for e in entries:
                self._owner_died(e + offset)
        except OSError:
            pass                        # a bad list ends the walk, as in the kernel

    def _owner_died(self, addr: int) -> None:
        word = int.from_bytes(self.mem.read(addr, 4), "little")
        if word & FUTEX_TID_MASK != self.tid:
            return
        self.mem.write(addr, ((word & FUTEX_WAITERS) | FUTEX_OWNER_DIED).to_bytes(4, "little"))
        if word & FUTEX_WAITERS and self.threads:
            self.futex_wake(addr, 1)
            for th in self.pi_waiters(addr)[:1]:
                self.wake(th, 0)

    # --- blocking and waking -------------------------------------------------------------------
    def other_threads_alive(self) -> bool:
        return sum(t.state != "dead" for t in self.threads.values()) > 1

    def io_ready(self) -> list[Thread]:
        """Threads waiting for a descriptor that is now ready, for a child, or for a
        signal they wait for (sigwait) that is now pending."""
        out = []
        child = None
        for th in list(self.threads.values()):
            w = th.wait
            if th.state != "blocked" or w is None:
                continue
            if w.kind == "io" and fds_ready(w.fds):
                out.append(th)
            elif w.kind == "child":
                child = child_ready() if child is None else child
                if child:
                    out.append(th)
            elif w.kind == "signal" and w.bitset and self._pending_for(th, w.bitset):
                out.append(th)
            elif w.expect is not None and self._word(w.addr) != w.expect:
                out.append(th)          # another process changed a shared futex word
        return out

    def _word(self, addr: int) -> int | None:
        try:
            return int.from_bytes(self.mem.read(addr, 4), "little")
        except OSError:
            return None

    def _pending_for(self, th: Thread, signals: int) -> bool:
        queue = self.tsigqueue if th is self.thread else th.saved.get("tsigqueue", [])
        return any(signals >> (s - 1) & 1 for s, _ in self.sigqueue + queue)

    def wake_ready(self, th: Thread) -> None:
        """Its descriptor, child or signal is there: the call completes, or is made again
        (RESTART), keeping its deadline."""
        w = th.wait
        if w.kind == "io" and w.on_ready is not None:
            self.wake(th, w.on_ready())
            return
        self.wake(th, RESTART)
        th.again = (th.call[0] if th.call else -1, w.deadline)

    def block(self, wait: Wait):
        self.thread.state = "blocked"
        self.thread.wait = wait
        self.cpu.stop()
        return BLOCKED

    def wait_fd(self, fd: int, events: int, on_ready: Callable[[], int]):
        """Only this thread waits until host `fd` has `events`; its call then returns
        `on_ready()` (a connect's SO_ERROR)."""
        return self.block(Wait("io", fds=((fd, events),), on_ready=on_ready))

    def wait_signal(self, signals: int, deadline: int | None, interrupted: int):
        """pause, sigsuspend (signals 0: any signal that runs a handler ends the wait, as
        `interrupted`), sigtimedwait (woken to take one of `signals`, made again)."""
        return self.block(Wait("signal", bitset=signals, deadline=deadline,
                               timeout_result=RESTART, interrupted=interrupted))

    def wake(self, th: Thread, result: int) -> None:
        th.state = "runnable"
        th.wait = None
        th.result = result
        th.again = None

    def interrupt(self, th: Thread) -> None:
        """A signal ends the thread's wait (the call is interrupted: EINTR or restart)."""
        self.wake(th, th.wait.interrupted)
        self.slice_expired = True

    def resumed_deadline(self, default: int | None) -> int | None:
        """The deadline of the call being made again after a wake-up (poll, sigwait...):
        the wait goes on with the time that was left, not a fresh timeout."""
        th = self.thread
        again, th.again = th.again, None
        return again[1] if again is not None and again[0] == self.current_nr else default

    def sleep_thread(self, end_ns: int):
        return self.block(Wait("sleep", deadline=end_ns, timeout_result=0,
                                     interrupted=-ERESTART_RESTARTBLOCK))

    def futex_wait(self, addr: int, bitset: int, deadline: int | None,
                   expect: int | None = None):
        return self.block(Wait("futex", addr, bitset, deadline, -110,       # ETIMEDOUT
                               expect=expect))

    def futex_wake(self, addr: int, n: int, bitset: int = 0xFFFFFFFF) -> int:
        woken = 0
        for th in list(self.threads.values()):
            if woken >= n:
                break
            w = th.wait
            if th.state == "blocked" and w.kind == "futex" and w.addr == addr and w.bitset & bitset:
                self.wake(th, 0)
                woken += 1
        return woken

    def futex_requeue(self, addr: int, n_wake: int, n_move: int, addr2: int) -> int:
        done = self.futex_wake(addr, n_wake)
        moved = 0
        for th in self.threads.values():
            if moved >= n_move:
                break
            w = th.wait
            if th.state == "blocked" and w.kind == "futex" and w.addr == addr:
                w.addr = addr2
                moved += 1
        return done + moved

    def pi_waiters(self, addr: int) -> list[Thread]:
        return [t for t in self.threads.values()
                if t.state == "blocked" and t.wait.kind == "pi" and t.wait.addr == addr]

    # --- the scheduler ------------------------------------------------------------------------------
    def schedule(self) -> None:
        """After each stop of the emulator: run another thread if this one cannot go on or
        its slice is over; wait (timers, signals) when every thread is blocked."""
        cur = self.thread
        self._wake_what_can_go_on()
        if cur.state == "runnable" and not self.slice_expired:
            # it may have blocked and been woken in the pass above (its deadline had
            # passed, its word had changed): its call returns now, before it runs on
            if cur.result is not None:
                self._complete_call(cur)
            return
        self.slice_expired = False
        order = list(self.threads.values())
        i = order.index(cur)
        nxt = next((t for t in order[i + 1:] + order[:i + 1] if t.state == "runnable"), None)
        while nxt is None:
            nxt = self._idle()
        if nxt is not cur:
            self._switch(cur, nxt)
        elif cur.result is not None:
            self._complete_call(cur)
        if self.reap:                   # threads that exited: their Thread goes
            self.reap = False
            for tid in [t.tid for t in order if t.state == "dead" and t is not nxt]:
                del self.threads[tid]
            self.reap = any(t.state == "dead" for t in self.threads.values())

    def _wake_what_can_go_on(self) -> None:
        """Blocked threads whose deadline passed, whose descriptor, child or word is there,
        or that a pending signal interrupts, become runnable. One pass over the threads;
        descriptors are polled and signals looked at only when some wait for them."""
        now = time.monotonic_ns()
        polled = False
        for th in self.threads.values():
            if th.state == "blocked":
                w = th.wait
                if w.deadline is not None and w.deadline <= now:
                    if w.timeout_result == RESTART:     # made again: it times out itself
                        self.wake_ready(th)
                    else:
                        self.wake(th, w.timeout_result)
                elif w.kind in POLLED_WAITS or w.expect is not None:
                    polled = True
        if polled:
            for th in self.io_ready():
                self.wake_ready(th)
        cur = self.thread
        if self.host_sigq or self.sigqueue or self.tsigqueue or any(
                t.saved.get("tsigqueue") for t in self.threads.values() if t is not cur):
            self._signal_blocked_threads()

    def _signal_blocked_threads(self) -> None:
        """A pending signal that a blocked thread accepts interrupts its wait
        (-ERESTARTSYS, which becomes EINTR or a restart once the signal is handled)."""
        self.take_host_signals()
        if not (self.sigqueue or self.tsigqueue
                or any(t.saved.get("tsigqueue") for t in self.threads.values())):
            return
        for th in self.threads.values():
            if th.state != "blocked":
                continue
            cur = th is self.thread     # its PER_THREAD values are the live ones
            mask = self.sigmask if cur else th.saved.get("sigmask", 0)
            queues = self.sigqueue + (self.tsigqueue if cur else th.saved.get("tsigqueue", []))
            if any(self.wants(s, mask) for s, _ in queues):
                self.interrupt(th)

    def _idle(self) -> Thread | None:
        """Every thread is blocked: wait for the first deadline, a descriptor, a child or a
        signal."""
        if self.timed_out:                      # --timeout: a runaway guest may be idle too
            self.do_exit_signal(9)
        blocked = [t for t in self.threads.values() if t.state == "blocked"]
        deadlines = [t.wait.deadline for t in blocked if t.wait.deadline is not None]
        io = [t.wait for t in blocked if t.wait.kind in ("io", "child")]
        # a signal, or another process's store to a shared futex word, may come from outside
        outside = any(t.wait.kind == "signal" or t.wait.expect is not None for t in blocked)
        if not deadlines and not io and not outside and not self._timer_may_fire():
            import sys
            print(f"pyloader: deadlock: all {len(self.threads)} guest threads are blocked and "
                  "nothing can wake them:", file=sys.stderr)
            for t in blocked:
                w = t.wait
                what = f"{w.kind} 0x{w.addr:x}" if w.kind in ("futex", "pi") else w.kind
                if w.kind in ("futex", "pi"):
                    try:
                        what += f" (value {int.from_bytes(self.mem.read(w.addr, 4), 'little')})"
                    except OSError:
                        pass
                print(f"pyloader:   thread {t.tid} waits on {what}", file=sys.stderr)
            self.do_exit_signal(9)
        end = min(deadlines) if deadlines else time.monotonic_ns() + 10**12
        if any(t.wait.expect is not None for t in blocked):
            end = min(end, time.monotonic_ns() + 2_000_000)    # shared futex words: 2 ms
        # the host's ppoll or nanosleep, which our wake signal interrupts (in_syscall asks
        # the signal watcher for it): a signal ends the wait at once
        self.in_syscall = True
        try:
            if io:
                fds = [pair for w in io for pair in w.fds]
                left = max(0, end - time.monotonic_ns())
                host_ppoll(fds, min(left, 1_000_000_000))   # children: checked each second
                self.take_host_signals()
            else:
                self.sleep_until(end, any_signal=True)
        finally:
            self.in_syscall = False
        self._wake_what_can_go_on()
        return next((t for t in self.threads.values() if t.state == "runnable"), None)

    def _timer_may_fire(self) -> bool:
        """Could a signal still come (an armed alarm or timer, a child, another process)?"""
        from syscalls.host import buffer, host_syscall
        from syscalls.table import BY_NAME
        b = buffer(32)
        host_syscall(BY_NAME["getitimer"].nr, 0, b)
        return any(b.raw[16:32]) or bool(self.children)

    def _switch(self, cur: Thread, nxt: Thread) -> None:
        uc = self.cpu.uc
        if cur.state != "dead":
            if cur.context is None:
                cur.context = uc.context_save()
            else:
                uc.context_update(cur.context)      # reuse: a fresh save costs ~10x more
            cur.saved = {a: getattr(self, a) for a in PER_THREAD}
        for a, v in nxt.saved.items():
            setattr(self, a, v)
        uc.context_restore(nxt.context)
        self.thread = nxt
        if nxt.result is not None:
            self._complete_call(nxt)

    def _complete_call(self, th: Thread) -> None:
        """The blocked syscall returns now."""
        res, th.result = th.result, None
        if res == RESTART and th.call is not None:     # the call is made again, silently
            nr = th.call[0]
            th.call = None
            self.cpu.set_reg("rip", self.cpu.pc - 2)
            self.cpu.set_rax(nr)
            if self.tracer is not None:
                self.tracer.restarting = True
            return
        self.cpu.set_rax(res)
        if th.call is None:
            return
        nr, args, traced = th.call
        th.call = None
        if -516 <= res <= -512:
            self.restart_nr = nr
        if traced and self.tracer is not None:
            self.tracer.syscall(self, nr, args, res)
