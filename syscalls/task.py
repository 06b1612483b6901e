"""Task: what a syscall handler may use of the task it serves (its first argument, `t`).

The handlers never import pyloader: the task they get is a `pyloader.Process`, which
provides exactly this (tests/test_task.py checks both sides: every name here exists on a
Process, and the handlers use no other). The running thread's own state (tid, sigmask,
tsigqueue, robust_list, rseq, altstack, saved_sigmask, clear_child_tid) reads as the
task's, as `current` does in the kernel.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from .vfs import FdTable, Root


class Task(Protocol):
    # --- identity and credentials (task_struct, struct cred) ---------------------------------
    pid: int                            # the guest's pid (a host pid: guests are processes)
    tid: int                            # the running thread's id
    creds: Any                          # struct cred: uid, euid, gid, egid
    comm: bytes                         # the task's name (PR_SET_NAME, exec's basename)
    exe: str                            # guest path of the running image (/proc/self/exe)
    umask: int
    rlimits: dict[int, tuple[int, int]]     # the limits kept per guest (syscalls.process)

    # --- what the task owns (mm, files, fs) ---------------------------------------------------
    mem: Any                            # pyloader.memory.AddressSpace: guest memory, VMAs, brk
    cpu: Any                            # pyloader.cpu.Cpu: registers, fs/gs base, request_stop
    fds: FdTable
    root: Root                          # the guest's / and cwd
    arg_start: int                      # mm->arg_start..arg_end, env_end (/proc/self/cmdline,
    arg_end: int                        # environ)
    env_end: int
    auxv_addr: int                      # the auxv on the initial stack (/proc/self/auxv)
    share_lock: Any                     # set once memory is shared with other processes

    # --- the call being served ----------------------------------------------------------------
    current_nr: int                     # its number

    @property
    def current_name(self) -> str:
        """Its name."""

    # --- signals (sighand_struct, signal_struct, the thread's pending and blocked) ------------
    sigactions: dict[int, bytes]        # signo -> struct kernel_sigaction, as the guest set it
    sigmask: int                        # the running thread's blocked signals
    saved_sigmask: int | None           # rt_sigsuspend/ppoll's mask to restore after delivery
    sigqueue: list[tuple[int, bytes]]   # pending for the process: (signo, siginfo)
    tsigqueue: list[tuple[int, bytes]]  # pending for the running thread (tgkill)
    signalfds: list                     # syscalls.signal.SignalFd, kept in sync with the queues
    posix_timers: set[int]              # timer_create ids (host timers)
    altstack: tuple[int, int, int]      # sigaltstack: ss_sp, ss_flags, ss_size

    def send_signal(self, signo: int, code: int = ..., tid: int | None = None) -> None:
        """A signal the guest sends itself (kill, tgkill, raise)."""

    def queue_signal(self, signo: int, info: bytes, tid: int | None = None) -> None:
        """Make (signo, siginfo) pending for the process, or for thread `tid`."""

    def signals_changed(self) -> None:
        """The pending set changed: signalfds become readable or not."""

    def take_host_signals(self) -> None:
        """Queue the signals the host delivered since (read by the watcher thread)."""

    def deliverable(self, mask: int | None = None) -> tuple[list, int] | None:
        """(queue, index) of the first pending signal not in `mask`, or None."""

    def sigreturn(self) -> int:
        """rt_sigreturn: restore the frame; returns the restored rax."""

    def sleep_until(self, end_ns: int, any_signal: bool = False) -> bool:
        """Sleep to CLOCK_MONOTONIC end_ns (True) or until a wanted signal comes (False)."""

    def sleep_until_signal(self, mask: int | None = None,
                           timeout: float | None = None) -> tuple[list, int] | None:
        """Sleep until a signal not in `mask` is pending: (queue, index), or None on timeout."""

    # --- waiting: host calls that may block, and threads that park ----------------------------
    threads: dict                       # tid -> pyloader.threads.Thread, once there are threads
    thread: Any                         # the running Thread (its .wait while it blocks)

    def blocking(self, fn: Callable[..., int], *args: Any, fd: int | None = None,
                 events: int = 0, child_wait: bool = False,
                 on_ready: Callable[[], int] | None = None) -> int:
        """fn(*args), a host call that may sleep: interrupted by signals the guest wants,
        else made again; with other threads only this one waits (returns BLOCKED)."""

    def wait_ready(self, call: Callable[[int | None, bool], int], fds: tuple,
                   timeout_ns: int | None) -> int:
        """poll/select/epoll_wait: call(timeout_ns, probe), parking only this thread."""

    def after_eintr(self) -> None:
        """A host call returned EINTR: raise to interrupt the guest's call, or return."""

    def other_threads_alive(self) -> bool:
        """Is any other thread of this process still alive?"""

    def wait_fd(self, fd: int, events: int, on_ready: Callable[[], int]) -> Any:
        """Park this thread until host `fd` has `events`; the call returns on_ready()."""

    def wait_signal(self, signals: int, deadline: int | None, interrupted: int) -> Any:
        """Park this thread until a signal (pause, sigsuspend, sigtimedwait)."""

    def sleep_thread(self, end_ns: int) -> Any:
        """Park this thread until CLOCK_MONOTONIC end_ns (nanosleep)."""

    def resumed_deadline(self, default: int | None) -> int | None:
        """The deadline a woken call keeps when it is made again."""

    def futex_wait(self, addr: int, bitset: int, deadline: int | None,
                   expect: int | None = None) -> Any:
        """Park this thread on the futex word at `addr`."""

    def futex_wake(self, addr: int, n: int, bitset: int = 0xFFFFFFFF) -> int:
        """Wake up to `n` threads waiting on `addr`; returns how many."""

    def futex_requeue(self, addr: int, n_wake: int, n_move: int, addr2: int) -> int:
        """Wake `n_wake` on `addr`, move up to `n_move` others to `addr2`."""

    def pi_waiters(self, addr: int) -> list:
        """Threads waiting for the PI futex at `addr`."""

    def wake(self, th: Any, result: int) -> None:
        """Make the parked thread runnable; its call returns `result`."""

    # --- threads and processes: clone, exec, exit ---------------------------------------------
    clear_child_tid: int                # set_tid_address
    robust_list: tuple[int, int]        # set_robust_list: (head, len)
    rseq: int                           # the registered rseq area

    def do_clone(self, flags: int, stack: int, ptid: int, ctid: int, tls: int) -> int:
        """fork/vfork/clone: the child's pid (0 in the child), or a new thread's tid."""

    def child_reaped(self, pid: int) -> None:
        """wait4/waitid reaped `pid`."""

    def request_execve(self, filename: str, argv: list[bytes], envp: list[bytes]) -> None:
        """execve: done once the emulator has stopped (the calling code is unmapped)."""

    def thread_exit(self, status: int) -> Any:
        """exit(2) of the running thread; the last one ends the process."""

    def do_exit(self, status: int) -> None:
        """exit_group: the process ends with `status` (raises GuestExit)."""

    def do_exit_signal(self, signo: int) -> None:
        """The process dies of `signo` (raises GuestExit)."""

    # --- services -----------------------------------------------------------------------------
    def set_comm(self, name: bytes) -> None:
        """PR_SET_NAME: the task's name, shown by /proc/self/comm and ps."""

    def share_memory(self) -> None:
        """The guest maps memory other processes may map: run under the share lock."""

    def random_bytes(self, n: int) -> bytes:
        """getrandom's bytes (reproducible with --seed)."""

    def fd_path(self, fd: int) -> bytes:
        """What a guest descriptor refers to, as /proc/self/fd/N shows it."""
