"""Argument kinds -> strace text. One generic decoder for every syscall in the table.

`format_call(sc, args, ret, ctx)` returns "name(arg, arg, ...)" and `format_ret` the
" = ..." part. Kinds are described in syscalls/table.py. Struct decoders live in
`STRUCTS`; each prints strace's abbreviated form, or every field with -v.
"""
from __future__ import annotations

import re
import struct
from collections.abc import Callable
from dataclasses import dataclass, field

from .table import Syscall
from .uapi import (
    __O_TMPFILE,
    AT_FDCWD,
    BUS_ADRALN,
    BUS_ADRERR,
    CLD_CONTINUED,
    CLD_DUMPED,
    CLD_EXITED,
    CLD_KILLED,
    CLD_STOPPED,
    CLD_TRAPPED,
    CLONE_CHILD_CLEARTID,
    CLONE_CHILD_SETTID,
    CLONE_PARENT_SETTID,
    CLONE_SETTLS,
    FPE_INTDIV,
    FPE_INTOVF,
    ILL_ILLOPC,
    ILL_ILLOPN,
    KERNEL_SIGACTION,
    O_CREAT,
    SA_RESTORER,
    SEGV_ACCERR,
    SEGV_MAPERR,
    SI_ASYNCIO,
    SI_KERNEL,
    SI_MESGQ,
    SI_QUEUE,
    SI_SIGIO,
    SI_TIMER,
    SI_TKILL,
    SI_USER,
    SIG_DFL,
    SIG_IGN,
    SIGBUS,
    SIGCHLD,
    SIGFPE,
    SIGILL,
    SIGINFO_SIZE,
    SIGSEGV,
    SIGTRAP,
    TRAP_BRKPT,
    TRAP_TRACE,
    unpack_siginfo,
)


@dataclass
class Ctx:
    """What a decoder may look at: guest memory, options, the call's result."""
    mem: object
    strsize: int = 32
    verbose: bool = False
    xlat_style: str = "abbrev"        # -X raw|abbrev|verbose
    fd_paths: dict[int, bytes] = field(default_factory=dict)   # -y: filled at syscall entry
    show_paths: bool = False
    ret: int = 0
    args: tuple = ()
    entry: dict | None = None         # arguments read at entry (entry_capture)
    sc_name: str = ""                 # the call being decoded

    @property
    def failed(self) -> bool:
        return self.ret is not None and -4096 < self.ret < 0


# --- scalars -----------------------------------------------------------------------------------
def s32(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - (1 << 32) if v & 0x80000000 else v


def s64(v: int) -> int:
    return v - (1 << 64) if v & (1 << 63) else v


def hexs(v: int) -> str:
    return "0" if v == 0 else f"{v:#x}"


def ptr(v: int) -> str:
    return "NULL" if v == 0 else f"{v:#x}"


# --- strings (strace's string_quote: C escapes, octal for the rest) -------------------------------
_PLAIN = re.compile(rb'[ !#-\[\]-~\n\t]*')
_ESC = {9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r", 34: '\\"', 92: "\\\\"}


def quote(data: bytes, limit: int | None = None, force_hex: bool = False,
          cstring: bool = False) -> str:
    """Quote bytes as strace does; `limit` bytes at most, then '...' after the quote."""
    more = limit is not None and len(data) > limit
    if more:
        data = data[:limit]
    if not force_hex and _PLAIN.fullmatch(data):      # the common case: printable text
        text = data.decode("ascii")
        if "\n" in text or "\t" in text:
            text = text.replace("\n", "\\n").replace("\t", "\\t")
        return '"' + text + '"' + ("..." if more else "")
    out = []
    n = len(data)
    for i, c in enumerate(data):
        if force_hex:
            out.append(f"\\x{c:02x}")
        elif c in _ESC:
            out.append(_ESC[c])
        elif 32 <= c < 127:
            out.append(chr(c))
        else:
            nxt = data[i + 1] if i + 1 < n else 0
            out.append(f"\\{c:03o}" if 48 <= nxt <= 55 else f"\\{c:o}")
    return '"' + "".join(out) + '"' + ("..." if more else "")


def read_cstring(ctx: Ctx, addr: int, limit: int) -> tuple[bytes, bool] | None:
    """A C string of at most `limit` bytes; (bytes, truncated) or None on a bad pointer."""
    try:
        s = ctx.mem.read_cstr(addr, limit + 1)
    except OSError:
        return None
    return (s[:limit], len(s) > limit)


def fmt_path(ctx: Ctx, v: int) -> str:
    if v == 0:
        return "NULL"
    got = read_cstring(ctx, v, 4096)
    if got is None:
        return f"{v:#x}"
    return quote(got[0]) + ("..." if got[1] else "")


def fmt_str(ctx: Ctx, v: int) -> str:
    if v == 0:
        return "NULL"
    got = read_cstring(ctx, v, ctx.strsize)
    if got is None:
        return f"{v:#x}"
    return quote(got[0]) + ("..." if got[1] else "")


def fmt_buf(ctx: Ctx, v: int, length: int, force_hex: bool = False) -> str:
    if v == 0 and length:
        return "NULL"
    try:
        data = ctx.mem.read(v, min(length, ctx.strsize + 1))
    except OSError:
        return f"{v:#x}"
    return quote(data[:ctx.strsize], force_hex=force_hex) + ("..." if length > ctx.strsize else "")


def fmt_fd(ctx: Ctx, v: int) -> str:
    fd = s32(v)
    if ctx.show_paths and fd in ctx.fd_paths:
        return f"{fd}<{ctx.fd_paths[fd].decode('utf-8', 'backslashreplace')}>"
    return str(fd)


def fmt_dirfd(ctx: Ctx, v: int) -> str:
    if s32(v) == AT_FDCWD:
        return "-100" if ctx.xlat_style == "raw" else \
            "-100 /* AT_FDCWD */" if ctx.xlat_style == "verbose" else "AT_FDCWD"
    return fmt_fd(ctx, v)


def fmt_flags(ctx: Ctx, table: str, v: int) -> str:
    from .xlat import XLAT
    x = XLAT.get(table)
    if x is None or ctx.xlat_style == "raw":
        return hexs(v)
    text = x.flags(v)
    if ctx.xlat_style == "verbose":
        return f"{hexs(v)} /* {text} */"
    return text


def fmt_enum(ctx: Ctx, table: str, v: int) -> str:
    from .xlat import XLAT
    x = XLAT.get(table)
    if x is None or ctx.xlat_style == "raw":
        return hexs(v) if v > 9 else str(v)
    text = x.enum(v)
    if ctx.xlat_style == "verbose":
        return f"{hexs(v)} /* {text} */"
    return text


def signame(sig: int) -> str:
    from .xlat import SIGNALS
    return SIGNALS.get(sig, str(sig))


def fmt_argv(ctx: Ctx, v: int) -> str:
    if v == 0:
        return "NULL"
    items = []
    try:
        for i in range(4096):
            p = ctx.mem.read_u64(v + 8 * i)
            if p == 0:
                break
            if ctx.verbose or i < ctx.strsize:   # strace's -s also caps the element count
                items.append(fmt_str(ctx, p))
            else:
                items.append("...")
                break
    except OSError:
        return f"{v:#x}"
    return "[" + ", ".join(items) + "]"


def fmt_envp(ctx: Ctx, v: int) -> str:
    if ctx.verbose:
        return fmt_argv(ctx, v)
    if v == 0:
        return "NULL"
    n = 0
    try:
        while ctx.mem.read_u64(v + 8 * n):
            n += 1
    except OSError:
        return f"{v:#x}"
    return f"{v:#x} /* {n} var{'s' if n != 1 else ''} */"


def fmt_iov(ctx: Ctx, v: int, cnt: int, total: int | None) -> str:
    """[{iov_base="...", iov_len=N}, ...]; for output vectors only `total` bytes are shown."""
    if v == 0:
        return "NULL"
    parts = []
    left = total
    try:
        for i in range(min(cnt, 1024)):
            base, ln = struct.unpack("<QQ", ctx.mem.read(v + 16 * i, 16))
            if i >= ctx.strsize and not ctx.verbose:
                parts.append("...")
                break
            show = ln if left is None else max(0, min(ln, left))
            if left is not None:
                left -= show
            parts.append(f"{{iov_base={fmt_buf(ctx, base, show)}, iov_len={ln}}}")
    except OSError:
        return f"{v:#x}"
    return "[" + ", ".join(parts) + "]"


def fmt_sigset_bits(bits: int) -> str:
    names = [signame(i + 1)[3:] if signame(i + 1).startswith("SIG") else str(i + 1)
             for i in range(64) if bits >> i & 1]
    if len(names) > 32:
        rest = [signame(i + 1)[3:] if signame(i + 1).startswith("SIG") else str(i + 1)
                for i in range(64) if not bits >> i & 1]
        return "~[" + " ".join(rest) + "]"
    return "[" + " ".join(names) + "]"


# --- structs ---------------------------------------------------------------------------------------
def _mode(ctx: Ctx, m: int) -> str:
    """st_mode as strace prints it: "S_IFDIR|S_ISVTX|0777" (xlat's file_mode)."""
    from .xlat import XLAT
    return XLAT["file_mode"](m)


def _dev(d: int) -> str:
    major = ((d >> 32) & 0xFFFFF000) | ((d >> 8) & 0xFFF)
    minor = ((d >> 12) & 0xFFFFFF00) | (d & 0xFF)
    return f"makedev({major:#x}, {minor:#x})"


def _ts(sec: int, nsec: int) -> str:
    return f"{{tv_sec={sec}, tv_nsec={nsec}}}"


def st_stat(ctx: Ctx, raw: bytes) -> str:
    (dev, ino, nlink, mode, uid, gid, _pad, rdev, size, blksize, blocks, at, atn, mt, mtn, ct,
     ctn) = struct.unpack_from("<QQQIIIIQqqqqqqqqq", raw)
    ftype = mode & 0o170000
    if not ctx.verbose:
        if ftype in (0o020000, 0o060000):     # character/block devices show st_rdev
            return f"{{st_mode={_mode(ctx, mode)}, st_rdev={_dev(rdev)}, ...}}"
        return f"{{st_mode={_mode(ctx, mode)}, st_size={size}, ...}}"
    size_or_rdev = f"st_rdev={_dev(rdev)}" if ftype in (0o020000, 0o060000) else f"st_size={size}"
    return (f"{{st_dev={_dev(dev)}, st_ino={ino}, st_mode={_mode(ctx, mode)}, st_nlink={nlink}, "
            f"st_uid={uid}, st_gid={gid}, st_blksize={blksize}, st_blocks={blocks}, "
            f"{size_or_rdev}, st_atime={at} /* {_iso(at, atn)} */, st_atime_nsec={atn}, "
            f"st_mtime={mt} /* {_iso(mt, mtn)} */, st_mtime_nsec={mtn}, "
            f"st_ctime={ct} /* {_iso(ct, ctn)} */, st_ctime_nsec={ctn}}}")


def _iso(sec: int, nsec: int) -> str:
    import time
    t = time.localtime(sec)
    off = time.strftime("%z", t)
    return time.strftime("%Y-%m-%dT%H:%M:%S", t) + f".{nsec:09d}" + off[:3] + off[3:]


def st_statx(ctx: Ctx, raw: bytes) -> str:
    from .xlat import XLAT
    mask, blksize, attrs, nlink, uid, gid, mode = struct.unpack_from("<IIQIIIH", raw)
    ino, size, blocks = struct.unpack_from("<QQQ", raw, 0x20)
    x = XLAT.get("statx_mask")
    m = x.flags(mask) if x else hexs(mask)
    if not ctx.verbose:
        return (f"{{stx_mask={m}, stx_attributes={hexs(attrs) if attrs else 0}, "
                f"stx_mode={_mode(ctx, mode)}, stx_size={size}, ...}}")
    return (f"{{stx_mask={m}, stx_blksize={blksize}, stx_attributes={hexs(attrs) if attrs else 0}, "
            f"stx_nlink={nlink}, stx_uid={uid}, stx_gid={gid}, stx_mode={_mode(ctx, mode)}, "
            f"stx_ino={ino}, stx_size={size}, stx_blocks={blocks}, ...}}")


def st_timespec(ctx: Ctx, raw: bytes) -> str:
    return _ts(*struct.unpack_from("<qq", raw))


def st_timeval(ctx: Ctx, raw: bytes) -> str:
    s, us = struct.unpack_from("<qq", raw)
    return f"{{tv_sec={s}, tv_usec={us}}}"


def _rlim(v: int) -> str:
    if v == 0xFFFFFFFFFFFFFFFF:
        return "RLIM64_INFINITY"
    if v and v % 1024 == 0:
        return f"{v // 1024}*1024"
    return str(v)


def st_rlimit(ctx: Ctx, raw: bytes) -> str:
    cur, mx = struct.unpack_from("<QQ", raw)
    return f"{{rlim_cur={_rlim(cur)}, rlim_max={_rlim(mx)}}}"


def st_stack_t(ctx: Ctx, raw: bytes) -> str:
    """sigaltstack's stack_t: {ss_sp=0x..., ss_flags=SS_DISABLE, ss_size=65536}."""
    sp, flags, size = struct.unpack_from("<QI4xQ", raw)
    text = fmt_flags(ctx, "ss_flags", flags) if flags else "0"
    return f"{{ss_sp={ptr(sp)}, ss_flags={text}, ss_size={size}}}"


def st_utsname(ctx: Ctx, raw: bytes) -> str:
    fields = [raw[i * 65:(i + 1) * 65].split(b"\0")[0] for i in range(6)]
    names = ("sysname", "nodename", "release", "version", "machine", "domainname")
    if not ctx.verbose:
        return f"{{sysname={quote(fields[0])}, nodename={quote(fields[1])}, ...}}"
    return "{" + ", ".join(f"{n}={quote(v)}" for n, v in zip(names, fields)) + "}"


def st_sigset(ctx: Ctx, raw: bytes) -> str:
    return fmt_sigset_bits(int.from_bytes(raw[:8], "little"))


def st_sigaction(ctx: Ctx, raw: bytes) -> str:
    handler, flags, restorer, mask = KERNEL_SIGACTION.unpack_from(raw)
    h = {SIG_DFL: "SIG_DFL", SIG_IGN: "SIG_IGN"}.get(handler, f"{handler:#x}")
    fl = fmt_flags(ctx, "sa_flags", flags) if flags else "0"
    s = f"{{sa_handler={h}, sa_mask={fmt_sigset_bits(mask)}, sa_flags={fl}"
    if flags & SA_RESTORER:
        s += f", sa_restorer={restorer:#x}"
    return s + "}"


def st_winsize(ctx: Ctx, raw: bytes) -> str:
    r, c, x, y = struct.unpack_from("<HHHH", raw)
    return f"{{ws_row={r}, ws_col={c}, ws_xpixel={x}, ws_ypixel={y}}}"


def st_statfs(ctx: Ctx, raw: bytes) -> str:
    (ftype, bsize, blocks, bfree, bavail, files, ffree, fsid0, fsid1, namelen, frsize,
     flags) = struct.unpack_from("<qqQQQQQiiqqq", raw)
    from .xlat import XLAT
    x = XLAT.get("fs_magic")
    t = x.enum(ftype) if x else hexs(ftype)
    return (f"{{f_type={t}, f_bsize={bsize}, f_blocks={blocks}, f_bfree={bfree}, "
            f"f_bavail={bavail}, f_files={files}, f_ffree={ffree}, "
            f"f_fsid={{val=[{hexs(fsid0 & 0xFFFFFFFF)}, {hexs(fsid1 & 0xFFFFFFFF)}]}}, "
            f"f_namelen={namelen}, f_frsize={frsize}, f_flags={fmt_flags(ctx, 'statfs_flags', flags)}}}")


def st_sysinfo(ctx: Ctx, raw: bytes) -> str:
    up, l1, l5, l15, tot, free, shared, buf, stot, sfree, procs = struct.unpack_from(
        "<qQQQQQQQQQH", raw)
    return (f"{{uptime={up}, loads=[{l1}, {l5}, {l15}], totalram={tot}, freeram={free}, "
            f"sharedram={shared}, bufferram={buf}, totalswap={stot}, freeswap={sfree}, "
            f"procs={procs}, totalhigh=0, freehigh=0, mem_unit=1}}")


def st_tms(ctx: Ctx, raw: bytes) -> str:
    a, b, c, d = struct.unpack_from("<qqqq", raw)
    return f"{{tms_utime={a}, tms_stime={b}, tms_cutime={c}, tms_cstime={d}}}"


def st_rusage(ctx: Ctx, raw: bytes) -> str:
    us, uus, ss, sus = struct.unpack_from("<qqqq", raw)
    maxrss = struct.unpack_from("<q", raw, 32)[0]
    return (f"{{ru_utime={{tv_sec={us}, tv_usec={uus}}}, ru_stime={{tv_sec={ss}, tv_usec={sus}}}, "
            f"ru_maxrss={maxrss}, ...}}")


def st_fds2(ctx: Ctx, raw: bytes) -> str:
    a, b = struct.unpack_from("<ii", raw)
    return f"[{a}, {b}]"


def st_int(ctx: Ctx, raw: bytes) -> str:
    return f"[{struct.unpack_from('<i', raw)[0]}]"


def st_robust_list(ctx: Ctx, raw: bytes) -> str:
    return ptr(struct.unpack_from("<Q", raw)[0])


def st_wait_status(ctx: Ctx, raw: bytes) -> str:
    """What wait4 stored: strace prints the W* macros that are true."""
    s = struct.unpack_from("<i", raw)[0]
    sig = s & 0x7F
    if sig == 0:
        text = f"WIFEXITED(s) && WEXITSTATUS(s) == {(s >> 8) & 0xFF}"
    elif sig == 0x7F:
        text = f"WIFSTOPPED(s) && WSTOPSIG(s) == {signame((s >> 8) & 0xFF)}"
    elif s == 0xFFFF:
        text = "WIFCONTINUED(s)"
    else:
        text = f"WIFSIGNALED(s) && WTERMSIG(s) == {signame(sig)}"
        if s & 0x80:
            text += " && WCOREDUMP(s)"
    return f"[{{{text}}}]"


SI_CODE_NAMES = {SI_USER: "SI_USER", SI_KERNEL: "SI_KERNEL", SI_QUEUE: "SI_QUEUE",
                 SI_TIMER: "SI_TIMER", SI_MESGQ: "SI_MESGQ", SI_ASYNCIO: "SI_ASYNCIO",
                 SI_SIGIO: "SI_SIGIO", SI_TKILL: "SI_TKILL"}
CLD_CODES = {CLD_EXITED: "CLD_EXITED", CLD_KILLED: "CLD_KILLED", CLD_DUMPED: "CLD_DUMPED",
             CLD_TRAPPED: "CLD_TRAPPED", CLD_STOPPED: "CLD_STOPPED",
             CLD_CONTINUED: "CLD_CONTINUED"}
FAULT_CODES = {SIGILL: {ILL_ILLOPC: "ILL_ILLOPC", ILL_ILLOPN: "ILL_ILLOPN"},
               SIGFPE: {FPE_INTDIV: "FPE_INTDIV", FPE_INTOVF: "FPE_INTOVF"},
               SIGSEGV: {SEGV_MAPERR: "SEGV_MAPERR", SEGV_ACCERR: "SEGV_ACCERR"},
               SIGBUS: {BUS_ADRALN: "BUS_ADRALN", BUS_ADRERR: "BUS_ADRERR"},
               SIGTRAP: {TRAP_BRKPT: "TRAP_BRKPT", TRAP_TRACE: "TRAP_TRACE"}}


def siginfo_text(signo: int, code: int, fields: dict[str, int]) -> str:
    """The inside of strace's siginfo braces, from the union's fields (uapi.unpack_siginfo)."""
    name = signame(signo)
    value = fields.get("value", 0)
    sival = f"si_int={(value + 2**31) % 2**32 - 2**31}, si_ptr={ptr(value)}"
    if code > 0 and signo == SIGCHLD:
        out = (f"si_signo={name}, si_code={CLD_CODES.get(code, code)}, "
               f"si_pid={fields.get('pid', 0)}, si_uid={fields.get('uid', 0)}, ")
        st = fields.get("status", 0)
        killed = code in (CLD_KILLED, CLD_DUMPED, CLD_STOPPED)
        out += f"si_status={signame(st) if killed else st}, "
        return out + f"si_utime={fields.get('utime', 0)}, si_stime={fields.get('stime', 0)}"
    if code > 0 and code != SI_KERNEL and signo in FAULT_CODES:
        addr = fields.get("addr", 0)
        return (f"si_signo={name}, si_code={FAULT_CODES[signo].get(code, code)}, "
                f"si_addr={ptr(addr)}")
    out = f"si_signo={name}, si_code={SI_CODE_NAMES.get(code, code)}"
    if code == SI_TIMER:
        out += (f", si_timerid={fields.get('tid', 0) & 0xFFFFFFFF:#x}, "
                f"si_overrun={fields.get('overrun', 0)}, {sival}")
    elif code in (SI_USER, SI_TKILL, SI_QUEUE):          # a sender: kill, tgkill, sigqueue
        out += f", si_pid={fields.get('pid', 0)}, si_uid={fields.get('uid', 0)}"
        if code == SI_QUEUE:
            out += f", {sival}"
    return out


def st_siginfo(ctx: Ctx, raw: bytes) -> str:
    signo, code, fields = unpack_siginfo(raw)
    if signo == 0:
        return "{}"
    return "{" + siginfo_text(signo, code, fields) + "}"


# name -> (size in bytes, decoder)
def st_itimerspec(ctx: Ctx, raw: bytes) -> str:
    i_s, i_ns, v_s, v_ns = struct.unpack("<qqqq", raw)
    return f"{{it_interval={_ts(i_s, i_ns)}, it_value={_ts(v_s, v_ns)}}}"


def st_epoll_event(ctx: Ctx, raw: bytes) -> str:
    """struct epoll_event is packed on x86-64: u32 events, then the u64 data."""
    events, data = struct.unpack("<IQ", raw[:12])
    return (f"{{events={fmt_flags(ctx, 'epoll_events', events)}, "
            f"data={{u32={data & 0xFFFFFFFF}, u64={data}}}}}")


def st_pselect6_sigmask(ctx: Ctx, raw: bytes) -> str:
    """pselect6's sixth argument: {const sigset_t *ss; size_t ss_len}."""
    ss, ss_len = struct.unpack("<QQ", raw)
    mask = ptr(ss)
    if ss:
        try:
            mask = fmt_sigset_bits(int.from_bytes(ctx.mem.read(ss, 8), "little"))
        except OSError:
            pass
    return f"{{sigmask={mask}, sigsetsize={ss_len}}}"


# --- socket addresses (strace's sockaddr.c) -------------------------------------------------------
SOCKADDR_SIZE = {1: 110, 2: 16, 10: 28, 16: 12}     # AF_UNIX, AF_INET, AF_INET6, AF_NETLINK
SOCKADDR_LEN_ARG = {"connect": 2, "bind": 2, "sendto": 5}           # the length itself
SOCKLEN_PTR_ARG = {"accept": 2, "accept4": 2, "getsockname": 2, "getpeername": 2,
                   "recvfrom": 5}                                      # where it was stored


def _sockaddr_len(ctx: Ctx) -> int:
    i = SOCKADDR_LEN_ARG.get(ctx.sc_name)
    if i is not None:
        return ctx.args[i] & 0xFFFFFFFF
    i = SOCKLEN_PTR_ARG.get(ctx.sc_name)
    if i is not None:
        try:
            return int.from_bytes(ctx.mem.read(ctx.args[i], 4), "little")
        except OSError:
            pass
    return 128


def fmt_sockaddr(ctx: Ctx, v: int) -> str:
    import socket
    try:
        family = int.from_bytes(ctx.mem.read(v, 2), "little")
        raw = ctx.mem.read(v, SOCKADDR_SIZE.get(family, 16))
    except OSError:
        return ptr(v)
    name = fmt_enum(ctx, "socket_domain", family)
    if family == 1:                     # AF_UNIX; "@" marks the abstract namespace
        path = raw[2:max(2, min(_sockaddr_len(ctx), 110))]
        if not path:
            return f"{{sa_family={name}}}"
        text = "@" + quote(path[1:]) if path[0] == 0 else quote(path.split(b"\0")[0])
        return f"{{sa_family={name}, sun_path={text}}}"
    if family == 2:
        port = int.from_bytes(raw[2:4], "big")
        return (f"{{sa_family={name}, sin_port=htons({port}), "
                f"sin_addr=inet_addr(\"{socket.inet_ntop(socket.AF_INET, raw[4:8])}\")}}")
    if family == 10:
        port, flow = int.from_bytes(raw[2:4], "big"), int.from_bytes(raw[4:8], "big")
        scope = int.from_bytes(raw[24:28], "little")
        addr = socket.inet_ntop(socket.AF_INET6, raw[8:24])
        return (f"{{sa_family={name}, sin6_port=htons({port}), sin6_flowinfo=htonl({flow}), "
                f"inet_pton({name}, \"{addr}\", &sin6_addr), sin6_scope_id={scope}}}")
    if family == 16:
        pid, groups = struct.unpack_from("<II", raw, 4)
        return f"{{sa_family={name}, nl_pid={pid}, nl_groups={groups:08x}}}"
    return f"{{sa_family={name}, sa_data={quote(raw[2:16])}}}"


STRUCTS: dict[str, tuple[int, Callable[[Ctx, bytes], str]]] = {
    "stat": (144, st_stat),
    "statx": (256, st_statx),
    "timespec": (16, st_timespec),
    "timeval": (16, st_timeval),
    "rlimit": (16, st_rlimit),
    "stack_t": (24, st_stack_t),
    "utsname": (390, st_utsname),
    "sigset": (8, st_sigset),
    "sigaction": (KERNEL_SIGACTION.size, st_sigaction),
    "winsize": (8, st_winsize),
    "statfs": (120, st_statfs),
    "sysinfo": (112, st_sysinfo),
    "tms": (32, st_tms),
    "rusage": (144, st_rusage),
    "fds2": (8, st_fds2),
    "int": (4, st_int),
    "wait_status": (4, st_wait_status),
    "siginfo": (SIGINFO_SIZE, st_siginfo),
    "itimerspec": (32, st_itimerspec),
    "epoll_event": (12, st_epoll_event),
    "pselect6_sigmask": (16, st_pselect6_sigmask),
}


def fmt_cpu_set(ctx: Ctx, v: int, size: int) -> str:
    """A CPU mask as the CPUs in it: [0 1]."""
    try:
        raw = ctx.mem.read(v, min(size, 1 << 16))
    except OSError:
        return f"{v:#x}"
    bits = int.from_bytes(raw, "little")
    return "[" + " ".join(str(i) for i in range(8 * len(raw)) if bits >> i & 1) + "]"


def fmt_struct(ctx: Ctx, name: str, v: int, output: bool) -> str:
    if v == 0:
        return "NULL"
    if name == "sockaddr" and not (output and ctx.failed):
        return fmt_sockaddr(ctx, v)
    if name == "cpu_set" and not (output and ctx.failed):
        return fmt_cpu_set(ctx, v, ctx.ret if output else ctx.args[1])
    spec = STRUCTS.get(name)
    if spec is None or (output and ctx.failed):
        return f"{v:#x}"
    try:
        raw = ctx.mem.read(v, spec[0])
    except OSError:
        return f"{v:#x}"
    return spec[1](ctx, raw)


# --- arguments that depend on another argument (strace's per-syscall printing) ----------------------


def shown_args(sc: Syscall, args: tuple) -> int:
    """How many arguments strace prints for this call (some depend on flags or commands)."""
    n = len(sc.args)
    name = sc.name
    if name in ("openat", "open"):
        fl = args[2 if name == "openat" else 1]
        if not fl & (O_CREAT | __O_TMPFILE):
            return n - 1
    elif name == "fcntl" and args[1] & 0xFFFFFFFF in (1, 3, 9, 11, 1025, 1032, 1034):  # F_GET*
        return 2
    return n


def _obuf(ctx: Ctx, v: int, p: str, args: tuple, sc: Syscall) -> str:
    if ctx.failed or ctx.ret is None:
        return ptr(v)
    return fmt_buf(ctx, v, ctx.ret, force_hex=sc.name == "getrandom")


def _ostruct(ctx: Ctx, v: int, p: str, args: tuple, sc: Syscall) -> str:
    if p in ("dirent", "dirent64"):
        return fmt_dirents(ctx, v)
    return fmt_struct(ctx, p, v, output=True)


# --- waiting for descriptors (strace's poll.c, select in desc.c, epoll.c) -------------------------
MAX_ARRAY = 1024                # elements read of a guest array at most


def _pollfds(ctx: Ctx, v: int, n: int) -> list[tuple[int, int, int]] | None:
    try:
        raw = ctx.mem.read(v, 8 * min(n, MAX_ARRAY))
    except OSError:
        return None
    return [struct.unpack_from("<ihh", raw, i) for i in range(0, len(raw), 8)]


def fmt_pollfds(ctx: Ctx, v: int, n: int) -> str:
    """poll's input: [{fd=3, events=POLLIN}, ...]."""
    if v == 0:
        return "NULL"
    got = _pollfds(ctx, v, n)
    if got is None:
        return ptr(v)
    return "[" + ", ".join(f"{{fd={fd}}}" if fd < 0 else       # ignored: strace shows no events
                           f"{{fd={fd}, events={fmt_flags(ctx, 'poll_events', ev & 0xFFFF)}}}"
                           for fd, ev, _ in got) + "]"


def fdset_text(raw: bytes | None, nfds: int) -> str:
    bits = int.from_bytes(raw or b"", "little")
    return "[" + " ".join(str(fd) for fd in range(nfds) if bits >> fd & 1) + "]"


def _fdset_bytes(nfds: int) -> int:
    return (max(0, min(nfds, MAX_ARRAY * 64)) + 63) // 64 * 8


# select, pselect6, ppoll: the arguments the kernel writes back (fd sets, the time left),
# by position; strace prints them as they were at entry
# accept, accept4, recvfrom, getsockname, getpeername: the address length (kept as -1, as
# the argument itself prints its value after the call)
ENTRY_CAPTURE = {23: (1, 2, 3, 4), 270: (1, 2, 3, 4), 271: (2,), 43: (), 288: (), 45: (),
                 51: (), 52: ()}
SOCKLEN_AT = {43: 2, 288: 2, 45: 5, 51: 2, 52: 2}


def entry_capture(sc: Syscall, mem, args: tuple) -> dict[int, bytes]:
    """The in/out arguments' bytes at entry."""
    out = {}
    i = SOCKLEN_AT.get(sc.nr)
    if i is not None:
        if args[i]:
            try:
                out[-1] = mem.read(args[i], 4)
            except OSError:
                pass
        return out
    for i in ENTRY_CAPTURE[sc.nr]:
        size = 16 if i == 4 or sc.name == "ppoll" else _fdset_bytes(s32(args[0]))
        if args[i] and size:
            try:
                out[i] = mem.read(args[i], size)
            except OSError:
                pass
    return out


def _captured(ctx: Ctx, sc: Syscall, i: int, raw: bytes, args: tuple) -> str:
    if sc.name != "ppoll" and i < 4:
        return fdset_text(raw, s32(args[0]))
    return (st_timeval if sc.name == "select" else st_timespec)(ctx, raw)


def _fd_set_arg(ctx: Ctx, v: int, p: str, args: tuple, sc: Syscall) -> str:
    if v == 0:
        return "NULL"
    nfds = s32(args[0])
    try:
        return fdset_text(ctx.mem.read(v, _fdset_bytes(nfds)), nfds)
    except OSError:
        return ptr(v)


def _epoll_events_out(ctx: Ctx, v: int, p: str, args: tuple, sc: Syscall) -> str:
    if ctx.failed or ctx.ret is None:
        return ptr(v)
    try:
        raw = ctx.mem.read(v, 12 * min(ctx.ret, MAX_ARRAY))
    except OSError:
        return ptr(v)
    return "[" + ", ".join(st_epoll_event(ctx, raw[i:i + 12])
                           for i in range(0, len(raw), 12)) + "]"


def _left(ctx: Ctx, v: int, usec: bool) -> str:
    try:
        sec, frac = struct.unpack("<qq", ctx.mem.read(v, 16))
    except OSError:
        return ptr(v)
    return f"left {{tv_sec={sec}, tv_{'usec' if usec else 'nsec'}={frac}}}"


def ret_detail(sc: Syscall, ret: int, ctx: Ctx) -> str:
    """What strace adds after a successful result: poll's revents, select's ready sets and
    the time left, "Timeout"."""
    name, a = sc.name, ctx.args
    if name in ("poll", "ppoll", "select", "pselect6") and ret == 0:
        return " (Timeout)"
    parts = []
    if name in ("poll", "ppoll"):
        got = _pollfds(ctx, a[0], a[1]) or []
        ready = [f"{{fd={fd}, revents={fmt_flags(ctx, 'poll_events', rev & 0xFFFF)}}}"
                 for fd, _, rev in got if rev]
        parts.append("[" + ", ".join(ready) + "]")
        if name == "ppoll" and a[2]:
            parts.append(_left(ctx, a[2], usec=False))
    elif name in ("select", "pselect6"):
        nfds = s32(a[0])
        for label, v in (("in", a[1]), ("out", a[2]), ("except", a[3])):
            if v:
                try:
                    text = fdset_text(ctx.mem.read(v, _fdset_bytes(nfds)), nfds)
                except OSError:
                    continue
                if text != "[]":
                    parts.append(f"{label} {text}")
        if a[4]:
            parts.append(_left(ctx, a[4], usec=name == "select"))
    else:
        return ""
    return " (" + ", ".join(parts) + ")"


RET_DETAIL = frozenset({"poll", "ppoll", "select", "pselect6"})


def _gids(ctx: Ctx, v: int, n: int) -> str:
    """getgroups/setgroups: [0, 27]."""
    if not v:
        return "NULL"
    if n <= 0:
        return "[]"
    try:
        raw = ctx.mem.read(v, 4 * min(n, MAX_ARRAY))
    except OSError:
        return ptr(v)
    return "[" + ", ".join(str(g) for g in struct.unpack(f"<{len(raw) // 4}I", raw)) + "]"


def _sockproto(ctx: Ctx, v: int, domain: int) -> str:
    """socket's protocol is named by the domain's table: IPPROTO_* for AF_INET(6),
    NETLINK_* for AF_NETLINK, a number otherwise."""
    table = {2: "ip_proto", 10: "ip_proto", 16: "netlink_proto"}.get(domain)
    return fmt_enum(ctx, table, v) if table else str(s32(v))


def _socklen(ctx: Ctx, v: int) -> str:
    """An address length stored by the call: [out], or [in => out] when it changed; a
    failed call stored nothing: [in]."""
    if not v:
        return "NULL"
    try:
        out = int.from_bytes(ctx.mem.read(v, 4), "little")
    except OSError:
        return ptr(v)
    before = int.from_bytes(ctx.entry[-1], "little") if ctx.entry and -1 in ctx.entry else out
    if ctx.failed:
        return f"[{before}]"
    return f"[{out}]" if before == out else f"[{before} => {out}]"


# kind -> decoder(ctx, value, parameter, all arguments, syscall)
DECODERS: dict[str, Callable] = {
    "d": lambda c, v, p, a, sc: str(s32(v)),
    "ld": lambda c, v, p, a, sc: str(s64(v)),
    "u": lambda c, v, p, a, sc: str(v),
    "x": lambda c, v, p, a, sc: hexs(v),
    "p": lambda c, v, p, a, sc: ptr(v),
    "o": lambda c, v, p, a, sc: f"0{v & 0xFFFF:o}" if v else "000",
    "fd": lambda c, v, p, a, sc: fmt_fd(c, v),
    "dirfd": lambda c, v, p, a, sc: fmt_dirfd(c, v),
    "path": lambda c, v, p, a, sc: fmt_path(c, v),
    "str": lambda c, v, p, a, sc: fmt_str(c, v),
    "ibuf": lambda c, v, p, a, sc: fmt_buf(c, v, a[int(p)]),
    "obuf": _obuf,
    "iov": lambda c, v, p, a, sc: fmt_iov(c, v, a[int(p)], None),
    "oiov": lambda c, v, p, a, sc: ptr(v) if c.failed else fmt_iov(c, v, a[int(p)], c.ret),
    "flags": lambda c, v, p, a, sc: fmt_flags(c, p, v),
    "enum": lambda c, v, p, a, sc: fmt_enum(c, p, v),
    "sig": lambda c, v, p, a, sc: signame(s32(v)),
    "argv": lambda c, v, p, a, sc: fmt_argv(c, v),
    "envp": lambda c, v, p, a, sc: fmt_envp(c, v),
    "s": lambda c, v, p, a, sc: fmt_struct(c, p, v, output=False),
    "os": _ostruct,
    "fds2": lambda c, v, p, a, sc: ptr(v) if c.failed else fmt_struct(c, "fds2", v, output=True),
    "pollfd": lambda c, v, p, a, sc: fmt_pollfds(c, v, a[int(p)]),
    "sockproto": lambda c, v, p, a, sc: _sockproto(c, v, a[0]),
    "gids": lambda c, v, p, a, sc: _gids(c, v, s32(a[int(p)])),
    "ocwd": lambda c, v, p, a, sc: ptr(v) if c.failed or not c.ret else fmt_buf(c, v, c.ret - 1),
    "orem": lambda c, v, p, a, sc: fmt_struct(c, "timespec", v, output=False)
    if v and c.ret in (-4, -512, -513, -514, -516) else ptr(v),
    "ogids": lambda c, v, p, a, sc: ptr(v) if c.failed else _gids(c, v, c.ret if a[0] else 0),
    "socklen": lambda c, v, p, a, sc: _socklen(c, v),
    "fd_set": _fd_set_arg,
    "oepoll": _epoll_events_out,
}
_PLANS: dict[int, list] = {}


def plan(sc: Syscall) -> list:
    """The syscall's argument kinds resolved to decoders once: [(decoder, parameter)]."""
    got = _PLANS.get(sc.nr)
    if got is None:
        got = []
        for kind in sc.args:
            k, _, param = kind.partition(":")
            got.append((DECODERS.get(k, DECODERS["x"]), param))
        _PLANS[sc.nr] = got
    return got


def fmt_dirents(ctx: Ctx, v: int) -> str:
    """getdents: strace counts the records (d_reclen at offset 16 in both layouts)."""
    if ctx.failed or not ctx.ret:
        return ptr(v) + (" /* 0 entries */" if ctx.ret == 0 else "")
    try:
        data = ctx.mem.read(v, ctx.ret)
    except OSError:
        return ptr(v)
    n = off = 0
    while off + 18 <= len(data):
        reclen = int.from_bytes(data[off + 16:off + 18], "little")
        if not reclen:
            break
        n += 1
        off += reclen
    return f"{ptr(v)} /* {n} entries */"


# futex: which arguments strace prints after (uaddr, op), by command (strace's futex.c)
FUTEX_ARGS = {0: "v,t", 1: "v", 3: "v,v2,a2", 4: "v,v2,a2,v3", 5: "v,v2,a2,op",
              6: "t", 7: "", 8: "", 9: "v,t,b", 10: "v,t,b", 11: "v,t,a2", 12: "v,v2,a2,v3",
              13: "t"}


def _format_futex(sc: Syscall, args: tuple, ctx: Ctx) -> str:
    uaddr, op, val, timeout, uaddr2, val3 = args
    out = [ptr(uaddr), fmt_enum(ctx, "futex_op", op)]
    spec = FUTEX_ARGS.get(op & 0x7F)
    if spec is None:
        out += [str(s32(val)), ptr(timeout), ptr(uaddr2), hexs(val3)]
        return "futex(" + ", ".join(out) + ")"
    for item in filter(None, spec.split(",")):
        if item == "v":
            out.append(str(s32(val)))
        elif item == "t":
            out.append(fmt_struct(ctx, "timespec", timeout, output=False))
        elif item == "v2":
            out.append(str(s32(timeout)))
        elif item == "a2":
            out.append(ptr(uaddr2))
        elif item == "v3":
            out.append(str(s32(val3)))
        elif item == "b":
            out.append("FUTEX_BITSET_MATCH_ANY" if val3 & 0xFFFFFFFF == 0xFFFFFFFF
                       else hexs(val3 & 0xFFFFFFFF))
        elif item == "op":
            out.append(hexs(val3 & 0xFFFFFFFF))
    return "futex(" + ", ".join(out) + ")"


# --- fcntl (strace's fcntl.c): the third argument and the result depend on the command ---------
F_LOCKS = {0: "F_RDLCK", 1: "F_WRLCK", 2: "F_UNLCK"}
F_FLOCK_CMDS = {5, 6, 7, 36, 37, 38}            # F_GETLK, F_SETLK, F_SETLKW, F_OFD_*
F_DECIMAL_CMDS = {0, 8, 1030, 1031}            # F_DUPFD, F_SETOWN, F_DUPFD_CLOEXEC, F_SETPIPE_SZ
F_SEALS = {1: "F_SEAL_SEAL", 2: "F_SEAL_SHRINK", 4: "F_SEAL_GROW", 8: "F_SEAL_WRITE",
           16: "F_SEAL_FUTURE_WRITE"}
F_OWNER_TYPES = {0: "F_OWNER_TID", 1: "F_OWNER_PID", 2: "F_OWNER_PGRP"}


def _bits(names: dict[int, str], v: int) -> str:
    parts = [n for b, n in names.items() if v & b]
    rest = v & ~sum(names)
    return "|".join(parts + ([hexs(rest)] if rest else [])) or "0"


def _flock(ctx: Ctx, v: int) -> str:
    try:
        l_type, whence, start, length, pid = struct.unpack("<hh4xqqi4x", ctx.mem.read(v, 32))
    except OSError:
        return ptr(v)
    return (f"{{l_type={F_LOCKS.get(l_type, l_type)}, l_whence={fmt_enum(ctx, 'seek_whence', whence)}, "
            f"l_start={start}, l_len={length}, l_pid={pid}}}")


def _format_fcntl(sc: Syscall, args: tuple, ctx: Ctx, n: int) -> str:
    cmd = args[1] & 0xFFFFFFFF
    head = f"fcntl({fmt_fd(ctx, args[0])}, {fmt_enum(ctx, 'fcntl', cmd)}"
    if n < 3:
        return head + ")"
    arg = args[2]
    if cmd in F_DECIMAL_CMDS:
        text = str(s32(arg))
    elif cmd == 2:                                  # F_SETFD
        text = fmt_flags(ctx, "fd_flags", arg)
    elif cmd == 4:                                  # F_SETFL
        text = fmt_flags(ctx, "open", arg & 0xFFFFFFFF)
    elif cmd == 10:                                 # F_SETSIG
        text = signame(s32(arg)) if arg else "0"
    elif cmd == 1024:                               # F_SETLEASE
        text = F_LOCKS.get(arg, str(arg))
    elif cmd == 1033:                               # F_ADD_SEALS
        text = _bits(F_SEALS, arg)
    elif cmd in F_FLOCK_CMDS:
        text = _flock(ctx, arg) if not (cmd in (5, 36) and ctx.failed) else ptr(arg)
    elif cmd in (15, 16):                           # F_SETOWN_EX, F_GETOWN_EX
        try:
            kind, pid = struct.unpack("<ii", ctx.mem.read(arg, 8))
            text = f"{{type={F_OWNER_TYPES.get(kind, kind)}, pid={pid}}}"
        except OSError:
            text = ptr(arg)
    else:
        text = hexs(arg)
    return f"{head}, {text})"


def _fcntl_ret(ret: int, args: tuple, ctx: Ctx) -> str | None:
    cmd = args[1] & 0xFFFFFFFF
    if cmd == 3:                                    # F_GETFL
        return f"{ret:#x} (flags {fmt_flags(ctx, 'open', ret)})" if ret else \
            f"0 (flags {fmt_flags(ctx, 'open', 0)})"
    if cmd == 1 and ret:                            # F_GETFD
        return f"{ret:#x} (flags {fmt_flags(ctx, 'fd_flags', ret)})"
    if cmd == 11 and ret:                           # F_GETSIG
        return f"{ret} ({signame(ret)})"
    if cmd == 1025:                                 # F_GETLEASE
        return f"{ret:#x} ({F_LOCKS.get(ret, '?')})"
    if cmd == 1034:                                 # F_GET_SEALS
        return f"{ret:#x} (seals {_bits(F_SEALS, ret)})" if ret else "0"
    return None


def format_call(sc: Syscall, args: tuple, ctx: Ctx) -> str:
    n = shown_args(sc, args)
    ctx.args = args
    ctx.sc_name = sc.name
    if sc.name == "fcntl":
        return _format_fcntl(sc, args, ctx, n)
    if sc.name == "ioctl":
        return _format_ioctl(sc, args, ctx)
    if sc.name == "futex":
        return _format_futex(sc, args, ctx)
    if sc.name == "clone":
        return _format_clone(args, ctx)
    if sc.name == "rt_sigreturn":       # the mask restored from the frame (see sigreturn)
        return f"rt_sigreturn({{mask={fmt_sigset_bits(args[0])}}})"
    if sc.name == "clone3":
        return _format_clone3(args, ctx)
    steps = plan(sc)
    ent = ctx.entry
    return f"{sc.name}(" + ", ".join([
        _captured(ctx, sc, i, ent[i], args) if ent and i in ent else fn(ctx, args[i], p, args, sc)
        for i, (fn, p) in enumerate(steps[:n])]) + ")"




def _tid_at(ctx: Ctx, addr: int) -> str:
    try:
        return f"[{int.from_bytes(ctx.mem.read(addr, 4), 'little')}]"
    except OSError:
        return ptr(addr)


def _format_clone(args: tuple, ctx: Ctx) -> str:
    """strace's clone: named arguments, only those the flags use (x86-64 order: flags,
    stack, parent_tid, child_tid, tls)."""
    flags, stack, ptid, ctid, tls = args[:5]
    out = [f"child_stack={ptr(stack)}", f"flags={fmt_flags(ctx, 'clone', flags)}"]
    if flags & CLONE_PARENT_SETTID:
        out.append("parent_tid=" + (_tid_at(ctx, ptid) if ctx.ret and ctx.ret > 0 else ptr(ptid)))
    if flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID):
        out.append(f"child_tidptr={ptr(ctid)}")
    if flags & CLONE_SETTLS:
        out.append(f"tls={ptr(tls)}")
    return "clone(" + ", ".join(out) + ")"


def _format_clone3(args: tuple, ctx: Ctx) -> str:
    try:
        f = struct.unpack("<8Q", ctx.mem.read(args[0], 64))
    except OSError:
        return f"clone3({ptr(args[0])}, {args[1]})"
    flags, _pidfd, ctid, ptid, exit_signal, stack, stack_size, tls = f
    out = [f"flags={fmt_flags(ctx, 'clone3', flags)}"]
    if flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID):
        out.append(f"child_tid={ptr(ctid)}")
    if flags & CLONE_PARENT_SETTID:
        out.append(f"parent_tid={ptr(ptid)}")
    out.append(f"exit_signal={signame(exit_signal)}")
    out += [f"stack={ptr(stack)}", f"stack_size={stack_size:#x}"]
    if flags & CLONE_SETTLS:
        out.append(f"tls={ptr(tls)}")
    text = "{" + ", ".join(out) + "}"
    if flags & CLONE_PARENT_SETTID and ctx.ret and ctx.ret > 0:
        text += f" => {{parent_tid={_tid_at(ctx, ptid)}}}"
    return f"clone3({text}, {args[1]})"


IOCTL_ARGS = {0x5413: "winsize", 0x5414: "winsize", 0x540F: "int", 0x5410: "int",
              0x541B: "int", 0x5421: "int", 0x5429: "int"}


def _format_ioctl(sc: Syscall, args: tuple, ctx: Ctx) -> str:
    req = args[1] & 0xFFFFFFFF
    head = f"ioctl({fmt_fd(ctx, args[0])}, {fmt_enum(ctx, 'ioctl', req)}"
    if req in (0x5450, 0x5451):          # FIONCLEX, FIOCLEX take no argument
        return head + ")"
    if req == 0x40049409:                # FICLONE: the source descriptor
        return head + f", {s32(args[2])})"
    if req in (0x5401,) and not ctx.failed:
        return head + ", " + _termios(ctx, args[2]) + ")"
    name = IOCTL_ARGS.get(req)
    if name and not ctx.failed:
        return head + ", " + fmt_struct(ctx, name, args[2], output=True) + ")"
    return head + ", " + ptr(args[2]) + ")"


def _termios(ctx: Ctx, v: int) -> str:
    try:
        _iflag, oflag, cflag, lflag = struct.unpack("<IIII", ctx.mem.read(v, 16))
    except OSError:
        return f"{v:#x}"
    speeds = {0o17: "B38400", 0o15: "B9600", 0o10002: "B115200", 0o10001: "B57600"}
    parts = [speeds.get(cflag & 0o10017, f"B{cflag & 0o10017:#o}")]
    parts.append("opost" if oflag & 1 else "-opost")
    parts.append("isig" if lflag & 1 else "-isig")
    parts.append("icanon" if lflag & 2 else "-icanon")
    parts.append("echo" if lflag & 8 else "-echo")
    return "{" + " ".join(parts) + " ...}"


def format_ret(sc: Syscall, ret: int | None, ctx: Ctx) -> str:
    """The text after ' = '."""
    if ret is None or sc.ret == "none":
        return "?"
    if -4096 < ret < 0:
        from .xlat import ERRNO
        name, msg = ERRNO.get(-ret, (f"errno {-ret}", "Unknown error"))
        if 512 <= -ret <= 516:          # kernel-internal: the call is interrupted, not failed
            return f"? {name} ({msg})"
        return f"-1 {name} ({msg})"
    if sc.name in RET_DETAIL and not ctx.failed:
        return str(ret) + ret_detail(sc, ret, ctx)
    if sc.name == "fcntl":
        text = _fcntl_ret(ret, ctx.args, ctx)
        if text is not None:
            return text
    if sc.ret == "x":
        return f"{ret:#x}"
    if sc.ret == "fd" and ctx.show_paths and ctx.fd_paths.get(ret) is not None:
        return fmt_fd(ctx, ret)
    return str(ret)
